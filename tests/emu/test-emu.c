/* Self-test of the emulator core with raw APDUs: if the emulator lies, every
 * test above it lies too. Each expectation cites doc/card.md. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "tests/emu/emu.h"
#include "tests/tap.h"

static uint8_t R[JP_EMU_RSP_MAX];
static long RN;
static char tmpdir[] = "/tmp/jpemu-test-XXXXXX";
static char state[256];
static char pin_auth[32], pin_sign[32];

static unsigned sw(void)
{
	return RN >= 2 ? (unsigned)((R[RN - 2] << 8) | R[RN - 1]) : 0;
}

static size_t dlen(void)
{
	return RN >= 2 ? (size_t)RN - 2 : 0;
}

/* Sends raw bytes; returns the SW (0 when no answer). */
static unsigned send(jp_emu *e, const uint8_t *c, size_t n)
{
	RN = jp_emu_apdu(e, c, n, R);
	return sw();
}

/* Sends a command written in hex ("00 A4 04 0C ..."). */
static unsigned tx(jp_emu *e, const char *hex)
{
	uint8_t c[600];
	size_t n = 0;
	unsigned v;
	int used;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x%n", &v, &used) != 1)
			break;
		c[n++] = (uint8_t)v;
		hex += used;
	}
	return send(e, c, n);
}

/* VERIFY / CHANGE / sign with a body. */
static unsigned tx_body(jp_emu *e, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                        const void *body, size_t len, int le)
{
	uint8_t c[600];
	size_t n = 0;

	c[n++] = cla;
	c[n++] = ins;
	c[n++] = p1;
	c[n++] = p2;
	c[n++] = (uint8_t)len;
	memcpy(c + n, body, len);
	n += len;
	if (le)
		c[n++] = 0x00;
	return send(e, c, n);
}

static unsigned select_ap(jp_emu *e)
{
	return tx(e, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01");
}

static unsigned select_ef(jp_emu *e, unsigned fid)
{
	uint8_t c[7] = { 0x00, 0xA4, 0x02, 0x0C, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid };
	return send(e, c, sizeof(c));
}

static unsigned verify(jp_emu *e, unsigned fid, const char *pin)
{
	select_ef(e, fid);
	return tx_body(e, 0x00, 0x20, 0x00, 0x80, pin, strlen(pin), 0);
}

static unsigned query(jp_emu *e, unsigned fid)
{
	select_ef(e, fid);
	return tx(e, "00 20 00 80");
}

static int load(const char *name, uint8_t **out, size_t *len)
{
	char path[4200];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", jp_emu_fixture_dir(1), name);
	f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*out = malloc((size_t)n);
	*len = fread(*out, 1, (size_t)n, f);
	fclose(f);
	return 0;
}

static EVP_PKEY *cert_key(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *k = x != NULL ? X509_get_pubkey(x) : NULL;
	X509_free(x);
	return k;
}

/* md NULL: the input is what the card padded; else sha256 DigestInfo of
 * tbs (hashed here) or PSS. */
static int sig_ok(EVP_PKEY *k, const EVP_MD *md, int pss, const uint8_t *tbs, size_t tbs_len,
                  const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	uint8_t h[64];
	unsigned hl = 0;
	int r = 0;

	if (md != NULL) {
		EVP_Digest(tbs, tbs_len, h, &hl, md, NULL);
		tbs = h;
		tbs_len = hl;
	}
	if (ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) > 0 &&
	    (md == NULL || EVP_PKEY_CTX_set_signature_md(ctx, md) > 0) &&
	    (!pss || EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) > 0))
		r = EVP_PKEY_verify(ctx, sig, sig_len, tbs, tbs_len) == 1;
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static jp_emu *fresh(const jp_emu_options *o)
{
	unlink(state);
	return jp_emu_new(jp_emu_fixture_dir(1), o, state);
}

/* sha256 DigestInfo of "hello" */
static void digest_info(uint8_t di[51])
{
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
	                                    0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
	                                    0x20 };
	memcpy(di, prefix, 19);
	EVP_Digest("hello", 5, di + 19, NULL, EVP_sha256(), NULL);
}

