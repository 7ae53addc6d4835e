/* The card layer (src/card) over the REAL PC/SC backend: pcscd + vpcd +
 * the emulator program, started by tests/e2e/test-card-pcsc.sh. APDU counts
 * come from the emulator's own log ($JP_EMU_LOG), i.e. from what really
 * crossed pcscd.
 *   card-pcsc ext     the emulator takes extended APDUs: one READ BINARY
 *                     per certificate; verify + sign + host verification
 *   card-pcsc short   the emulator was started with --no-extended
 *   card-pcsc block   the auth PIN is blocked by wrong tries */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/card.h"
#include "jpki/transport.h"
#include "tests/tap.h"

static const char *card_dir;

static size_t read_file(const char *name, uint8_t *buf, size_t cap)
{
	char path[1024];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", card_dir, name);
	f = fopen(path, "rb");
	if (f) {
		n = fread(buf, 1, cap, f);
		fclose(f);
	}
	return n;
}

static void read_pin(const char *which, char pin[32])
{
	char path[1024], line[64], name[16];
	FILE *f;

	pin[0] = '\0';
	snprintf(path, sizeof(path), "%s/pins.txt", card_dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %31s", name, pin) == 2 && strcmp(name, which) == 0)
			break;
		pin[0] = '\0';
	}
	fclose(f);
}

/* Commands in the emulator's log ("> CLAINS..."), all or with this INS. */
static unsigned long log_count(int ins)
{
	const char *path = getenv("JP_EMU_LOG");
	char line[1024], want[3];
	unsigned long n = 0;
	FILE *f = path ? fopen(path, "r") : NULL;

	snprintf(want, sizeof(want), "%02X", ins & 0xFF);
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] != '>' || strlen(line) < 6)
			continue;
		if (ins < 0 || strncmp(line + 4, want, 2) == 0)
			n++;
	}
	fclose(f);
	return n;
}

static EVP_PKEY *cert_key(const uint8_t *der, size_t len)
{
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *k = x ? X509_get_pubkey(x) : NULL;

	X509_free(x);
	return k;
}

/* sha256WithRSAEncryption, checked the way any relying party does. */
static int verify_msg(EVP_PKEY *k, const char *msg, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int r = 0;

	if (k && m && EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, k) == 1)
		r = EVP_DigestVerify(m, sig, sig_len, (const uint8_t *)msg, strlen(msg)) == 1;
	EVP_MD_CTX_free(m);
	return r;
}

static size_t digest_info(const char *msg, uint8_t out[51])
{
	/* DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2, note 1). */
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
	                                    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	                                    0x01, 0x05, 0x00, 0x04, 0x20 };
	unsigned n = 32;

	memcpy(out, prefix, sizeof(prefix));
	EVP_Digest(msg, strlen(msg), out + sizeof(prefix), &n, EVP_sha256(), NULL);
	return sizeof(prefix) + 32;
}

