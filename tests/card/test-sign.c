/* COMPUTE DIGITAL SIGNATURE with both keys, checked on the host with
 * OpenSSL against the card's certificates; input length limits; leaving the
 * card unverified; a reset by another process. */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "card-test.h"
#include "tests/tap.h"

/* DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
static const uint8_t sha256_prefix[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
	0x05, 0x00, 0x04, 0x20
};

static size_t digest_info(const char *msg, uint8_t out[51])
{
	unsigned int n = 32;

	memcpy(out, sha256_prefix, sizeof(sha256_prefix));
	EVP_Digest(msg, strlen(msg), out + sizeof(sha256_prefix), &n, EVP_sha256(), NULL);
	return sizeof(sha256_prefix) + 32;
}

static EVP_PKEY *cert_key(ct *c, jp_cert_id id)
{
	const uint8_t *der, *p;
	size_t len;
	X509 *x;
	EVP_PKEY *k = NULL;

	if (jp_card_read_cert(c->card, id, &der, &len) != JP_OK)
		return NULL;
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	if (x) {
		k = X509_get_pubkey(x);
		X509_free(x);
	}
	return k;
}

/* sha256WithRSAEncryption over msg, as any relying party checks it. */
static int verify_msg(EVP_PKEY *k, const char *msg, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int r = 0;

	if (k && m && EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, k) == 1)
		r = EVP_DigestVerify(m, sig, sig_len, (const uint8_t *)msg, strlen(msg)) == 1;
	EVP_MD_CTX_free(m);
	return r;
}

/* PKCS#1 v1.5 type-01 over raw bytes (no hash): what the card pads. */
static int verify_raw(EVP_PKEY *k, const uint8_t *in, size_t in_len, const uint8_t *sig,
                      size_t sig_len)
{
	EVP_PKEY_CTX *p = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
	int r = 0;

	if (p && EVP_PKEY_verify_init(p) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PADDING) == 1)
		r = EVP_PKEY_verify(p, sig, sig_len, in, in_len) == 1;
	EVP_PKEY_CTX_free(p);
	return r;
}