static void test_select_read(void)
{
	jp_emu *e = fresh(NULL);
	uint8_t *cert = NULL, buf[4096];
	size_t cert_len = 0, got = 0, atr_len;
	const uint8_t *atr = jp_emu_atr(e, &atr_len);
	uint8_t tck = 0;
	size_t i;

	for (i = 1; i < atr_len; i++)
		tck ^= atr[i];
	ok(atr_len >= 4 && atr[0] == 0x3B && tck == 0, "ATR: direct convention, TCK correct");

	load("auth.der", &cert, &cert_len);
	is_int(select_ef(e, 0x000A), 0x6A82, "SELECT EF before the AP: 6A82");
	is_int(select_ap(e), 0x9000, "SELECT JPKI AP");
	is_int(dlen(), 0, "  with no data");
	is_int(select_ef(e, 0x0099), 0x6A82, "unknown EF: 6A82");
	is_int(tx(e, "00 B0 00 00 04"), 0x6986, "READ with no current EF after a failed SELECT: 6986");
	is_int(tx(e, "0C A4 02 0C 02 00 0A"), 0x6882, "secure-messaging CLA 0C: 6882");
	is_int(tx(e, "08 B0 00 00 04"), 0x6882, "secure-messaging CLA 08: 6882");
	is_int(tx(e, "A0 A4 02 0C 02 00 0A"), 0x6E00, "unknown CLA: 6E00");
	is_int(tx(e, "00 CA 00 00 00"), 0x6D00, "unknown INS: 6D00");
	is_int(tx(e, "00 2A 00 80 01 00 00"), 0x6E00, "sign with CLA 00: 6E00");

	is_int(select_ef(e, 0x000A), 0x9000, "SELECT EF 000A");
	is_int(tx(e, "00 B0 00 00 04"), 0x9000, "READ 4 bytes");
	ok(dlen() == 4 && R[0] == 0x30 && R[1] == 0x82 &&
	   (size_t)((R[2] << 8) | R[3]) + 4 == cert_len, "  DER header gives the certificate size");
	while (got < cert_len) {
		uint8_t c[5] = { 0x00, 0xB0, (uint8_t)(got >> 8), (uint8_t)got, 0x00 };
		if (send(e, c, 5) != 0x9000)
			break;
		memcpy(buf + got, R, dlen());
		got += dlen();
		if (dlen() < 256)
			break;
	}
	ok(got == cert_len && memcmp(buf, cert, cert_len) == 0, "short reads (Le 00 = 256) give auth.der");
	{
		uint8_t c[5] = { 0x00, 0xB0, (uint8_t)(cert_len >> 8), (uint8_t)cert_len, 0x10 };
		is_int(send(e, c, 5), 0x6B00, "READ at the end: 6B00");
		c[2] = (uint8_t)((cert_len - 3) >> 8);
		c[3] = (uint8_t)(cert_len - 3);
		is_int(send(e, c, 5), 0x9000, "READ straddling the end: 9000");
		ok(dlen() == 3 && memcmp(R, cert + cert_len - 3, 3) == 0, "  with the 3 remaining bytes");
	}
	is_int(tx(e, "00 B0 00 00 00 00 00"), 0x9000, "extended READ, Le 0000");
	ok(dlen() == cert_len && memcmp(R, cert, cert_len) == 0, "  returns the whole file");
	is_int(tx(e, "00 B0 00 10 00 00 20"), 0x9000, "extended READ at offset 16, Le 32");
	ok(dlen() == 32 && memcmp(R, cert + 16, 32) == 0, "  returns 32 bytes from offset 16");
	is_int(tx(e, "00 B0 80 00 04"), 0x6A86, "READ with P1 bit 8 (SFI): 6A86");
	jp_emu_opts(e)->no_extended = 1;
	is_int(tx(e, "00 B0 00 00 00 00 00"), 0x6700, "no_extended: extended READ 6700");
	jp_emu_opts(e)->no_extended = 0;

	select_ef(e, 0x0006);
	is_int(tx(e, "00 B0 00 00 00 00 00"), 0x9000, "READ EF 0006");
	ok(dlen() == 160 && memcmp(R, "JPKIAPICCTOKEN2                 ", 32) == 0,
	   "  160 bytes, label JPKIAPICCTOKEN2 space-padded");
	select_ef(e, 0x0008);
	tx(e, "00 B0 00 00 00");
	ok(dlen() == 3 && R[0] == 0x8F && R[1] == 0x8F && R[2] == 0x00, "EF 0008 = 8F 8F 00");
	select_ef(e, 0x0017);
	is_int(tx(e, "00 B0 00 00 00"), 0x6982, "key EF is not readable");
	is_int(select_ef(e, 0x0001), 0x9000, "SELECT 0001 without PIN succeeds");
	is_int(tx(e, "00 B0 00 00 04"), 0x6982, "READ 0001 before VERIFY 001B: 6982");
	is_int(verify(e, 0x0018, pin_auth), 0x9000, "VERIFY auth PIN");
	select_ef(e, 0x0001);
	is_int(tx(e, "00 B0 00 00 04"), 0x6982, "  the auth PIN does not unlock 0001");
	free(cert);
	jp_emu_free(e);
}

