/* The PC/SC backend (pcsc-lite): the one real transport.
 *
 * Contexts and threads. pcsc-lite serialises the calls made on one
 * SCARDCONTEXT (and on the handles made from it) with a per-context mutex,
 * and SCardGetStatusChange holds that mutex for its whole wait. So:
 *  - the transport's own context `ctx` serves list_readers, guarded by
 *    `lock`;
 *  - wait_change uses a second context `wait_ctx`, guarded by `wait_lock`
 *    (one waiter at a time), so a long wait never blocks a listing;
 *    cancel() calls SCardCancel on wait_ctx from another thread, which is
 *    what pcsc-lite's SCardCancel is for;
 *  - every link gets a context of its own, so card I/O on one reader never
 *    waits behind a listing, a wait, or another reader, and a link does not
 *    depend on the transport's context being re-established. A link's
 *    handle may be used from any thread under the caller's (slot) lock.
 *
 * No daemon. SCardEstablishContext fails with SCARD_E_NO_SERVICE when pcscd
 * is not running (or not reachable through PCSCLITE_CSOCK_NAME). That is
 * not an error here: the context is established lazily and again after it
 * is lost, so a pcscd started later is found (doc/design.md §3: C_Initialize
 * succeeds with no pcscd). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>

#include "jpki/log.h"
#include "jpki/transport.h"
#include "pcsc-error.h"

/* pcsc-lite's pseudo-reader that reports readers coming and going. */
#define PNP_READER "\\\\?PnP?\\Notification"
/* wait_change blocks in slices this long so that a cancel() racing with
 * the start of SCardGetStatusChange (pcsc-lite drops a cancel that arrives
 * before the wait is registered) still takes effect within one slice. */
#define WAIT_SLICE_MS 500u
#define LIST_RETRIES 4

typedef struct pcsc_transport {
	jp_transport base;

	pthread_mutex_t lock;          /* ctx, have_ctx */
	SCARDCONTEXT ctx;
	int have_ctx;

	pthread_mutex_t wait_lock;     /* held for a whole wait_change */
	pthread_mutex_t cancel_lock;   /* the fields below */
	pthread_cond_t cancel_cond;    /* wakes a wait that sleeps with no daemon */
	SCARDCONTEXT wait_ctx;         /* written under wait_lock + cancel_lock */
	int have_wait_ctx;
	int waiting;                   /* inside SCardGetStatusChange */
	int cancel_pending;            /* consumed by the next wait_change */
} pcsc_transport;

typedef struct pcsc_link {
	jp_link base;
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	uint8_t atr[JP_ATR_MAX];
	size_t atr_len;
	char reader[JP_READER_NAME_MAX];
} pcsc_link;

/* One reader's raw state, from a zero-timeout SCardGetStatusChange. */
typedef struct pcsc_snap {
	jp_reader_status *rs;
	DWORD *raw;                    /* dwEventState per reader */
	size_t count;
} pcsc_snap;

static const jp_transport_ops pcsc_ops;

/* ---- errors ---- */

static jp_err pcsc_fail(const char *what, LONG rv)
{
	jp_err e = jp_pcsc_err(rv);

	JP_DEBUG("pcsc: %s: %s (0x%08lX) -> %s", what, jp_pcsc_str(rv), (unsigned long)rv,
	         jp_err_str(e));
	return e;
}

/* Results after which a context is useless and must be established again. */
static int context_lost(LONG rv)
{
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
	       rv == SCARD_E_INVALID_HANDLE || rv == SCARD_F_COMM_ERROR ||
	       rv == SCARD_P_SHUTDOWN;
}

/* ---- time ---- */

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000ull + (unsigned long long)ts.tv_nsec / 1000000ull;
}

/* ---- reader snapshots (shared by list_readers and wait_change) ---- */

static void snap_free(pcsc_snap *s)
{
	free(s->rs);
	free(s->raw);
	s->rs = NULL;
	s->raw = NULL;
	s->count = 0;
}

/* The reader names pcsc-lite lists for ctx (a multi-string, malloc'd;
 * NULL when there is no reader). *again: a reader appeared between the
 * two calls (list again). */
