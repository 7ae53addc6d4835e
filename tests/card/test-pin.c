/* Retry counters, VERIFY, blocking (both answers of the retry query on a
 * blocked PIN), an unknown counter learnt from the VERIFY itself (both
 * answers of a blocked card to it), PIN policy before any APDU, the upper-cased signing
 * password, and PIN change. */
#include "config.h"

#include "card-test.h"
#include "tests/tap.h"

static const char *kname(jp_key k)
{
	return k == JP_KEY_AUTH ? "auth" : "sign";
}

/* A wrong PIN of the right form for key, different from the fixture's. */
static const char *wrong_pin(jp_key key)
{
	const char *right = fixture_pin(1, (int)key);
	if (key == JP_KEY_AUTH)
		return strcmp(right, "9999") ? "9999" : "8888";
	return strcmp(right, "WRONG9") ? "WRONG9" : "WRONG8";
}

static void counters(jp_key key, uint16_t blocked_sw)
{
	ct c;
	jp_emu_options o;
	int tries = -7, max = jp_pin_max_tries(key), i;
	unsigned long v0, a0;
	const char *kn = kname(key);

	memset(&o, 0, sizeof(o));
	o.blocked_query_sw = blocked_sw;
	CT_START(&c, 1, &o);
	is_int(jp_card_pin_tries(c.card, key, &tries), JP_OK, "[%s] retry query", kn);
	is_int(tries, max, "[%s] %d tries at first", kn, max);
	is_int(jp_emu_verify_count(c.e), 0, "[%s] the query is not a VERIFY with a body", kn);

	is_int(ct_verify(&c, key, wrong_pin(key), &tries), JP_E_PIN_INCORRECT, "[%s] wrong PIN",
	       kn);
	is_int(tries, max - 1, "[%s] tries %d left", kn, max - 1);
	is_int(jp_emu_tries(c.e, (int)key), max - 1, "[%s] the card agrees", kn);
	ok(!jp_emu_verified(c.e, (int)key), "[%s] not verified", kn);
	tries = -7;
	is_int(jp_card_pin_tries(c.card, key, &tries), JP_OK, "[%s] retry query", kn);
	is_int(tries, max - 1, "[%s] query says %d", kn, max - 1);
	is_int(jp_emu_tries(c.e, (int)key), max - 1, "[%s] the query used no try", kn);

	a0 = jp_emu_apdu_count(c.e);
	is_int(ct_verify(&c, key, fixture_pin(1, (int)key), &tries), JP_OK, "[%s] right PIN", kn);
	is_int(jp_emu_apdu_count(c.e) - a0, 2, "[%s] VERIFY costs SELECT + VERIFY, no query", kn);
	is_int(tries, max, "[%s] counter back to %d", kn, max);
	is_int(jp_emu_tries(c.e, (int)key), max, "[%s] the card agrees", kn);
	ok(jp_emu_verified(c.e, (int)key), "[%s] verified on the card", kn);

	for (i = max - 1; i >= 1; i--) {
		is_int(ct_verify(&c, key, wrong_pin(key), &tries), JP_E_PIN_INCORRECT,
		       "[%s] wrong PIN, %d left", kn, i);
		is_int(tries, i, "[%s] tries %d", kn, i);
	}
	is_int(ct_verify(&c, key, wrong_pin(key), &tries), JP_E_PIN_LOCKED,
	       "[%s] the last try blocks (63C0)", kn);
	is_int(tries, 0, "[%s] 0 tries", kn);
	is_int(jp_emu_tries(c.e, (int)key), 0, "[%s] card counter 0", kn);
	v0 = jp_emu_verify_count(c.e);
	tries = -7;
	is_int(ct_verify(&c, key, fixture_pin(1, (int)key), &tries), JP_E_PIN_LOCKED,
	       "[%s] even the right PIN: blocked (6984)", kn);
	is_int(tries, 0, "[%s] 0 tries", kn);
	is_int(jp_emu_verify_count(c.e) - v0, 0,
	       "[%s] no VERIFY sent to a PIN known to be blocked", kn);
	ok(!jp_emu_verified(c.e, (int)key), "[%s] not verified", kn);
	tries = -7;
	is_int(jp_card_pin_tries(c.card, key, &tries), JP_OK, "[%s] query on a blocked PIN (%04X)",
	       kn, blocked_sw ? blocked_sw : 0x63C0);
	is_int(tries, 0, "[%s] blocked: 0 tries", kn);
	ct_stop(&c);
}

