/* jpki change-pin auth|sign: the current PIN once, the new one twice,
 * every one checked against the card's rules (jp_pin_normalize, the same
 * check the module makes) before the card sees anything; the tries left
 * shown first, a confirmation when only one is left; one attempt, never a
 * retry (a blocked PIN means a visit to the municipal office: doc/card.md
 * §4). Every PIN buffer is wiped before return. Exit status: 0 changed,
 * 1 refused (wrong, blocked, malformed, mismatch, not confirmed), 2 errors. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "jpki/mem.h"
#include "tool.h"

typedef struct pins {
	char cur[JP_PIN_BUF], new1[JP_PIN_BUF], new2[JP_PIN_BUF];
	uint8_t norm1[JP_PIN_MAX], norm2[JP_PIN_MAX];
	size_t cur_len, new1_len, new2_len, norm1_len, norm2_len;
} pins;

static void rules(jp_tool *t, jp_key key)
{
	fputs(key == JP_KEY_AUTH ? _("The PIN for user authentication is exactly 4 digits.\n")
	                         : _("The PIN for digital signature is 6 to 16 characters: letters "
	                             "A-Z and digits 0-9, at least one of each.\n"), t->err);
}

/* The policy check alone: no APDU. */
static int well_formed(jp_tool *t, jp_key key, const char *pin, size_t len, uint8_t *norm,
                       size_t *norm_len, const char *which)
{
	jp_err e = JP_E_PIN_LEN_RANGE;

	if (len <= JP_PIN_MAX)
		e = jp_pin_normalize(key, (const uint8_t *)pin, len, norm, norm_len);
	if (e != JP_OK) {
		fprintf(t->err, _("jpki: the %s is not valid: %s. Nothing was sent to the card.\n"),
		        which, jp_err_message(e));
		rules(t, key);
	}
	return e == JP_OK;
}

static void show_tries(jp_tool *t, jp_key key, int tries)
{
	fprintf(t->err, key == JP_KEY_AUTH ? _("PIN for user authentication: %d of %d tries left\n")
	                                   : _("PIN for digital signature: %d of %d tries left\n"),
	        tries, jp_pin_max_tries(key));
}

static int change(jp_tool *t, jp_card *card, jp_key key)
{
	pins p;
	int tries = -1, rc = JP_EXIT_ERROR;
	jp_err e;

	memset(&p, 0, sizeof(p));
	e = jp_card_pin_tries(card, key, &tries);
	if (e == JP_E_NO_KEY) {
		fputs(_("jpki: this card has no certificate for digital signature\n"), t->err);
		goto out;
	}
	if (e != JP_OK) {
		fprintf(t->err, "jpki: %s\n", jp_err_message(e));
		goto out;
	}
	show_tries(t, key, tries);
	rc = JP_EXIT_ACTION;
	if (tries == 0) {
		fputs(key == JP_KEY_AUTH
		      ? _("jpki: the PIN is blocked: only your municipal office can reset it\n")
		      : _("jpki: the PIN is blocked: reset it at your municipal office, or at a "
		          "convenience-store kiosk with the authentication PIN\n"), t->err);
		goto out;
	}
	if (tries == 1 && !jp_ask_yes(t, _("Only ONE try is left: a wrong current PIN blocks it. "
	                                   "Continue? [y/N] "))) {
		fputs(_("jpki: nothing was changed\n"), t->err);
		goto out;
	}
	if (jp_pin_read(t, _("Current PIN: "), p.cur, &p.cur_len) != 0 ||
	    !well_formed(t, key, p.cur, p.cur_len, p.norm1, &p.norm1_len, _("current PIN")))
		goto out;
	if (jp_pin_read(t, _("New PIN: "), p.new1, &p.new1_len) != 0 ||
	    !well_formed(t, key, p.new1, p.new1_len, p.norm1, &p.norm1_len, _("new PIN")))
		goto out;
	if (jp_pin_read(t, _("New PIN again: "), p.new2, &p.new2_len) != 0 ||
	    !well_formed(t, key, p.new2, p.new2_len, p.norm2, &p.norm2_len, _("new PIN")))
		goto out;
	/* Compared as the card would receive them (upper-cased password). */
	if (p.norm1_len != p.norm2_len || memcmp(p.norm1, p.norm2, p.norm1_len) != 0) {
		fputs(_("jpki: the two new PINs differ. Nothing was sent to the card.\n"), t->err);
		goto out;
	}
	e = jp_card_change_pin(card, key, (const uint8_t *)p.cur, p.cur_len,
	                       (const uint8_t *)p.new1, p.new1_len, &tries);
	if (e == JP_OK) {
		fputs(_("The PIN was changed.\n"), t->out);
		rc = JP_EXIT_OK;
	} else if (e == JP_E_PIN_INCORRECT) {
		fprintf(t->err, _("jpki: wrong current PIN; %d tries left. Nothing was changed.\n"),
		        tries);
	} else if (e == JP_E_PIN_LOCKED) {
		fputs(_("jpki: wrong current PIN: the PIN is now blocked. Only your municipal "
		        "office can reset it.\n"), t->err);
	} else {
		fprintf(t->err, "jpki: %s\n", jp_err_message(e));
		rc = JP_EXIT_ERROR;
	}
	/* Leave the card unverified (doc/card.md §6). */
	(void)jp_card_unverify(card);
out:
	jp_wipe(&p, sizeof(p));
	return rc;
}

int jp_cmd_change_pin(jp_tool *t, int argc, char **argv)
{
	const char *reader = NULL;
	jp_readers rd;
	jp_card *card = NULL;
	jp_key key;
	size_t idx = 0;
	int rc = JP_EXIT_ERROR;

	memset(&rd, 0, sizeof(rd));
	if (jp_pin_command_opts(t, argc, argv, &reader) != 0 || optind + 1 != argc)
		goto usage;
	if (strcmp(argv[optind], "auth") == 0)
		key = JP_KEY_AUTH;
	else if (strcmp(argv[optind], "sign") == 0)
		key = JP_KEY_SIGN;
	else
		goto usage;
	if (jp_open_one(t, &rd, reader, &card, &idx) == JP_OK)
		rc = change(t, card, key);
	goto out;
usage:
	fputs(_("usage: jpki change-pin auth|sign [--reader NAME] [--pin-stdin]\n"), t->err);
out:
	jp_card_close(card);
	jp_readers_close(&rd);
	return rc;
}
