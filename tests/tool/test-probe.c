/* jpki probe against the in-process emulator: PKCS#1 v1.5 and RSA-PSS
 * signatures over a random hash, each verified on the host; a card without
 * PSS (6A86), a card that garbles signatures (caught), a wrong PIN (one
 * VERIFY, no signature), the card left unverified. */
#include "config.h"

#include "tool-test.h"
#include "tests/tap.h"

#define NOW 1811775600LL

int main(void)
{
	tt c;
	jp_emu_options o;
	char pin[40];

	if (jp_crypto_init() != JP_OK) {
		printf("Bail out! crypto\n");
		return 99;
	}
	jp_emu_fixture_pin(1, 0, pin, 32);
	strcat(pin, "\n");

	tt_card(&c, 1, NULL);
	tt_run(&c, NOW, pin, "probe", "--pin-stdin", NULL);
	is_int(c.rc, 0, "probe: exit 0");
	ok(tt_has(c.out, "pkcs1 (P1 00, SELECT + sign): works, signature verified"), "PKCS#1 v1.5 works, verified");
	ok(tt_has(c.out, "pss (P1 04, SHA-256, MGF1-SHA-256, salt 32): not supported (6A86)"),
	   "a card without P1 04: PSS not supported");
	ok(tt_has(c.out, "use TLS 1.2"), "advice: TLS 1.2");
	is_int(jp_emu_verify_count(c.e), 1, "one VERIFY");
	is_int(jp_emu_ins_count(c.e, 0x2A), 2, "two signature commands");
	is_int(jp_emu_verified(c.e, 0), 0, "the card is left unverified");
	ok(strstr(c.out, pin) == NULL && strstr(c.err, "1234") == NULL, "the PIN is not echoed");
	tt_stop(&c);

	memset(&o, 0, sizeof(o));
	o.pss = 1;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW, pin, "probe", "--pin-stdin", NULL);
	ok(c.rc == 0 && tt_has(c.out, "pss (P1 04, SHA-256, MGF1-SHA-256, salt 32): works, signature verified"),
	   "a card with P1 04: PSS works, verified on the host");
	ok(tt_has(c.out, "TLS 1.3 client authentication may work"), "advice: TLS 1.3 may work");
	tt_stop(&c);

	memset(&o, 0, sizeof(o));
	o.pss = 1;
	o.garble_signatures = 1;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW, pin, "probe", "--pin-stdin", NULL);
	ok(c.rc == 2 && tt_has(c.out, "pkcs1 (P1 00, SELECT + sign): signature verification failed") &&
	   tt_has(c.out, "pss (P1 04, SHA-256, MGF1-SHA-256, salt 32): signature verification failed"),
	   "garbled signatures: both caught by the host, exit 2");
	tt_stop(&c);

	tt_card(&c, 1, NULL);
	tt_run(&c, NOW, "9999\n", "probe", "--pin-stdin", NULL);
	ok(c.rc == 1 && jp_emu_verify_count(c.e) == 1 && jp_emu_ins_count(c.e, 0x2A) == 0 &&
	   jp_emu_tries(c.e, 0) == 2, "wrong PIN: exit 1, one VERIFY, no signature, one try spent");
	tt_run(&c, NOW, "12\n", "probe", "--pin-stdin", NULL);
	ok(c.rc == 1 && jp_emu_verify_count(c.e) == 1 && jp_emu_tries(c.e, 0) == 2,
	   "malformed PIN: refused before the card");
	tt_stop(&c);

	jp_crypto_fini();
	done_testing();
}
