/* jpki status: each reader's card, its certificates' validity in Japan's
 * calendar, the tries left of both PINs (read without using one), and what
 * to do about it. Human text for the holder, --json for scripts (the shape
 * is documented in jpki(1)). Exit status: 0 nothing to do, 1 something
 * needs the holder's action, 2 no reader / no card / an error. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/mem.h"
#include "tool.h"

typedef struct status_opts {
	const char *reader;
	int json;
	int sign;              /* ask the signing password for the signing certificate */
	int show_personal;
} status_opts;

/* ---- human output ---- */

static const char *kind_text(jp_kind k)
{
	switch (k) {
	case JP_KIND_NONE: return _("no card");
	case JP_KIND_MYNUMBER: return _("My Number Card");
	case JP_KIND_ANDROID: return _("smartphone certificate (Android)");
	case JP_KIND_IPHONE: return _("smartphone certificate (iPhone)");
	case JP_KIND_JUKI: return _("old Basic Resident Registration card (住基カード)");
	case JP_KIND_UNKNOWN: break;
	}
	return _("not a JPKI card");
}

static const char *state_text(jp_state s)
{
	switch (s) {
	case JP_STATE_VALID: return _("valid");
	case JP_STATE_RENEWAL: return _("valid, renewal period");
	case JP_STATE_EXPIRED: return _("expired");
	case JP_STATE_NOT_YET_VALID: return _("not yet valid");
	case JP_STATE_ABSENT: return _("not on this card");
	case JP_STATE_UNKNOWN: break;
	}
	return _("not known");
}

static void print_validity(jp_tool *t, const jp_key_report *kr)
{
	char nb[JP_DATE_LEN], na[JP_DATE_LEN], rf[JP_DATE_LEN];
	long long left = (long long)kr->v.days_left;

	jp_day_format(kr->v.not_before_day, nb);
	jp_day_format(kr->v.not_after_day, na);
	jp_day_format(kr->v.renewal_from_day, rf);
	switch (kr->v.state) {
	case JP_STATE_VALID:
		fprintf(t->out, ngettext("    valid until %s (%lld day left)\n",
		                         "    valid until %s (%lld days left)\n",
		                         (unsigned long)left), na, left);
		fprintf(t->out, _("    renewal at your municipal office possible from %s\n"), rf);
		break;
	case JP_STATE_RENEWAL:
		fprintf(t->out, ngettext("    expires on %s (%lld day left)\n",
		                         "    expires on %s (%lld days left)\n",
		                         (unsigned long)left), na, left);
		fprintf(t->out, _("    renew it at your municipal office (possible since %s)\n"), rf);
		break;
	case JP_STATE_EXPIRED:
		fprintf(t->out, _("    EXPIRED on %s: renew it at your municipal office\n"), na);
		break;
	case JP_STATE_NOT_YET_VALID:
		fprintf(t->out, _("    not valid before %s (check the computer's clock)\n"), nb);
		break;
	case JP_STATE_ABSENT:
	case JP_STATE_UNKNOWN:
		break;
	}
	if (kr->v.state != JP_STATE_NOT_YET_VALID)
		fprintf(t->out, _("    validity (JST): %s to %s\n"), nb, na);
}

static void print_pin(jp_tool *t, jp_key key, const jp_key_report *kr)
{
	fputs(key == JP_KEY_AUTH ? _("  PIN for user authentication (4 digits): ")
	                         : _("  PIN for digital signature (6-16 letters and digits): "),
	      t->out);
	if (kr->tries == 0) {
		fputs(key == JP_KEY_AUTH
		      ? _("BLOCKED: only your municipal office can reset it (bring the card)\n")
		      : _("BLOCKED: reset it at your municipal office, or at a convenience-store "
		          "kiosk with the authentication PIN\n"), t->out);
	} else if (kr->tries == 1) {
		fprintf(t->out, _("%d of %d tries left: one more mistake blocks it\n"),
		        kr->tries, kr->max);
	} else {
		fprintf(t->out, _("%d of %d tries left\n"), kr->tries, kr->max);
	}
}

static void print_key(jp_tool *t, jp_key key, const jp_key_report *kr)
{
	fputs(key == JP_KEY_AUTH ? _("  Certificate for user authentication (利用者証明用電子証明書): ")
	                         : _("  Certificate for digital signature (署名用電子証明書): "),
	      t->out);
	if (kr->cert == JP_AVAIL_ABSENT) {
		fputs(_("not on this card\n"), t->out);
	} else if (!kr->dates) {
		fputs(kr->cert == JP_AVAIL_PRESENT ? _("present\n") : _("not known\n"), t->out);
		if (key == JP_KEY_SIGN)
			fputs(_("    its dates need the signing password: jpki status --sign\n"),
			      t->out);
		else
			fputs(_("    on a smartphone its dates need the PIN\n"), t->out);
	} else {
		fprintf(t->out, "%s\n", state_text(kr->v.state));
		print_validity(t, kr);
	}
	if (kr->tries >= 0)
		print_pin(t, key, kr);
}

