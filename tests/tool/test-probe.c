/* jpki probe against the in-process emulator: PKCS#1 v1.5 and RSA-PSS
 * signatures over a random hash, each verified on the host; whether the
 * card signs by short EF identifier (P2 80|SFI) for both answers, with the
 * exact number of VERIFY and sign commands; the option to set (pss=yes or
 * not); a card that garbles signatures (caught), a wrong PIN (one VERIFY,
 * no signature), the card left unverified. */
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
	ok(tt_has(c.out, "pkcs1 (P1 00, a DigestInfo): works, signature verified"), "PKCS#1 v1.5 works, verified");
	ok(tt_has(c.out, "sfi (P2 80|SFI, sign without SELECT): works"),
	   "a card that signs by short EF identifier: SFI works");
	ok(tt_has(c.out, "pss (P1 04, SHA-256, MGF1-SHA-256, salt 32): not supported (6A86)"),
	   "a card without P1 04: PSS not supported");
	ok(tt_has(c.out, "leave pss=no and use TLS 1.2") && !tt_has(c.out, "set the module option pss=yes"),
	   "advice: pss=no, TLS 1.2");
	ok(tt_has(c.out, "nothing to set"), "SFI: nothing to set");
	is_int(jp_emu_verify_count(c.e), 1, "one VERIFY");
	/* By SFI: one command per signature, the PSS one refused with 6A86. */
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
	ok(tt_has(c.out, "set the module option pss=yes (TLS 1.3 client authentication may then work)"),
	   "advice: set pss=yes");
	ok(tt_has(c.out, "sfi (P2 80|SFI, sign without SELECT): works"), "PSS card: SFI works");
	is_int(jp_emu_verify_count(c.e), 1, "PSS card: one VERIFY");
	is_int(jp_emu_ins_count(c.e, 0x2A), 2, "PSS card: two signature commands, both by SFI");
	tt_stop(&c);

	/* A card that answers the old way: the short form refused with 6A86,
	 * SELECT + sign in the same call; the PSS signature goes the old way
	 * at once. */
	memset(&o, 0, sizeof(o));
	o.no_sfi_sw = 0x6A86;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW, pin, "probe", "--pin-stdin", NULL);
	is_int(c.rc, 0, "no SFI: exit 0");
	ok(tt_has(c.out, "pkcs1 (P1 00, a DigestInfo): works, signature verified"),
	   "no SFI: PKCS#1 v1.5 works by SELECT + sign, verified");
	ok(tt_has(c.out, "sfi (P2 80|SFI, sign without SELECT): not supported: SELECT + sign"),
	   "no SFI: reported as not supported");
	ok(tt_has(c.out, "pss (P1 04, SHA-256, MGF1-SHA-256, salt 32): not supported (6A86)") &&
	   tt_has(c.out, "leave pss=no"), "no SFI, no PSS: pss=no");
	is_int(jp_emu_verify_count(c.e), 1, "no SFI: one VERIFY");
	is_int(jp_emu_ins_count(c.e, 0x2A), 3, "no SFI: three signature commands (refused, old way, PSS)");
	is_int(jp_emu_verified(c.e, 0), 0, "no SFI: the card is left unverified");
	tt_stop(&c);

	memset(&o, 0, sizeof(o));
	o.no_sfi_sw = 0x6A82;
	o.pss = 1;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW, pin, "probe", "--pin-stdin", NULL);
	ok(c.rc == 0 && tt_has(c.out, "sfi (P2 80|SFI, sign without SELECT): not supported: SELECT + sign") &&
	   tt_has(c.out, "pss (P1 04, SHA-256, MGF1-SHA-256, salt 32): works, signature verified") &&
	   tt_has(c.out, "set the module option pss=yes"),
	   "no SFI (6A82) with PSS: SFI not supported, PSS works, pss=yes");
	is_int(jp_emu_verify_count(c.e), 1, "no SFI with PSS: one VERIFY");
	is_int(jp_emu_ins_count(c.e, 0x2A), 3, "no SFI with PSS: three signature commands");
	tt_stop(&c);

	memset(&o, 0, sizeof(o));
	o.pss = 1;
	o.garble_signatures = 1;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW, pin, "probe", "--pin-stdin", NULL);
	ok(c.rc == 2 && tt_has(c.out, "pkcs1 (P1 00, a DigestInfo): signature verification failed") &&
	   tt_has(c.out, "pss (P1 04, SHA-256, MGF1-SHA-256, salt 32): signature verification failed"),
	   "garbled signatures: both caught by the host, exit 2");
	ok(tt_has(c.out, "sfi (P2 80|SFI, sign without SELECT): unknown") && !tt_has(c.out, "pss="),
	   "garbled signatures: SFI unknown, no option advised");
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
