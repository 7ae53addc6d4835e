/* jp_transport_transmit over a scripted fake backend: 61xx → GET RESPONSE
 * chains, 6Cxx → one resend with the right Le, bounds (never write past the
 * caller's buffer, hostile chains end), error propagation, and that
 * READ BINARY data and PIN bodies stay out of the log. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jpki/log.h"
#include "jpki/transport.h"
#include "tests/tap.h"

/* ---- the fake backend ---- */

#define MAX_STEPS 300

typedef struct step {
	uint8_t rsp[300];
	size_t rsp_len;
	jp_err err;
	int lie;                 /* claim one byte more than the buffer holds */
} step;

static step script[MAX_STEPS];
static size_t script_len, script_pos;
static int repeat_last;        /* keep answering the last step forever */
static uint8_t sent[MAX_STEPS][JP_CMD_MAX];
static size_t sent_len[MAX_STEPS];
static size_t sent_count;
static const uint8_t *last_cmd;  /* where the last command was (transmit's copy) */

static void reset_script(void)
{
	memset(script, 0, sizeof(script));
	script_len = script_pos = sent_count = 0;
	repeat_last = 0;
}

/* Adds a scripted answer given as hex ("AA BB 90 00"). */
static void answer(const char *hex)
{
	step *s = &script[script_len++];
	unsigned v;
	int used;

	while (sscanf(hex, " %2x%n", &v, &used) == 1) {
		s->rsp[s->rsp_len++] = (uint8_t)v;
		hex += used;
	}
}

static void answer_bytes(size_t data_len, uint8_t fill, uint8_t sw1, uint8_t sw2)
{
	step *s = &script[script_len++];

	memset(s->rsp, fill, data_len);
	s->rsp[data_len] = sw1;
	s->rsp[data_len + 1] = sw2;
	s->rsp_len = data_len + 2;
}

static void answer_err(jp_err e)
{
	script[script_len++].err = e;
}

static jp_err fake_transmit(jp_link *l, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                            size_t *rsp_len)
{
	step *s;

	(void)l;
	last_cmd = cmd;
	if (sent_count < MAX_STEPS) {
		memcpy(sent[sent_count], cmd, cmd_len);
		sent_len[sent_count] = cmd_len;
	}
	sent_count++;
	if (script_pos >= script_len) {
		if (!repeat_last || script_len == 0)
			return JP_E_INTERNAL;
		script_pos = script_len - 1;
	}
	s = &script[script_pos++];
	if (s->err != JP_OK)
		return s->err;
	if (s->lie) {
		*rsp_len += 1;
		return JP_OK;
	}
	/* Like SCardTransmit: a response that does not fit is an error. */
	if (s->rsp_len > *rsp_len)
		return JP_E_BAD_RESPONSE;
	memcpy(rsp, s->rsp, s->rsp_len);
	*rsp_len = s->rsp_len;
	return JP_OK;
}

static const jp_transport_ops fake_ops = {
	.name = "fake",
	.transmit = fake_transmit,
};

static jp_link fake_link = { &fake_ops, NULL };

static size_t hex(uint8_t *out, const char *h)
{
	size_t n = 0;
	unsigned v;
	int used;

	while (sscanf(h, " %2x%n", &v, &used) == 1) {
		out[n++] = (uint8_t)v;
		h += used;
	}
	return n;
}

static int sent_is(size_t i, const char *h)
{
	uint8_t want[JP_CMD_MAX];
	size_t n = hex(want, h);

	return i < sent_count && sent_len[i] == n && memcmp(sent[i], want, n) == 0;
}

/* ---- tests ---- */