static void test_verify_sign(void)
{
	jp_emu *e = fresh(NULL);
	uint8_t *ac = NULL, *sc = NULL, di[51], big[246];
	size_t ac_len, sc_len;
	EVP_PKEY *ak, *sk;

	load("auth.der", &ac, &ac_len);
	load("sign.der", &sc, &sc_len);
	ak = cert_key(ac, ac_len);
	sk = cert_key(sc, sc_len);
	digest_info(di);
	memset(big, 0x42, sizeof(big));

	select_ap(e);
	is_int(tx(e, "00 20 00 80"), 0x6986, "VERIFY with no PIN EF selected: 6986");
	is_int(query(e, 0x0018), 0x63C3, "retry query auth: 63C3");
	is_int(query(e, 0x001B), 0x63C5, "retry query sign: 63C5");
	is_int(verify(e, 0x0018, "0000"), 0x63C2, "wrong auth PIN: 63C2");
	is_int(jp_emu_tries(e, 0), 2, "  tries 2");
	is_int(jp_emu_verify_count(e), 1, "  verify count 1 (queries not counted)");
	is_int(verify(e, 0x0018, pin_auth), 0x9000, "right auth PIN: 9000");
	is_int(jp_emu_tries(e, 0), 3, "  counter back to 3");
	ok(jp_emu_verified(e, 0) && !jp_emu_verified(e, 1), "  auth verified, sign not");
	is_int(query(e, 0x0018), 0x63C3, "retry query after VERIFY still 63C3");

	select_ef(e, 0x0017);
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x80, di, sizeof(di), 1), 0x9000, "sign with auth key");
	is_int(dlen(), 256, "  256-byte signature");
	ok(sig_ok(ak, NULL, 0, di, sizeof(di), R, 256), "  verifies as PKCS#1 v1.5 over the DigestInfo");
	ok(sig_ok(ak, EVP_sha256(), 0, (const uint8_t *)"hello", 5, R, 256),
	   "  = sha256WithRSA signature of \"hello\"");
	is_int(jp_emu_sign_count(e), 1, "  sign count 1");
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x80, big, 245, 1), 0x9000, "245-byte input: 9000");
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x80, big, 246, 1), 0x6700, "246-byte input: 6700");
	is_int(tx(e, "80 2A 00 80 00"), 0x6700, "empty input: 6700");
	is_int(tx_body(e, 0x80, 0x2A, 0x01, 0x80, di, sizeof(di), 1), 0x6A86, "P1 01 without pss: 6A86");
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x00, di, sizeof(di), 1), 0x6A86, "P2 00: 6A86");
	select_ef(e, 0x001A);
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x80, di, sizeof(di), 1), 0x6982,
	       "sign key without its PIN: 6982");
	select_ef(e, 0x000A);
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x80, di, sizeof(di), 1), 0x6986,
	       "sign with a certificate EF selected: 6986");

	is_int(verify(e, 0x001B, pin_sign), 0x9000, "VERIFY signing password");
	select_ef(e, 0x0001);
	is_int(tx(e, "00 B0 00 00 00 00 00"), 0x9000, "READ 0001 after VERIFY 001B");
	ok(dlen() == sc_len && memcmp(R, sc, sc_len) == 0, "  gives sign.der");
	select_ef(e, 0x001A);
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x80, di, sizeof(di), 1), 0x9000, "sign with sign key");
	ok(sig_ok(sk, NULL, 0, di, sizeof(di), R, 256), "  verifies with the sign certificate");
	ok(!sig_ok(ak, NULL, 0, di, sizeof(di), R, 256), "  and not with the auth certificate");

	/* Lower case burns a try: the module must never send one (§5). */
	{
		char lower[32];
		size_t i;
		strcpy(lower, pin_sign);
		for (i = 0; lower[i]; i++)
			if (lower[i] >= 'A' && lower[i] <= 'Z')
				lower[i] = (char)(lower[i] - 'A' + 'a');
		is_int(verify(e, 0x001B, lower), 0x63C4, "lowercase password burns a try: 63C4");
		ok(!jp_emu_verified(e, 1), "  and clears that PIN's verified state");
	}
	is_int(verify(e, 0x001B, pin_sign), 0x9000, "right password resets the counter");
	is_int(jp_emu_tries(e, 1), 5, "  tries 5");

	jp_emu_opts(e)->pss = 1;
	select_ef(e, 0x001A);
	is_int(tx_body(e, 0x80, 0x2A, 0x03, 0x80, "hello", 5, 1), 0x9000, "pss opt: P1 03");
	ok(sig_ok(sk, EVP_sha256(), 0, (const uint8_t *)"hello", 5, R, 256),
	   "  card-side SHA-256 + DigestInfo");
	is_int(tx_body(e, 0x80, 0x2A, 0x05, 0x80, "hello", 5, 1), 0x9000, "pss opt: P1 05");
	ok(sig_ok(sk, EVP_sha256(), 1, (const uint8_t *)"hello", 5, R, 256), "  RSASSA-PSS SHA-256");
	is_int(tx_body(e, 0x80, 0x2A, 0x04, 0x80, di + 19, 32, 1), 0x9000, "pss opt: P1 04 (hash given)");
	ok(sig_ok(sk, EVP_sha256(), 1, (const uint8_t *)"hello", 5, R, 256), "  RSASSA-PSS SHA-256");
	is_int(tx_body(e, 0x80, 0x2A, 0x02, 0x80, "hello", 5, 1), 0x6700, "P1 02 with 5 bytes: 6700");
	is_int(tx_body(e, 0x80, 0x2A, 0x06, 0x80, "hello", 5, 1), 0x6A86, "P1 06: 6A86");
	jp_emu_opts(e)->pss = 0;

	jp_emu_opts(e)->garble_signatures = 1;
	tx_body(e, 0x80, 0x2A, 0x00, 0x80, di, sizeof(di), 1);
	ok(dlen() == 256 && !sig_ok(sk, NULL, 0, di, sizeof(di), R, 256),
	   "garble_signatures: the signature does not verify");
	jp_emu_opts(e)->garble_signatures = 0;

	EVP_PKEY_free(ak);
	EVP_PKEY_free(sk);
	free(ac);
	free(sc);
	jp_emu_free(e);
}

