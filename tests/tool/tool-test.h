/* Helpers for the tool's card tier: emulated cards in in-process readers,
 * jpki's commands run in-process with their output captured. Header-only,
 * like tests/tap.h. */
#ifndef JPKI_TOOL_TEST_H
#define JPKI_TOOL_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "jpki/crypto.h"
#include "src/tool/tool.h"
#include "tests/emu/emu.h"
#include "tests/emu/emu-transport.h"

#define TT_READER "JPKI Test Reader 00 00"
#define TT_OUT_MAX 65536

typedef struct tt {
	jp_emu *e;
	int reader;
	char out[TT_OUT_MAX];
	char err[TT_OUT_MAX];
	int rc;
} tt;

/* A reader holding fixture card card_no with opts (NULL: defaults); the
 * emulator is tt->e. Exits on failure. */
static void tt_card(tt *c, int card_no, const jp_emu_options *opts) __attribute__((unused));
static void tt_card(tt *c, int card_no, const jp_emu_options *opts)
{
	memset(c, 0, sizeof(*c));
	c->e = jp_emu_new(jp_emu_fixture_dir(card_no), opts, NULL);
	c->reader = jp_emu_reader_add(TT_READER);
	if (c->e == NULL || c->reader < 0) {
		printf("Bail out! cannot set up the emulated card\n");
		exit(99);
	}
	jp_emu_reader_insert(c->reader, c->e);
}

static void tt_stop(tt *c) __attribute__((unused));
static void tt_stop(tt *c)
{
	jp_emu_readers_clear();
	jp_emu_free(c->e);
	c->e = NULL;
}

static void tt_slurp(FILE *f, char *buf)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, TT_OUT_MAX - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs "jpki ARGS..." (NULL-terminated) at instant now with stdin_text as
 * --pin-stdin's input (NULL: none). Output in c->out / c->err, exit
 * status in c->rc (also returned). */
static int tt_run(tt *c, int64_t now, const char *stdin_text, ...) __attribute__((unused, sentinel));
static int tt_run(tt *c, int64_t now, const char *stdin_text, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	jp_tool t;
	FILE *in = NULL;

	va_start(ap, stdin_text);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	memset(&t, 0, sizeof(t));
	t.out = tmpfile();
	t.err = tmpfile();
	t.now = now;
	t.tty = "/nonexistent/tty";
	if (stdin_text != NULL) {
		in = tmpfile();
		fputs(stdin_text, in);
		rewind(in);
		t.pin_in = in;
	}
	if (t.out == NULL || t.err == NULL) {
		printf("Bail out! tmpfile\n");
		exit(99);
	}
	c->rc = jp_tool_run(&t, argc, argv);
	fflush(t.out);
	fflush(t.err);
	tt_slurp(t.out, c->out);
	tt_slurp(t.err, c->err);
	if (in != NULL)
		fclose(in);
	return c->rc;
}

/* The module's serial for a fixture certificate, computed here with
 * OpenSSL's SHA-256 directly (not with the tool's code). */
static void tt_serial(const uint8_t *der, size_t len, char out[17]) __attribute__((unused));
static void tt_serial(const uint8_t *der, size_t len, char out[17])
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	int i;

	SHA256(der, len, h);
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02X", h[i]);
}

static int tt_has(const char *text, const char *want) __attribute__((unused));
static int tt_has(const char *text, const char *want)
{
	if (strstr(text, want) != NULL)
		return 1;
	printf("#   \"%s\" not found in:\n", want);
	printf("# %s\n", text);
	return 0;
}

/* Sends raw APDUs to the emulated card (hex strings), ignoring answers. */
static void tt_apdus(jp_emu *e, ...) __attribute__((unused, sentinel));
static void tt_apdus(jp_emu *e, ...)
{
	static uint8_t rsp[JP_EMU_RSP_MAX];
	uint8_t cmd[300];
	const char *hex;
	va_list ap;
	size_t n;

	jp_emu_power_on(e);
	va_start(ap, e);
	while ((hex = va_arg(ap, const char *)) != NULL) {
		for (n = 0; hex[2 * n] && hex[2 * n + 1] && n < sizeof(cmd); n++)
			sscanf(hex + 2 * n, "%2hhx", &cmd[n]);
		(void)jp_emu_apdu(e, cmd, n, rsp);
	}
	va_end(ap);
	jp_emu_power_off(e);
}

#endif