static jp_err list_names(SCARDCONTEXT ctx, char **names, LONG *rv, int *again)
{
	jp_err rc = JP_OK;
	DWORD len = 0;
	char *buf = NULL;

	*names = NULL;
	*rv = SCardListReaders(ctx, NULL, NULL, &len);
	if (*rv == SCARD_E_NO_READERS_AVAILABLE || (*rv == SCARD_S_SUCCESS && len <= 1)) {
		*rv = SCARD_S_SUCCESS;
		goto out;
	}
	if (*rv != SCARD_S_SUCCESS) {
		rc = pcsc_fail("list readers", *rv);
		goto out;
	}
	buf = calloc(1, (size_t)len + 1);
	if (!buf) {
		rc = JP_E_NO_MEMORY;
		goto out;
	}
	*rv = SCardListReaders(ctx, NULL, buf, &len);
	if (*rv == SCARD_E_NO_READERS_AVAILABLE)
		*rv = SCARD_S_SUCCESS;
	else if (*rv == SCARD_E_INSUFFICIENT_BUFFER)
		*again = 1;
	else if (*rv != SCARD_S_SUCCESS)
		rc = pcsc_fail("list readers", *rv);
	else
		*names = buf;
out:
	if (*names != buf)
		free(buf);
	return rc;
}

/* The states to ask for, one per usable name: not the PnP pseudo-reader,
 * not a name too long to connect to (malloc'd; NULL when none is usable). */
static jp_err states_for(const char *names, SCARD_READERSTATE **st_out, size_t *n_out)
{
	jp_err rc = JP_OK;
	SCARD_READERSTATE *st = NULL;
	size_t n = 0;
	const char *p;

	for (p = names; *p; p += strlen(p) + 1)
		n++;
	if (n == 0)
		goto out;
	st = calloc(n, sizeof(*st));
	if (!st) {
		rc = JP_E_NO_MEMORY;
		goto out;
	}
	n = 0;
	for (p = names; *p; p += strlen(p) + 1) {
		if (strcmp(p, PNP_READER) == 0)
			continue;
		if (strlen(p) >= JP_READER_NAME_MAX) {
			/* A truncated name could not be connected to. */
			JP_WARN("pcsc: reader name too long, ignored");
			continue;
		}
		st[n].szReader = p;
		st[n].dwCurrentState = SCARD_STATE_UNAWARE;
		n++;
	}
out:
	if (n == 0) {
		free(st);
		st = NULL;
	}
	*st_out = st;
	*n_out = n;
	return rc;
}

/* Copies what SCardGetStatusChange reported for n readers into s. */
static jp_err snap_fill(pcsc_snap *s, const SCARD_READERSTATE *st, size_t n)
{
	jp_err rc = JP_OK;
	size_t i;

	s->rs = calloc(n, sizeof(*s->rs));
	s->raw = calloc(n, sizeof(*s->raw));
	if (!s->rs || !s->raw) {
		rc = JP_E_NO_MEMORY;
		goto out;
	}
	for (i = 0; i < n; i++) {
		jp_reader_status *r = &s->rs[i];
		DWORD ev = st[i].dwEventState;

		memcpy(r->name, st[i].szReader, strlen(st[i].szReader) + 1);
		/* A mute card cannot be used: report it as absent. */
		r->present = (ev & SCARD_STATE_PRESENT) && !(ev & SCARD_STATE_MUTE);
		/* pcsc-lite keeps a per-reader card event counter in the high
		 * word of the event state. */
		r->events = (ev >> 16) & 0xFFFFu;
		r->atr_len = st[i].cbAtr <= JP_ATR_MAX ? st[i].cbAtr : JP_ATR_MAX;
		if (r->present)
			memcpy(r->atr, st[i].rgbAtr, r->atr_len);
		else
			r->atr_len = 0;
		s->raw[i] = ev & ~(DWORD)SCARD_STATE_CHANGED;
	}
	s->count = n;
out:
	return rc;
}

/* One listing: the names, then their states. *again: the reader set
 * changed meanwhile (list again). */
