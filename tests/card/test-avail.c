/* Which certificates the card carries, without a PIN (doc/card.md §3,
 * §11): from EF 0008 where the card has it, from SELECT of the
 * certificate EF where it does not; both answers of each, the APDUs it
 * costs, that it never sends a VERIFY, and what a missing signing
 * certificate does to the reads after it. The smartphone tokens'
 * authentication certificate behind the auth PIN. */
#include "config.h"

#include "card-test.h"
#include "tests/tap.h"

static const char *aname(jp_avail a)
{
	return a == JP_AVAIL_PRESENT ? "present" : a == JP_AVAIL_ABSENT ? "absent" : "unknown";
}

/* One card variant: what jp_card_sign_cert_avail says and what it costs. */
static void sign_avail(const char *what, jp_emu_no_sign no_sign, jp_emu_ef0008 ef0008,
                       jp_avail want, unsigned long want_apdus)
{
	ct c;
	jp_emu_options o;
	jp_avail a = (jp_avail)42;
	unsigned long a0;
	const uint8_t *der;
	size_t len;

	memset(&o, 0, sizeof(o));
	o.no_sign = no_sign;
	o.ef0008 = ef0008;
	CT_START(&c, 1, &o);
	is_int(c.open_rc, JP_OK, "[%s] opens", what);
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_sign_cert_avail(c.card, &a), JP_OK, "[%s] asked", what);
	ok(a == want, "[%s] signing certificate %s (want %s)", what, aname(a), aname(want));
	is_int(jp_emu_apdu_count(c.e) - a0, want_apdus, "[%s] %lu APDUs", what, want_apdus);
	is_int(jp_emu_ins_count(c.e, 0x20), 0, "[%s] no VERIFY of any kind", what);
	ok(jp_emu_tries(c.e, 0) == 3 && jp_emu_tries(c.e, 1) == 5, "[%s] no try spent", what);
	a0 = jp_emu_apdu_count(c.e);
	a = JP_AVAIL_UNKNOWN;
	is_int(jp_card_sign_cert_avail(c.card, &a), JP_OK, "[%s] asked again", what);
	ok(a == want, "[%s] same answer: %s", what, aname(a));
	is_int(jp_emu_apdu_count(c.e) - a0, 0, "[%s] remembered: 0 APDUs", what);
	/* A reset clears the verified state, not what the card carries. */
	jp_emu_reader_reset_by_other(c.reader, 0);
	(void)jp_card_begin(c.card);
	jp_card_end(c.card);
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_sign_cert_avail(c.card, &a), JP_OK, "[%s] after a reset", what);
	ok(a == want && jp_emu_apdu_count(c.e) == a0, "[%s] still %s, 0 APDUs", what, aname(a));
	if (want == JP_AVAIL_ABSENT) {
		a0 = jp_emu_apdu_count(c.e);
		is_int(jp_card_read_cert(c.card, JP_CERT_SIGN, &der, &len), JP_E_NO_KEY,
		       "[%s] reading the signing certificate: JP_E_NO_KEY", what);
		is_int(jp_emu_apdu_count(c.e) - a0, 0, "[%s] without asking the card", what);
	}
	/* The authentication side is untouched. */
	is_int(jp_card_read_cert(c.card, JP_CERT_AUTH, &der, &len), JP_OK,
	       "[%s] auth cert reads", what);
	ct_stop(&c);
}