static void test_certs(jp_card *card, int extended)
{
	static const struct {
		jp_cert_id id;
		const char *file;
	} certs[] = {
		{ JP_CERT_AUTH, "auth.der" },
		{ JP_CERT_AUTH_CA, "auth-ca.der" },
		{ JP_CERT_SIGN_CA, "sign-ca.der" },
	};
	static uint8_t want[8192];
	unsigned long b0 = log_count(0xB0), all = log_count(-1), short_min = 0, bytes = 0;
	jp_card_stats st0, st1;
	size_t i;

	jp_card_get_stats(card, &st0);
	for (i = 0; i < 3; i++) {
		const uint8_t *der = NULL;
		size_t len = 0, wl = read_file(certs[i].file, want, sizeof(want));

		is_int(jp_card_read_cert(card, certs[i].id, &der, &len), JP_OK, "read %s",
		       certs[i].file);
		ok(der && wl > 0 && len == wl && memcmp(der, want, wl) == 0,
		   "%s: %zu bytes, identical to the fixture", certs[i].file, len);
		short_min += (wl + 255) / 256;
		bytes += wl;
	}
	jp_card_get_stats(card, &st1);
	b0 = log_count(0xB0) - b0;
	all = log_count(-1) - all;
	diag("three public certificates (%lu bytes) over pcscd, %s: %lu APDUs at the card, "
	     "%lu READ BINARY; card layer: %lu APDUs, %lu bytes out, %lu bytes in",
	     bytes, extended ? "extended" : "short only", all, b0, st1.apdus - st0.apdus,
	     st1.bytes_out - st0.bytes_out, st1.bytes_in - st0.bytes_in);
	if (extended)
		is_int(b0, 3, "extended: one READ BINARY per certificate");
	else
		ok(b0 >= short_min && b0 <= short_min + 3,
		   "short only: %lu READ BINARY (%lu 256-byte chunks needed, + at most one "
		   "refused extended try and header reads)", b0, short_min);
	ok(all == st1.apdus - st0.apdus, "the emulator saw exactly the card layer's APDUs (%lu)",
	   all);

	/* Cached: reading again costs nothing. */
	{
		const uint8_t *der;
		size_t len;

		all = log_count(-1);
		for (i = 0; i < 3; i++)
			jp_card_read_cert(card, certs[i].id, &der, &len);
		is_int(log_count(-1) - all, 0, "second read of the three: no APDU (cache)");
	}
}

static void test_sign(jp_card *card)
{
	static uint8_t want[8192];
	char pin[32];
	uint8_t di[51], sig[JP_SIGNATURE_LEN];
	size_t di_len = digest_info("hello over pcscd", di), sig_len = sizeof(sig), len = 0, wl;
	const uint8_t *der = NULL;
	EVP_PKEY *k;

	is_int(jp_card_read_cert(card, JP_CERT_SIGN, &der, &len), JP_E_SECURITY_STATUS,
	       "signing certificate before its password: JP_E_SECURITY_STATUS");
	is_int(jp_card_sign(card, JP_KEY_AUTH, di, di_len, sig, &sig_len), JP_E_SECURITY_STATUS,
	       "auth sign before VERIFY: JP_E_SECURITY_STATUS");

	read_pin("auth", pin);
	is_int(jp_card_verify(card, JP_KEY_AUTH, (const uint8_t *)pin, strlen(pin), NULL), JP_OK,
	       "VERIFY auth PIN");
	sig_len = sizeof(sig);
	is_int(jp_card_sign(card, JP_KEY_AUTH, di, di_len, sig, &sig_len), JP_OK, "auth sign");
	is_int(sig_len, 256, "256-byte signature");
	jp_card_read_cert(card, JP_CERT_AUTH, &der, &len);
	k = cert_key(der, len);
	ok(verify_msg(k, "hello over pcscd", sig, sig_len),
	   "host verification (OpenSSL) against the auth certificate");
	ok(!verify_msg(k, "hello over pcscd!", sig, sig_len), "... and not for another message");
	EVP_PKEY_free(k);

	read_pin("sign", pin);
	is_int(jp_card_verify(card, JP_KEY_SIGN, (const uint8_t *)pin, strlen(pin), NULL), JP_OK,
	       "VERIFY signing password");
	der = NULL;
	wl = read_file("sign.der", want, sizeof(want));
	is_int(jp_card_read_cert(card, JP_CERT_SIGN, &der, &len), JP_OK, "read signing certificate");
	ok(der && len == wl && memcmp(der, want, wl) == 0, "... identical to the fixture");
	sig_len = sizeof(sig);
	is_int(jp_card_sign(card, JP_KEY_SIGN, di, di_len, sig, &sig_len), JP_OK, "signing-key sign");
	k = cert_key(der, len);
	ok(verify_msg(k, "hello over pcscd", sig, sig_len),
	   "host verification against the signing certificate");
	EVP_PKEY_free(k);

	is_int(jp_card_unverify(card), JP_OK, "unverify (power cycle through pcscd)");
	sig_len = sizeof(sig);
	is_int(jp_card_sign(card, JP_KEY_AUTH, di, di_len, sig, &sig_len), JP_E_SECURITY_STATUS,
	       "auth sign after unverify: JP_E_SECURITY_STATUS");
	sig_len = sizeof(sig);
	is_int(jp_card_sign(card, JP_KEY_SIGN, di, di_len, sig, &sig_len), JP_E_SECURITY_STATUS,
	       "signing-key sign after unverify: JP_E_SECURITY_STATUS");
}