static void test_change_block_persist(void)
{
	jp_emu *e = fresh(NULL);
	jp_emu_options o;

	select_ap(e);
	select_ef(e, 0x0018);
	is_int(tx_body(e, 0x00, 0x24, 0x01, 0x80, "9999", 4, 0), 0x6982, "CHANGE without VERIFY: 6982");
	verify(e, 0x0018, pin_auth);
	is_int(tx_body(e, 0x00, 0x24, 0x00, 0x80, "9999", 4, 0), 0x6A86, "CHANGE P1 00: 6A86");
	is_int(tx_body(e, 0x00, 0x24, 0x01, 0x80, "9999", 4, 0), 0x9000, "CHANGE after VERIFY: 9000");
	jp_emu_power_off(e);
	jp_emu_power_on(e);
	ok(!jp_emu_verified(e, 0), "power cycle clears the verified state");
	select_ap(e);
	is_int(verify(e, 0x0018, pin_auth), 0x63C2, "old PIN now wrong");
	is_int(verify(e, 0x0018, "9999"), 0x9000, "new PIN right");

	jp_emu_free(e);
	e = jp_emu_new(jp_emu_fixture_dir(1), NULL, state);
	select_ap(e);
	is_int(verify(e, 0x0018, "9999"), 0x9000, "changed PIN persists across free/new");
	is_int(verify(e, 0x0018, "0000"), 0x63C2, "wrong: 63C2");
	is_int(verify(e, 0x0018, "0001"), 0x63C1, "wrong: 63C1");
	jp_emu_free(e);
	e = jp_emu_new(jp_emu_fixture_dir(1), NULL, state);
	is_int(jp_emu_tries(e, 0), 1, "counter persists across free/new");
	select_ap(e);
	is_int(verify(e, 0x0018, "0002"), 0x63C0, "last try: 63C0");
	is_int(jp_emu_tries(e, 0), 0, "  tries 0");
	is_int(verify(e, 0x0018, "9999"), 0x6984, "right PIN when blocked: 6984");
	is_int(verify(e, 0x0018, "0003"), 0x6984, "wrong PIN when blocked: 6984");
	is_int(query(e, 0x0018), 0x63C0, "retry query when blocked: 63C0 (default)");
	jp_emu_opts(e)->blocked_query_sw = 0x6984;
	is_int(query(e, 0x0018), 0x6984, "retry query when blocked: 6984 (option)");
	jp_emu_opts(e)->blocked_verify_sw = 0x63C0;
	is_int(verify(e, 0x0018, "9999"), 0x63C0, "right PIN when blocked: 63C0 (option)");
	is_int(jp_emu_tries(e, 0), 0, "  no try counted");
	jp_emu_opts(e)->blocked_verify_sw = 0;
	select_ef(e, 0x0017);
	is_int(tx(e, "80 2A 00 80 01 00 00"), 0x6982, "sign when blocked: 6982");
	jp_emu_free(e);
	memset(&o, 0, sizeof(o));
	o.blocked_query_sw = 0x6984;
	e = jp_emu_new(jp_emu_fixture_dir(1), &o, state);
	is_int(jp_emu_tries(e, 0), 0, "blocked state persists");
	is_int(jp_emu_tries(e, 1), 5, "the other PIN untouched");
	jp_emu_free(e);
	e = jp_emu_new(jp_emu_fixture_dir(1), NULL, NULL);
	is_int(jp_emu_tries(e, 0), 3, "no state file: fresh counters");
	jp_emu_free(e);
}

static void test_lifetime(void)
{
	jp_emu *e = fresh(NULL);
	jp_emu_options o;

	select_ap(e);
	verify(e, 0x0018, pin_auth);
	verify(e, 0x001B, pin_sign);
	ok(jp_emu_verified(e, 0) && jp_emu_verified(e, 1), "both PINs verified at once");
	select_ap(e);
	ok(jp_emu_verified(e, 0) && jp_emu_verified(e, 1), "re-select keeps them (default)");
	jp_emu_reset(e);
	ok(jp_emu_verified(e, 0) && jp_emu_verified(e, 1), "warm reset keeps them (default)");
	is_int(select_ef(e, 0x0017), 0x6A82, "after reset the JPKI AP is not selected");
	select_ap(e);
	select_ef(e, 0x0017);
	is_int(tx(e, "80 2A 00 80 01 00 00"), 0x9000, "sign after reset without VERIFY (worst case)");
	is_int(tx(e, "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08"), 0x9000, "SELECT other AP");
	ok(!jp_emu_verified(e, 0) && !jp_emu_verified(e, 1), "  clears the JPKI state");
	is_int(select_ef(e, 0x000A), 0x6A82, "  and deselects the JPKI AP");
	is_int(tx(e, "00 A4 04 0C 05 A0 00 00 00 01"), 0x6A82, "unknown AID: 6A82");
	jp_emu_free(e);

	memset(&o, 0, sizeof(o));
	o.clear_on_reselect = 1;
	o.clear_on_reset = 1;
	e = fresh(&o);
	select_ap(e);
	verify(e, 0x0018, pin_auth);
	select_ap(e);
	ok(!jp_emu_verified(e, 0), "clear_on_reselect: re-select clears");
	verify(e, 0x0018, pin_auth);
	jp_emu_reset(e);
	ok(!jp_emu_verified(e, 0), "clear_on_reset: reset clears");
	jp_emu_free(e);
}