static void test_plain(void)
{
	uint8_t cmd[JP_CMD_MAX], rsp[64];
	size_t cl, rl = sizeof(rsp);
	jp_err rc;

	reset_script();
	answer("90 00");
	cl = hex(cmd, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01");
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	is_int(rc, JP_OK, "plain: SELECT AP ok");
	is_int(rl, 2, "plain: 2 bytes back");
	ok(rsp[0] == 0x90 && rsp[1] == 0x00, "plain: 9000");
	is_int(sent_count, 1, "plain: one exchange");
	ok(sent_is(0, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), "plain: command unchanged");

	/* Status words are passed up, not interpreted. */
	reset_script();
	answer("6A 82");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	ok(rc == JP_OK && rl == 2 && rsp[0] == 0x6A && rsp[1] == 0x82, "plain: 6A82 returned as is");
}

static void test_get_response(void)
{
	uint8_t cmd[JP_CMD_MAX], rsp[600];
	size_t cl, rl = sizeof(rsp), i;
	jp_err rc;
	int good = 1;

	reset_script();
	answer("AA BB 61 03");
	answer("CC DD EE 90 00");
	cl = hex(cmd, "80 2A 00 80 02 01 02 00");
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	is_int(rc, JP_OK, "61xx: ok");
	is_int(rl, 7, "61xx: data concatenated + final SW");
	{
		uint8_t want[] = { 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0x90, 0x00 };
		ok(rl == 7 && memcmp(rsp, want, 7) == 0, "61xx: bytes AA BB CC DD EE 90 00");
	}
	is_int(sent_count, 2, "61xx: two exchanges");
	ok(sent_is(1, "00 C0 00 00 03"), "61xx: GET RESPONSE 00 C0 00 00 03");

	/* 6100 = 256 more bytes, chained twice. */
	reset_script();
	answer("61 00");
	answer_bytes(256, 0x11, 0x61, 0x10);
	answer_bytes(16, 0x22, 0x90, 0x00);
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	is_int(rc, JP_OK, "6100 chain: ok");
	is_int(rl, 256 + 16 + 2, "6100 chain: 272 data bytes + SW");
	for (i = 0; i < 256; i++)
		good &= rsp[i] == 0x11;
	for (i = 256; i < 272; i++)
		good &= rsp[i] == 0x22;
	ok(good && rsp[272] == 0x90 && rsp[273] == 0x00, "6100 chain: content in order");
	ok(sent_is(1, "00 C0 00 00 00") && sent_is(2, "00 C0 00 00 10"),
	   "6100 chain: GET RESPONSE Le 00 then 10");

	/* The final SW of a chain is whatever the card says last. */
	reset_script();
	answer("01 61 01");
	answer("02 69 82");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	ok(rc == JP_OK && rl == 4 && rsp[0] == 1 && rsp[1] == 2 && rsp[2] == 0x69 && rsp[3] == 0x82,
	   "61xx chain ending in 6982: 01 02 69 82");
}

static void test_wrong_le(void)
{
	uint8_t cmd[JP_CMD_MAX], rsp[300];
	size_t cl, rl = sizeof(rsp);
	jp_err rc;

	/* Case 2: Le replaced. */
	reset_script();
	answer("6C 10");
	answer_bytes(16, 0x33, 0x90, 0x00);
	cl = hex(cmd, "00 B0 00 00 00");
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	is_int(rc, JP_OK, "6Cxx case 2: ok");
	is_int(rl, 18, "6Cxx case 2: 16 bytes + SW");
	ok(sent_is(1, "00 B0 00 00 10"), "6Cxx case 2: resent with Le 10");

	/* Only once: a second 6Cxx comes back to the caller. */
	reset_script();
	answer("6C 10");
	answer("6C 20");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	ok(rc == JP_OK && rl == 2 && rsp[0] == 0x6C && rsp[1] == 0x20,
	   "6Cxx twice: second 6C20 returned");
	is_int(sent_count, 2, "6Cxx twice: exactly one resend");

	/* Case 1: Le appended. */
	reset_script();
	answer("6C 05");
	answer("01 02 03 04 05 90 00");
	cl = hex(cmd, "00 CA 01 02");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	ok(rc == JP_OK && rl == 7 && sent_is(1, "00 CA 01 02 05"), "6Cxx case 1: Le appended");

	/* Case 3: Le appended after the body. */
	reset_script();
	answer("6C 04");
	answer("01 02 03 04 90 00");
	cl = hex(cmd, "00 88 00 00 02 AA BB");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	ok(rc == JP_OK && rl == 6 && sent_is(1, "00 88 00 00 02 AA BB 04"),
	   "6Cxx case 3: Le appended");

	/* Case 4: Le replaced. */
	reset_script();
	answer("6C 04");
	answer("01 02 03 04 90 00");
	cl = hex(cmd, "00 88 00 00 02 AA BB 00");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	ok(rc == JP_OK && rl == 6 && sent_is(1, "00 88 00 00 02 AA BB 04"),
	   "6Cxx case 4: Le replaced");

	/* Extended APDU: not rewritten, 6Cxx returned. */
	reset_script();
	answer("6C 10");
	cl = hex(cmd, "00 B0 00 00 00 00 00");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	ok(rc == JP_OK && rl == 2 && rsp[0] == 0x6C && sent_count == 1,
	   "6Cxx on an extended APDU: returned, not resent");

	/* 6Cxx then 61xx: both handled. */
	reset_script();
	answer("6C 02");
	answer("AA 61 01");
	answer("BB 90 00");
	cl = hex(cmd, "00 B0 00 00 00");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	ok(rc == JP_OK && rl == 4 && rsp[0] == 0xAA && rsp[1] == 0xBB &&
	   sent_is(1, "00 B0 00 00 02") && sent_is(2, "00 C0 00 00 01"),
	   "6Cxx then 61xx: AA BB 90 00");
}

/* The PIN-bearing commands: never resent on 6Cxx (a try may be gone, and a
 * PIN goes to the card once per call), and transmit's copy of the command
 * is wiped before it returns. The copy lives in transmit's (now dead)
 * stack frame: read it right after the call, with no call in between and
 * without the address sanitizer's view of dead frames. */
static uint8_t after[JP_CMD_MAX];

__attribute__((noinline, no_sanitize_address))
static void test_pin_commands(void)
{
	uint8_t cmd[JP_CMD_MAX], rsp[64];
	size_t cl, rl = sizeof(rsp), i;
	const volatile uint8_t *p;
	jp_err rc;
	int wiped;

	reset_script();
	answer("6C 10");
	answer("90 00");
	cl = hex(cmd, "00 20 00 80 04 31 32 33 34");
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	p = last_cmd;
	for (i = 0; i < cl; i++)
		after[i] = p[i];
	ok(rc == JP_OK && rl == 2 && rsp[0] == 0x6C && rsp[1] == 0x10,
	   "6Cxx on VERIFY: returned to the caller");
	is_int(sent_count, 1, "6Cxx on VERIFY: the PIN was sent once, not resent");
	wiped = 1;
	for (i = 0; i < cl; i++)
		wiped &= after[i] == 0;
	ok(wiped, "VERIFY: transmit's copy of the command (the PIN) is wiped");

	reset_script();
	answer("6C 10");
	answer("90 00");
	cl = hex(cmd, "00 24 01 80 04 35 36 37 38");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	ok(rc == JP_OK && rl == 2 && rsp[0] == 0x6C && sent_count == 1,
	   "6Cxx on CHANGE REFERENCE DATA: returned, not resent");
}

static void test_bounds(void)
{
	uint8_t cmd[JP_CMD_MAX], buf[64 + 16];
	size_t cl, rl, i;
	jp_err rc;
	int intact;

	cl = hex(cmd, "80 2A 00 80 01 01 00");

	/* The chain outgrows the caller's buffer: error, guard untouched. */
	reset_script();
	answer_bytes(30, 0x44, 0x61, 0x40);
	answer_bytes(64, 0x55, 0x90, 0x00);
	memset(buf, 0xEE, sizeof(buf));
	rl = 40;
	rc = jp_transport_transmit(&fake_link, cmd, cl, buf, &rl);
	is_int(rc, JP_E_BAD_RESPONSE, "overflow by chaining: JP_E_BAD_RESPONSE");
	intact = 1;
	for (i = 40; i < sizeof(buf); i++)
		intact &= buf[i] == 0xEE;
	ok(intact, "overflow by chaining: nothing written past the buffer");

	/* Collected data leaves less than 2 bytes for the next SW. */
	reset_script();
	answer_bytes(9, 0x44, 0x61, 0x05);
	memset(buf, 0xEE, sizeof(buf));
	rl = 10;
	rc = jp_transport_transmit(&fake_link, cmd, cl, buf, &rl);
	ok(rc == JP_E_BAD_RESPONSE && sent_count == 1 && buf[10] == 0xEE,
	   "no room left for a SW: JP_E_BAD_RESPONSE without another exchange");

	/* A backend claiming more bytes than the buffer holds. */
	reset_script();
	script[script_len++].lie = 1;
	rl = 16;
	rc = jp_transport_transmit(&fake_link, cmd, cl, buf, &rl);
	is_int(rc, JP_E_BAD_RESPONSE, "lying backend length: JP_E_BAD_RESPONSE");

	/* Responses shorter than a SW. */
	reset_script();
	answer("90");
	rl = 16;
	rc = jp_transport_transmit(&fake_link, cmd, cl, buf, &rl);
	is_int(rc, JP_E_BAD_RESPONSE, "1-byte response: JP_E_BAD_RESPONSE");
	reset_script();
	answer("");
	rl = 16;
	rc = jp_transport_transmit(&fake_link, cmd, cl, buf, &rl);
	is_int(rc, JP_E_BAD_RESPONSE, "empty response: JP_E_BAD_RESPONSE");

	/* A card that answers 61xx forever is cut off. */
	{
		static uint8_t big[JP_RSP_MAX];

		reset_script();
		answer("61 00");
		repeat_last = 1;
		rl = sizeof(big);
		rc = jp_transport_transmit(&fake_link, cmd, cl, big, &rl);
		is_int(rc, JP_E_BAD_RESPONSE, "endless 61xx: JP_E_BAD_RESPONSE");
		ok(sent_count > 2 && sent_count <= 258, "endless 61xx: bounded (%zu exchanges)",
		   sent_count);
	}
}

static void test_errors_and_args(void)
{
	uint8_t cmd[JP_CMD_MAX + 8], rsp[32];
	size_t cl, rl;
	jp_err rc;

	cl = hex(cmd, "00 A4 02 0C 02 00 0A");
	reset_script();
	answer_err(JP_E_CARD_RESET);
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	is_int(rc, JP_E_CARD_RESET, "backend JP_E_CARD_RESET passed up");
	reset_script();
	answer("61 02");
	answer_err(JP_E_NO_CARD);
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	is_int(rc, JP_E_NO_CARD, "removal during GET RESPONSE: JP_E_NO_CARD");

	reset_script();
	rl = sizeof(rsp);
	is_int(jp_transport_transmit(NULL, cmd, cl, rsp, &rl), JP_E_ARGS, "NULL link");
	is_int(jp_transport_transmit(&fake_link, NULL, cl, rsp, &rl), JP_E_ARGS, "NULL command");
	is_int(jp_transport_transmit(&fake_link, cmd, 3, rsp, &rl), JP_E_ARGS, "3-byte command");
	is_int(jp_transport_transmit(&fake_link, cmd, JP_CMD_MAX + 1, rsp, &rl), JP_E_ARGS,
	       "command over JP_CMD_MAX");
	is_int(jp_transport_transmit(&fake_link, cmd, cl, NULL, &rl), JP_E_ARGS, "NULL response");
	rl = 1;
	is_int(jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl), JP_E_ARGS,
	       "response buffer under 2 bytes");
	is_int(sent_count, 0, "bad arguments: nothing sent");
}