static jp_err snap_try(SCARDCONTEXT ctx, pcsc_snap *s, LONG *rv, int *again)
{
	jp_err rc;
	char *names = NULL;
	SCARD_READERSTATE *st = NULL;
	size_t n = 0;

	rc = list_names(ctx, &names, rv, again);
	if (rc != JP_OK || !names)
		goto out;
	rc = states_for(names, &st, &n);
	if (rc != JP_OK || n == 0)
		goto out;
	*rv = SCardGetStatusChange(ctx, 0, st, (DWORD)n);
	if (*rv == SCARD_E_UNKNOWN_READER) {
		*again = 1;             /* one vanished since the listing */
		goto out;
	}
	if (*rv != SCARD_S_SUCCESS && *rv != SCARD_E_TIMEOUT) {
		rc = pcsc_fail("list readers", *rv);
		goto out;
	}
	*rv = SCARD_S_SUCCESS;
	rc = snap_fill(s, st, n);     /* before the names it points to go */
out:
	free(names);
	free(st);
	return rc;
}

/* Lists the readers of ctx with their state, without waiting. Zero readers
 * is JP_OK. On failure *rv_out is the PC/SC result (for context_lost). */
static jp_err snap_take(SCARDCONTEXT ctx, pcsc_snap *s, LONG *rv_out)
{
	jp_err rc = JP_OK;
	LONG rv = SCARD_S_SUCCESS;
	size_t tries;
	int again = 1;

	memset(s, 0, sizeof(*s));
	/* A reader may vanish between the listing and the status query, or
	 * appear between the two listing calls: list again then. */
	for (tries = 0; again && tries < LIST_RETRIES; tries++) {
		again = 0;
		snap_free(s);
		rc = snap_try(ctx, s, &rv, &again);
	}
	if (again)
		rc = JP_E_TRANSPORT;    /* the reader set kept changing under us */
	if (rc != JP_OK)
		snap_free(s);
	if (rv_out)
		*rv_out = rv;
	return rc;
}

/* ---- the context ---- */

static jp_err pcsc_establish(jp_transport **out)
{
	jp_err rc = JP_OK;
	pcsc_transport *t = NULL;

	if (!out) {
		rc = JP_E_ARGS;
		goto out;
	}
	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		rc = JP_E_NO_MEMORY;
		goto out;
	}
	t->base.ops = &pcsc_ops;
	if (pthread_mutex_init(&t->lock, NULL) != 0 || pthread_mutex_init(&t->wait_lock, NULL) != 0 ||
	    pthread_mutex_init(&t->cancel_lock, NULL) != 0 ||
	    pthread_cond_init(&t->cancel_cond, NULL) != 0) {
		free(t);
		t = NULL;
		rc = JP_E_NO_MEMORY;
		goto out;
	}
	/* Try now; failing is fine (no daemon yet): later calls try again. */
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &t->ctx) == SCARD_S_SUCCESS)
		t->have_ctx = 1;
	else
		JP_INFO("pcsc: no PC/SC service yet; will retry");
	*out = &t->base;
out:
	return rc;
}

static void pcsc_release(jp_transport *tp)
{
	pcsc_transport *t = (pcsc_transport *)tp;

	if (!t)
		goto out;
	if (t->have_ctx)
		SCardReleaseContext(t->ctx);
	if (t->have_wait_ctx)
		SCardReleaseContext(t->wait_ctx);
	pthread_cond_destroy(&t->cancel_cond);
	pthread_mutex_destroy(&t->cancel_lock);
	pthread_mutex_destroy(&t->wait_lock);
	pthread_mutex_destroy(&t->lock);
	free(t);
out:
	return;
}

static void pcsc_forget(jp_transport *tp)
{
	/* In a fork child: the contexts belong to the parent's connections
	 * to pcscd, and the mutexes may have been held by a thread that does
	 * not exist here. Free the memory, touch nothing else. */
	free(tp);
}