static const struct {
	jp_key key;
	const char *pin;
	size_t len;
	jp_err want;
} bad[] = {
	{ JP_KEY_AUTH, "123", 3, JP_E_PIN_LEN_RANGE },
	{ JP_KEY_AUTH, "12345", 5, JP_E_PIN_LEN_RANGE },
	{ JP_KEY_AUTH, "", 0, JP_E_PIN_LEN_RANGE },
	{ JP_KEY_AUTH, "12a4", 4, JP_E_PIN_INVALID },
	{ JP_KEY_AUTH, "12\0004", 4, JP_E_PIN_INVALID },
	{ JP_KEY_AUTH, "\xef\xbc\x91" "2", 4, JP_E_PIN_INVALID },
	{ JP_KEY_SIGN, "AB123", 5, JP_E_PIN_LEN_RANGE },
	{ JP_KEY_SIGN, "ABCDEFGH123456789", 17, JP_E_PIN_LEN_RANGE },
	{ JP_KEY_SIGN, "ABCDEFGH", 8, JP_E_PIN_INVALID },
	{ JP_KEY_SIGN, "12345678", 8, JP_E_PIN_INVALID },
	{ JP_KEY_SIGN, "ABC 123", 7, JP_E_PIN_INVALID },
	{ JP_KEY_SIGN, "ABC-123", 7, JP_E_PIN_INVALID },
	{ JP_KEY_SIGN, "ABC\000123", 7, JP_E_PIN_INVALID },
	{ JP_KEY_SIGN, "\xc3\xa9" "ABC12", 7, JP_E_PIN_INVALID },
};

static void malformed_cost_nothing(void)
{
	ct c;
	size_t i;
	unsigned long a0, v0;
	int t0, t1, tries;
	jp_err rc;

	CT_START(&c, 1, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *kn = kname(bad[i].key);
		a0 = jp_emu_apdu_count(c.e);
		v0 = jp_emu_verify_count(c.e);
		t0 = jp_emu_tries(c.e, (int)bad[i].key);
		rc = jp_card_verify(c.card, bad[i].key, (const uint8_t *)bad[i].pin, bad[i].len,
		                    &tries);
		is_int(rc, bad[i].want, "[%s] malformed #%zu refused: %s", kn, i,
		       jp_err_str(bad[i].want));
		is_int(jp_emu_apdu_count(c.e) - a0, 0, "[%s] malformed #%zu: no APDU", kn, i);
		is_int(jp_emu_verify_count(c.e) - v0, 0, "[%s] malformed #%zu: no VERIFY", kn, i);
		is_int(jp_emu_tries(c.e, (int)bad[i].key), t0, "[%s] malformed #%zu: no try used",
		       kn, i);
		/* the same PIN as the old or the new one of a change */
		rc = jp_card_change_pin(c.card, bad[i].key, (const uint8_t *)bad[i].pin, bad[i].len,
		                        (const uint8_t *)fixture_pin(1, (int)bad[i].key),
		                        strlen(fixture_pin(1, (int)bad[i].key)), NULL);
		is_int(rc, bad[i].want, "[%s] malformed #%zu as old PIN refused", kn, i);
		rc = jp_card_change_pin(c.card, bad[i].key,
		                        (const uint8_t *)fixture_pin(1, (int)bad[i].key),
		                        strlen(fixture_pin(1, (int)bad[i].key)),
		                        (const uint8_t *)bad[i].pin, bad[i].len, NULL);
		is_int(rc, bad[i].want, "[%s] malformed #%zu as new PIN refused", kn, i);
		is_int(jp_emu_apdu_count(c.e) - a0, 0, "[%s] malformed #%zu: changes sent nothing",
		       kn, i);
	}
	t1 = jp_emu_tries(c.e, 0) + jp_emu_tries(c.e, 1);
	is_int(t1, 3 + 5, "all tries intact after %zu malformed PINs",
	       sizeof(bad) / sizeof(bad[0]));
	ct_stop(&c);
}

