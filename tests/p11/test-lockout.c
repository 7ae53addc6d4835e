/* PIN lockout: 3 wrong authentication PINs and 5 wrong signing passwords,
 * the token flags (COUNT_LOW / FINAL_TRY / LOCKED) after each, a blocked
 * PIN answered CKR_PIN_LOCKED without any VERIFY, malformed PINs costing
 * nothing, the token staying visible, and a block done by another program
 * (or hidden by a lost answer) found by the next login's one VERIFY, with
 * both answers of a blocked card to it (6984, 63C0) and no try spent. */
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

/* Another program blocks the PIN; a fresh process has not been told, so
 * its token shows no PIN flag and no APDU asks (the module spends none only
 * for the flags). The first login sends its VERIFY, which the card refuses
 * without counting (answer verify_sw: 6984 or 63C0): CKR_PIN_LOCKED, the
 * card's counter still 0; from then the token says LOCKED and no VERIFY
 * goes out. */
static void blocked_elsewhere(int key, uint16_t verify_sw)
{
	static const char *const wrong[2] = { "0000", "WRONG1" };
	const char *kn = key == 0 ? "auth" : "sign";
	jp_emu_options o;
	CK_SESSION_HANDLE h;
	unsigned long v, q;
	int i, max = key == 0 ? 3 : 5;

	memset(&o, 0, sizeof(o));
	o.blocked_verify_sw = verify_sw;
	pt_reader_with_card("Lockout Reader", 1, &o, &e);
	jp_emu_power_on(e);
	for (i = 0; i < max; i++)
		pt_other_verify(e, key, wrong[key]);
	is_int(jp_emu_tries(e, key), 0, "%s: blocked by another program (VERIFY then answers %04X)",
	       kn, verify_sw);
	pt_init();
	pt_slots(CK_FALSE, s, 2);
	q = jp_emu_ins_count(e, 0x20);
	is_int(pt_token_flags(s[key]) & PINF, 0, "%s: fresh token info: no PIN flag (not told yet)",
	       kn);
	is_int(F->C_OpenSession(s[key], CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK,
	       "%s: session", kn);
	is_int(jp_emu_ins_count(e, 0x20) - q, 0, "%s: token info and session: no retry query",
	       kn);
	v = jp_emu_verify_count(e);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, key)), CKR_PIN_LOCKED, "%s: login: locked",
	       kn);
	is_int(jp_emu_verify_count(e) - v, 1, "%s: exactly one VERIFY sent", kn);
	is_int(jp_emu_ins_count(e, 0x20) - q, 1, "%s: and no retry query", kn);
	is_int(jp_emu_tries(e, key), 0, "%s: the card's counter unchanged (0)", kn);
	ok(!jp_emu_verified(e, key), "%s: not verified", kn);
	is_int(pt_token_flags(s[key]) & PINF, LOCKED, "%s: token info now says locked", kn);
	v = jp_emu_verify_count(e);
	q = jp_emu_ins_count(e, 0x20);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, key)), CKR_PIN_LOCKED, "%s: login again: locked",
	       kn);
	is_int(jp_emu_verify_count(e) - v, 0, "%s: without a VERIFY", kn);
	is_int(jp_emu_ins_count(e, 0x20) - q, 0, "%s: nor any other INS 20", kn);
	stop();
}

/* A wrong PIN whose answer is lost (the card used the try, we never saw
 * 63Cx): the counter is unknown, the flags say nothing, and the next
 * login's VERIFY learns that the lost try blocked the PIN, without
 * spending anything. */
static void lost_answer(void)
{
	CK_SESSION_HANDLE h;
	unsigned long v, q;

	start(NULL);
	F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &h);
	is_int(pt_login(h, CKU_USER, "0000"), CKR_PIN_INCORRECT, "lost answer: wrong PIN 1");
	is_int(pt_login(h, CKU_USER, "0000"), CKR_PIN_INCORRECT, "lost answer: wrong PIN 2");
	is_int(pt_token_flags(s[0]) & PINF, LOW | FINAL, "lost answer: final try before it");
	v = jp_emu_verify_count(e);
	/* SELECT 0018, then the VERIFY whose answer comes back truncated. */
	jp_emu_opts(e)->short_nth = jp_emu_apdu_count(e) + 2;
	ok(pt_login(h, CKU_USER, "0000") != CKR_OK, "lost answer: the third try fails");
	jp_emu_opts(e)->short_nth = 0;
	is_int(jp_emu_verify_count(e) - v, 1, "lost answer: the card saw the VERIFY");
	is_int(jp_emu_tries(e, 0), 0, "lost answer: and the PIN is blocked");
	q = jp_emu_apdu_count(e);
	is_int(pt_token_flags(s[0]) & PINF, 0, "lost answer: counter unknown, no PIN flag");
	is_int(jp_emu_apdu_count(e) - q, 0, "lost answer: token info asks nothing");
	v = jp_emu_verify_count(e);
	q = jp_emu_ins_count(e, 0x20);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, 0)), CKR_PIN_LOCKED, "lost answer: then PIN_LOCKED");
	is_int(jp_emu_verify_count(e) - v, 1, "lost answer: learnt from one VERIFY");
	is_int(jp_emu_ins_count(e, 0x20) - q, 1, "lost answer: no retry query");
	is_int(jp_emu_tries(e, 0), 0, "lost answer: that VERIFY counted nothing");
	is_int(pt_token_flags(s[0]) & PINF, LOCKED, "lost answer: the token says LOCKED");
	v = jp_emu_verify_count(e);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, 0)), CKR_PIN_LOCKED, "lost answer: locked again");
	is_int(jp_emu_verify_count(e) - v, 0, "lost answer: now without a VERIFY");
	stop();
}

int main(void)
{
	pt_load();
	start(NULL);
	lockout(0, "0000", 3, "auth");
	lockout(1, "WRONG1", 5, "sign");
	stop();
	blocked_elsewhere(0, 0x6984);
	blocked_elsewhere(0, 0x63C0);
	blocked_elsewhere(1, 0x6984);
	blocked_elsewhere(1, 0x63C0);
	lost_answer();
	done_testing();
}