static jp_err pcsc_list_readers(jp_transport *tp, jp_reader_status **out, size_t *count)
{
	pcsc_transport *t = (pcsc_transport *)tp;
	jp_err rc = JP_OK;
	pcsc_snap s = { 0 };
	LONG rv = SCARD_S_SUCCESS;

	if (!t || !out || !count) {
		rc = JP_E_ARGS;
		goto out;         /* the lock is not taken */
	}
	*out = NULL;
	*count = 0;
	pthread_mutex_lock(&t->lock);
	if (!t->have_ctx) {
		if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &t->ctx) != SCARD_S_SUCCESS)
			goto unlock;      /* still no daemon: zero readers */
		t->have_ctx = 1;
	}
	rc = snap_take(t->ctx, &s, &rv);
	if (rc != JP_OK && context_lost(rv)) {
		/* pcscd went away (or restarted): zero readers now, a fresh
		 * context next time. */
		SCardReleaseContext(t->ctx);
		t->have_ctx = 0;
		rc = JP_OK;
		goto unlock;
	}
	if (rc != JP_OK)
		goto unlock;
	free(s.raw);
	*out = s.rs;
	*count = s.count;
unlock:
	pthread_mutex_unlock(&t->lock);
out:
	return rc;
}

/* ---- waiting for changes ---- */

static int snap_differs(const pcsc_snap *s, const jp_reader_status *known, size_t count)
{
	size_t i, j;
	int differs = s->count != count;

	for (i = 0; !differs && i < count; i++) {
		const jp_reader_status *k = &known[i];
		const jp_reader_status *c = NULL;

		for (j = 0; j < s->count; j++) {
			if (strcmp(s->rs[j].name, k->name) == 0) {
				c = &s->rs[j];
				break;
			}
		}
		differs = !c || !c->present != !k->present || c->events != k->events;
	}
	return differs;
}

/* Takes a pending cancel. Call with cancel_lock held. */
static int take_cancel_inlock(pcsc_transport *t)
{
	int c = t->cancel_pending;

	t->cancel_pending = 0;
	return c;
}

static void drop_wait_ctx(pcsc_transport *t)
{
	pthread_mutex_lock(&t->cancel_lock);
	if (t->have_wait_ctx) {
		SCardReleaseContext(t->wait_ctx);
		t->have_wait_ctx = 0;
	}
	pthread_mutex_unlock(&t->cancel_lock);
}

/* Sleeps up to ms, or until cancel(). Returns 1 if cancelled. */
static int sleep_cancellable(pcsc_transport *t, unsigned ms)
{
	struct timespec ts;
	int cancelled;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000u;
	ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->cancel_lock);
	while (!t->cancel_pending) {
		if (pthread_cond_timedwait(&t->cancel_cond, &t->cancel_lock, &ts) == ETIMEDOUT)
			break;
	}
	cancelled = take_cancel_inlock(t);
	pthread_mutex_unlock(&t->cancel_lock);
	return cancelled;
}

/* Takes a pending cancel. Returns 1 if there was one. */
static int cancel_taken(pcsc_transport *t)
{
	int cancelled;

	pthread_mutex_lock(&t->cancel_lock);
	cancelled = take_cancel_inlock(t);
	pthread_mutex_unlock(&t->cancel_lock);
	return cancelled;
}

/* The next slice of a wait: WAIT_SLICE_MS, or what is left before the
 * deadline (0: it has passed). */
static unsigned next_slice(int forever, unsigned long long deadline)
{
	unsigned slice = WAIT_SLICE_MS;
	unsigned long long now = now_ms();

	if (!forever) {
		unsigned long long left = deadline > now ? deadline - now : 0;

		if (left < slice)
			slice = (unsigned)left;
	}
	return slice;
}

/* Establishes the context that waits. Returns 0 when there is no daemon. */
static int open_wait_ctx(pcsc_transport *t)
{
	SCARDCONTEXT c;
	int opened = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c) == SCARD_S_SUCCESS;

	if (opened) {
		pthread_mutex_lock(&t->cancel_lock);
		t->wait_ctx = c;
		t->have_wait_ctx = 1;
		pthread_mutex_unlock(&t->cancel_lock);
	}
	return opened;
}

/* A round without a daemon. With readers known, it is gone and so are they:
 * a change. With none, poll for one until the deadline. Returns 1 to go
 * round again, else *rc is the answer. */
