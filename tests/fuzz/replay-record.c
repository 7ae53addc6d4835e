/* Records seed inputs for fuzz-apdu-response: runs fuzz_card_scenario
 * against the card emulator core (tests/emu) and writes every response it
 * gives in the replay format (replay-transport.h). Used by make-corpus.sh.
 *   replay-record OUT CARD_DIR [OPTION...]
 * options: no-extended filler=N juki not-jpki no-sign=notfound|denied|empty
 *          blocked blocked-6984 fail=N garble=N short=N drop=N remove=N */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/transport.h"
#include "tests/emu/emu.h"
#include "fuzz.h"

typedef struct rec_link {
	jp_link base;
	jp_emu *emu;
	FILE *out;
} rec_link;

static uint8_t rec_buf[JP_EMU_RSP_MAX];

static void put2(FILE *f, unsigned v)
{
	fputc((int)((v >> 8) & 0xFF), f);
	fputc((int)(v & 0xFF), f);
}

static jp_err rec_transmit(jp_link *l, const uint8_t *cmd, size_t cmd_len,
                           uint8_t *rsp, size_t *rsp_len)
{
	rec_link *r = (rec_link *)l;
	long n = jp_emu_apdu(r->emu, cmd, cmd_len, rec_buf);
	jp_err rc = JP_OK;

	/* Error codes: replay-transport.c's table (0 transport, 1 no card). */
	if (n < 0) {
		rc = jp_emu_removed(r->emu) ? JP_E_NO_CARD : JP_E_TRANSPORT;
		put2(r->out, rc == JP_E_NO_CARD ? 0x8001u : 0x8000u);
	} else if ((size_t)n > *rsp_len || n >= 0x8000) {
		rc = JP_E_TRANSPORT;
		put2(r->out, 0x8000u);
	} else {
		put2(r->out, (unsigned)n);
		fwrite(rec_buf, 1, (size_t)n, r->out);
		memcpy(rsp, rec_buf, (size_t)n);
		*rsp_len = (size_t)n;
	}
	return rc;
}

static jp_err rec_ok(jp_link *l) { return JP_OK; }

static jp_err rec_unpower(jp_link *l)
{
	rec_link *r = (rec_link *)l;
	jp_emu_power_off(r->emu);
	jp_emu_power_on(r->emu);
	return JP_OK;
}

static void rec_disconnect(jp_link *l) { (void)l; }

static const jp_transport_ops rec_ops = {
	.name = "record",
	.disconnect = rec_disconnect,
	.forget_link = rec_disconnect,
	.transmit = rec_transmit,
	.begin = rec_ok,
	.end = rec_ok,
	.unpower = rec_unpower,
	.status = rec_ok,
};

static int parse_opt(const char *a, jp_emu_options *o, int *blocked)
{
	int rc = 0;
	unsigned long v = 0;
	const char *eq = strchr(a, '=');

	if (eq != NULL)
		v = strtoul(eq + 1, NULL, 10);
	if (strcmp(a, "no-extended") == 0) o->no_extended = 1;
	else if (strncmp(a, "filler=", 7) == 0) o->cert_filler = v;
	else if (strcmp(a, "juki") == 0) o->kind = JP_EMU_JUKI;
	else if (strcmp(a, "not-jpki") == 0) o->kind = JP_EMU_NOT_JPKI;
	else if (strcmp(a, "no-sign=notfound") == 0) o->no_sign = JP_EMU_SIGN_NOT_FOUND;
	else if (strcmp(a, "no-sign=denied") == 0) o->no_sign = JP_EMU_SIGN_DENIED;
	else if (strcmp(a, "no-sign=empty") == 0) o->no_sign = JP_EMU_SIGN_EMPTY;
	else if (strcmp(a, "blocked") == 0) *blocked = 1;
	else if (strcmp(a, "blocked-6984") == 0) { *blocked = 1; o->blocked_query_sw = 0x6984; }
	else if (strncmp(a, "fail=", 5) == 0) o->fail_nth = v;
	else if (strncmp(a, "garble=", 7) == 0) o->garble_nth = v;
	else if (strncmp(a, "short=", 6) == 0) o->short_nth = v;
	else if (strncmp(a, "drop=", 5) == 0) o->drop_nth = v;
	else if (strncmp(a, "remove=", 7) == 0) o->remove_nth = v;
	else rc = -1;
	return rc;
}

int main(int argc, char **argv)
{
	jp_emu_options o;
	rec_link r;
	int i, blocked = 0;
	unsigned long base;

	memset(&o, 0, sizeof(o));
	if (argc < 3) {
		fprintf(stderr, "usage: %s OUT CARD_DIR [OPTION...]\n", argv[0]);
		return 2;
	}
	for (i = 3; i < argc; i++)
		if (parse_opt(argv[i], &o, &blocked) != 0) {
			fprintf(stderr, "%s: unknown option %s\n", argv[0], argv[i]);
			return 2;
		}
	memset(&r, 0, sizeof(r));
	r.base.ops = &rec_ops;
	/* Faults count APDUs from creation: create without them, block the
	 * PIN if asked (unrecorded), then arm them relative to the scenario. */
	{
		jp_emu_options plain = o;
		plain.fail_nth = plain.garble_nth = plain.short_nth = 0;
		plain.drop_nth = plain.remove_nth = 0;
		r.emu = jp_emu_new(argv[2], &plain, NULL);
	}
	if (r.emu == NULL) {
		fprintf(stderr, "%s: cannot load card %s\n", argv[0], argv[2]);
		return 1;
	}
	jp_emu_power_on(r.emu);
	if (blocked) {
		/* SELECT the AP, then wrong VERIFYs on the auth PIN until blocked. */
		static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0,
			0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };
		static const uint8_t sel_pin[] = { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18 };
		static const uint8_t bad[] = { 0x00, 0x20, 0x00, 0x80, 0x04, '0', '0', '0', '0' };
		jp_emu_apdu(r.emu, sel, sizeof(sel), rec_buf);
		jp_emu_apdu(r.emu, sel_pin, sizeof(sel_pin), rec_buf);
		for (i = 0; i < 3; i++)
			jp_emu_apdu(r.emu, bad, sizeof(bad), rec_buf);
		if (jp_emu_tries(r.emu, 0) != 0)
			fprintf(stderr, "%s: warning: auth PIN not blocked\n", argv[0]);
	}
	base = jp_emu_apdu_count(r.emu);
	{
		jp_emu_options *cur = jp_emu_opts(r.emu);
		cur->fail_nth = o.fail_nth ? base + o.fail_nth : 0;
		cur->garble_nth = o.garble_nth ? base + o.garble_nth : 0;
		cur->short_nth = o.short_nth ? base + o.short_nth : 0;
		cur->drop_nth = o.drop_nth ? base + o.drop_nth : 0;
		cur->remove_nth = o.remove_nth ? base + o.remove_nth : 0;
	}
	r.out = fopen(argv[1], "wb");
	if (r.out == NULL) {
		perror(argv[1]);
		return 1;
	}
	fuzz_card_scenario(&r.base);
	fclose(r.out);
	fprintf(stderr, "%s: %lu APDUs, %lu signatures\n", argv[1], jp_emu_apdu_count(r.emu) - base,
	        jp_emu_sign_count(r.emu));
	jp_emu_free(r.emu);
	return 0;
}
