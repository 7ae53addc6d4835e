/* Signing as doc/card.md §11 found it, each against both answers: by short
 * EF identifier (P2 80|SFI, one APDU) on a card that does it and on one
 * that answers 6A86 or 6A82 (SELECT + P2 80 at once, remembered); RSA-PSS
 * (P1 04) on a card that does it and on one that refuses, never costing a
 * try; every PSS signature checked on the host with jp_rsa_verify_pss. */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "card-test.h"
#include "jpki/crypto.h"
#include "tests/tap.h"

/* DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1). */
static const uint8_t sha256_prefix[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
	0x05, 0x00, 0x04, 0x20
};

static uint8_t di[51], hash[32];

static void make_inputs(void)
{
	unsigned int n = 32;

	EVP_Digest("hello JPKI", 10, hash, &n, EVP_sha256(), NULL);
	memcpy(di, sha256_prefix, sizeof(sha256_prefix));
	memcpy(di + sizeof(sha256_prefix), hash, 32);
}

static const uint8_t *cert(ct *c, jp_cert_id id, size_t *len)
{
	const uint8_t *der = NULL;

	if (jp_card_read_cert(c->card, id, &der, len) != JP_OK)
		*len = 0;
	return der;
}

/* The host's checks, through the module's crypto layer. */
static int pkcs1_ok(ct *c, jp_cert_id id, const uint8_t *sig, size_t sig_len)
{
	size_t len;
	const uint8_t *der = cert(c, id, &len);

	return der && jp_rsa_verify_raw(der, len, di, sizeof(di), sig, sig_len) == JP_OK;
}

static int pss_ok(ct *c, jp_cert_id id, const uint8_t *sig, size_t sig_len)
{
	size_t len;
	const uint8_t *der = cert(c, id, &len);

	return der && jp_rsa_verify_pss(der, len, hash, 32, sig, sig_len) == JP_OK;
}

static const char *aname(jp_avail a)
{
	return a == JP_AVAIL_PRESENT ? "present" : a == JP_AVAIL_ABSENT ? "absent" : "unknown";
}

/* Signing by short EF identifier, or the old way. no_sfi_sw 0: the card
 * does it; 6A86 / 6A82: the card refuses with that. */
static void sfi(uint16_t no_sfi_sw)
{
	ct c;
	jp_emu_options o;
	uint8_t sig[JP_SIGNATURE_LEN];
	size_t sig_len = 0;
	unsigned long a0, sel0;
	int i, on = (no_sfi_sw == 0);
	char what[32];

	snprintf(what, sizeof(what), on ? "SFI" : "no SFI, %04X", no_sfi_sw);
	memset(&o, 0, sizeof(o));
	o.no_sfi_sw = no_sfi_sw;
	CT_START(&c, 1, &o);
	is_int(jp_card_sfi_avail(c.card), JP_AVAIL_UNKNOWN, "[%s] unknown before a signature", what);
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL), JP_OK, "[%s] auth PIN", what);
	a0 = jp_emu_apdu_count(c.e);
	sel0 = jp_emu_ins_count(c.e, 0xA4);
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, sizeof(di), sig, &sig_len), JP_OK,
	       "[%s] first auth signature", what);
	is_int(jp_emu_apdu_count(c.e) - a0, on ? 1 : 3,
	       "[%s] first signature: %d APDUs", what, on ? 1 : 3);
	is_int(jp_emu_ins_count(c.e, 0xA4) - sel0, on ? 0 : 1, "[%s] %s", what,
	       on ? "no SELECT" : "one SELECT (the key EF) after the refusal");
	ok(sig_len == JP_SIGNATURE_LEN && pkcs1_ok(&c, JP_CERT_AUTH, sig, sig_len),
	   "[%s] it verifies on the host", what);
	ok(jp_card_sfi_avail(c.card) == (on ? JP_AVAIL_PRESENT : JP_AVAIL_ABSENT),
	   "[%s] remembered: %s", what, aname(jp_card_sfi_avail(c.card)));
	a0 = jp_emu_apdu_count(c.e);
	for (i = 0; i < 5; i++)
		jp_card_sign(c.card, JP_KEY_AUTH, di, sizeof(di), sig, &sig_len);
	is_int(jp_emu_sign_count(c.e), 6, "[%s] 6 signatures made", what);
	is_int(jp_emu_apdu_count(c.e) - a0, on ? 5 : 10, "[%s] steady state: %d APDUs a signature",
	       what, on ? 1 : 2);

	/* The signing key under always-authenticate: SELECT 001B, VERIFY,
	 * sign = 3 APDUs (4 without SFI), the retry counter known (the
	 * module asks once per card, at the token's discovery). */
	{
		int t;
		is_int(jp_card_pin_tries(c.card, JP_KEY_SIGN, &t), JP_OK, "[%s] retry counter", what);
	}
	a0 = jp_emu_apdu_count(c.e);
	is_int(ct_verify(&c, JP_KEY_SIGN, fixture_pin(1, 1), NULL), JP_OK, "[%s] signing password", what);
	is_int(jp_card_sign(c.card, JP_KEY_SIGN, di, sizeof(di), sig, &sig_len), JP_OK,
	       "[%s] signing-key signature", what);
	is_int(jp_emu_apdu_count(c.e) - a0, on ? 3 : 4, "[%s] VERIFY + sign: %d APDUs", what,
	       on ? 3 : 4);
	ok(pkcs1_ok(&c, JP_CERT_SIGN, sig, sig_len), "[%s] it verifies with the signing cert",
	   what);
	ok(!pkcs1_ok(&c, JP_CERT_AUTH, sig, sig_len), "[%s] and not with the auth cert", what);
	/* The selection is still tracked right after a signature by SFI
	 * (the card may have made the key EF current). */
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL), JP_OK, "[%s] auth PIN again", what);
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, sizeof(di), sig, &sig_len), JP_OK,
	       "[%s] auth signature after it", what);
	ok(pkcs1_ok(&c, JP_CERT_AUTH, sig, sig_len), "[%s] with the auth key", what);
	ok(jp_emu_tries(c.e, 0) == 3 && jp_emu_tries(c.e, 1) == 5, "[%s] no try spent", what);
	ct_stop(&c);
}