static int round_no_daemon(pcsc_transport *t, size_t count, unsigned slice, jp_err *rc)
{
	int again = 0;

	if (count > 0)
		*rc = JP_OK;
	else if (slice == 0)
		*rc = JP_E_TIMEOUT;
	else if (sleep_cancellable(t, slice))
		*rc = JP_E_CANCELLED;
	else
		again = 1;
	return again;
}

/* Marks t as inside SCardGetStatusChange, unless a cancel is pending
 * (taken then). Returns 0 when cancelled. */
static int begin_waiting(pcsc_transport *t)
{
	int go;

	pthread_mutex_lock(&t->cancel_lock);
	go = !take_cancel_inlock(t);
	if (go)
		t->waiting = 1;
	pthread_mutex_unlock(&t->cancel_lock);
	return go;
}

static void end_waiting(pcsc_transport *t)
{
	pthread_mutex_lock(&t->cancel_lock);
	t->waiting = 0;
	pthread_mutex_unlock(&t->cancel_lock);
}

/* Blocks up to slice ms in SCardGetStatusChange from the state s just
 * seen, plus the PnP pseudo-reader so that readers plugged in later wake
 * us too. Returns 1 to go round again (and look for ourselves: pcsc-lite
 * also wakes for changes we do not care about, such as another process
 * connecting), else *rc is the answer. */
static int round_block(pcsc_transport *t, const pcsc_snap *s, unsigned slice, jp_err *rc)
{
	SCARD_READERSTATE *st = calloc(s->count + 1, sizeof(*st));
	LONG rv;
	size_t i;
	int again = 0;

	if (!st) {
		*rc = JP_E_NO_MEMORY;
		goto out;
	}
	for (i = 0; i < s->count; i++) {
		st[i].szReader = s->rs[i].name;
		st[i].dwCurrentState = s->raw[i];
	}
	st[s->count].szReader = PNP_READER;
	/* pcsc-lite compares the reader count in the high word. */
	st[s->count].dwCurrentState = (DWORD)(s->count << 16);
	if (!begin_waiting(t)) {
		*rc = JP_E_CANCELLED;
		goto out;
	}
	rv = SCardGetStatusChange(t->wait_ctx, slice, st, (DWORD)(s->count + 1));
	end_waiting(t);
	if (rv == SCARD_E_CANCELLED) {
		again = 1;      /* only ours counts; a stray one restarts the wait */
	} else if (context_lost(rv)) {
		drop_wait_ctx(t);
		again = 1;      /* handled as "no daemon" next round */
	} else if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT && rv != SCARD_E_UNKNOWN_READER) {
		*rc = pcsc_fail("wait", rv);
	} else {
		again = 1;      /* a change, or the slice ran out */
	}
out:
	free(st);
	return again;
}

/* One round of wait_change: look at the readers now, answer if they differ
 * from known or the time is up, else block for one slice. Returns 1 to go
 * round again, else *rc is the answer. */
static int wait_round(pcsc_transport *t, const jp_reader_status *known, size_t count,
                      unsigned slice, jp_err *rc)
{
	pcsc_snap s = { 0 };
	LONG rv;
	int again = 0;

	if (!t->have_wait_ctx && !open_wait_ctx(t)) {
		again = round_no_daemon(t, count, slice, rc);
		goto out;
	}
	*rc = snap_take(t->wait_ctx, &s, &rv);
	if (*rc != JP_OK) {
		if (context_lost(rv)) {
			drop_wait_ctx(t);
			again = 1;  /* handled as "no daemon" next round */
		}
		goto out;
	}
	if (snap_differs(&s, known, count))
		*rc = JP_OK;
	else if (slice == 0)
		*rc = JP_E_TIMEOUT;
	else
		again = round_block(t, &s, slice, rc);
out:
	snap_free(&s);
	return again;
}

static jp_err pcsc_wait_change(jp_transport *tp, const jp_reader_status *known, size_t count,
                               unsigned timeout_ms)
{
	pcsc_transport *t = (pcsc_transport *)tp;
	jp_err rc = JP_OK;
	const int forever = timeout_ms == (unsigned)-1;
	const unsigned long long deadline = now_ms() + (forever ? 0 : timeout_ms);
	int again = 1;

	if (!t || (count && !known)) {
		rc = JP_E_ARGS;
		goto out;         /* the lock is not taken */
	}
	pthread_mutex_lock(&t->wait_lock);
	while (again) {
		if (cancel_taken(t)) {
			rc = JP_E_CANCELLED;
			break;
		}
		again = wait_round(t, known, count, next_slice(forever, deadline), &rc);
	}
	pthread_mutex_unlock(&t->wait_lock);
out:
	return rc;
}

