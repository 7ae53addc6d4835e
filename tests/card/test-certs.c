/* Certificate reads: extended versus short (card- and reader-level
 * refusal), APDU counts, filler, the cache, the signing certificate's
 * protection and every form of a missing signing certificate. */
/* Measured with the test fixtures (card-1: three public certificates,
 * 2,962 bytes of DER in all), card-layer stats:
 *   extended:                 6 APDUs (3 x SELECT + 1 READ),  42 B out, 2,974 B in
 *   card refuses extended:   16 APDUs (1 refused 6700 + 15),  88 B out, 2,994 B in
 *   reader refuses extended: 16 APDUs (1 never reaches card), 88 B out, 2,992 B in
 * plus 3 APDUs to open (SELECT AP, SELECT 0006, READ 32). With 300 bytes of
 * filler the extended read carries the filler too (3,874 B in), short reads
 * do not. The diag lines below print these figures on every run. */
#include "config.h"

#include "card-test.h"
#include "tests/tap.h"

static const struct {
	jp_cert_id id;
	const char *file;
	const char *name;
} pub[] = {
	{ JP_CERT_AUTH, "auth.der", "auth cert" },
	{ JP_CERT_AUTH_CA, "auth-ca.der", "auth CA cert" },
	{ JP_CERT_SIGN_CA, "sign-ca.der", "sign CA cert" },
};

static size_t chunks(size_t len)
{
	return (len + 255) / 256;
}

/* Reads the three public certificates and checks bytes and READ BINARY
 * counts. mode: 0 extended, 1 card refuses extended (6700), 2 reader
 * refuses extended (transport error). Reports the APDUs and bytes. */
static void read_public(int mode, size_t filler)
{
	static const char *mname[] = { "extended", "card no-ext", "reader no-ext" };
	ct c;
	jp_emu_options o;
	jp_card_stats s0, s1;
	unsigned long b0, b1, a0;
	size_t i, flen, len;
	const uint8_t *der;
	uint8_t *want;
	jp_err rc;

	memset(&o, 0, sizeof(o));
	o.no_extended = (mode == 1);
	o.cert_filler = filler;
	CT_START(&c, 1, &o);
	if (mode == 2)
		jp_emu_reader_no_extended(c.reader, 1);
	is_int(c.open_rc, JP_OK, "[%s, filler %zu] open", mname[mode], filler);
	jp_card_get_stats(c.card, &s0);
	for (i = 0; i < 3; i++) {
		want = fixture_file(1, pub[i].file, &flen);
		b0 = jp_emu_ins_count(c.e, 0xB0);
		a0 = jp_emu_apdu_count(c.e);
		rc = jp_card_read_cert(c.card, pub[i].id, &der, &len);
		b1 = jp_emu_ins_count(c.e, 0xB0);
		is_int(rc, JP_OK, "[%s] %s read", mname[mode], pub[i].name);
		is_int(len, flen, "[%s] %s: length from the DER header (%zu)", mname[mode],
		       pub[i].name, flen);
		ok(rc == JP_OK && len == flen && memcmp(der, want, flen) == 0,
		   "[%s] %s: bytes equal the fixture", mname[mode], pub[i].name);
		if (mode == 0) {
			is_int(b1 - b0, 1, "[%s] %s: ONE READ BINARY", mname[mode], pub[i].name);
			is_int(jp_emu_apdu_count(c.e) - a0, 2, "[%s] %s: SELECT + READ",
			       mname[mode], pub[i].name);
		} else if (mode == 1 && i == 0) {
			/* the refused extended attempt, then short reads */
			is_int(b1 - b0, 1 + chunks(flen), "[%s] %s: 1 refused + %zu short READs",
			       mname[mode], pub[i].name, chunks(flen));
		} else {
			/* the reader refusal never reaches the card; later
			 * certificates go straight to short reads */
			is_int(b1 - b0, chunks(flen), "[%s] %s: %zu short READs", mname[mode],
			       pub[i].name, chunks(flen));
		}
		/* the cache: no APDU the second time */
		a0 = jp_emu_apdu_count(c.e);
		rc = jp_card_read_cert(c.card, pub[i].id, &der, &len);
		is_int(rc, JP_OK, "[%s] %s: cached read", mname[mode], pub[i].name);
		is_int(jp_emu_apdu_count(c.e) - a0, 0, "[%s] %s: second read = 0 APDUs",
		       mname[mode], pub[i].name);
		ok(len == flen && memcmp(der, want, flen) == 0, "[%s] %s: cached bytes",
		   mname[mode], pub[i].name);
		free(want);
	}
	jp_card_get_stats(c.card, &s1);
	diag("three public certificates, %s, filler %zu: %lu APDUs, %lu bytes to the card, "
	     "%lu bytes from it", mname[mode], filler, s1.apdus - s0.apdus,
	     s1.bytes_out - s0.bytes_out, s1.bytes_in - s0.bytes_in);
	ct_stop(&c);
}