static void print_human(jp_tool *t, const jp_report *r)
{
	fprintf(t->out, _("Reader: %s\n"), r->reader);
	fprintf(t->out, _("  Card: %s\n"), kind_text(r->kind));
	if (r->kind == JP_KIND_JUKI)
		fputs(_("  Its certificates all expired by 2018-12-21: apply for a My Number Card "
		        "at your municipal office.\n"), t->out);
	if (r->err != JP_OK) {
		fprintf(t->out, _("  Error: %s\n"), jp_err_message(r->err));
		return;
	}
	if (r->kind == JP_KIND_NONE || r->kind == JP_KIND_UNKNOWN || r->kind == JP_KIND_JUKI)
		return;
	if (r->serial[0])
		fprintf(t->out, _("  Serial number: %s\n"), r->serial);
	print_key(t, JP_KEY_AUTH, &r->key[JP_KEY_AUTH]);
	print_key(t, JP_KEY_SIGN, &r->key[JP_KEY_SIGN]);
}

/* ---- JSON ---- */

static void json_date(FILE *f, int known, int64_t day)
{
	char d[JP_DATE_LEN];

	if (!known) {
		fputs("null", f);
		return;
	}
	jp_day_format(day, d);
	jp_json_str(f, d);
}

static void json_key(FILE *f, const jp_key_report *kr)
{
	jp_state st = kr->cert == JP_AVAIL_ABSENT ? JP_STATE_ABSENT :
	              kr->dates ? kr->v.state : JP_STATE_UNKNOWN;

	fprintf(f, "{\"certificate\": \"%s\", \"state\": \"%s\", \"not_before\": ",
	        jp_avail_name(kr->cert), jp_state_name(st));
	json_date(f, kr->dates, kr->v.not_before_day);
	fputs(", \"not_after\": ", f);
	json_date(f, kr->dates, kr->v.not_after_day);
	if (kr->dates)
		fprintf(f, ", \"days_left\": %" PRId64 ", \"renewal_from\": ", kr->v.days_left);
	else
		fputs(", \"days_left\": null, \"renewal_from\": ", f);
	json_date(f, kr->dates, kr->v.renewal_from_day);
	fputs(", \"pin\": ", f);
	if (kr->tries < 0)
		fputs("null", f);
	else
		fprintf(f, "{\"tries_left\": %d, \"max\": %d, \"blocked\": %s}", kr->tries, kr->max,
		        kr->tries == 0 ? "true" : "false");
	fputc('}', f);
}

static void print_json(jp_tool *t, const jp_report *r, int first)
{
	FILE *f = t->out;
	int readable = r->err == JP_OK && (r->kind == JP_KIND_MYNUMBER ||
	                                   r->kind == JP_KIND_ANDROID || r->kind == JP_KIND_IPHONE);

	fputs(first ? "" : ", ", f);
	fputs("{\"reader\": ", f);
	jp_json_str(f, r->reader);
	fprintf(f, ", \"card\": \"%s\", \"serial\": ", jp_kind_name(r->kind));
	if (readable && r->serial[0])
		jp_json_str(f, r->serial);
	else
		fputs("null", f);
	fputs(", \"auth\": ", f);
	if (readable)
		json_key(f, &r->key[JP_KEY_AUTH]);
	else
		fputs("null", f);
	fputs(", \"sign\": ", f);
	if (readable)
		json_key(f, &r->key[JP_KEY_SIGN]);
	else
		fputs("null", f);
	fprintf(f, ", \"needs_action\": %s", jp_report_needs_action(r) ? "true" : "false");
	if (r->err != JP_OK) {
		fputs(", \"error\": ", f);
		jp_json_str(f, jp_err_str(r->err));
	}
	fputc('}', f);
}

/* ---- the signing certificate behind its password ---- */