static jp_err pcsc_cancel(jp_transport *tp)
{
	pcsc_transport *t = (pcsc_transport *)tp;
	jp_err rc = JP_OK;

	if (!t) {
		rc = JP_E_ARGS;
		goto out;
	}
	/* The flag makes the cancel stick until a wait takes it, so a cancel
	 * that comes just before the wait starts is not lost. */
	pthread_mutex_lock(&t->cancel_lock);
	t->cancel_pending = 1;
	if (t->waiting && t->have_wait_ctx)
		SCardCancel(t->wait_ctx);
	pthread_cond_broadcast(&t->cancel_cond);
	pthread_mutex_unlock(&t->cancel_lock);
out:
	return rc;
}

/* ---- links ---- */

static const SCARD_IO_REQUEST *link_pci(const pcsc_link *l)
{
	return l->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
}

static void link_read_atr(pcsc_link *l)
{
	char name[JP_READER_NAME_MAX + 8];
	DWORD name_len = sizeof(name), state = 0, proto = 0, atr_len = MAX_ATR_SIZE;
	BYTE atr[MAX_ATR_SIZE];

	if (SCardStatus(l->h, name, &name_len, &state, &proto, atr, &atr_len) == SCARD_S_SUCCESS &&
	    atr_len <= JP_ATR_MAX) {
		memcpy(l->atr, atr, atr_len);
		l->atr_len = atr_len;
	}
}

/* After SCARD_W_RESET_CARD: someone reset or power-cycled the card. pcsc-lite
 * wants the handle reconnected (leaving the card as it is) before it can be
 * used again. Returns JP_E_CARD_RESET when the link is usable again. */
static jp_err link_recover(pcsc_link *l)
{
	jp_err rc = JP_E_CARD_RESET;
	LONG rv;
	DWORD proto = 0;

	rv = SCardReconnect(l->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
	                    SCARD_LEAVE_CARD, &proto);
	if (rv != SCARD_S_SUCCESS) {
		rc = pcsc_fail("reconnect", rv);
		if (rc == JP_OK || rc == JP_E_CARD_RESET)
			rc = JP_E_TRANSPORT;
		goto out;
	}
	l->proto = proto;
	link_read_atr(l);
	JP_INFO("pcsc: card was reset by someone else; reconnected");
out:
	return rc;
}

/* Maps the result of a call on the handle, recovering from a reset. */
static jp_err link_result(pcsc_link *l, const char *what, LONG rv)
{
	jp_err rc = JP_OK;

	if (rv == SCARD_S_SUCCESS)
		goto out;
	if (rv == SCARD_W_RESET_CARD || rv == SCARD_W_UNPOWERED_CARD) {
		rc = link_recover(l);
		goto out;
	}
	rc = pcsc_fail(what, rv);
out:
	return rc;
}

static jp_err pcsc_connect(jp_transport *tp, const char *reader, jp_link **out)
{
	jp_err rc = JP_OK;
	pcsc_link *l = NULL;
	int have_ctx = 0, have_h = 0;
	LONG rv;

	if (!tp || !reader || !out || strlen(reader) >= JP_READER_NAME_MAX) {
		rc = JP_E_ARGS;
		goto out;
	}
	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = JP_E_NO_MEMORY;
		goto out;
	}
	l->base.ops = &pcsc_ops;
	l->base.transport = tp;
	memcpy(l->reader, reader, strlen(reader) + 1);
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &l->ctx);
	if (rv != SCARD_S_SUCCESS) {
		rc = pcsc_fail("establish", rv);
		goto out;
	}
	have_ctx = 1;
	rv = SCardConnect(l->ctx, reader, SCARD_SHARE_SHARED,
	                  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &l->h, &l->proto);
	if (rv != SCARD_S_SUCCESS) {
		rc = pcsc_fail("connect", rv);
		/* A card that was pulled or never answered is "no card". */
		if (rc == JP_E_CARD_RESET || rv == SCARD_W_UNRESPONSIVE_CARD)
			rc = JP_E_NO_CARD;
		goto out;
	}
	have_h = 1;
	link_read_atr(l);
	JP_DEBUG("pcsc: connected, T=%d", l->proto == SCARD_PROTOCOL_T0 ? 0 : 1);
	*out = &l->base;