/* Someone else selected another application between our calls: the SFI
 * signature fails on the card (no JPKI AP current), the fallback selects the
 * AP again, and the answer is the honest one (not verified any more). */
static void sfi_other_app(void)
{
	ct c;
	jp_emu_options o;
	uint8_t sig[JP_SIGNATURE_LEN], rsp[JP_EMU_RSP_MAX];
	size_t sig_len;
	static const uint8_t other[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0x10, 0x00, 0x31,
	                                 0x00, 0x01, 0x01, 0x04, 0x08 };

	memset(&o, 0, sizeof(o));
	CT_START(&c, 1, &o);
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL), JP_OK, "[other app] auth PIN");
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, sizeof(di), sig, &sig_len), JP_OK,
	       "[other app] a signature by SFI");
	jp_emu_apdu(c.e, other, sizeof(other), rsp);
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, sizeof(di), sig, &sig_len), JP_E_SECURITY_STATUS,
	       "[other app] after another application: JP_E_SECURITY_STATUS (6982)");
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL), JP_OK, "[other app] PIN again");
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, di, sizeof(di), sig, &sig_len), JP_OK,
	       "[other app] signs again");
	ok(pkcs1_ok(&c, JP_CERT_AUTH, sig, sig_len), "[other app] and it verifies");
	ct_stop(&c);
}

/* RSA-PSS (P1 04). pss: the card does P1 01..05; p1_off: P1 04 switched off
 * again; on_sfi: the card signs by SFI. */
