/* Opening a card: My Number Card, the smartphone tokens, the old 住基カード
 * (refused), a card without the JPKI application; the APDUs it costs. */
#include "config.h"

#include "card-test.h"
#include "tests/tap.h"

int main(void)
{
	ct c;
	jp_emu_options o;
	jp_card_stats st;
	unsigned long n;

	/* My Number Card */
	CT_START(&c, 1, NULL);
	is_int(c.open_rc, JP_OK, "My Number Card opens");
	ok(c.card != NULL, "card object returned");
	is_int(jp_card_get_kind(c.card), JP_CARD_KIND_MYNUMBER, "kind: My Number Card");
	ok(strcmp(jp_card_label(c.card), "JPKIAPICCTOKEN2") == 0, "label without padding: '%s'",
	   jp_card_label(c.card));
	ok(jp_card_link(c.card) != NULL, "link accessor");
	n = jp_emu_apdu_count(c.e);
	is_int(n, 3, "identify costs 3 APDUs (SELECT AP, SELECT 0006, READ 32 bytes)");
	jp_card_get_stats(c.card, &st);
	is_int(st.apdus, n, "stats count the same APDUs as the card saw");
	is_int(st.bytes_out, jp_emu_bytes_in(c.e), "stats bytes out = card bytes in");
	is_int(st.bytes_in, jp_emu_bytes_out(c.e), "stats bytes in = card bytes out");
	is_int(jp_emu_verify_count(c.e), 0, "no VERIFY while identifying");
	ct_stop(&c);

	/* The old card: recognised, refused. */
	memset(&o, 0, sizeof(o));
	o.kind = JP_EMU_JUKI;
	CT_START(&c, 1, &o);
	is_int(c.open_rc, JP_E_JUKI_CARD, "住基カード refused with JP_E_JUKI_CARD");
	ok(c.card == NULL, "no card object for it");
	is_int(jp_emu_ins_count(c.e, 0x20), 0, "nobody asked for a PIN");
	ct_stop(&c);

	/* The smartphone tokens (doc/card.md §11) open, and say what they are. */
	{
		static const struct {
			jp_emu_kind emu;
			jp_card_kind kind;
			const char *label, *name;
			int phone;
		} kinds[] = {
			{ JP_EMU_MYNUMBER, JP_CARD_KIND_MYNUMBER, "JPKIAPICCTOKEN2", "My Number Card", 0 },
			{ JP_EMU_ANDROID, JP_CARD_KIND_ANDROID, "JPKIAPGPSETOKEN", "Android smartphone", 1 },
			{ JP_EMU_IPHONE, JP_CARD_KIND_IPHONE, "JPKIAPIOSTOKEN", "iPhone", 1 },
		};
		size_t i;
		int lo;

		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			for (lo = 0; lo < 2; lo++) {
				memset(&o, 0, sizeof(o));
				o.kind = kinds[i].emu;
				o.ef0006_label_only = lo;
				CT_START(&c, 1, &o);
				is_int(c.open_rc, JP_OK, "%s (EF 0006 %s) opens", kinds[i].label,
				       lo ? "32-byte label" : "160-byte record");
				is_int(jp_card_get_kind(c.card), kinds[i].kind, "%s: kind %d",
				       kinds[i].label, kinds[i].kind);
				ok(strcmp(jp_card_label(c.card), kinds[i].label) == 0,
				   "label '%s'", jp_card_label(c.card));
				ok(strcmp(jp_card_kind_name(jp_card_get_kind(c.card)),
				          kinds[i].name) == 0, "kind name '%s'",
				   jp_card_kind_name(jp_card_get_kind(c.card)));
				is_int(jp_card_is_smartphone(c.card), kinds[i].phone,
				       "%s: smartphone %d", kinds[i].label, kinds[i].phone);
				is_int(jp_emu_apdu_count(c.e), 3, "%s: 3 APDUs to open",
				       kinds[i].label);
				ct_stop(&c);
			}
		}
		is_int(jp_card_get_kind(NULL), JP_CARD_KIND_UNKNOWN, "kind of NULL: unknown");
		ok(strcmp(jp_card_kind_name(JP_CARD_KIND_UNKNOWN), "unknown") == 0,
		   "unknown kind named 'unknown'");
		is_int(jp_card_is_smartphone(NULL), 0, "NULL is no smartphone");
	}

	/* Not JPKI: SELECT of the AP fails. */
	o.kind = JP_EMU_NOT_JPKI;
	CT_START(&c, 1, &o);
	is_int(c.open_rc, JP_E_NOT_JPKI, "card without JPKI AP: JP_E_NOT_JPKI");
	ok(c.card == NULL, "no card object for it");
	is_int(jp_emu_apdu_count(c.e), 1, "one SELECT to find out");
	ct_stop(&c);

	/* A reset by someone else before we start: open still works. */
	CT_START(&c, 2, NULL);
	is_int(c.open_rc, JP_OK, "card 2 opens");
	jp_emu_reader_reset_by_other(c.reader, 0);
	is_int(jp_card_begin(c.card), JP_E_CARD_RESET, "begin after a reset: JP_E_CARD_RESET");
	is_int(jp_card_begin(c.card), JP_OK, "then begin works");
	is_int(jp_card_begin(c.card), JP_OK, "nested begin");
	jp_card_end(c.card);
	jp_card_end(c.card);
	jp_card_end(c.card);   /* one too many: harmless */
	ct_stop(&c);

	/* Arguments. */
	{
		jp_card *card = (jp_card *)&c;
		is_int(jp_card_open(NULL, &card), JP_E_ARGS, "open(NULL) refused");
		ok(card == NULL, "*out cleared");
		jp_card_close(NULL);
		jp_card_forget(NULL);
		ok(1, "close/forget(NULL) are no-ops");
	}
	done_testing();
}