static void test_variants(void)
{
	jp_emu_options o;
	jp_emu *e;
	size_t i, cert_len;
	uint8_t *cert = NULL;
	int zero = 1;

	memset(&o, 0, sizeof(o));
	o.no_sign = JP_EMU_SIGN_NOT_FOUND;
	e = fresh(&o);
	select_ap(e);
	is_int(select_ef(e, 0x0001), 0x6A82, "no_sign=notfound: SELECT 0001 6A82");
	is_int(select_ef(e, 0x001A), 0x6A82, "  SELECT 001A 6A82");
	is_int(select_ef(e, 0x001B), 0x6A82, "  SELECT 001B 6A82");
	select_ef(e, 0x0008);
	tx(e, "00 B0 00 00 00");
	ok(dlen() == 3 && R[0] == 0x00 && R[1] == 0x8F && R[2] == 0x00,
	   "  EF 0008 = 00 8F 00 (byte 0 the signing certificate, doc/card.md §11)");
	is_int(verify(e, 0x0018, pin_auth), 0x9000, "  auth still works");
	jp_emu_free(e);

	o.no_sign = JP_EMU_SIGN_DENIED;
	e = fresh(&o);
	select_ap(e);
	is_int(verify(e, 0x001B, pin_sign), 0x9000, "no_sign=denied: VERIFY 001B ok");
	select_ef(e, 0x0001);
	is_int(tx(e, "00 B0 00 00 04"), 0x6982, "  READ 0001 still 6982");
	jp_emu_free(e);

	o.no_sign = JP_EMU_SIGN_EMPTY;
	e = fresh(&o);
	select_ap(e);
	verify(e, 0x001B, pin_sign);
	select_ef(e, 0x0001);
	is_int(tx(e, "00 B0 00 00 00 00 00"), 0x9000, "no_sign=empty: READ 0001 9000");
	for (i = 0; i < dlen(); i++)
		zero &= R[i] == 0;
	ok(dlen() > 0 && zero, "  zero-filled");
	jp_emu_free(e);

	memset(&o, 0, sizeof(o));
	o.kind = JP_EMU_JUKI;
	e = fresh(&o);
	select_ap(e);
	select_ef(e, 0x0006);
	tx(e, "00 B0 00 00 20");
	ok(dlen() == 32 && memcmp(R, "JPKIAPICCTOKEN ", 15) == 0, "juki: label JPKIAPICCTOKEN");
	jp_emu_free(e);
	o.kind = JP_EMU_NOT_JPKI;
	e = fresh(&o);
	is_int(select_ap(e), 0x6A82, "not-jpki: SELECT AP 6A82");
	jp_emu_free(e);

	memset(&o, 0, sizeof(o));
	o.cert_filler = 300;
	e = fresh(&o);
	load("auth.der", &cert, &cert_len);
	select_ap(e);
	select_ef(e, 0x000A);
	tx(e, "00 B0 00 00 00 00 00");
	ok(dlen() == cert_len + 300 && memcmp(R, cert, cert_len) == 0 &&
	   R[cert_len] == 0xFF && R[dlen() - 1] == 0xFF, "filler: DER then 300 filler bytes");
	free(cert);
	jp_emu_free(e);
}

/* PSS as TLS 1.3's rsa_pss_rsae_sha256 wants it: SHA-256, MGF1-SHA-256, a
 * 32-byte salt, nothing AUTO. */
