/* The emulator core: life cycle (power, reset, removal), APDU parsing, fault
 * injection, latency, counters and the APDU log. The commands themselves
 * are in emu-cmd.c. Not thread-safe: front ends serialise calls. */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "emu-int.h"

/* A T=1 ATR: TS 3B, T0 8A (TD1, 10 historical bytes), TD1 80, TD2 01
 * (T=1), historical bytes, TCK = XOR of T0..last historical byte. Clients
 * must not detect the card by ATR (doc/card.md §1). */
static const uint8_t emu_atr[JP_EMU_ATR_LEN] = {
	0x3B, 0x8A, 0x80, 0x01, 0x80, 0x31, 0xF8, 0x73, 0xF7, 0x41, 0xE0, 0x82, 0x90, 0x00, 0x75
};

jp_emu *jp_emu_new(const char *card_dir, const jp_emu_options *opts, const char *state_path)
{
	jp_emu *e = calloc(1, sizeof(*e));

	if (e == NULL)
		goto fail;
	if (opts != NULL)
		e->opts = *opts;
	memcpy(e->atr, emu_atr, sizeof(e->atr));
	e->cur_ef = EF_NONE;
	if (state_path != NULL && (e->state_path = strdup(state_path)) == NULL)
		goto fail;
	if (emu_files_load(e, card_dir) != 0 || emu_validity_apply(e, card_dir) != 0 ||
	    emu_state_load(e) != 0)
		goto fail;
	/* Created present and powered, so a core test can send APDUs at
	 * once; the in-process reader powers it off on insert. */
	e->powered = 1;
	return e;
fail:
	jp_emu_free(e);
	return NULL;
}

void jp_emu_free(jp_emu *e)
{
	if (e == NULL)
		return;
	emu_files_free(e);
	if (e->log != NULL)
		fclose(e->log);
	free(e->state_path);
	free(e);
}

jp_emu_options *jp_emu_opts(jp_emu *e)
{
	return &e->opts;
}

static void log_line(jp_emu *e, const char *prefix, const uint8_t *p, size_t n, size_t masked_from)
{
	size_t i;

	if (e->log == NULL)
		return;
	fputs(prefix, e->log);
	for (i = 0; i < n && i < masked_from; i++)
		fprintf(e->log, "%02X", p[i]);
	if (n > masked_from)
		fputs(" ********", e->log);
	fputc('\n', e->log);
	fflush(e->log);
}

static void log_event(jp_emu *e, const char *what)
{
	if (e->log != NULL) {
		fprintf(e->log, "# %s\n", what);
		fflush(e->log);
	}
}

/* Every power event deselects the application and its EF; whether the
 * verified PINs go too is the caller's (clear). */
static void power_event(jp_emu *e, int powered, int clear, const char *what)
{
	e->powered = powered;
	if (clear)
		emu_clear_security(e);
	e->app = EMU_APP_NONE;
	e->cur_ef = EF_NONE;
	log_event(e, what);
}

void jp_emu_power_off(jp_emu *e)
{
	power_event(e, 0, 1, "power off");
}

void jp_emu_power_on(jp_emu *e)
{
	/* Cold reset: volatile state gone (doc/card.md §6). */
	if (!e->removed)
		power_event(e, 1, 1, "power on");
}

void jp_emu_reset(jp_emu *e)
{
	/* Warm reset: §6 says a verified PIN may survive it. */
	if (!e->removed)
		power_event(e, 1, e->opts.clear_on_reset, "reset");
}

const uint8_t *jp_emu_atr(const jp_emu *e, size_t *len)
{
	*len = sizeof(e->atr);
	return e->atr;
}

/* ISO 7816-3 §12.1: cases 1, 2S, 3S, 4S, 2E, 3E, 4E. Returns 0 or 6700. */
static uint16_t parse_apdu(const uint8_t *c, size_t n, emu_apdu *a)
{
	memset(a, 0, sizeof(*a));
	if (n < 4)
		return 0x6700;
	a->cla = c[0];
	a->ins = c[1];
	a->p1 = c[2];
	a->p2 = c[3];
	if (n == 4)
		return 0;
	if (n == 5) {
		a->has_le = 1;
		a->ne = c[4] ? c[4] : 256;
		return 0;
	}
	if (c[4] != 0) {
		a->lc = c[4];
		a->data = c + 5;
		if (n == 5 + a->lc)
			return 0;
		if (n == 6 + a->lc) {
			a->has_le = 1;
			a->ne = c[5 + a->lc] ? c[5 + a->lc] : 256;
			return 0;
		}
		return 0x6700;
	}
	a->extended = 1;
	if (n == 7) {
		a->has_le = 1;
		a->ne = ((size_t)c[5] << 8) | c[6];
		if (a->ne == 0)
			a->ne = 65536;
		return 0;
	}
	a->lc = ((size_t)c[5] << 8) | c[6];
	a->data = c + 7;
	if (a->lc == 0)
		return 0x6700;
	if (n == 7 + a->lc)
		return 0;
	if (n == 9 + a->lc) {
		a->has_le = 1;
		a->ne = ((size_t)c[7 + a->lc] << 8) | c[8 + a->lc];
		if (a->ne == 0)
			a->ne = 65536;
		return 0;
	}
	return 0x6700;
}