static void lower_case_password(void)
{
	ct c;
	char lower[32];
	size_t i;
	int tries;

	snprintf(lower, sizeof(lower), "%s", fixture_pin(1, 1));
	for (i = 0; lower[i]; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	CT_START(&c, 1, NULL);
	ok(strcmp(lower, fixture_pin(1, 1)) != 0, "fixture password has letters (%s)", lower);
	is_int(ct_verify(&c, JP_KEY_SIGN, lower, &tries), JP_OK,
	       "lower-case signing password works (upper-cased before sending)");
	ok(jp_emu_verified(c.e, 1), "the card verified it");
	is_int(jp_emu_tries(c.e, 1), 5, "no try used");
	ct_stop(&c);
}

static void change_pin(void)
{
	ct c;
	int tries;
	unsigned long c0;
	const char *old_auth = fixture_pin(1, 0), *old_sign = fixture_pin(1, 1);
	const char *new_auth = strcmp(old_auth, "5678") ? "5678" : "4321";

	CT_START(&c, 1, NULL);
	c0 = jp_emu_ins_count(c.e, 0x24);
	is_int(jp_card_change_pin(c.card, JP_KEY_AUTH, (const uint8_t *)wrong_pin(JP_KEY_AUTH), 4,
	                          (const uint8_t *)new_auth, 4, &tries),
	       JP_E_PIN_INCORRECT, "change with a wrong old PIN: JP_E_PIN_INCORRECT");
	is_int(tries, 2, "2 tries left");
	is_int(jp_emu_ins_count(c.e, 0x24) - c0, 0, "no CHANGE REFERENCE DATA sent");
	is_int(jp_card_change_pin(c.card, JP_KEY_AUTH, (const uint8_t *)old_auth, 4,
	                          (const uint8_t *)new_auth, 4, &tries),
	       JP_OK, "auth PIN changed");
	is_int(jp_emu_ins_count(c.e, 0x24) - c0, 1, "one CHANGE REFERENCE DATA");
	is_int(ct_verify(&c, JP_KEY_AUTH, old_auth, &tries), JP_E_PIN_INCORRECT,
	       "old auth PIN no longer works");
	is_int(ct_verify(&c, JP_KEY_AUTH, new_auth, &tries), JP_OK, "new auth PIN works");
	is_int(tries, 3, "counter reset");

	is_int(jp_card_change_pin(c.card, JP_KEY_SIGN, (const uint8_t *)old_sign, strlen(old_sign),
	                          (const uint8_t *)"xyz789", 6, &tries),
	       JP_OK, "signing password changed to a lower-case entry");
	is_int(ct_verify(&c, JP_KEY_SIGN, "XYZ789", &tries), JP_OK,
	       "the card got it upper-cased: XYZ789 works");
	is_int(ct_verify(&c, JP_KEY_SIGN, old_sign, &tries), JP_E_PIN_INCORRECT,
	       "old signing password no longer works");
	is_int(tries, 4, "4 tries left");
	ct_stop(&c);
}

/* Plays another program that gives wrong PINs to key until it is blocked
 * (APDUs straight to the emulator, past the card layer). */
static void block_elsewhere(ct *c, jp_key key)
{
	static const uint8_t sel_ap[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0,
	                                  0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };
	uint8_t sel_pin[] = { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18 };
	uint8_t verify[5 + 16] = { 0x00, 0x20, 0x00, 0x80 };
	uint8_t rsp[300];
	const char *wrong = wrong_pin(key);
	size_t n = strlen(wrong);

	sel_pin[6] = key == JP_KEY_AUTH ? 0x18 : 0x1B;
	verify[4] = (uint8_t)n;
	memcpy(verify + 5, wrong, n);
	(void)jp_emu_apdu(c->e, sel_ap, sizeof(sel_ap), rsp);
	(void)jp_emu_apdu(c->e, sel_pin, sizeof(sel_pin), rsp);
	while (jp_emu_tries(c->e, (int)key) > 0)
		(void)jp_emu_apdu(c->e, verify, 5 + n, rsp);
}

/* An unknown counter costs no retry query: the VERIFY goes out and its
 * answer sets the counter. On a PIN blocked behind our back the card
 * refuses it without counting (verify_sw: 6984 or 63C0), JP_E_PIN_LOCKED,
 * and from then no VERIFY is sent. */
static void unknown_counter(jp_key key, uint16_t verify_sw)
{
	ct c;
	jp_emu_options o;
	int tries = -7, max = jp_pin_max_tries(key);
	unsigned long a0, q0, v0;
	const char *kn = kname(key);

	memset(&o, 0, sizeof(o));
	o.blocked_verify_sw = verify_sw;
	CT_START(&c, 1, &o);
	q0 = jp_emu_ins_count(c.e, 0x20);
	is_int(ct_verify(&c, key, wrong_pin(key), &tries), JP_E_PIN_INCORRECT,
	       "[%s] unknown counter: wrong PIN sent at once", kn);
	is_int(jp_emu_ins_count(c.e, 0x20) - q0, 1, "[%s] unknown counter: one INS 20, no query",
	       kn);
	is_int(tries, max - 1, "[%s] the answer set the counter (%d)", kn, max - 1);
	ct_stop(&c);

	CT_START(&c, 1, &o);
	block_elsewhere(&c, key);
	is_int(jp_emu_tries(c.e, (int)key), 0, "[%s] blocked by another program", kn);
	q0 = jp_emu_ins_count(c.e, 0x20);
	v0 = jp_emu_verify_count(c.e);
	is_int(ct_verify(&c, key, fixture_pin(1, (int)key), &tries), JP_E_PIN_LOCKED,
	       "[%s] unknown counter, blocked card (answers %04X): JP_E_PIN_LOCKED", kn,
	       verify_sw ? verify_sw : 0x6984);
	is_int(jp_emu_verify_count(c.e) - v0, 1, "[%s] exactly one VERIFY", kn);
	is_int(jp_emu_ins_count(c.e, 0x20) - q0, 1, "[%s] and no retry query", kn);
	is_int(tries, 0, "[%s] counter 0 now", kn);
	is_int(jp_emu_tries(c.e, (int)key), 0, "[%s] the card counted nothing", kn);
	ok(!jp_emu_verified(c.e, (int)key), "[%s] not verified", kn);
	a0 = jp_emu_apdu_count(c.e);
	is_int(ct_verify(&c, key, fixture_pin(1, (int)key), &tries), JP_E_PIN_LOCKED,
	       "[%s] again: JP_E_PIN_LOCKED", kn);
	is_int(jp_card_change_pin(c.card, key, (const uint8_t *)fixture_pin(1, (int)key),
	                          strlen(fixture_pin(1, (int)key)),
	                          (const uint8_t *)fixture_pin(1, (int)key),
	                          strlen(fixture_pin(1, (int)key)), NULL),
	       JP_E_PIN_LOCKED, "[%s] a change too", kn);
	is_int(jp_emu_apdu_count(c.e) - a0, 0, "[%s] known blocked: no APDU at all", kn);
	ct_stop(&c);

	/* A change of PIN follows the same rule. */
	CT_START(&c, 1, &o);
	block_elsewhere(&c, key);
	v0 = jp_emu_verify_count(c.e);
	q0 = jp_emu_ins_count(c.e, 0x24);
	is_int(jp_card_change_pin(c.card, key, (const uint8_t *)fixture_pin(1, (int)key),
	                          strlen(fixture_pin(1, (int)key)),
	                          (const uint8_t *)fixture_pin(1, (int)key),
	                          strlen(fixture_pin(1, (int)key)), &tries),
	       JP_E_PIN_LOCKED, "[%s] change, unknown counter, blocked card: JP_E_PIN_LOCKED", kn);
	is_int(jp_emu_verify_count(c.e) - v0, 1, "[%s] change: one VERIFY", kn);
	is_int(jp_emu_ins_count(c.e, 0x24) - q0, 0, "[%s] change: no CHANGE REFERENCE DATA", kn);
	is_int(tries, 0, "[%s] change: counter 0", kn);
	ct_stop(&c);
}

int main(void)
{
	counters(JP_KEY_AUTH, 0);
	counters(JP_KEY_AUTH, 0x6984);
	counters(JP_KEY_SIGN, 0);
	counters(JP_KEY_SIGN, 0x6984);
	unknown_counter(JP_KEY_AUTH, 0);
	unknown_counter(JP_KEY_AUTH, 0x63C0);
	unknown_counter(JP_KEY_SIGN, 0);
	unknown_counter(JP_KEY_SIGN, 0x63C0);
	malformed_cost_nothing();
	lower_case_password();
	change_pin();
	done_testing();
}