static void pss(int card_pss, int p1_off, int on_sfi)
{
	ct c;
	jp_emu_options o;
	uint8_t sig[JP_SIGNATURE_LEN], first[JP_SIGNATURE_LEN];
	size_t sig_len = 0;
	unsigned long a0, s0;
	int does = card_pss && !p1_off;
	char what[48];
	jp_key key;

	snprintf(what, sizeof(what), "PSS %s%s, %s", card_pss ? "on" : "off",
	         p1_off ? " but P1 04 off" : "", on_sfi ? "SFI" : "no SFI");
	for (key = JP_KEY_AUTH; key <= JP_KEY_SIGN; key++) {
		jp_cert_id id = key == JP_KEY_AUTH ? JP_CERT_AUTH : JP_CERT_SIGN;
		const char *kn = key == JP_KEY_AUTH ? "auth" : "sign";

		memset(&o, 0, sizeof(o));
		o.pss = card_pss;
		o.sign_p1_off = p1_off ? 1u << 4 : 0;
		o.no_sfi_sw = on_sfi ? 0 : 0x6A86;
		CT_START(&c, 1, &o);
		is_int(ct_verify(&c, key, fixture_pin(1, (int)key), NULL), JP_OK, "[%s] %s PIN", what, kn);
		a0 = jp_emu_apdu_count(c.e);
		s0 = jp_emu_verify_count(c.e);
		is_int(jp_card_sign_scheme(c.card, key, JP_SIGN_PSS_SHA256, hash, 32, sig, &sig_len),
		       does ? JP_OK : JP_E_WRONG_P1P2, "[%s] %s: %s", what, kn,
		       does ? "signs" : "JP_E_WRONG_P1P2 (6A86)");
		/* 1 by SFI; else the refused attempt, SELECT, P2 80. */
		is_int(jp_emu_apdu_count(c.e) - a0, does && on_sfi ? 1 : 3, "[%s] %s: %d APDUs",
		       what, kn, does && on_sfi ? 1 : 3);
		is_int(jp_emu_verify_count(c.e) - s0, 0, "[%s] %s: no VERIFY", what, kn);
		ok(jp_emu_tries(c.e, 0) == 3 && jp_emu_tries(c.e, 1) == 5, "[%s] %s: no try spent",
		   what, kn);
		is_int(jp_card_pss_avail(c.card), does ? JP_AVAIL_PRESENT : JP_AVAIL_ABSENT,
		       "[%s] %s: PSS remembered %s", what, kn, does ? "present" : "absent");
		if (does) {
			ok(sig_len == JP_SIGNATURE_LEN && pss_ok(&c, id, sig, sig_len),
			   "[%s] %s: PSS (SHA-256, MGF1-SHA-256, salt 32) verifies on the host", what,
			   kn);
			ok(!pkcs1_ok(&c, id, sig, sig_len), "[%s] %s: it is no PKCS#1 v1.5 signature",
			   what, kn);
			memcpy(first, sig, sizeof(first));
			is_int(jp_card_sign_scheme(c.card, key, JP_SIGN_PSS_SHA256, hash, 32, sig,
			                           &sig_len), JP_OK, "[%s] %s: again", what, kn);
			ok(memcmp(first, sig, sizeof(first)) != 0 && pss_ok(&c, id, sig, sig_len),
			   "[%s] %s: another salt, verifies too", what, kn);
			/* A corrupted signature is refused by the host check. */
			jp_emu_opts(c.e)->garble_signatures = 1;
			is_int(jp_card_sign_scheme(c.card, key, JP_SIGN_PSS_SHA256, hash, 32, sig,
			                           &sig_len), JP_OK, "[%s] %s: a garbled one", what, kn);
			ok(!pss_ok(&c, id, sig, sig_len), "[%s] %s: host verification refuses it",
			   what, kn);
			jp_emu_opts(c.e)->garble_signatures = 0;
		} else {
			/* Known now: no APDU for the next PSS request. */
			a0 = jp_emu_apdu_count(c.e);
			is_int(jp_card_sign_scheme(c.card, key, JP_SIGN_PSS_SHA256, hash, 32, sig,
			                           &sig_len), JP_E_WRONG_P1P2, "[%s] %s: again", what,
			       kn);
			is_int(jp_emu_apdu_count(c.e) - a0, 0, "[%s] %s: without an APDU", what, kn);
			/* The refused P2 97 was P1's fault or P2's: unknown
			 * until a PKCS#1 signature says. */
			is_int(jp_card_sfi_avail(c.card), JP_AVAIL_UNKNOWN,
			       "[%s] %s: SFI still unknown", what, kn);
		}
		/* PKCS#1 v1.5 on the same card works either way. */
		a0 = jp_emu_apdu_count(c.e);
		is_int(jp_card_sign(c.card, key, di, sizeof(di), sig, &sig_len), JP_OK,
		       "[%s] %s: PKCS#1 v1.5 still signs", what, kn);
		ok(pkcs1_ok(&c, id, sig, sig_len), "[%s] %s: and verifies", what, kn);
		is_int(jp_card_sfi_avail(c.card), on_sfi ? JP_AVAIL_PRESENT : JP_AVAIL_ABSENT,
		       "[%s] %s: SFI %s", what, kn, on_sfi ? "present" : "absent");
		ct_stop(&c);
	}
}

static void pss_args(void)
{
	ct c;
	jp_emu_options o;
	uint8_t sig[JP_SIGNATURE_LEN];
	size_t sig_len;
	unsigned long a0;

	memset(&o, 0, sizeof(o));
	o.pss = 1;
	CT_START(&c, 1, &o);
	ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL);
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_sign_scheme(c.card, JP_KEY_AUTH, JP_SIGN_PSS_SHA256, hash, 31, sig, &sig_len),
	       JP_E_DATA_LEN_RANGE, "PSS over 31 bytes: JP_E_DATA_LEN_RANGE");
	is_int(jp_card_sign_scheme(c.card, JP_KEY_AUTH, JP_SIGN_PSS_SHA256, di, sizeof(di), sig,
	                           &sig_len), JP_E_DATA_LEN_RANGE, "PSS over a DigestInfo: refused");
	is_int(jp_card_sign_scheme(c.card, JP_KEY_AUTH, (jp_sign_scheme)1, hash, 32, sig, &sig_len),
	       JP_E_ARGS, "P1 01 is not ours to send: JP_E_ARGS");
	is_int(jp_emu_apdu_count(c.e) - a0, 0, "no APDU for any of them");
	/* Not verified: the card says so, nothing about PSS is concluded. */
	jp_card_unverify(c.card);
	is_int(jp_card_sign_scheme(c.card, JP_KEY_AUTH, JP_SIGN_PSS_SHA256, hash, 32, sig, &sig_len),
	       JP_E_SECURITY_STATUS, "PSS without the PIN: JP_E_SECURITY_STATUS");
	is_int(jp_card_pss_avail(c.card), JP_AVAIL_UNKNOWN, "PSS still unknown");
	ct_stop(&c);
}

int main(void)
{
	if (jp_crypto_init() != JP_OK) {
		printf("Bail out! jp_crypto_init\n");
		return 99;
	}
	make_inputs();
	sfi(0);
	sfi(0x6A86);
	sfi(0x6A82);
	sfi_other_app();
	pss(1, 0, 1);
	pss(1, 0, 0);
	pss(0, 0, 1);
	pss(0, 0, 0);
	pss(1, 1, 1);
	pss_args();
	jp_crypto_fini();
	done_testing();
}