static void sign_both(void)
{
	ct c;
	uint8_t di[51], sig[JP_SIGNATURE_LEN], big[300];
	size_t di_len, sig_len;
	EVP_PKEY *ka, *ks;
	unsigned long a0, s0;
	int i;

	CT_START(&c, 1, NULL);
	ka = cert_key(&c, JP_CERT_AUTH);
	ok(ka != NULL, "auth cert parses, RSA key");
	di_len = digest_info("hello JPKI", di);

	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, di_len, sig, &sig_len), JP_E_SECURITY_STATUS,
	       "auth sign without VERIFY: JP_E_SECURITY_STATUS");
	is_int(jp_emu_sign_count(c.e), 0, "no signature made");
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL), JP_OK, "auth PIN verified");
	sig_len = 0;
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, di_len, sig, &sig_len), JP_OK, "auth sign");
	is_int(sig_len, 256, "256 bytes");
	ok(verify_msg(ka, "hello JPKI", sig, sig_len),
	   "OpenSSL verifies sha256WithRSA against the auth cert");
	ok(!verify_msg(ka, "hello JPKJ", sig, sig_len), "and not over another message");

	a0 = jp_emu_apdu_count(c.e);
	s0 = jp_emu_sign_count(c.e);
	for (i = 0; i < 5; i++)
		jp_card_sign(c.card, JP_KEY_AUTH, di, di_len, sig, &sig_len);
	is_int(jp_emu_sign_count(c.e) - s0, 5, "5 signatures");
	/* The default card signs by short EF identifier (doc/card.md §11):
	 * no SELECT of the key. tests/card/test-sign-variants has both cards. */
	is_int(jp_emu_apdu_count(c.e) - a0, 5, "1 APDU per signature (P2 97, no SELECT)");

	/* Input lengths: 1..245, else nothing is sent. */
	memset(big, 0x5A, sizeof(big));
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, big, 0, sig, &sig_len), JP_E_DATA_LEN_RANGE,
	       "empty input: JP_E_DATA_LEN_RANGE");
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, big, 246, sig, &sig_len), JP_E_DATA_LEN_RANGE,
	       "246 bytes: JP_E_DATA_LEN_RANGE");
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, big, 300, sig, &sig_len), JP_E_DATA_LEN_RANGE,
	       "300 bytes: JP_E_DATA_LEN_RANGE");
	is_int(jp_emu_apdu_count(c.e) - a0, 0, "no APDU for them");
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, big, 245, sig, &sig_len), JP_OK, "245 bytes");
	ok(verify_raw(ka, big, 245, sig, sig_len), "245-byte input padded and signed");
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, big, 1, sig, &sig_len), JP_OK, "1 byte");
	ok(verify_raw(ka, big, 1, sig, sig_len), "1-byte input padded and signed");

	/* The signing key. */
	is_int(jp_card_sign(c.card, JP_KEY_SIGN, di, di_len, sig, &sig_len), JP_E_SECURITY_STATUS,
	       "signing key with only the auth PIN: JP_E_SECURITY_STATUS");
	is_int(ct_verify(&c, JP_KEY_SIGN, fixture_pin(1, 1), NULL), JP_OK, "signing password verified");
	ks = cert_key(&c, JP_CERT_SIGN);
	ok(ks != NULL, "signing cert parses");
	is_int(jp_card_sign(c.card, JP_KEY_SIGN, di, di_len, sig, &sig_len), JP_OK, "sign sign");
	ok(verify_msg(ks, "hello JPKI", sig, sig_len), "verifies against the signing cert");
	ok(!verify_msg(ka, "hello JPKI", sig, sig_len), "and not against the auth cert");

	/* Leave the card unverified. */
	is_int(jp_card_unverify(c.card), JP_OK, "unverify");
	ok(!jp_emu_verified(c.e, 0) && !jp_emu_verified(c.e, 1), "card: no PIN verified");
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, di_len, sig, &sig_len), JP_E_SECURITY_STATUS,
	       "auth sign after unverify: JP_E_SECURITY_STATUS");
	{
		/* Another client's raw commands: no signature either. */
		static const uint8_t sel_ap[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0,
		                                  0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };
		static const uint8_t sel_key[] = { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17 };
		static uint8_t rsp[JP_EMU_RSP_MAX];
		uint8_t cmd[5 + 51 + 1] = { 0x80, 0x2A, 0x00, 0x80, 51 };
		long n;

		memcpy(cmd + 5, di, 51);
		cmd[56] = 0x00;
		n = jp_emu_apdu(c.e, sel_ap, sizeof(sel_ap), rsp);
		ok(n == 2 && rsp[0] == 0x90, "raw SELECT AP: 9000");
		n = jp_emu_apdu(c.e, sel_key, sizeof(sel_key), rsp);
		ok(n == 2 && rsp[0] == 0x90, "raw SELECT 0017: 9000");
		n = jp_emu_apdu(c.e, cmd, sizeof(cmd), rsp);
		ok(n == 2 && rsp[0] == 0x69 && rsp[1] == 0x82, "raw sign after unverify: 6982");
	}
	EVP_PKEY_free(ka);
	EVP_PKEY_free(ks);
	ct_stop(&c);
}

static void reset_by_other(int unpower, int clear_on_reset)
{
	ct c;
	jp_emu_options o;
	uint8_t di[51], sig[JP_SIGNATURE_LEN];
	size_t di_len, sig_len, len;
	const uint8_t *der;
	unsigned long a0;
	int tries;
	const char *how = unpower ? "power cycle" : clear_on_reset ? "warm reset, clears" :
	                  "warm reset, keeps";
	int gone = unpower || clear_on_reset;

	memset(&o, 0, sizeof(o));
	o.clear_on_reset = clear_on_reset;
	CT_START(&c, 1, &o);
	di_len = digest_info("reset", di);
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL), JP_OK, "[%s] auth verified", how);
	is_int(ct_verify(&c, JP_KEY_SIGN, fixture_pin(1, 1), NULL), JP_OK, "[%s] sign verified", how);
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_OK,
	       "[%s] signing cert cached", how);
	jp_emu_reader_reset_by_other(c.reader, unpower);
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, di_len, sig, &sig_len), JP_E_CARD_RESET,
	       "[%s] next command: JP_E_CARD_RESET", how);
	is_int(jp_card_pin_tries(c.card, JP_KEY_AUTH, &tries), JP_OK,
	       "[%s] then the card works again (re-selected)", how);
	is_int(tries, 3, "[%s] tries 3", how);
	a0 = jp_emu_apdu_count(c.e);
	/* The card keeps a verified PIN across a warm reset in the worst case
	 * (doc/card.md §6); after a power cycle it is gone. */
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len),
	       gone ? JP_E_SECURITY_STATUS : JP_OK,
	       "[%s] signing cert: cache dropped, read again", how);
	ok(jp_emu_apdu_count(c.e) - a0 >= 2, "[%s] it went to the card", how);
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, di_len, sig, &sig_len),
	       gone ? JP_E_SECURITY_STATUS : JP_OK, "[%s] auth sign as the card decides", how);
	ct_stop(&c);
}

