/* The PC/SC backend against a real pcscd + vpcd + the emulator program,
 * started by tests/e2e/test-transport-pcsc.sh (pcscd-harness.sh). Needs
 * JP_READER, JP_EMU_PID, JP_CARD_DIR, JP_PROBE and PCSCLITE_CSOCK_NAME.
 * Prints TAP (the wrapper renumbers it). */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jpki/sleep.h"
#include "jpki/transport.h"
#include "tests/tap.h"

static const jp_transport_ops *ops;
static jp_transport *tr;
static const char *reader, *probe, *card_dir;
static pid_t emu_pid;

static unsigned long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000ull + (unsigned long long)ts.tv_nsec / 1000000ull;
}

static size_t unhex(uint8_t *out, const char *h)
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

static uint8_t rsp[JP_RSP_MAX];
static size_t rsp_len;

/* Sends hex through jp_transport_transmit; the answer lands in rsp. */
static jp_err xmit(jp_link *l, const char *hex)
{
	uint8_t cmd[JP_CMD_MAX];
	size_t n = unhex(cmd, hex);

	rsp_len = sizeof(rsp);
	return jp_transport_transmit(l, cmd, n, rsp, &rsp_len);
}

static unsigned sw(void)
{
	return rsp_len >= 2 ? (unsigned)rsp[rsp_len - 2] << 8 | rsp[rsp_len - 1] : 0;
}

/* Runs pcsc-probe on our reader; its stdout goes to out. Returns its exit
 * status. */
static int run_probe(const char *args, char *out, size_t out_cap)
{
	char cmd[1024];
	FILE *p;
	size_t n = 0;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' -r '%s' %s", probe, reader, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && out_cap) {
		n = fread(out, 1, out_cap - 1, p);
		out[n] = '\0';
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *last_line(char *text)
{
	char *end = text + strlen(text);

	while (end > text && end[-1] == '\n')
		*--end = '\0';
	while (end > text && end[-1] != '\n')
		end--;
	return end;
}

static const jp_reader_status *find(const jp_reader_status *rs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rs[i].name, name) == 0)
			return &rs[i];
	return NULL;
}

static void read_auth_pin(char pin[8])
{
	char path[1024], line[64];
	FILE *f;

	strcpy(pin, "1234");
	snprintf(path, sizeof(path), "%s/pins.txt", card_dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "auth %7s", pin) == 1)
			break;
	fclose(f);
}

/* ---- wait_change in a thread ---- */

typedef struct waiter {
	pthread_t th;
	jp_reader_status *known;
	size_t count;
	unsigned timeout;
	jp_err rc;
	unsigned long long ms;
} waiter;

static void *wait_main(void *arg)
{
	waiter *w = arg;
	unsigned long long t0 = mono_ms();

	w->rc = ops->wait_change(tr, w->known, w->count, w->timeout);
	w->ms = mono_ms() - t0;
	return NULL;
}

static int wait_start(waiter *w, unsigned timeout)
{
	memset(w, 0, sizeof(*w));
	w->timeout = timeout;
	if (ops->list_readers(tr, &w->known, &w->count) != JP_OK)
		return -1;
	return pthread_create(&w->th, NULL, wait_main, w);
}

static void wait_join(waiter *w)
{
	pthread_join(w->th, NULL);
	free(w->known);
	w->known = NULL;
}

/* ---- the tests ---- */

static void test_list(uint8_t *atr, size_t *atr_len)
{
	jp_reader_status *rs = NULL;
	const jp_reader_status *r;
	size_t n = 0, i;
	int pnp = 0;

	is_int(ops->list_readers(tr, &rs, &n), JP_OK, "list readers");
	ok(n >= 1, "at least one reader (%zu)", n);
	for (i = 0; i < n; i++)
		pnp |= strstr(rs[i].name, "PnP") != NULL;
	ok(!pnp, "the PnP pseudo-reader is not listed");
	r = find(rs, n, reader);
	ok(r != NULL, "the emulator's reader '%s' is listed", reader);
	ok(r && r->present, "its card is present");
	ok(r && r->atr_len >= 2 && r->atr[0] == 0x3B, "its ATR is listed (starts with 3B)");
	*atr_len = 0;
	if (r) {
		memcpy(atr, r->atr, r->atr_len);
		*atr_len = r->atr_len;
	}
	free(rs);
}