long jp_emu_apdu(jp_emu *e, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp)
{
	emu_apdu a;
	unsigned long idx;
	uint16_t sw;
	size_t n = 0;
	long ret = -1;

	if (e->removed || !e->powered)
		goto out;
	idx = ++e->apdus;
	e->bytes_in += cmd_len;
	if (cmd_len >= 2)
		e->by_ins[cmd[1]]++;
	/* VERIFY and CHANGE REFERENCE DATA bodies are PINs: masked. */
	log_line(e, "> ", cmd, cmd_len,
	         cmd_len >= 2 && (cmd[1] == 0x20 || cmd[1] == 0x24) ? 5 : cmd_len);
	if (e->opts.remove_nth == idx) {
		e->removed = 1;
		e->powered = 0;
		emu_clear_security(e);
		log_event(e, "card removed");
		goto out;
	}
	if (e->opts.drop_nth == idx) {
		log_event(e, "no answer");
		goto out;
	}
	if (e->opts.latency_apdu_us)
		usleep(e->opts.latency_apdu_us);
	if (e->opts.fail_nth == idx) {
		sw = 0x6F00;
	} else {
		sw = parse_apdu(cmd, cmd_len, &a);
		if (sw == 0 && a.extended && e->opts.no_extended)
			sw = 0x6700;
		if (sw == 0)
			n = emu_cmd_run(e, &a, rsp, &sw);
	}
	if (e->opts.garble_nth == idx) {
		/* Flip bits: in the data if any (a signature included), else
		 * in SW2, so the answer is plausible but wrong. */
		if (n > 0)
			rsp[n / 2] ^= 0x5A;
		else
			sw ^= 0x0001;
	}
	rsp[n] = (uint8_t)(sw >> 8);
	rsp[n + 1] = (uint8_t)sw;
	ret = (long)n + 2;
	if (e->opts.short_nth == idx) {
		/* One byte short: a data byte, or SW2 when there is no data. */
		if (n > 0) {
			memmove(rsp + n - 1, rsp + n, 2);
		}
		ret--;
	}
	e->bytes_out += (unsigned long)ret;
	log_line(e, "< ", rsp, (size_t)ret, (size_t)ret);
out:
	return ret;
}

int jp_emu_removed(const jp_emu *e)
{
	return e->removed;
}

int jp_emu_powered(const jp_emu *e)
{
	return e->powered;
}

void jp_emu_reinsert(jp_emu *e)
{
	e->removed = 0;
	e->powered = 0;
	log_event(e, "card inserted");
}

int jp_emu_tries(const jp_emu *e, int key)
{
	return (key == 0 || key == 1) ? e->pin[key].tries : -1;
}

int jp_emu_verified(const jp_emu *e, int key)
{
	return (key == 0 || key == 1) ? e->verified[key] : 0;
}

unsigned long jp_emu_apdu_count(const jp_emu *e) { return e->apdus; }
unsigned long jp_emu_sign_count(const jp_emu *e) { return e->signs; }
unsigned long jp_emu_verify_count(const jp_emu *e) { return e->verifies; }
unsigned long jp_emu_bytes_in(const jp_emu *e) { return e->bytes_in; }
unsigned long jp_emu_bytes_out(const jp_emu *e) { return e->bytes_out; }
unsigned long jp_emu_ins_count(const jp_emu *e, uint8_t ins) { return e->by_ins[ins]; }

int jp_emu_log_to(jp_emu *e, const char *path)
{
	if (e->log != NULL) {
		fclose(e->log);
		e->log = NULL;
	}
	if (path == NULL)
		return 0;
	e->log = fopen(path, "a");
	return e->log != NULL ? 0 : -1;
}

/* Fixture helpers: tests find cards under $top_srcdir/tests/emu/cards. */
#define FIX_SLOTS 10
static pthread_mutex_t fix_lock = PTHREAD_MUTEX_INITIALIZER;
static char fix_dir[FIX_SLOTS][4096];

const char *jp_emu_fixture_dir(int card_no)
{
	const char *top = getenv("top_srcdir");
	const char *ret = NULL;

	if (card_no < 1 || card_no >= FIX_SLOTS)
		return NULL;
	pthread_mutex_lock(&fix_lock);
	if (fix_dir[card_no][0] == '\0')
		snprintf(fix_dir[card_no], sizeof(fix_dir[card_no]), "%s/tests/emu/cards/card-%d",
		         top != NULL && top[0] != '\0' ? top : ".", card_no);
	ret = fix_dir[card_no];
	pthread_mutex_unlock(&fix_lock);
	return ret;
}

int jp_emu_fixture_pin(int card_no, int key, char *out, size_t out_len)
{
	const char *dir = jp_emu_fixture_dir(card_no);
	char path[4200], line[64];
	const char *want = key == 0 ? "auth " : "sign ";
	FILE *f = NULL;
	int rc = -1;

	if (dir == NULL || out_len == 0)
		goto out;
	snprintf(path, sizeof(path), "%s/pins.txt", dir);
	f = fopen(path, "r");
	if (f == NULL)
		goto out;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n;
		if (strncmp(line, want, 5) != 0)
			continue;
		n = strcspn(line + 5, "\r\n");
		if (n + 1 > out_len)
			goto out;
		memcpy(out, line + 5, n);
		out[n] = '\0';
		rc = 0;
		break;
	}
out:
	if (f != NULL)
		fclose(f);
	return rc;
}
