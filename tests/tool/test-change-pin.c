/* jpki change-pin against the in-process emulator: a change that works
 * (the new PIN verifies on the card, the old one no longer does), a wrong
 * current PIN (exactly one try spent, no retry), malformed input and a
 * mismatch (no APDU carrying a PIN, no try spent), the last-try
 * confirmation, a blocked PIN, a card without a signing key. */
#include "config.h"

#include "tool-test.h"
#include "tests/tap.h"

#define NOW 1811775600LL

int main(void)
{
	tt c;
	jp_emu_options o;
	unsigned long v0;
	char in[128];

	if (jp_crypto_init() != JP_OK) {
		printf("Bail out! crypto\n");
		return 99;
	}

	/* auth: 1234 → 4321 */
	tt_card(&c, 1, NULL);
	tt_run(&c, NOW, "1234\n4321\n4321\n", "change-pin", "auth", "--pin-stdin", NULL);
	is_int(c.rc, 0, "auth PIN changed: exit 0");
	ok(tt_has(c.out, "The PIN was changed."), "says so");
	ok(tt_has(c.err, "3 of 3 tries left"), "shows the tries left first");
	is_int(jp_emu_verified(c.e, 0), 0, "the card is left unverified");
	v0 = jp_emu_verify_count(c.e);
	tt_run(&c, NOW, "4321\n1234\n1234\n", "change-pin", "auth", "--pin-stdin", NULL);
	is_int(c.rc, 0, "the new PIN is the card's PIN now (changed back)");
	is_int(jp_emu_verify_count(c.e) - v0, 1, "one VERIFY for one change");

	/* wrong current PIN: exactly one try */
	v0 = jp_emu_verify_count(c.e);
	tt_run(&c, NOW, "9999\n5555\n5555\n", "change-pin", "auth", "--pin-stdin", NULL);
	is_int(c.rc, 1, "wrong current PIN: exit 1");
	is_int(jp_emu_verify_count(c.e) - v0, 1, "exactly one VERIFY (no retry)");
	is_int(jp_emu_tries(c.e, 0), 2, "exactly one try spent (2 left)");
	ok(tt_has(c.err, "2 tries left"), "says 2 tries left");
	is_int(jp_emu_ins_count(c.e, 0x24), 2, "no CHANGE REFERENCE DATA after the wrong PIN");

	/* malformed input: nothing reaches the card */
	v0 = jp_emu_verify_count(c.e);
	tt_run(&c, NOW, "12a4\n5555\n5555\n", "change-pin", "auth", "--pin-stdin", NULL);
	is_int(c.rc, 1, "malformed current PIN: exit 1");
	ok(tt_has(c.err, "Nothing was sent to the card"), "says nothing was sent");
	tt_run(&c, NOW, "1234\n55555\n55555\n", "change-pin", "auth", "--pin-stdin", NULL);
	is_int(c.rc, 1, "new PIN of 5 digits: exit 1");
	tt_run(&c, NOW, "1234\n5555\n5556\n", "change-pin", "auth", "--pin-stdin", NULL);
	ok(c.rc == 1 && tt_has(c.err, "the two new PINs differ"), "mismatched new PINs: refused");
	tt_run(&c, NOW, "12345678901234567890123\n5555\n5555\n", "change-pin", "auth", "--pin-stdin", NULL);
	is_int(c.rc, 1, "an overlong line is refused, not cut to 4 digits");
	tt_run(&c, NOW, "1234\n", "change-pin", "auth", "--pin-stdin", NULL);
	is_int(c.rc, 1, "input ends early: exit 1");
	is_int(jp_emu_verify_count(c.e) - v0, 0, "none of these sent a VERIFY with a PIN");
	is_int(jp_emu_tries(c.e, 0), 2, "no try spent (still 2)");

	/* the last try: confirmation */
	tt_run(&c, NOW, "9999\n5555\n5555\n", "change-pin", "auth", "--pin-stdin", NULL);
	is_int(jp_emu_tries(c.e, 0), 1, "(down to one try)");
	v0 = jp_emu_verify_count(c.e);
	tt_run(&c, NOW, "n\n1234\n5555\n5555\n", "change-pin", "auth", "--pin-stdin", NULL);
	ok(c.rc == 1 && tt_has(c.err, "Only ONE try is left"), "one try left: asks for confirmation");
	is_int(jp_emu_verify_count(c.e) - v0, 0, "answer no: nothing sent");
	tt_run(&c, NOW, "y\n1234\n1234\n1234\n", "change-pin", "auth", "--pin-stdin", NULL);
	is_int(c.rc, 0, "answer yes and the right PIN: changed");
	is_int(jp_emu_tries(c.e, 0), 3, "the counter is back to 3");
	tt_stop(&c);

	/* the signing password: lower case accepted and upper-cased */
	tt_card(&c, 1, NULL);
	jp_emu_fixture_pin(1, 1, in, 32);
	strcat(in, "\nnewpass1\nNEWPASS1\n");
	tt_run(&c, NOW, in, "change-pin", "sign", "--pin-stdin", NULL);
	is_int(c.rc, 0, "signing password changed (typed in lower case once)");
	ok(tt_has(c.err, "5 of 5 tries left"), "shows 5 of 5 first");
	v0 = jp_emu_verify_count(c.e);
	tt_run(&c, NOW, "NEWPASS1\nabcdef\nabcdef\n", "change-pin", "sign", "--pin-stdin", NULL);
	ok(c.rc == 1 && tt_has(c.err, "at least one of each"), "a new password without a digit: refused, rules shown");
	is_int(jp_emu_verify_count(c.e) - v0, 0, "nothing sent");
	tt_stop(&c);

	/* blocked */
	tt_card(&c, 1, NULL);
	tt_apdus(c.e, "00A4040C0AD392F000260100000001", "00A4020C020018",
	         "002000800430303030", "002000800430303030", "002000800430303030", NULL);
	v0 = jp_emu_verify_count(c.e);
	tt_run(&c, NOW, "1234\n5555\n5555\n", "change-pin", "auth", "--pin-stdin", NULL);
	ok(c.rc == 1 && tt_has(c.err, "blocked"), "blocked PIN: refused, says blocked");
	is_int(jp_emu_verify_count(c.e) - v0, 0, "nothing sent to a blocked PIN");
	tt_stop(&c);

	/* no signing key */
	memset(&o, 0, sizeof(o));
	o.no_sign = JP_EMU_SIGN_NOT_FOUND;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW, "ABC123\nXYZ987\nXYZ987\n", "change-pin", "sign", "--pin-stdin", NULL);
	ok(c.rc == 2 && tt_has(c.err, "no certificate for digital signature"), "no signing key: exit 2");
	tt_run(&c, NOW, NULL, "change-pin", "both", NULL);
	is_int(c.rc, 2, "bad argument: exit 2");
	tt_stop(&c);

	jp_crypto_fini();
	done_testing();
}