static jp_err read_sign(jp_tool *t, jp_card *card, jp_report *r)
{
	char pin[JP_PIN_BUF];
	char prompt[JP_READER_NAME_MAX + 128];
	size_t len = 0;
	int tries = -1;
	jp_err e = JP_OK;

	if (r->key[JP_KEY_SIGN].tries <= 0)
		goto out;   /* no signing key, or blocked: nothing to ask */
	if (r->key[JP_KEY_SIGN].tries == 1 &&
	    !jp_ask_yes(t, _("Only ONE try is left for the signing password: a mistake blocks it. "
	                     "Continue? [y/N] "))) {
		e = JP_E_CANCELLED;
		goto out;
	}
	snprintf(prompt, sizeof(prompt), _("Signing password for the card in %s: "), r->reader);
	if (jp_pin_read(t, prompt, pin, &len) != 0) {
		e = JP_E_CANCELLED;
		goto out;
	}
	e = jp_card_verify(card, JP_KEY_SIGN, (const uint8_t *)pin, len, &tries);
	if (e == JP_OK) {
		e = jp_report_read_sign(card, t->now, r);
		(void)jp_card_unverify(card);
	} else if (e == JP_E_PIN_INCORRECT) {
		r->key[JP_KEY_SIGN].tries = tries;
	} else if (e == JP_E_PIN_LOCKED) {
		r->key[JP_KEY_SIGN].tries = 0;
	}
out:
	jp_wipe(pin, sizeof(pin));
	if (e != JP_OK && e != JP_E_CANCELLED)
		fprintf(t->err, "jpki: %s\n", jp_err_message(e));
	return e;
}

/* ---- the command ---- */

static int parse(int argc, char **argv, status_opts *o, jp_tool *t)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "sign", no_argument, NULL, 's' },
		{ "show-personal", no_argument, NULL, 'p' },
		{ "pin-stdin", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, "r:", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->reader = optarg; break;
		case 'j': o->json = 1; break;
		case 's': o->sign = 1; break;
		case 'p': o->show_personal = o->sign = 1; break;
		case 'i': if (t->pin_in == NULL) t->pin_in = stdin; break;
		default:
			fprintf(t->err, _("usage: jpki status [--reader NAME] [--json] [--sign]\n"));
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(t->err, _("usage: jpki status [--reader NAME] [--json] [--sign]\n"));
		return -1;
	}
	return 0;
}

int jp_cmd_status(jp_tool *t, int argc, char **argv)
{
	status_opts o;
	jp_readers rd;
	jp_report *reps = NULL;
	size_t i, n = 0;
	long only = -1;
	int rc = JP_EXIT_ERROR, jpki_cards = 0, action = 0, errors = 0;
	jp_err e;

	memset(&rd, 0, sizeof(rd));
	if (parse(argc, argv, &o, t) != 0)
		goto out;
	e = jp_readers_open(&rd);
	if (e != JP_OK) {
		fprintf(t->err, "jpki: %s\n", jp_err_message(e));
		goto out;
	}
	if (rd.count == 0) {
		fputs(_("jpki: no card reader found\n"), t->err);
		goto out;
	}
	if (o.reader != NULL) {
		only = jp_readers_pick(&rd, o.reader);
		if (only < 0) {
			fprintf(t->err, _("jpki: no reader named \"%s\"\n"), o.reader);
			goto out;
		}
	}
	reps = calloc(rd.count, sizeof(*reps));
	if (reps == NULL)
		goto out;
	for (i = 0; i < rd.count; i++) {
		jp_report *r = &reps[n];
		jp_card *card = NULL;

		if (only >= 0 && (size_t)only != i)
			continue;
		n++;
		snprintf(r->reader, sizeof(r->reader), "%s", rd.list[i].name);
		e = rd.list[i].present ? jp_readers_card(&rd, i, &card) : JP_E_NO_CARD;
		if (e != JP_OK) {
			jp_report_unopened(r, e);
		} else {
			e = jp_report_read(card, t->now, r);
			if (e == JP_OK && o.sign)
				(void)read_sign(t, card, r);
			jp_card_close(card);
		}
		if (r->kind != JP_KIND_NONE && r->kind != JP_KIND_UNKNOWN)
			jpki_cards++;
		if (r->err != JP_OK)
			errors++;
		else if (jp_report_needs_action(r))
			action = 1;
	}
	if (o.json)
		fputs("{\"readers\": [", t->out);
	for (i = 0; i < n; i++) {
		if (o.json)
			print_json(t, &reps[i], i == 0);
		else
			print_human(t, &reps[i]);
	}
	if (o.json)
		fputs("]}\n", t->out);
	if (jpki_cards == 0 && !o.json)
		fputs(_("jpki: no My Number Card found\n"), t->err);
	if (jpki_cards > 0 && errors == 0)
		rc = action ? JP_EXIT_ACTION : JP_EXIT_OK;
out:
	free(reps);
	jp_readers_close(&rd);
	return rc;
}