static jp_link *test_connect(const uint8_t *atr, size_t atr_len)
{
	jp_link *l = NULL;
	uint8_t a[JP_ATR_MAX];
	size_t al = 0;
	uint8_t head[4];
	char path[1024];
	FILE *f;

	is_int(ops->connect(tr, reader, &l), JP_OK, "connect");
	if (!l)
		return NULL;
	is_int(ops->atr(l, a, &al), JP_OK, "atr");
	ok(al == atr_len && memcmp(a, atr, al) == 0, "the link's ATR is the listed one");
	is_int(ops->status(l), JP_OK, "status: card there");

	is_int(xmit(l, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_OK, "SELECT AP sent");
	ok(rsp_len == 2 && sw() == 0x9000, "SELECT AP -> 9000 (got %04X)", sw());
	is_int(xmit(l, "00 A4 02 0C 02 00 0A"), JP_OK, "SELECT EF 000A sent");
	is_int(sw(), 0x9000, "SELECT EF 000A -> 9000");
	is_int(xmit(l, "00 B0 00 00 04"), JP_OK, "READ BINARY 4 bytes sent");
	snprintf(path, sizeof(path), "%s/auth.der", card_dir);
	f = fopen(path, "rb");
	memset(head, 0, sizeof(head));
	if (f) {
		if (fread(head, 1, 4, f) != 4)
			memset(head, 0, sizeof(head));
		fclose(f);
	}
	ok(rsp_len == 6 && sw() == 0x9000 && memcmp(rsp, head, 4) == 0 && head[0] == 0x30,
	   "READ BINARY returns the first 4 bytes of auth.der + 9000");
	/* Through the whole stack in one exchange: an extended READ BINARY
	 * of the whole certificate. */
	is_int(xmit(l, "00 B0 00 00 00 00 00"), JP_OK, "extended READ BINARY sent");
	ok(sw() == 0x9000 && rsp_len == ((size_t)head[2] << 8 | head[3]) + 4 + 2 &&
	   memcmp(rsp, head, 4) == 0,
	   "extended READ BINARY: the whole certificate (%zu bytes) in one response", rsp_len - 2);

	is_int(ops->begin(l), JP_OK, "begin transaction");
	is_int(xmit(l, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_OK,
	       "APDU inside the transaction");
	is_int(ops->end(l), JP_OK, "end transaction");
	return l;
}

static void test_reset_by_other(jp_link *l)
{
	char out[4096];

	/* Another process power-cycles the card: our next call learns it
	 * once, and the link works again afterwards. */
	is_int(run_probe("--unpower", out, sizeof(out)), 0, "second client: unpower");
	is_int(xmit(l, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_E_CARD_RESET,
	       "transmit after another's unpower -> JP_E_CARD_RESET");
	is_int(xmit(l, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_OK,
	       "transmit again -> JP_OK");
	is_int(sw(), 0x9000, "... and 9000");

	is_int(run_probe("--unpower", out, sizeof(out)), 0, "second client: unpower again");
	is_int(ops->status(l), JP_E_CARD_RESET, "status after another's unpower -> JP_E_CARD_RESET");
	is_int(ops->status(l), JP_OK, "status again -> JP_OK");

	is_int(run_probe("--unpower", out, sizeof(out)), 0, "second client: unpower a third time");
	is_int(ops->begin(l), JP_E_CARD_RESET, "begin after another's unpower -> JP_E_CARD_RESET");
	is_int(ops->begin(l), JP_OK, "begin again -> JP_OK (held)");
	is_int(xmit(l, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_OK,
	       "transmit inside the new transaction");
	is_int(ops->end(l), JP_OK, "end");
}

static void test_unpower_clears(jp_link *l)
{
	char pin[8], cmd[128], out[4096];
	/* SELECT AP, SELECT auth key, sign 20 bytes (Lc 14, Le 00). */
	const char *sign_apdus = "00A4040C0AD392F000260100000001 00A4020C020017 "
	                         "802A0080143031323334353637383930313233343536373839" "00";
	size_t i;

	read_auth_pin(pin);
	snprintf(cmd, sizeof(cmd), "00 20 00 80 %02zX", strlen(pin));
	for (i = 0; pin[i]; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %02X", (unsigned char)pin[i]);

	is_int(xmit(l, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_OK, "A: SELECT AP");
	is_int(xmit(l, "00 A4 02 0C 02 00 18"), JP_OK, "A: SELECT auth PIN EF");
	is_int(xmit(l, cmd), JP_OK, "A: VERIFY sent");
	is_int(sw(), 0x9000, "A: VERIFY auth PIN -> 9000");

	/* The verified state is card-wide (doc/card.md §6): another process
	 * can sign now. This is what the unpower below must undo. */
	is_int(run_probe(sign_apdus, out, sizeof(out)), 0, "B: raw SELECT AP + SELECT key + sign");
	ok(strlen(last_line(out)) == 2 * 258 && strcmp(last_line(out) + 512, "9000") == 0,
	   "B: signs without a PIN while A's VERIFY stands (256 bytes + 9000)");

	is_int(ops->unpower(l), JP_OK, "A: unpower");
	is_int(run_probe(sign_apdus, out, sizeof(out)), 0, "B: the same raw sign again");
	ok(strcmp(last_line(out), "6982") == 0, "B: now 6982 (got %s)", last_line(out));
	is_int(xmit(l, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_OK,
	       "A: its own unpower is not reported as a reset");
}

/* After fork() the child forgets the parent's context and link without a
 * PC/SC call (a disconnect or release on the inherited socket would break
 * the parent's), then works with its own. The parent's link is untouched. */
static void test_fork(jp_link *l)
{
	pid_t pid;
	int st = -1;

	is_int(ops->begin(l), JP_OK, "parent: begin before fork");
	is_int(ops->end(l), JP_OK, "parent: end");
	pid = fork();
	if (pid == 0) {
		jp_transport *t2 = NULL;
		jp_link *l2 = NULL;
		int code = 10;

		ops->forget_link(l);
		ops->forget(tr);
		if (ops->establish(&t2) == JP_OK && ops->connect(t2, reader, &l2) == JP_OK &&
		    xmit(l2, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01") == JP_OK &&
		    sw() == 0x9000)
			code = 0;
		if (l2)
			ops->disconnect(l2);
		if (t2)
			ops->release(t2);
		_exit(code);
	}
	ok(pid > 0, "fork");
	if (pid > 0)
		waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "child: forget, then its own context and link work (status %d)", st);
	is_int(xmit(l, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_OK,
	       "parent: its link still works after the child exited");
	is_int(sw(), 0x9000, "... 9000");
	is_int(ops->status(l), JP_OK, "parent: status OK (no reset by the child)");
	is_int(ops->begin(l), JP_OK, "parent: begin after the fork");
	is_int(ops->end(l), JP_OK, "parent: end");
}

static void test_wait(jp_link **lp)
{
	waiter w;
	jp_reader_status *rs = NULL;
	const jp_reader_status *r;
	unsigned long events_before = 0;
	size_t n = 0;
	unsigned long long t0;
	jp_link *l2 = NULL;

	/* Nothing happens: timeout. */
	if (wait_start(&w, 400) != 0) {
		ok(0, "wait_change thread");
		return;
	}
	wait_join(&w);
	is_int(w.rc, JP_E_TIMEOUT, "wait_change with no change -> JP_E_TIMEOUT");
	/* Never early; the upper bound only catches a hang (make -j, ASan). */
	ok(w.ms >= 350 && w.ms < 30000, "... after its 400 ms (%llu)", w.ms);

	/* Cancelled from another thread. */
	wait_start(&w, (unsigned)-1);
	jp_sleep_ms(300);
	is_int(ops->cancel(tr), JP_OK, "cancel");
	wait_join(&w);
	is_int(w.rc, JP_E_CANCELLED, "wait_change(forever) -> JP_E_CANCELLED");
	/* No lower bound: a thread that started after the cancel finds it
	 * pending and returns at once, which is right too. */
	ok(w.ms < 30000, "... not at a timeout: it had none (%llu ms)", w.ms);

	/* A cancel just before the wait is not lost, and is used up once. */
	is_int(ops->cancel(tr), JP_OK, "cancel with nobody waiting");
	t0 = mono_ms();
	ops->list_readers(tr, &rs, &n);
	is_int(ops->wait_change(tr, rs, n, 5000), JP_E_CANCELLED,
	       "the next wait_change -> JP_E_CANCELLED");
	ok(mono_ms() - t0 < 1000, "... at once");
	is_int(ops->wait_change(tr, rs, n, 100), JP_E_TIMEOUT, "the one after that waits normally");
	r = find(rs, n, reader);
	events_before = r ? r->events : 0;
	free(rs);
	rs = NULL;

	/* The card is pulled: the wait wakes, the link says no card. */
	wait_start(&w, 10000);
	jp_sleep_ms(200);
	kill(emu_pid, SIGUSR1);
	wait_join(&w);
	is_int(w.rc, JP_OK, "removal wakes wait_change");
	ok(w.ms < 5000, "... within %llu ms", w.ms);
	ops->list_readers(tr, &rs, &n);
	r = find(rs, n, reader);
	ok(r && !r->present, "the reader is listed empty");
	ok(r && r->events != events_before, "its event counter moved");
	ok(r && r->atr_len == 0, "no ATR for an empty reader");
	free(rs);
	rs = NULL;
	is_int(xmit(*lp, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_E_NO_CARD,
	       "transmit on the old link -> JP_E_NO_CARD");
	is_int(ops->status(*lp), JP_E_NO_CARD, "status -> JP_E_NO_CARD");
	is_int(ops->connect(tr, reader, &l2), JP_E_NO_CARD, "connect to the empty reader -> JP_E_NO_CARD");

	/* Put back: the wait wakes, connecting works again. */
	wait_start(&w, 10000);
	jp_sleep_ms(200);
	kill(emu_pid, SIGUSR2);
	wait_join(&w);
	is_int(w.rc, JP_OK, "insertion wakes wait_change");
	ok(w.ms < 8000, "... within %llu ms", w.ms);
	ops->list_readers(tr, &rs, &n);
	r = find(rs, n, reader);
	ok(r && r->present, "the card is listed again");
	free(rs);
	ops->disconnect(*lp);
	*lp = NULL;
	is_int(ops->connect(tr, reader, lp), JP_OK, "connect to the reinserted card");
	if (*lp) {
		is_int(xmit(*lp, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"), JP_OK,
		       "SELECT AP on the new link");
		is_int(sw(), 0x9000, "... 9000");
	}
}

int main(void)
{
	uint8_t atr[JP_ATR_MAX];
	size_t atr_len = 0;
	jp_link *l;
	const char *pid = getenv("JP_EMU_PID");

	reader = getenv("JP_READER");
	probe = getenv("JP_PROBE");
	card_dir = getenv("JP_CARD_DIR");
	if (!reader || !*reader || !probe || !card_dir || !pid || !getenv("PCSCLITE_CSOCK_NAME"))
		skip_all("run me from tests/e2e/test-transport-pcsc.sh (harness environment missing)");
	emu_pid = (pid_t)atoi(pid);
	/* A signal the emulator might send back to the group is not ours. */
	signal(SIGPIPE, SIG_IGN);

	ops = jp_transport_default_ops();
	ok(ops && strcmp(ops->name, "pcsc") == 0, "the real PC/SC backend is linked");
	is_int(ops->establish(&tr), JP_OK, "establish");
	test_list(atr, &atr_len);
	l = test_connect(atr, atr_len);
	if (l) {
		test_reset_by_other(l);
		test_unpower_clears(l);
		test_fork(l);
		test_wait(&l);
	}
	if (l)
		ops->disconnect(l);
	ops->release(tr);
	done_testing();
}