static void test_block(jp_card *card)
{
	char pin[32];
	int tries = -1;
	unsigned long v0 = log_count(0x20);

	read_pin("auth", pin);
	is_int(jp_card_pin_tries(card, JP_KEY_AUTH, &tries), JP_OK, "retry query");
	is_int(tries, 3, "3 tries left");
	is_int(jp_card_verify(card, JP_KEY_AUTH, (const uint8_t *)"0000", 4, &tries),
	       JP_E_PIN_INCORRECT, "wrong PIN: JP_E_PIN_INCORRECT");
	is_int(tries, 2, "2 left");
	is_int(jp_card_verify(card, JP_KEY_AUTH, (const uint8_t *)"0000", 4, &tries),
	       JP_E_PIN_INCORRECT, "wrong PIN again");
	is_int(tries, 1, "1 left");
	is_int(jp_card_verify(card, JP_KEY_AUTH, (const uint8_t *)"0000", 4, &tries),
	       JP_E_PIN_LOCKED, "third wrong PIN: JP_E_PIN_LOCKED");
	is_int(jp_card_pin_tries(card, JP_KEY_AUTH, &tries), JP_OK, "retry query on a blocked PIN");
	is_int(tries, 0, "0 tries left");
	is_int(jp_card_verify(card, JP_KEY_AUTH, (const uint8_t *)pin, strlen(pin), &tries),
	       JP_E_PIN_LOCKED, "the right PIN: still JP_E_PIN_LOCKED");
	/* 3 wrong + 2 empty retry queries reached the card; the right PIN,
	 * to a PIN known to be blocked, never left the card layer. */
	is_int(log_count(0x20) - v0, 5, "5 VERIFY commands crossed pcscd");
	/* Malformed PINs never reach the card. */
	v0 = log_count(0x20);
	is_int(jp_card_verify(card, JP_KEY_AUTH, (const uint8_t *)"12a4", 4, NULL),
	       JP_E_PIN_INVALID, "malformed PIN refused by the policy");
	is_int(log_count(0x20) - v0, 0, "... without an APDU");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ext";
	const char *reader = getenv("JP_READER");
	const jp_transport_ops *ops;
	jp_transport *t = NULL;
	jp_link *l = NULL;
	jp_card *card = NULL;

	card_dir = getenv("JP_CARD_DIR");
	if (!reader || !*reader || !card_dir || !getenv("JP_EMU_LOG"))
		skip_all("run me from tests/e2e/test-card-pcsc.sh (harness environment missing)");
	ops = jp_transport_default_ops();
	ok(strcmp(ops->name, "pcsc") == 0, "the real PC/SC backend");
	is_int(ops->establish(&t), JP_OK, "establish");
	is_int(ops->connect(t, reader, &l), JP_OK, "connect");
	if (!l)
		goto out;
	is_int(jp_card_open(l, &card), JP_OK, "jp_card_open");
	if (!card)
		goto out;
	is_int(jp_card_get_kind(card), JP_CARD_KIND_MYNUMBER, "identified as a My Number Card");
	ok(strcmp(jp_card_label(card), "JPKIAPICCTOKEN2") == 0, "label JPKIAPICCTOKEN2");

	if (strcmp(mode, "block") == 0) {
		test_block(card);
	} else {
		test_certs(card, strcmp(mode, "short") != 0);
		test_sign(card);
	}
	jp_card_close(card);
out:
	if (t)
		ops->release(t);
	done_testing();
}