static void auth_avail(void)
{
	ct c;
	jp_emu_options o;
	jp_avail a = JP_AVAIL_UNKNOWN;
	unsigned long a0;

	/* From EF 0008 read for the signing side: no APDU more. */
	CT_START(&c, 1, NULL);
	is_int(jp_card_sign_cert_avail(c.card, &a), JP_OK, "EF 0008 read once");
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_cert_avail(c.card, JP_KEY_AUTH, &a), JP_OK, "auth certificate asked");
	ok(a == JP_AVAIL_PRESENT, "auth certificate present (EF 0008 byte 1)");
	is_int(jp_emu_apdu_count(c.e) - a0, 0, "answered by the same EF 0008 read: 0 APDUs");
	ct_stop(&c);

	/* Without EF 0008: SELECT 000A; EF 0008 is not asked twice. */
	memset(&o, 0, sizeof(o));
	o.ef0008 = JP_EMU_EF0008_ABSENT;
	CT_START(&c, 1, &o);
	is_int(jp_card_sign_cert_avail(c.card, &a), JP_OK, "no EF 0008: signing asked");
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_cert_avail(c.card, JP_KEY_AUTH, &a), JP_OK, "no EF 0008: auth asked");
	ok(a == JP_AVAIL_PRESENT, "auth certificate present (SELECT 000A)");
	is_int(jp_emu_apdu_count(c.e) - a0, 1, "one SELECT, EF 0008 not asked again");
	ct_stop(&c);

	/* A certificate already read answers without an APDU. */
	CT_START(&c, 1, &o);
	{
		const uint8_t *der;
		size_t len;
		is_int(jp_card_read_cert(c.card, JP_CERT_AUTH, &der, &len), JP_OK, "auth read");
	}
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_cert_avail(c.card, JP_KEY_AUTH, &a), JP_OK, "then asked");
	ok(a == JP_AVAIL_PRESENT && jp_emu_apdu_count(c.e) == a0, "present, 0 APDUs");
	ct_stop(&c);
}

static void errors(void)
{
	ct c;
	jp_emu_options o;
	jp_avail a = JP_AVAIL_PRESENT;

	is_int(jp_card_sign_cert_avail(NULL, &a), JP_E_ARGS, "NULL card refused");
	ok(a == JP_AVAIL_UNKNOWN, "and *avail is UNKNOWN");
	memset(&o, 0, sizeof(o));
	CT_START(&c, 1, &o);
	is_int(jp_card_cert_avail(c.card, (jp_key)7, &a), JP_E_ARGS, "bad key refused");
	/* The card is pulled while we ask: an error, UNKNOWN, nothing kept. */
	jp_emu_opts(c.e)->remove_nth = jp_emu_apdu_count(c.e) + 2;
	ok(jp_card_sign_cert_avail(c.card, &a) != JP_OK, "card pulled during the question: error");
	ok(a == JP_AVAIL_UNKNOWN, "answer UNKNOWN");
	ct_stop(&c);

	/* A refused READ of EF 0008 (here 6F00) is not believed: SELECT 0001. */
	CT_START(&c, 1, &o);
	jp_emu_opts(c.e)->fail_nth = jp_emu_apdu_count(c.e) + 2;
	is_int(jp_card_sign_cert_avail(c.card, &a), JP_OK, "EF 0008 read fails: still answered");
	ok(a == JP_AVAIL_PRESENT, "present, from SELECT 0001");
	ct_stop(&c);
}

/* doc/card.md §11: on the smartphone tokens the authentication
 * certificate needs the authentication PIN; on the card it is free. */
