/* jpki diagnose: a report for a bug report that is safe to paste in
 * public. Versions, readers, ATRs, what kind of card, which card behaviours
 * were seen (extended READ BINARY accepted or refused, the retry counters'
 * status words), and the APDU trace of a PIN-free look at the card. The
 * trace goes through the project's log redaction (src/common/log-apdu.c):
 * PIN bodies, data to sign, signatures and READ BINARY data (certificate
 * bodies, hence serial numbers and personal data) never appear. No PIN is
 * asked; the token serial is not printed. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "jpki/log.h"
#include "tool.h"

/* A look at the card that uses no PIN: what status reads. */
static void look(jp_tool *t, jp_readers *rd, size_t i)
{
	jp_card *card = NULL;
	jp_report r;
	jp_err e;

	memset(&r, 0, sizeof(r));
	e = jp_readers_card(rd, i, &card);
	if (e != JP_OK) {
		jp_report_unopened(&r, e);
		fprintf(t->out, "  card: %s (%s)\n", jp_kind_name(r.kind), jp_err_str(e));
		goto out;
	}
	e = jp_report_read(card, t->now, &r);
	fprintf(t->out, "  card: %s (label %s)\n", jp_kind_name(r.kind), jp_card_label(card));
	if (e != JP_OK)
		fprintf(t->out, "  error: %s\n", jp_err_str(e));
	fprintf(t->out, "  authentication certificate: %s, state %s\n",
	        jp_avail_name(r.key[JP_KEY_AUTH].cert),
	        jp_state_name(r.key[JP_KEY_AUTH].dates ? r.key[JP_KEY_AUTH].v.state
	                                              : JP_STATE_UNKNOWN));
	fprintf(t->out, "  signing key: %s\n", r.key[JP_KEY_SIGN].tries < 0 ? "absent" : "present");
	fprintf(t->out, "  tries left: auth %d/%d, sign %d/%d\n", r.key[JP_KEY_AUTH].tries,
	        r.key[JP_KEY_AUTH].max, r.key[JP_KEY_SIGN].tries, r.key[JP_KEY_SIGN].max);
out:
	jp_card_close(card);
}

/* The trace lines of the log file (APDUs only), and what they show. */
static void trace(jp_tool *t, const char *path)
{
	char line[2048];
	FILE *f = fopen(path, "r");
	int ext_ok = 0, ext_refused = 0, last_ext = 0, last_query = 0;
	char queries[64] = "";

	if (f == NULL)
		return;
	fputs("APDU trace (PINs, data to sign, signatures and file contents redacted):\n", t->out);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, " >> [");

		if (p == NULL)
			p = strstr(line, " << [");
		if (p == NULL)
			continue;
		fprintf(t->out, "  %s", p + 1);
		/* An extended READ BINARY: "00 B0 hi lo 00 Le Le" (7 bytes);
		 * a retry query: the empty VERIFY "00 20 00 80" (4 bytes). */
		if (strncmp(p + 1, ">> [7] 00 B0", 12) == 0) {
			last_ext = 1;
		} else if (strncmp(p + 1, ">> [4] 00 20 00 80", 18) == 0) {
			last_query = 1;
		} else if (strncmp(p + 1, ">>", 2) == 0) {
			last_ext = last_query = 0;
		} else {
			size_t n = strlen(p);
			while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' '))
				p[--n] = '\0';
			if (last_ext && n >= 5 && strcmp(p + n - 5, "90 00") == 0)
				ext_ok++;
			else if (last_ext)
				ext_refused++;
			/* The status word a retry query got: 63 Cn, or what this
			 * card says for a blocked PIN (63 C0, 69 84, 69 83). */
			if (last_query && n >= 5 && strlen(queries) + 8 < sizeof(queries))
				snprintf(queries + strlen(queries), sizeof(queries) - strlen(queries),
				         "%s%s", queries[0] ? ", " : "", p + n - 5);
			last_ext = last_query = 0;
		}
	}
	fclose(f);
	fprintf(t->out, "behaviours seen: extended READ BINARY %s\n",
	        ext_ok ? "accepted" : ext_refused ? "refused (short reads used)" : "not tried");
	fprintf(t->out, "behaviours seen: retry queries (empty VERIFY) answered %s\n",
	        queries[0] ? queries : "nothing (not asked)");
	fputs("behaviours seen: signing by short EF identifier not tried (it needs the PIN: "
	      "jpki probe tries it)\n", t->out);
}

int jp_cmd_diagnose(jp_tool *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	char path[] = "/tmp/jpki-diagnose.XXXXXX", spec[64];
	const char *reader = NULL;
	jp_readers rd;
	size_t i, k;
	int c, fd = -1, rc = JP_EXIT_ERROR;
	jp_err e;

	memset(&rd, 0, sizeof(rd));
	optind = 0;
	while ((c = getopt_long(argc, argv, "r:", longopts, NULL)) != -1) {
		if (c == 'r')
			reader = optarg;
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	fd = mkstemp(path);
	if (fd < 0)
		goto out;
	close(fd);
	if (snprintf(spec, sizeof(spec), "level:%d,file:", JP_LOG_TRACE) < 0)
		goto out;
	{
		char full[sizeof(spec) + sizeof(path)];
		snprintf(full, sizeof(full), "%s%s", spec, path);
		jp_log_configure(full);
	}
	fputs("jpki diagnose: no PIN, signature, certificate or serial number appears below.\n",
	      t->out);
	fprintf(t->out, "version: %s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	fprintf(t->out, "OpenSSL: %s\n", OpenSSL_version(OPENSSL_VERSION));
	e = jp_readers_open(&rd);
	fprintf(t->out, "transport: %s (%s)\n", jp_transport_default_ops()->name,
	        e == JP_OK ? "ok" : jp_err_str(e));
	fprintf(t->out, "readers: %zu\n", rd.count);
	for (i = 0; i < rd.count; i++) {
		if (reader != NULL && jp_readers_pick(&rd, reader) != (long)i)
			continue;
		fprintf(t->out, "reader %zu: ", i);
		jp_json_str(t->out, rd.list[i].name);
		fprintf(t->out, " card %s\n", rd.list[i].present ? "present" : "absent");
		if (!rd.list[i].present)
			continue;
		fputs("  ATR:", t->out);
		for (k = 0; k < rd.list[i].atr_len; k++)
			fprintf(t->out, " %02X", rd.list[i].atr[k]);
		fputc('\n', t->out);
		look(t, &rd, i);
	}
	jp_log_shutdown();
	jp_log_configure("level:0");
	trace(t, path);
	rc = rd.count > 0 ? JP_EXIT_OK : JP_EXIT_ERROR;
	goto out;
usage:
	fputs(_("usage: jpki diagnose [--reader NAME]\n"), t->err);
out:
	if (fd >= 0)
		unlink(path);
	jp_readers_close(&rd);
	return rc;
}
