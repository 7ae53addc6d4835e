/* PIN lockout: 3 wrong authentication PINs and 5 wrong signing passwords,
 * the token flags (COUNT_LOW / FINAL_TRY / LOCKED) after each, a blocked
 * PIN answered CKR_PIN_LOCKED without any VERIFY, malformed PINs costing
 * nothing, the token staying visible, a block done by another program
 * found by the retry query, and both blocked-query answers (63C0, 6984). */
#include "config.h"

#include "tests/p11/p11-test.h"

#define LOW CKF_USER_PIN_COUNT_LOW
#define FINAL CKF_USER_PIN_FINAL_TRY
#define LOCKED CKF_USER_PIN_LOCKED
#define PINF (LOW | FINAL | LOCKED)

static jp_emu *e;
static CK_SLOT_ID s[2];

static void start(const jp_emu_options *o)
{
	pt_reader_with_card("Lockout Reader", 1, o, &e);
	if (pt_init() != CKR_OK || pt_slots(CK_FALSE, s, 2) != 2)
		bail_out("cannot start");
}

static void stop(void)
{
	F->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(e);
}

static void lockout(int key, const char *wrong, int max, const char *what)
{
	CK_SESSION_HANDLE h;
	CK_SLOT_INFO si;
	unsigned long v;
	int i;

	F->C_OpenSession(s[key], CKF_SERIAL_SESSION, NULL, NULL, &h);
	is_int(pt_token_flags(s[key]) & PINF, 0, "%s: fresh token, no PIN flag", what);

	/* Malformed PINs: refused before the card, no try burned. */
	v = jp_emu_apdu_count(e);
	if (key == 0) {
		is_int(pt_login(h, CKU_USER, "123"), CKR_PIN_LEN_RANGE, "%s: 3 digits", what);
		is_int(pt_login(h, CKU_USER, "12345"), CKR_PIN_LEN_RANGE, "%s: 5 digits", what);
		is_int(pt_login(h, CKU_USER, "12a4"), CKR_PIN_INVALID, "%s: a letter", what);
		is_int(F->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", (CK_ULONG)-1),
		       CKR_PIN_LEN_RANGE, "%s: absurd length", what);
	} else {
		is_int(pt_login(h, CKU_USER, "AB12"), CKR_PIN_LEN_RANGE, "%s: too short", what);
		is_int(pt_login(h, CKU_USER, "ABCDEFGHIJ1234567"), CKR_PIN_LEN_RANGE,
		       "%s: 17 characters", what);
		is_int(pt_login(h, CKU_USER, "ABCDEFG"), CKR_PIN_INVALID, "%s: no digit", what);
		is_int(pt_login(h, CKU_USER, "1234567"), CKR_PIN_INVALID, "%s: no letter", what);
		is_int(pt_login(h, CKU_USER, "ABC-123"), CKR_PIN_INVALID, "%s: a dash", what);
	}
	is_int(jp_emu_apdu_count(e) - v, 0, "%s: malformed PINs sent nothing", what);
	is_int(jp_emu_tries(e, key), max, "%s: no try used", what);

	for (i = 1; i <= max; i++) {
		CK_FLAGS want = i == max ? LOCKED : (i == max - 1 ? (LOW | FINAL) : LOW);
		is_int(pt_login(h, CKU_USER, wrong), i == max ? CKR_PIN_LOCKED : CKR_PIN_INCORRECT,
		       "%s: wrong PIN #%d", what, i);
		is_int(jp_emu_tries(e, key), max - i, "%s: card counter %d", what, max - i);
		is_int(pt_token_flags(s[key]) & PINF, want, "%s: flags after %d wrong", what, i);
	}
	v = jp_emu_verify_count(e);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, key)), CKR_PIN_LOCKED,
	       "%s: even the right PIN: locked", what);
	is_int(pt_login(h, CKU_USER, wrong), CKR_PIN_LOCKED, "%s: and a wrong one", what);
	is_int(jp_emu_verify_count(e), v, "%s: no VERIFY sent to a blocked PIN", what);
	F->C_GetSlotInfo(s[key], &si);
	ok(si.flags & CKF_TOKEN_PRESENT, "%s: the blocked token stays visible", what);
	F->C_CloseSession(h);
}