static void phone_auth_cert(jp_emu_kind kind, const char *what)
{
	ct c;
	jp_emu_options o;
	const uint8_t *der;
	size_t len, flen;
	jp_key key = (jp_key)42;
	uint8_t *want = fixture_file(1, "auth.der", &flen);
	unsigned long a0;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	CT_START(&c, 1, &o);
	is_int(c.open_rc, JP_OK, "[%s] opens", what);
	is_int(jp_card_is_smartphone(c.card), kind != JP_EMU_MYNUMBER, "[%s] smartphone: %d", what,
	       kind != JP_EMU_MYNUMBER);
	if (kind == JP_EMU_MYNUMBER) {
		ok(!jp_card_cert_needs_pin(c.card, JP_CERT_AUTH, &key), "[%s] auth cert: no PIN",
		   what);
		is_int(jp_card_read_cert(c.card, JP_CERT_AUTH, &der, &len), JP_OK,
		       "[%s] auth cert reads without a PIN", what);
		goto done;
	}
	ok(jp_card_cert_needs_pin(c.card, JP_CERT_AUTH, &key) && key == JP_KEY_AUTH,
	   "[%s] auth cert needs the auth PIN", what);
	ok(!jp_card_cert_needs_pin(c.card, JP_CERT_AUTH_CA, &key), "[%s] its CA does not", what);
	is_int(jp_card_read_cert(c.card, JP_CERT_AUTH, &der, &len), JP_E_SECURITY_STATUS,
	       "[%s] auth cert before the PIN: JP_E_SECURITY_STATUS", what);
	is_int(jp_card_read_cert(c.card, JP_CERT_AUTH_CA, &der, &len), JP_OK,
	       "[%s] auth CA cert reads without it", what);
	is_int(ct_verify(&c, JP_KEY_AUTH, fixture_pin(1, 0), NULL), JP_OK, "[%s] auth PIN", what);
	is_int(jp_card_read_cert(c.card, JP_CERT_AUTH, &der, &len), JP_OK,
	       "[%s] auth cert after the PIN", what);
	ok(len == flen && memcmp(der, want, flen) == 0, "[%s] bytes equal the fixture", what);
	is_int(jp_card_unverify(c.card), JP_OK, "[%s] unverify", what);
	a0 = jp_emu_apdu_count(c.e);
	is_int(jp_card_read_cert(c.card, JP_CERT_AUTH, &der, &len), JP_E_SECURITY_STATUS,
	       "[%s] unverify dropped the cached auth cert", what);
	ok(jp_emu_apdu_count(c.e) > a0, "[%s] (asked the card again)", what);
done:
	free(want);
	ct_stop(&c);
}

int main(void)
{
	/* EF 0008 present: 2 APDUs (SELECT 0008, READ 3 bytes). */
	sign_avail("EF 0008 8F 8F 00", JP_EMU_SIGN_PRESENT, JP_EMU_EF0008_AUTO,
	           JP_AVAIL_PRESENT, 2);
	sign_avail("EF 0008 00 8F 00, certs absent", JP_EMU_SIGN_CERTS_ABSENT,
	           JP_EMU_EF0008_AUTO, JP_AVAIL_ABSENT, 2);
	sign_avail("EF 0008 00 8F 00, all sign EFs absent", JP_EMU_SIGN_NOT_FOUND,
	           JP_EMU_EF0008_AUTO, JP_AVAIL_ABSENT, 2);
	/* EF 0008 is believed over the files. */
	sign_avail("EF 0008 says none, files there", JP_EMU_SIGN_PRESENT, JP_EMU_EF0008_NO_SIGN,
	           JP_AVAIL_ABSENT, 2);
	sign_avail("EF 0008 says both, certs absent", JP_EMU_SIGN_CERTS_ABSENT,
	           JP_EMU_EF0008_BOTH, JP_AVAIL_PRESENT, 2);
	/* No EF 0008: SELECT 0008 (6A82), SELECT 0006 (the AP is still
	 * current: a real absence), SELECT 0001. */
	sign_avail("no EF 0008, certs present", JP_EMU_SIGN_PRESENT, JP_EMU_EF0008_ABSENT,
	           JP_AVAIL_PRESENT, 3);
	sign_avail("no EF 0008, certs absent", JP_EMU_SIGN_CERTS_ABSENT, JP_EMU_EF0008_ABSENT,
	           JP_AVAIL_ABSENT, 3);
	sign_avail("no EF 0008, all sign EFs absent", JP_EMU_SIGN_NOT_FOUND, JP_EMU_EF0008_ABSENT,
	           JP_AVAIL_ABSENT, 3);
	/* An EF 0001 that exists but holds nothing cannot be told without
	 * the password: PRESENT (the read after VERIFY says JP_E_NO_KEY). */
	sign_avail("no EF 0008, EF 0001 zero-filled", JP_EMU_SIGN_EMPTY, JP_EMU_EF0008_ABSENT,
	           JP_AVAIL_PRESENT, 3);
	auth_avail();
	errors();
	phone_auth_cert(JP_EMU_MYNUMBER, "card");
	phone_auth_cert(JP_EMU_ANDROID, "Android");
	phone_auth_cert(JP_EMU_IPHONE, "iPhone");
	done_testing();
}