static int pss_ok(EVP_PKEY *k, const uint8_t hash[32], const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	int r = 0;

	if (ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) > 0)
		r = EVP_PKEY_verify(ctx, sig, sig_len, hash, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* doc/card.md §11, each item and the old answer: P1 00..05 on and off,
 * PSS at P1 04, signing by short EF identifier, the MF and the Issuer
 * Security Domain, EF 0006 / 0008 layouts, the smartphone tokens, a card
 * without signing certificates. */
static void test_survey(void)
{
	jp_emu *e;
	jp_emu_options o;
	uint8_t *ac = NULL, *sc = NULL, *cert = NULL, di[51], first[256], h[32];
	size_t ac_len, sc_len, cert_len;
	EVP_PKEY *ak, *sk;
	unsigned p1, off;
	static const char *const in_for[6] = { NULL, "hello", NULL, "hello", NULL, "hello" };

	load("auth.der", &ac, &ac_len);
	load("sign.der", &sc, &sc_len);
	ak = cert_key(ac, ac_len);
	sk = cert_key(sc, sc_len);
	digest_info(di);
	memcpy(h, di + 19, 32);

	/* Each P1 refused on its own, the others unaffected. */
	memset(&o, 0, sizeof(o));
	o.pss = 1;
	e = fresh(&o);
	select_ap(e);
	verify(e, 0x0018, pin_auth);
	for (off = 0; off <= 5; off++) {
		jp_emu_opts(e)->sign_p1_off = 1u << off;
		for (p1 = 0; p1 <= 5; p1++) {
			const void *in = in_for[p1] ? (const void *)in_for[p1] :
			                 p1 == 0 ? (const void *)di : (const void *)h;
			size_t n = in_for[p1] ? 5 : p1 == 0 ? sizeof(di) : 32;
			select_ef(e, 0x0017);
			is_int(tx_body(e, 0x80, 0x2A, (uint8_t)p1, 0x80, in, n, 1),
			       p1 == off ? 0x6A86 : 0x9000, "P1 %02X off: P1 %02X answers %s", off, p1,
			       p1 == off ? "6A86" : "9000");
		}
	}
	jp_emu_opts(e)->sign_p1_off = 0;
	/* P1 04: PSS, MGF1-SHA-256, 32-byte salt, random. */
	select_ef(e, 0x0017);
	is_int(tx_body(e, 0x80, 0x2A, 0x04, 0x80, h, 32, 1), 0x9000, "P1 04 over a SHA-256 hash");
	ok(dlen() == 256 && pss_ok(ak, h, R, 256), "  PSS, MGF1-SHA-256, salt 32 verifies");
	memcpy(first, R, 256);
	tx_body(e, 0x80, 0x2A, 0x04, 0x80, h, 32, 1);
	ok(dlen() == 256 && pss_ok(ak, h, R, 256) && memcmp(first, R, 256) != 0,
	   "  a second one verifies too and differs (random salt)");
	is_int(tx_body(e, 0x80, 0x2A, 0x04, 0x80, di, sizeof(di), 1), 0x6700,
	       "  P1 04 with 51 bytes: 6700");
	jp_emu_free(e);

	/* Short EF identifier: the old answer (6A86, or 6A82), then played. */
	memset(&o, 0, sizeof(o));
	o.no_sfi_sw = 0x6A86;
	e = fresh(&o);
	select_ap(e);
	verify(e, 0x0018, pin_auth);
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x97, di, sizeof(di), 1), 0x6A86,
	       "no_sfi_sw 6A86: P2 97 answers 6A86");
	jp_emu_opts(e)->no_sfi_sw = 0x6A82;
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x97, di, sizeof(di), 1), 0x6A82,
	       "no_sfi_sw 6A82: P2 97 answers 6A82");
	is_int(jp_emu_sign_count(e), 0, "  no signature made");
	jp_emu_opts(e)->no_sfi_sw = 0;
	verify(e, 0x0018, pin_auth);
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x97, di, sizeof(di), 1), 0x9000,
	       "sfi: P2 97 signs with key 0017 right after VERIFY (no SELECT)");
	ok(dlen() == 256 && sig_ok(ak, NULL, 0, di, sizeof(di), R, 256), "  the auth key's signature");
	memcpy(first, R, 256);
	select_ef(e, 0x0017);
	tx_body(e, 0x80, 0x2A, 0x00, 0x80, di, sizeof(di), 1);
	ok(dlen() == 256 && memcmp(first, R, 256) == 0, "  byte-identical to SELECT + P2 80");
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x9A, di, sizeof(di), 1), 0x6982,
	       "sfi: P2 9A without the signing password: 6982");
	is_int(verify(e, 0x001B, pin_sign), 0x9000, "  VERIFY 001B");
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x9A, di, sizeof(di), 1), 0x9000, "sfi: P2 9A signs");
	ok(dlen() == 256 && sig_ok(sk, NULL, 0, di, sizeof(di), R, 256), "  with the signing key");
	is_int(tx(e, "00 20 00 80"), 0x6986,
	       "  the key EF is current afterwards (a retry query finds no PIN EF: 6986)");
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x98, di, sizeof(di), 1), 0x6A86,
	       "sfi: P2 98 (a PIN EF) 6A86");
	jp_emu_free(e);
	o.no_sfi_sw = 0;
	o.no_sign = JP_EMU_SIGN_NOT_FOUND;
	e = fresh(&o);
	select_ap(e);
	is_int(tx_body(e, 0x80, 0x2A, 0x00, 0x9A, di, sizeof(di), 1), 0x6A82,
	       "sfi on a card without key 001A: 6A82");
	jp_emu_free(e);

	/* The MF and the Issuer Security Domain. */
	memset(&o, 0, sizeof(o));
	e = fresh(&o);
	is_int(tx(e, "00 A4 00 00"), 0x6A86, "SELECT MF after power-on: 6A86");
	is_int(tx(e, "00 A4 00 0C 02 3F 00"), 0x6A82, "SELECT 3F00: 6A82");
	select_ap(e);
	verify(e, 0x0018, pin_auth);
	is_int(tx(e, "00 A4 00 00"), 0x9000, "SELECT MF with the JPKI AP current: 9000");
	ok(jp_emu_verified(e, 0), "  nothing changed: still verified");
	is_int(select_ef(e, 0x0006), 0x9000, "  and the JPKI AP still current");
	is_int(tx(e, "00 A4 04 0C 07 A0 00 00 01 51 00 00"), 0x9000, "SELECT the ISD: 9000");
	ok(!jp_emu_verified(e, 0), "  the verified state is gone");
	is_int(select_ef(e, 0x0006), 0x6A82, "  no application current (SELECT 0006 6A82)");
	is_int(tx(e, "00 A4 00 00"), 0x6A86, "  SELECT MF: 6A86 again (power-on state)");
	jp_emu_free(e);

	/* EF 0006 layouts and labels. */
	{
		static const struct { jp_emu_kind k; const char *label; } kl[] = {
			{ JP_EMU_MYNUMBER, "JPKIAPICCTOKEN2" }, { JP_EMU_ANDROID, "JPKIAPGPSETOKEN" },
			{ JP_EMU_IPHONE, "JPKIAPIOSTOKEN" }, { JP_EMU_JUKI, "JPKIAPICCTOKEN" },
		};
		size_t i, l;
		int lo;
		for (i = 0; i < sizeof(kl) / sizeof(kl[0]); i++) {
			for (lo = 0; lo < 2; lo++) {
				memset(&o, 0, sizeof(o));
				o.kind = kl[i].k;
				o.ef0006_label_only = lo;
				e = fresh(&o);
				select_ap(e);
				select_ef(e, 0x0006);
				tx(e, "00 B0 00 00 00");
				l = strlen(kl[i].label);
				ok(dlen() == (lo ? 32u : 160u) && memcmp(R, kl[i].label, l) == 0 &&
				   R[l] == ' ' && R[31] == ' ', "EF 0006 %s: %zu bytes, label %s",
				   lo ? "label only" : "record", dlen(), kl[i].label);
				if (!lo)
					ok(R[96] == 0 && R[97] == 0 && R[98] == 0x04 && R[99] == 0x05,
					   "  CK_TOKEN_INFO flags big-endian (00000405)");
				jp_emu_free(e);
			}
		}
	}

	/* EF 0008. */
	{
		static const struct { jp_emu_ef0008 v; jp_emu_no_sign ns; uint8_t b0; const char *w; } ev[] = {
			{ JP_EMU_EF0008_AUTO, JP_EMU_SIGN_PRESENT, 0x8F, "auto, both certs" },
			{ JP_EMU_EF0008_AUTO, JP_EMU_SIGN_CERTS_ABSENT, 0x00, "auto, no signing cert" },
			{ JP_EMU_EF0008_BOTH, JP_EMU_SIGN_CERTS_ABSENT, 0x8F, "both (whatever the files)" },
			{ JP_EMU_EF0008_NO_SIGN, JP_EMU_SIGN_PRESENT, 0x00, "nosign (whatever the files)" },
		};
		size_t i;
		for (i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
			memset(&o, 0, sizeof(o));
			o.ef0008 = ev[i].v;
			o.no_sign = ev[i].ns;
			e = fresh(&o);
			select_ap(e);
			is_int(select_ef(e, 0x0008), 0x9000, "EF 0008 %s: selectable", ev[i].w);
			is_int(tx(e, "00 B0 00 00 00"), 0x9000, "  read without a PIN");
			ok(dlen() == 3 && R[0] == ev[i].b0 && R[1] == 0x8F && R[2] == 0x00,
			   "  %02X 8F 00", ev[i].b0);
			jp_emu_free(e);
		}
		memset(&o, 0, sizeof(o));
		o.ef0008 = JP_EMU_EF0008_ABSENT;
		e = fresh(&o);
		select_ap(e);
		is_int(select_ef(e, 0x0008), 0x6A82, "EF 0008 absent: SELECT 6A82");
		jp_emu_free(e);
	}

	/* No signing certificate: EF 0001 / 0002 absent, keys and PINs there. */
	memset(&o, 0, sizeof(o));
	o.no_sign = JP_EMU_SIGN_CERTS_ABSENT;
	e = fresh(&o);
	select_ap(e);
	is_int(select_ef(e, 0x0001), 0x6A82, "certs-absent: SELECT 0001 6A82");
	is_int(select_ef(e, 0x0002), 0x6A82, "  SELECT 0002 6A82");
	is_int(select_ef(e, 0x001A), 0x9000, "  SELECT 001A 9000");
	is_int(query(e, 0x001B), 0x63C5, "  PIN EF 001B answers the retry query");
	is_int(verify(e, 0x001B, pin_sign), 0x9000, "  and VERIFY");
	jp_emu_free(e);

	/* Smartphone tokens: the auth certificate behind the auth PIN. */
	{
		static const jp_emu_kind phones[] = { JP_EMU_ANDROID, JP_EMU_IPHONE };
		size_t i;
		load("auth.der", &cert, &cert_len);
		for (i = 0; i < 2; i++) {
			memset(&o, 0, sizeof(o));
			o.kind = phones[i];
			e = fresh(&o);
			select_ap(e);
			select_ef(e, 0x000A);
			is_int(tx(e, "00 B0 00 00 04"), 0x6982, "%s: READ 000A before the PIN: 6982",
			       jp_emu_label(phones[i]));
			select_ef(e, 0x000B);
			is_int(tx(e, "00 B0 00 00 04"), 0x9000, "  READ 000B (CA) free");
			is_int(verify(e, 0x0018, pin_auth), 0x9000, "  auth PIN");
			select_ef(e, 0x000A);
			is_int(tx(e, "00 B0 00 00 00 00 00"), 0x9000, "  READ 000A after it");
			ok(dlen() == cert_len && memcmp(R, cert, cert_len) == 0, "  the auth certificate");
			jp_emu_free(e);
		}
		free(cert);
	}

	EVP_PKEY_free(ak);
	EVP_PKEY_free(sk);
	free(ac);
	free(sc);
}

