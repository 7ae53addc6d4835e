/* jpki status against the in-process emulator: card kinds (My Number
 * Card, 住基カード, not JPKI, empty reader, no reader), validity states
 * with cards expiring in 200, 60 and -1 days and one not yet valid, tries
 * read without using one, a blocked PIN, a card without a signing key,
 * the signing certificate's dates after --sign, the JSON shape of jpki(1)
 * and the exit statuses. */
#include "config.h"

#include "tool-test.h"
#include "tests/tap.h"

#define NOW_2027_06_01 1811775600LL   /* 00:00 JST; card-1 expires 2031-07-15: 1505 days */

static jp_emu_options dated(int expire_days, int from_days)
{
	jp_emu_options o;

	memset(&o, 0, sizeof(o));
	o.validity = 1;
	o.expire_days = expire_days;
	o.valid_from_days = from_days;
	return o;
}

int main(void)
{
	tt c;
	jp_emu_options o;
	int64_t now = (int64_t)time(NULL);
	char serial[17], want[256];
	uint8_t *der;
	size_t len;


	if (jp_crypto_init() != JP_OK) {
		printf("Bail out! crypto\n");
		return 99;
	}

	/* ---- a valid My Number Card, human text ---- */
	tt_card(&c, 1, NULL);
	tt_run(&c, NOW_2027_06_01, NULL, "status", NULL);
	is_int(c.rc, 0, "valid card: exit status 0");
	ok(tt_has(c.out, "Reader: " TT_READER), "names the reader");
	ok(tt_has(c.out, "Card: My Number Card"), "says My Number Card");
	ok(tt_has(c.out, "valid until 2031-07-15 (1505 days left)"), "auth valid until 2031-07-15, 1505 days left");
	ok(tt_has(c.out, "possible from 2031-04-15"), "renewal possible from 2031-04-15");
	ok(tt_has(c.out, "3 of 3 tries left") && tt_has(c.out, "5 of 5 tries left"), "tries 3 of 3 and 5 of 5");
	is_int(jp_emu_verify_count(c.e), 0, "no VERIFY with a PIN sent");
	ok(jp_emu_tries(c.e, 0) == 3 && jp_emu_tries(c.e, 1) == 5, "the card's counters untouched");
	ok(jp_emu_ins_count(c.e, 0x20) == 2, "two retry queries (empty VERIFY), one per PIN");

	/* JSON */
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--json", NULL);
	is_int(c.rc, 0, "--json: exit status 0");
	{
		char path[4200];
		FILE *g;
		long n;
		snprintf(path, sizeof(path), "%s/auth.der", jp_emu_fixture_dir(1));
		g = fopen(path, "rb");
		der = NULL;
		len = 0;
		if (g != NULL && fseek(g, 0, SEEK_END) == 0 && (n = ftell(g)) > 0 && fseek(g, 0, SEEK_SET) == 0 &&
		    (der = malloc((size_t)n)) != NULL && fread(der, 1, (size_t)n, g) == (size_t)n)
			len = (size_t)n;
		if (g != NULL)
			fclose(g);
		tt_serial(der, len, serial);
		free(der);
	}
	ok(strncmp(c.out, "{\"readers\": [{\"reader\": \"" TT_READER "\", \"card\": \"mynumber\"", 60) == 0,
	   "JSON starts {\"readers\": [{\"reader\": ..., \"card\": \"mynumber\"");
	snprintf(want, sizeof(want), "\"serial\": \"%s\"", serial);
	ok(tt_has(c.out, want), "serial = first 8 bytes of SHA-256(auth certificate), as the module shows");
	ok(tt_has(c.out, "\"auth\": {\"certificate\": \"present\", \"state\": \"valid\", "
	                 "\"not_before\": \"2026-01-01\", \"not_after\": \"2031-07-15\", "
	                 "\"days_left\": 1505, \"renewal_from\": \"2031-04-15\", "
	                 "\"pin\": {\"tries_left\": 3, \"max\": 3, \"blocked\": false}}"),
	   "auth object: present, valid, dates, days_left, renewal_from, pin");
	ok(tt_has(c.out, "\"sign\": {\"certificate\": \"present\", \"state\": \"unknown\", "
	                 "\"not_before\": null, \"not_after\": null, \"days_left\": null, "
	                 "\"renewal_from\": null, \"pin\": {\"tries_left\": 5, \"max\": 5, \"blocked\": false}}"),
	   "sign object without the password: present (EF 0008), dates null, pin 5/5");
	ok(tt_has(c.out, "]}\n"), "JSON ends ]}");

	/* --sign with the password from stdin */
	{
		char pin[32];
		unsigned long v0 = jp_emu_verify_count(c.e);
		jp_emu_fixture_pin(1, 1, pin, sizeof(pin));
		strcat(pin, "\n");
		tt_run(&c, NOW_2027_06_01, pin, "status", "--json", "--sign", "--pin-stdin", NULL);
		is_int(c.rc, 0, "--sign: exit 0");
		ok(tt_has(c.out, "\"sign\": {\"certificate\": \"present\", \"state\": \"valid\", "
		                 "\"not_before\": \"2026-01-01\", \"not_after\": \"2031-07-15\", "
		                 "\"days_left\": 1505, \"renewal_from\": \"2031-04-15\""),
		   "--sign: the signing certificate's dates");
		is_int(jp_emu_verify_count(c.e) - v0, 1, "--sign: exactly one VERIFY");
		is_int(jp_emu_verified(c.e, 1), 0, "the card is left unverified (power cycled)");
		ok(strstr(c.out, "Testo") == NULL && strstr(c.out, "テスト") == NULL,
		   "no personal data without --show-personal");

		v0 = jp_emu_verify_count(c.e);
		tt_run(&c, NOW_2027_06_01, "WRONG99\n", "status", "--sign", "--pin-stdin", NULL);
		is_int(jp_emu_verify_count(c.e) - v0, 1, "wrong password: one VERIFY, no retry");
		is_int(jp_emu_tries(c.e, 1), 4, "one try spent (4 left)");
		ok(tt_has(c.out, "4 of 5 tries left"), "the report shows 4 of 5");
		v0 = jp_emu_verify_count(c.e);
		tt_run(&c, NOW_2027_06_01, "abc\n", "status", "--sign", "--pin-stdin", NULL);
		is_int(jp_emu_verify_count(c.e) - v0, 0, "malformed password: refused before the card");
		is_int(jp_emu_tries(c.e, 1), 4, "no try spent");
		/* a right password resets the counter */
		tt_run(&c, NOW_2027_06_01, pin, "status", "--sign", "--pin-stdin", NULL);
		is_int(jp_emu_tries(c.e, 1), 5, "the right password restores 5 tries");
	}
	tt_stop(&c);

	/* ---- validity: 200, 60, -1 days, not yet valid (re-dated certificates) ---- */
	o = dated(200, -365);
	tt_card(&c, 1, &o);
	tt_run(&c, now, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"state\": \"valid\"") && tt_has(c.out, "\"days_left\": 200,"),
	   "expires in 200 days: valid, days_left 200");
	is_int(c.rc, 0, "200 days: exit 0");
	tt_stop(&c);

	o = dated(60, -365);
	tt_card(&c, 1, &o);
	tt_run(&c, now, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"state\": \"renewal\"") && tt_has(c.out, "\"days_left\": 60,"),
	   "expires in 60 days: renewal, days_left 60");
	is_int(c.rc, 1, "renewal window: exit 1");
	{
		char rf[JP_DATE_LEN];
		jp_day_format(jp_day_minus_months(jp_jst_day(now) + 60, 3), rf);
		snprintf(want, sizeof(want), "\"renewal_from\": \"%s\"", rf);
		ok(tt_has(c.out, want), "renewal_from 3 months before the expiry day (%s)", rf);
	}
	tt_run(&c, now, NULL, "status", NULL);
	ok(tt_has(c.out, "renew it at your municipal office"), "human: renew it at your municipal office");
	tt_stop(&c);

	o = dated(-1, -365);
	tt_card(&c, 1, &o);
	tt_run(&c, now, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"state\": \"expired\"") && tt_has(c.out, "\"days_left\": -1,"),
	   "expired yesterday: expired, days_left -1");
	is_int(c.rc, 1, "expired: exit 1");
	tt_run(&c, now, NULL, "status", NULL);
	ok(tt_has(c.out, "EXPIRED on"), "human: EXPIRED on ...");
	tt_stop(&c);

	o = dated(1000, 10);
	tt_card(&c, 1, &o);
	tt_run(&c, now, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"state\": \"not-yet-valid\""), "valid from in 10 days: not-yet-valid");
	is_int(c.rc, 1, "not yet valid: exit 1");
	tt_stop(&c);

	/* ---- PINs: blocked, last try ---- */
	tt_card(&c, 1, NULL);
	/* SELECT AP, SELECT 0018, three wrong VERIFYs */
	tt_apdus(c.e, "00A4040C0AD392F000260100000001", "00A4020C020018",
	         "002000800430303030", "002000800430303030", "002000800430303030", NULL);
	is_int(jp_emu_tries(c.e, 0), 0, "(auth PIN blocked on the card)");
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"pin\": {\"tries_left\": 0, \"max\": 3, \"blocked\": true}"),
	   "blocked auth PIN: tries_left 0, blocked true");
	is_int(c.rc, 1, "blocked: exit 1");
	tt_run(&c, NOW_2027_06_01, NULL, "status", NULL);
	ok(tt_has(c.out, "BLOCKED: only your municipal office can reset it"), "human: only the municipal office");
	tt_stop(&c);

	tt_card(&c, 1, NULL);
	tt_apdus(c.e, "00A4040C0AD392F000260100000001", "00A4020C02001B",
	         "0020008006303030303041", "0020008006303030303041", "0020008006303030303041",
	         "0020008006303030303041", NULL);
	tt_run(&c, NOW_2027_06_01, NULL, "status", NULL);
	ok(tt_has(c.out, "1 of 5 tries left: one more mistake blocks it"), "last try of the password: warned");
	is_int(c.rc, 1, "one try left: exit 1");
	tt_stop(&c);

	/* ---- card kinds ---- */
	memset(&o, 0, sizeof(o));
	o.no_sign = JP_EMU_SIGN_NOT_FOUND;
	tt_card(&c, 2, &o);
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"sign\": {\"certificate\": \"absent\", \"state\": \"absent\", "
	                 "\"not_before\": null, \"not_after\": null, \"days_left\": null, "
	                 "\"renewal_from\": null, \"pin\": null}"),
	   "no signing key: sign certificate absent, pin null");
	is_int(c.rc, 0, "no signing key alone needs no action: exit 0");
	tt_run(&c, NOW_2027_06_01, NULL, "status", NULL);
	ok(tt_has(c.out, "Certificate for digital signature (署名用電子証明書): not on this card"),
	   "human: not on this card");
	tt_stop(&c);

	/* holder under 15 on some cards: no signing certificate, PIN file kept */
	memset(&o, 0, sizeof(o));
	o.no_sign = JP_EMU_SIGN_CERTS_ABSENT;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"sign\": {\"certificate\": \"absent\", \"state\": \"absent\"") &&
	   tt_has(c.out, "\"pin\": {\"tries_left\": 5, \"max\": 5, \"blocked\": false}}"),
	   "signing certificates absent, password file present: absent, pin 5/5");
	tt_stop(&c);

	/* smartphone tokens: the auth certificate needs the PIN there */
	memset(&o, 0, sizeof(o));
	o.kind = JP_EMU_ANDROID;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"card\": \"android\"") &&
	   tt_has(c.out, "\"auth\": {\"certificate\": \"present\", \"state\": \"unknown\""),
	   "Android token: card android, auth present, dates unknown without the PIN");
	is_int(jp_emu_verify_count(c.e), 0, "Android: no PIN sent");
	tt_run(&c, NOW_2027_06_01, NULL, "status", NULL);
	ok(tt_has(c.out, "smartphone certificate (Android)"), "human: smartphone certificate (Android)");
	tt_stop(&c);
	o.kind = JP_EMU_IPHONE;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"card\": \"iphone\""), "iPhone token: card iphone");
	is_int(c.rc, 0, "smartphone token: exit 0");
	tt_stop(&c);

	memset(&o, 0, sizeof(o));
	o.kind = JP_EMU_JUKI;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"card\": \"juki\", \"serial\": null, \"auth\": null, \"sign\": null"),
	   "住基カード: card juki, no certificates");
	is_int(c.rc, 1, "住基カード: exit 1 (get a My Number Card)");
	tt_stop(&c);

	o.kind = JP_EMU_NOT_JPKI;
	tt_card(&c, 1, &o);
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"card\": \"unknown\""), "not a JPKI card: unknown");
	is_int(c.rc, 2, "no JPKI card: exit 2");
	tt_stop(&c);

	tt_card(&c, 1, NULL);
	jp_emu_reader_eject(c.reader);
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--json", NULL);
	ok(tt_has(c.out, "\"card\": \"none\""), "empty reader: card none");
	is_int(c.rc, 2, "no card: exit 2");
	tt_stop(&c);

	tt_run(&c, NOW_2027_06_01, NULL, "status", NULL);
	is_int(c.rc, 2, "no reader: exit 2");
	ok(tt_has(c.err, "no card reader found"), "says no card reader found");

	tt_card(&c, 1, NULL);
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--reader", "Nonexistent", NULL);
	is_int(c.rc, 2, "--reader with an unknown name: exit 2");
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--reader", "Test Reader", "--json", NULL);
	ok(c.rc == 0 && tt_has(c.out, "\"card\": \"mynumber\""), "--reader by a unique part of the name");
	tt_run(&c, NOW_2027_06_01, NULL, "status", "--bogus", NULL);
	is_int(c.rc, 2, "unknown option: exit 2");
	tt_stop(&c);

	jp_crypto_fini();
	done_testing();
}