static void sign_cert_protection(void)
{
	ct c;
	const uint8_t *der;
	size_t len, flen;
	uint8_t *want = fixture_file(1, "sign.der", &flen);
	unsigned long a0;
	int tries;

	CT_START(&c, 1, NULL);
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_E_SECURITY_STATUS,
	       "signing cert before VERIFY: JP_E_SECURITY_STATUS (6982)");
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), &tries), JP_OK, "auth PIN verified");
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_E_SECURITY_STATUS,
	       "the auth PIN does not unlock the signing cert");
	is_int(ct_verify(&c, JP_KEY_SIGN, fixture_pin(1, 1), &tries), JP_OK,
	       "signing password verified");
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_OK,
	       "signing cert after VERIFY");
	ok(len == flen && memcmp(der, want, flen) == 0, "signing cert bytes equal the fixture");
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_OK, "cached");
	is_int(jp_emu_apdu_count(c.e) - a0, 0, "cached signing cert: 0 APDUs");
	jp_card_forget_cert(c.card, JP_CERT_SIGN);
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_OK, "re-read after forget");
	ok(jp_emu_apdu_count(c.e) - a0 >= 2, "forget_cert made it go to the card again");
	is_int(jp_card_unverify(c.card), JP_OK, "unverify");
	ok(!jp_emu_verified(c.e, 0) && !jp_emu_verified(c.e, 1), "card no longer verified");
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_E_SECURITY_STATUS,
	       "unverify dropped the cached signing cert");
	ct_stop(&c);
	free(want);
}

/* A card without a signing certificate never disturbs the auth key. */
static void missing_sign(jp_emu_no_sign how, int clear_on_reselect)
{
	static const char *hname[] = { "present", "6A82", "6982 after VERIFY", "zero-filled" };
	ct c;
	jp_emu_options o;
	const uint8_t *der;
	size_t len;
	uint8_t sig[JP_SIGNATURE_LEN], in[51];
	size_t sig_len;
	int tries = 42;
	unsigned long a0;
	jp_err want_verify = (how == JP_EMU_SIGN_NOT_FOUND) ? JP_E_NO_KEY : JP_OK;

	memset(&o, 0, sizeof(o));
	o.no_sign = how;
	o.clear_on_reselect = clear_on_reselect;
	memset(in, 0x31, sizeof(in));
	CT_START(&c, 1, &o);
	is_int(c.open_rc, JP_OK, "[no sign: %s, reselect clears %d] open", hname[how],
	       clear_on_reselect);
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL), JP_OK, "[%s] auth PIN verified",
	       hname[how]);
	is_int(jp_card_pin_tries(c.card, JP_KEY_SIGN, &tries),
	       how == JP_EMU_SIGN_NOT_FOUND ? JP_E_NO_KEY : JP_OK, "[%s] sign retry query",
	       hname[how]);
	is_int(ct_verify(&c, JP_KEY_SIGN, fixture_pin(1, 1), NULL), want_verify,
	       "[%s] sign VERIFY", hname[how]);
	is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_E_NO_KEY,
	       "[%s] signing cert: JP_E_NO_KEY", hname[how]);
	if (how != JP_EMU_SIGN_DENIED) {
		a0 = jp_emu_apdu_count(c.e);
		is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_E_NO_KEY,
		       "[%s] again: JP_E_NO_KEY", hname[how]);
		is_int(jp_emu_apdu_count(c.e) - a0, 0, "[%s] remembered: 0 APDUs", hname[how]);
	}
	if (how == JP_EMU_SIGN_NOT_FOUND)
		is_int(jp_card_sign(c.card, JP_KEY_SIGN, in, sizeof(in), sig, &sig_len),
		       JP_E_NO_KEY, "[%s] sign with the signing key: JP_E_NO_KEY", hname[how]);
	ok(jp_emu_verified(c.e, 0), "[%s] auth PIN still verified on the card", hname[how]);
	is_int(jp_card_read_cert(c.card, JP_CERT_AUTH, &der, &len), JP_OK,
	       "[%s] auth cert still reads", hname[how]);
	is_int(jp_card_sign(c.card, JP_KEY_AUTH, in, sizeof(in), sig, &sig_len), JP_OK,
	       "[%s] auth key still signs", hname[how]);
	is_int(sig_len, JP_SIGNATURE_LEN, "[%s] 256-byte signature", hname[how]);
	ct_stop(&c);
}

int main(void)
{
	int m;

	for (m = 0; m < 3; m++)
		read_public(m, 0);
	read_public(0, 300);
	read_public(1, 300);
	read_public(0, 70000);   /* an EF bigger than one extended response */
	sign_cert_protection();
	missing_sign(JP_EMU_SIGN_NOT_FOUND, 0);
	missing_sign(JP_EMU_SIGN_NOT_FOUND, 1);
	missing_sign(JP_EMU_SIGN_DENIED, 0);
	missing_sign(JP_EMU_SIGN_DENIED, 1);
	missing_sign(JP_EMU_SIGN_EMPTY, 0);
	missing_sign(JP_EMU_SIGN_EMPTY, 1);
	done_testing();
}
