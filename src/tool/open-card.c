/* The one card a command works on: --reader NAME, or the first reader
 * with a card. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include <string.h>

#include "tool.h"

jp_err jp_open_one(jp_tool *t, jp_readers *rd, const char *reader, jp_card **card, size_t *idx)
{
	long i;
	jp_err e;

	*card = NULL;
	e = jp_readers_open(rd);
	if (e != JP_OK)
		goto out;
	if (rd->count == 0) {
		fputs(_("jpki: no card reader found\n"), t->err);
		e = JP_E_NO_READER;
		goto out;
	}
	i = jp_readers_pick(rd, reader);
	if (i < 0) {
		if (reader != NULL)
			fprintf(t->err, _("jpki: no reader named \"%s\"\n"), reader);
		else
			fputs(_("jpki: no card in any reader\n"), t->err);
		e = JP_E_NO_CARD;
		goto out;
	}
	*idx = (size_t)i;
	e = jp_readers_card(rd, (size_t)i, card);
	if (e != JP_OK)
		fprintf(t->err, "jpki: %s: %s\n", rd->list[i].name, jp_err_message(e));
out:
	return e;
}

int jp_pin_command_opts(jp_tool *t, int argc, char **argv, const char **reader)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "pin-stdin", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = 0;

	*reader = NULL;
	optind = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "r:", longopts, NULL)) != -1) {
		if (c == 'r')
			*reader = optarg;
		else if (c == 'i' && t->pin_in == NULL)
			t->pin_in = stdin;
		else if (c != 'i')
			rc = -1;
	}
	return rc;
}