out:
	if (rc != JP_OK && l) {
		if (have_h)
			SCardDisconnect(l->h, SCARD_LEAVE_CARD);
		if (have_ctx)
			SCardReleaseContext(l->ctx);
		free(l);
	}
	return rc;
}

static void pcsc_disconnect(jp_link *lp)
{
	pcsc_link *l = (pcsc_link *)lp;

	if (l) {
		SCardDisconnect(l->h, SCARD_LEAVE_CARD);
		SCardReleaseContext(l->ctx);
		free(l);
	}
}

static void pcsc_forget_link(jp_link *lp)
{
	/* Fork child: the handle is the parent's; no PC/SC call. */
	free(lp);
}

/* How long a failed exchange waits to learn whether the card left. */
#define CARD_LEFT_WAIT_MS 1500u

/* After an exchange failed for no reason PC/SC named: was the card pulled?
 * Some readers fail the command as a transport error, or answer nothing,
 * and pcscd marks the reader empty only when its event handler next looks
 * at it (vsmartcard's vpcd, polled every 0.4 s: doc/pcscd-testing.md); a
 * USB reader reports a removal within milliseconds. So wait a little for
 * the reader to show no card (a change wakes the wait at once): if it
 * does, the card went. A card that stays costs that wait, once, on a
 * command that failed anyway. */
static int link_card_left(pcsc_link *l)
{
	SCARD_READERSTATE rs;
	unsigned long long end = now_ms() + CARD_LEFT_WAIT_MS, now;
	int left = 0, first = 1;
	LONG rv;

	memset(&rs, 0, sizeof(rs));
	rs.szReader = l->reader;
	rs.dwCurrentState = SCARD_STATE_UNAWARE;
	for (;;) {
		now = now_ms();
		/* The state now, then waits for a change from it. */
		rv = SCardGetStatusChange(l->ctx, first ? 0 : (DWORD)(end > now ? end - now : 0),
		                          &rs, 1);
		first = 0;
		if (rv != SCARD_S_SUCCESS)
			break;   /* SCARD_E_TIMEOUT: still there */
		if (rs.dwEventState & (SCARD_STATE_EMPTY | SCARD_STATE_UNAVAILABLE)) {
			left = 1;
			break;
		}
		rs.dwCurrentState = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		if (now_ms() >= end)
			break;
	}
	return left;
}

static jp_err pcsc_transmit(jp_link *lp, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                            size_t *rsp_len)
{
	pcsc_link *l = (pcsc_link *)lp;
	jp_err rc;
	DWORD n;
	LONG rv;

	if (!l || !cmd || !cmd_len || !rsp || !rsp_len) {
		rc = JP_E_ARGS;
		goto out;
	}
	n = *rsp_len > (size_t)0xFFFFFFFFu ? 0xFFFFFFFFu : (DWORD)*rsp_len;
	rv = SCardTransmit(l->h, link_pci(l), cmd, (DWORD)cmd_len, NULL, rsp, &n);
	rc = link_result(l, "transmit", rv);
	/* A failed exchange, or one with no status word (vpcd answers
	 * nothing when the card's connection closed under the command). */
	if ((rc == JP_E_TRANSPORT || (rc == JP_OK && n < 2)) && link_card_left(l)) {
		JP_DEBUG("pcsc: the card left during the command");
		rc = JP_E_NO_CARD;
	}
	if (rc != JP_OK)
		goto out;
	if (n > *rsp_len) {           /* never trust a length */
		rc = JP_E_BAD_RESPONSE;
		goto out;
	}
	*rsp_len = n;
out:
	return rc;
}