/* A card where re-selecting the AP clears the verified PINs: the card layer
 * never re-selects it needlessly, so a login survives everything else. */
static void reselect_clears(void)
{
	ct c;
	jp_emu_options o;
	uint8_t di[51], sig[JP_SIGNATURE_LEN];
	size_t di_len, sig_len, len;
	const uint8_t *der;
	EVP_PKEY *ka;
	int tries, i, good = 1;

	memset(&o, 0, sizeof(o));
	o.clear_on_reselect = 1;
	CT_START(&c, 1, &o);
	ka = cert_key(&c, JP_CERT_AUTH);
	di_len = digest_info("reselect", di);
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL), JP_OK, "[reselect clears] verify");
	is_int(ct_verify(&c, JP_KEY_SIGN, fixture_pin(1, 1), NULL), JP_OK,
	       "[reselect clears] verify sign");
	for (i = 0; i < 3; i++) {
		if (jp_card_read_cert(c.card, (jp_cert_id)i, &der, &len) != JP_OK)
			good = 0;
		if (jp_card_pin_tries(c.card, JP_KEY_SIGN, &tries) != JP_OK)
			good = 0;
		if (jp_card_sign(c.card, JP_KEY_AUTH, di, di_len, sig, &sig_len) != JP_OK ||
		    !verify_msg(ka, "reselect", sig, sig_len))
			good = 0;
		if (jp_card_sign(c.card, JP_KEY_SIGN, di, di_len, sig, &sig_len) != JP_OK)
			good = 0;
	}
	ok(good, "[reselect clears] reads, queries and signatures with both keys all work");
	ok(jp_emu_verified(c.e, 0) && jp_emu_verified(c.e, 1), "[reselect clears] still verified");
	EVP_PKEY_free(ka);
	ct_stop(&c);
}

/* The emulator's PSS variant accepts other P1 values: P1 00 still works. */
static void pss_card(void)
{
	ct c;
	jp_emu_options o;
	uint8_t di[51], sig[JP_SIGNATURE_LEN];
	size_t di_len, sig_len;
	EVP_PKEY *ka;

	memset(&o, 0, sizeof(o));
	o.pss = 1;
	CT_START(&c, 1, &o);
	ka = cert_key(&c, JP_CERT_AUTH);
	di_len = digest_info("pss card", di);
	ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL);
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, di_len, sig, &sig_len), JP_OK,
	       "[pss card] PKCS#1 v1.5 sign");
	ok(verify_msg(ka, "pss card", sig, sig_len), "[pss card] verifies");
	EVP_PKEY_free(ka);
	ct_stop(&c);
}

static void garbled_signatures(void)
{
	ct c;
	jp_emu_options o;
	uint8_t di[51], sig[JP_SIGNATURE_LEN];
	size_t di_len, sig_len;
	EVP_PKEY *ka;

	memset(&o, 0, sizeof(o));
	o.garble_signatures = 1;
	CT_START(&c, 1, &o);
	ka = cert_key(&c, JP_CERT_AUTH);
	di_len = digest_info("fault", di);
	ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL);
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, di_len, sig, &sig_len), JP_OK,
	       "garbled signature: the card layer passes it up (the p11 layer verifies)");
	ok(!verify_msg(ka, "fault", sig, sig_len), "and host verification catches it");
	EVP_PKEY_free(ka);
	ct_stop(&c);
}

int main(void)
{
	sign_both();
	reset_by_other(0, 0);
	reset_by_other(0, 1);
	reset_by_other(1, 0);
	reselect_clears();
	pss_card();
	garbled_signatures();
	done_testing();
}