static void test_log(void)
{
	char path[] = "/tmp/jp-test-transmit-XXXXXX";
	char spec[128], text[8192];
	uint8_t cmd[JP_CMD_MAX], rsp[64];
	size_t cl, rl, n;
	int fd;
	FILE *f;
	jp_err rc;

	fd = mkstemp(path);
	if (fd < 0) {
		ok(0, "log: temp file");
		return;
	}
	close(fd);
	snprintf(spec, sizeof(spec), "level:5,file:%s", path);
	ok(jp_log_configure(spec) == 0, "log: configured at trace level");

	/* A READ BINARY whose data must not be logged. */
	reset_script();
	answer("5E C2 E7 00 90 00");
	cl = hex(cmd, "00 B0 00 00 04");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	is_int(rc, JP_OK, "log: READ BINARY ok");
	/* A VERIFY whose body (the PIN) must not be logged. */
	reset_script();
	answer("90 00");
	cl = hex(cmd, "00 20 00 80 04 37 39 31 33");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	is_int(rc, JP_OK, "log: VERIFY ok");
	/* A SELECT, logged in full. */
	reset_script();
	answer("90 00");
	cl = hex(cmd, "00 A4 02 0C 02 00 0A");
	rl = sizeof(rsp);
	rc = jp_transport_transmit(&fake_link, cmd, cl, rsp, &rl);
	jp_log_configure("level:0");

	f = fopen(path, "r");
	n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = '\0';
	if (f)
		fclose(f);
	unlink(path);
	ok(strstr(text, "00 A4 02 0C 02 00 0A") != NULL, "log: SELECT command logged");
	ok(strstr(text, "00 B0 00 00 04") != NULL, "log: READ BINARY command logged");
	ok(strstr(text, "5E C2") == NULL && strstr(text, "5EC2") == NULL,
	   "log: READ BINARY data not logged");
	ok(strstr(text, "00 20 00 80 04") != NULL, "log: VERIFY header logged");
	ok(strstr(text, "37 39") == NULL && strstr(text, "3739") == NULL,
	   "log: VERIFY body (PIN) not logged");
}

int main(void)
{
	test_plain();
	test_get_response();
	test_wrong_le();
	test_pin_commands();
	test_bounds();
	test_errors_and_args();
	test_log();
	done_testing();
}