/* Another program burns the tries; a fresh process learns it from the
 * retry query and never sends a VERIFY. */
static void blocked_elsewhere(uint16_t query_sw)
{
	jp_emu_options o;
	CK_SESSION_HANDLE h;
	unsigned long v;
	int i;

	memset(&o, 0, sizeof(o));
	o.blocked_query_sw = query_sw;
	pt_reader_with_card("Lockout Reader", 1, &o, &e);
	jp_emu_power_on(e);
	for (i = 0; i < 3; i++)
		pt_other_verify(e, 0, "0000");
	is_int(jp_emu_tries(e, 0), 0, "blocked by another program (query answers %04X)", query_sw);
	pt_init();
	pt_slots(CK_FALSE, s, 2);
	is_int(pt_token_flags(s[0]) & PINF, LOCKED, "token info says locked");
	F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &h);
	v = jp_emu_verify_count(e);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, 0)), CKR_PIN_LOCKED, "login: locked");
	is_int(jp_emu_verify_count(e), v, "without a VERIFY");
	stop();
}

/* Login before any token info: the module asks the counter first. */
static void login_first(void)
{
	CK_SESSION_HANDLE h;
	unsigned long v;
	int i;

	pt_reader_with_card("Lockout Reader", 1, NULL, &e);
	jp_emu_power_on(e);
	for (i = 0; i < 5; i++)
		pt_other_verify(e, 1, "WRONG1");
	pt_init();
	pt_slots(CK_FALSE, s, 2);
	/* Opening a session probes the card (retry queries included). */
	F->C_OpenSession(s[1], CKF_SERIAL_SESSION, NULL, NULL, &h);
	v = jp_emu_verify_count(e);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, 1)), CKR_PIN_LOCKED, "sign: locked elsewhere");
	is_int(jp_emu_verify_count(e), v, "no VERIFY");
	stop();
}

/* A wrong PIN whose answer is lost (the card used the try, we never saw
 * 63Cx): the counter is unknown, so the next login asks the card first and
 * a PIN blocked by that lost try never gets a VERIFY. */
static void lost_answer(void)
{
	CK_SESSION_HANDLE h;
	unsigned long v, q;

	start(NULL);
	F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &h);
	is_int(pt_login(h, CKU_USER, "0000"), CKR_PIN_INCORRECT, "lost answer: wrong PIN 1");
	is_int(pt_login(h, CKU_USER, "0000"), CKR_PIN_INCORRECT, "lost answer: wrong PIN 2");
	v = jp_emu_verify_count(e);
	/* SELECT 0018, then the VERIFY whose answer comes back truncated. */
	jp_emu_opts(e)->short_nth = jp_emu_apdu_count(e) + 2;
	ok(pt_login(h, CKU_USER, "0000") != CKR_OK, "lost answer: the third try fails");
	jp_emu_opts(e)->short_nth = 0;
	is_int(jp_emu_verify_count(e) - v, 1, "lost answer: the card saw the VERIFY");
	is_int(jp_emu_tries(e, 0), 0, "lost answer: and the PIN is blocked");
	v = jp_emu_verify_count(e);
	q = jp_emu_ins_count(e, 0x20);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, 0)), CKR_PIN_LOCKED, "lost answer: then PIN_LOCKED");
	is_int(jp_emu_verify_count(e) - v, 0, "lost answer: without a VERIFY");
	is_int(jp_emu_ins_count(e, 0x20) - q, 1, "lost answer: one retry query instead");
	is_int(pt_token_flags(s[0]) & PINF, LOCKED, "lost answer: the token says LOCKED");
	stop();
}

int main(void)
{
	pt_load();
	start(NULL);
	lockout(0, "0000", 3, "auth");
	lockout(1, "WRONG1", 5, "sign");
	stop();
	blocked_elsewhere(0x63C0);
	blocked_elsewhere(0x6984);
	login_first();
	lost_answer();
	done_testing();
}