static void test_faults_counters_log(void)
{
	jp_emu_options o;
	jp_emu *e;
	char logpath[300], line[512];
	FILE *f;
	int masked = 0, leaked = 0, cmds = 0;
	struct timeval t0, t1;
	long us;
	uint8_t good[256];

	memset(&o, 0, sizeof(o));
	o.fail_nth = 2;
	o.garble_nth = 4;
	o.short_nth = 5;
	o.drop_nth = 6;
	o.remove_nth = 8;
	e = fresh(&o);
	select_ap(e);                                      /* 1 */
	is_int(select_ef(e, 0x000A), 0x6F00, "fail_nth: 6F00");   /* 2 */
	select_ef(e, 0x000A);                              /* 3 */
	tx(e, "00 B0 00 00 00");                           /* 4 garbled */
	ok(sw() == 0x9000 && dlen() == 256, "garble_nth: still 256 bytes + 9000");
	memcpy(good, R, 256);
	tx(e, "00 B0 00 00 00");                           /* 5 short */
	is_int(RN, 257, "short_nth: one byte short");
	ok(memcmp(good, R, 255) != 0, "  and the garbled read differed from the real data");
	is_int(jp_emu_apdu(e, (const uint8_t *)"\x00\xB0\x00\x00\x00", 5, R), -1, "drop_nth: no answer"); /* 6 */
	ok(!jp_emu_removed(e), "  card still there");
	is_int(tx(e, "00 B0 00 00 00"), 0x9000, "next APDU answered");     /* 7 */
	is_int(jp_emu_apdu(e, (const uint8_t *)"\x00\xB0\x00\x00\x00", 5, R), -1, "remove_nth: no answer"); /* 8 */
	ok(jp_emu_removed(e), "  card removed");
	is_int(jp_emu_apdu(e, (const uint8_t *)"\x00\xB0\x00\x00\x00", 5, R), -1, "  stays removed");
	jp_emu_power_on(e);
	ok(!jp_emu_powered(e), "  cannot be powered while removed");
	jp_emu_reinsert(e);
	ok(!jp_emu_removed(e) && !jp_emu_powered(e), "reinsert: present, unpowered");
	is_int(jp_emu_apdu(e, (const uint8_t *)"\x00\xB0\x00\x00\x00", 5, R), -1, "  unpowered: no answer");
	jp_emu_power_on(e);
	is_int(select_ap(e), 0x9000, "  powered on: answers");
	is_int(jp_emu_apdu_count(e), 9, "apdu count 9 (unanswered while removed not counted)");
	is_int(jp_emu_ins_count(e, 0xB0), 5, "READ BINARY count 5");
	is_int(jp_emu_ins_count(e, 0xA4), 4, "SELECT count 4");
	ok(jp_emu_bytes_in(e) > 0 && jp_emu_bytes_out(e) >= 256 * 3, "byte counters");
	jp_emu_free(e);

	memset(&o, 0, sizeof(o));
	o.latency_apdu_us = 20000;
	e = fresh(&o);
	snprintf(logpath, sizeof(logpath), "%s/apdu.log", tmpdir);
	is_int(jp_emu_log_to(e, logpath), 0, "log_to");
	gettimeofday(&t0, NULL);
	select_ap(e);
	gettimeofday(&t1, NULL);
	us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_usec - t0.tv_usec);
	ok(us >= 20000, "latency_apdu_us: an APDU took %ld us", us);
	jp_emu_opts(e)->latency_apdu_us = 0;
	verify(e, 0x0018, pin_auth);
	select_ef(e, 0x0018);
	tx_body(e, 0x00, 0x24, 0x01, 0x80, pin_auth, strlen(pin_auth), 0);
	jp_emu_log_to(e, NULL);
	f = fopen(logpath, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char hexpin[40] = "";
		size_t i;
		for (i = 0; pin_auth[i]; i++)
			sprintf(hexpin + 2 * i, "%02X", (unsigned char)pin_auth[i]);
		if (line[0] == '>')
			cmds++;
		if (strstr(line, "********") != NULL)
			masked++;
		if (strstr(line, hexpin) != NULL)
			leaked++;
	}
	if (f != NULL)
		fclose(f);
	is_int(cmds, 5, "log: 5 commands");
	is_int(masked, 2, "log: VERIFY and CHANGE bodies masked");
	is_int(leaked, 0, "log: the PIN never appears");
	jp_emu_free(e);
}

int main(void)
{
	char dir[4200];

	if (mkdtemp(tmpdir) == NULL)
		skip_all("no temp dir");
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	snprintf(dir, sizeof(dir), "%s", jp_emu_fixture_dir(1));
	ok(strstr(dir, "tests/emu/cards/card-1") != NULL, "fixture dir %s", dir);
	is_int(jp_emu_fixture_pin(1, 0, pin_auth, sizeof(pin_auth)), 0, "fixture auth PIN");
	is_int(jp_emu_fixture_pin(1, 1, pin_sign, sizeof(pin_sign)), 0, "fixture signing password");
	is_int(strlen(pin_auth), 4, "auth PIN has 4 digits");
	ok(jp_emu_new("/nonexistent", NULL, NULL) == NULL, "missing fixture dir: NULL");

	test_select_read();
	test_verify_sign();
	test_change_block_persist();
	test_lifetime();
	test_variants();
	test_survey();
	test_faults_counters_log();

	unlink(state);
	{
		char p[300];
		snprintf(p, sizeof(p), "%s/apdu.log", tmpdir);
		unlink(p);
	}
	rmdir(tmpdir);
	done_testing();
}