static jp_err pcsc_begin(jp_link *lp)
{
	pcsc_link *l = (pcsc_link *)lp;
	jp_err rc = JP_E_ARGS;

	/* On JP_E_CARD_RESET the transaction is NOT held: the caller learns
	 * about the reset and begins again. */
	if (l)
		rc = link_result(l, "begin transaction", SCardBeginTransaction(l->h));
	return rc;
}

static jp_err pcsc_end(jp_link *lp)
{
	pcsc_link *l = (pcsc_link *)lp;
	jp_err rc;
	LONG rv;

	if (!l) {
		rc = JP_E_ARGS;
		goto out;
	}
	rv = SCardEndTransaction(l->h, SCARD_LEAVE_CARD);
	if (rv == SCARD_W_RESET_CARD) {
		/* pcsc-lite refuses to end the transaction of a handle that has
		 * not seen the reset yet: reconnect, then end it for real. */
		rc = link_recover(l);
		if (rc == JP_E_CARD_RESET)
			rv = SCardEndTransaction(l->h, SCARD_LEAVE_CARD);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_W_RESET_CARD)
			pcsc_fail("end transaction", rv);
		goto out;
	}
	rc = link_result(l, "end transaction", rv);
out:
	return rc;
}

static jp_err pcsc_unpower(jp_link *lp)
{
	pcsc_link *l = (pcsc_link *)lp;
	jp_err rc;
	LONG rv;
	DWORD proto = 0;

	if (!l) {
		rc = JP_E_ARGS;
		goto out;
	}
	/* Power off + on: the only way to leave the card provably unverified
	 * (doc/card.md §6). Reaches the card even while other handles are
	 * connected in shared mode; they then see SCARD_W_RESET_CARD. */
	rv = SCardReconnect(l->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
	                    SCARD_UNPOWER_CARD, &proto);
	if (rv == SCARD_W_RESET_CARD) {
		/* Someone else reset it first; that reconnect does not power
		 * cycle, so do it again now that the handle is current. */
		rv = SCardReconnect(l->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
		                    SCARD_UNPOWER_CARD, &proto);
	}
	if (rv != SCARD_S_SUCCESS) {
		rc = pcsc_fail("unpower", rv);
		if (rc == JP_E_CARD_RESET)
			rc = JP_E_TRANSPORT;
		goto out;
	}
	l->proto = proto;
	link_read_atr(l);
	rc = JP_OK;
out:
	return rc;
}

static jp_err pcsc_status(jp_link *lp)
{
	pcsc_link *l = (pcsc_link *)lp;
	char name[JP_READER_NAME_MAX + 8];
	DWORD name_len = sizeof(name), state = 0, proto = 0, atr_len = MAX_ATR_SIZE;
	BYTE atr[MAX_ATR_SIZE];
	jp_err rc = JP_E_ARGS;

	if (l)
		rc = link_result(l, "status",
		                 SCardStatus(l->h, name, &name_len, &state, &proto, atr, &atr_len));
	if (rc == JP_OK && !(state & SCARD_PRESENT))
		rc = JP_E_NO_CARD;
	return rc;
}

static jp_err pcsc_atr(jp_link *lp, uint8_t *out, size_t *len)
{
	pcsc_link *l = (pcsc_link *)lp;
	jp_err rc = JP_OK;

	/* out holds JP_ATR_MAX bytes. */
	if (!l || !out || !len) {
		rc = JP_E_ARGS;
		goto out;
	}
	memcpy(out, l->atr, l->atr_len);
	*len = l->atr_len;
out:
	return rc;
}

static const jp_transport_ops pcsc_ops = {
	.name = "pcsc",
	.establish = pcsc_establish,
	.release = pcsc_release,
	.forget = pcsc_forget,
	.list_readers = pcsc_list_readers,
	.wait_change = pcsc_wait_change,
	.cancel = pcsc_cancel,
	.connect = pcsc_connect,
	.disconnect = pcsc_disconnect,
	.forget_link = pcsc_forget_link,
	.transmit = pcsc_transmit,
	.begin = pcsc_begin,
	.end = pcsc_end,
	.unpower = pcsc_unpower,
	.status = pcsc_status,
	.atr = pcsc_atr,
};

const jp_transport_ops *jp_transport_default_ops(void)
{
	return &pcsc_ops;
}
