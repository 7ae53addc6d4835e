/* The in-process transport: process-global virtual readers holding emulated
 * cards, behind the jp_transport ops table, with PC/SC's semantics where
 * the code under test depends on them (src/transport/pcsc.c is the model):
 * shared connections, transactions that block other links, a reset by
 * someone else seen once per link as JP_E_CARD_RESET, removal as
 * JP_E_NO_CARD, an event counter per reader, and a wait_change that
 * another thread can cancel.
 *
 * Locking: one global mutex guards the readers and links. A card is driven
 * with the mutex released (latency options sleep), marked busy meanwhile;
 * everything else that touches a card waits until it is not busy. */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "jpki/transport.h"
#include "emu-transport.h"

#define EMU_READERS_MAX 16

typedef struct emu_reader {
	int used;
	unsigned long gen;          /* identity of this reader instance */
	char name[JP_READER_NAME_MAX];
	jp_emu *card;
	int busy;                   /* an APDU is running on card */
	int last_present;
	unsigned long events;       /* bumped on insert and removal */
	unsigned long card_gen;     /* identity of the current insertion */
	unsigned long resets;       /* bumped on every reset or power cycle */
	int no_extended;
	const void *tx_owner;       /* link holding the transaction */
	int unreachable;            /* JP_EMU_UNREACHABLE: every link fails */
	unsigned long link_epoch;   /* links from an older epoch are broken */
} emu_reader;

typedef struct emu_transport {
	jp_transport base;
	unsigned long cancel_gen;
} emu_transport;

typedef struct emu_link {
	jp_link base;
	int idx;
	unsigned long reader_gen;
	unsigned long card_gen;
	unsigned long resets_seen;
	unsigned long link_epoch;
	uint8_t rsp[JP_EMU_RSP_MAX];
} emu_link;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static emu_reader g_readers[EMU_READERS_MAX];
static unsigned long g_gen;
static unsigned g_blocked;          /* threads in a cond wait below */

static const jp_transport_ops emu_ops;

static emu_reader *reader_at(int idx)
{
	return (idx >= 0 && idx < EMU_READERS_MAX && g_readers[idx].used) ? &g_readers[idx] : NULL;
}

static void wait_idle_inlock(emu_reader *r)
{
	while (r->busy)
		pthread_cond_wait(&g_cond, &g_lock);
}

static int card_present(const emu_reader *r)
{
	return r->card != NULL && !jp_emu_removed(r->card);
}

/* A card can leave on its own (remove_nth) or come back (jp_emu_reinsert):
 * turn each change of presence into an event and a new insertion id. */
static void sync_inlock(emu_reader *r)
{
	int p = card_present(r);

	if (p != r->last_present) {
		r->last_present = p;
		r->events++;
		r->card_gen++;
		pthread_cond_broadcast(&g_cond);
	}
}

/* ---- test control (emu-transport.h) ---- */

int jp_emu_reader_add(const char *name)
{
	int i, idx = -1;

	if (name == NULL || strlen(name) >= JP_READER_NAME_MAX)
		return -1;
	pthread_mutex_lock(&g_lock);
	for (i = 0; i < EMU_READERS_MAX; i++) {
		if (!g_readers[i].used) {
			emu_reader *r = &g_readers[i];
			memset(r, 0, sizeof(*r));
			r->used = 1;
			r->gen = ++g_gen;
			strcpy(r->name, name);
			idx = i;
			break;
		}
	}
	pthread_cond_broadcast(&g_cond);
	pthread_mutex_unlock(&g_lock);
	return idx;
}

static void remove_inlock(emu_reader *r)
{
	wait_idle_inlock(r);
	if (r->card != NULL)
		jp_emu_power_off(r->card);
	r->card = NULL;
	r->used = 0;
	r->gen = 0;
	r->tx_owner = NULL;
}

void jp_emu_reader_remove(int idx)
{
	emu_reader *r;

	pthread_mutex_lock(&g_lock);
	r = reader_at(idx);
	if (r != NULL)
		remove_inlock(r);
	pthread_cond_broadcast(&g_cond);
	pthread_mutex_unlock(&g_lock);
}

void jp_emu_readers_clear(void)
{
	int i;

	pthread_mutex_lock(&g_lock);
	for (i = 0; i < EMU_READERS_MAX; i++)
		if (g_readers[i].used)
			remove_inlock(&g_readers[i]);
	pthread_cond_broadcast(&g_cond);
	pthread_mutex_unlock(&g_lock);
}

void jp_emu_reader_insert(int idx, jp_emu *e)
{
	emu_reader *r;

	pthread_mutex_lock(&g_lock);
	r = reader_at(idx);
	if (r != NULL && e != NULL) {
		wait_idle_inlock(r);
		if (r->card != NULL)
			jp_emu_power_off(r->card);
		/* In the reader, unpowered until someone connects. */
		if (jp_emu_removed(e))
			jp_emu_reinsert(e);
		else
			jp_emu_power_off(e);
		r->card = e;
		r->tx_owner = NULL;
		r->last_present = 0;
		sync_inlock(r);
	}
	pthread_mutex_unlock(&g_lock);
}

jp_emu *jp_emu_reader_eject(int idx)
{
	emu_reader *r;
	jp_emu *e = NULL;

	pthread_mutex_lock(&g_lock);
	r = reader_at(idx);
	if (r != NULL) {
		wait_idle_inlock(r);
		e = r->card;
		/* Pulling the card cuts its power: the verified state is gone. */
		if (e != NULL)
			jp_emu_power_off(e);
		r->card = NULL;
		r->tx_owner = NULL;
		sync_inlock(r);
	}
	pthread_mutex_unlock(&g_lock);
	return e;
}

void jp_emu_reader_no_extended(int idx, int on)
{
	emu_reader *r;

	pthread_mutex_lock(&g_lock);
	r = reader_at(idx);
	if (r != NULL)
		r->no_extended = on;
	pthread_mutex_unlock(&g_lock);
}

void jp_emu_reader_reset_by_other(int idx, int unpower)
{
	emu_reader *r;

	pthread_mutex_lock(&g_lock);
	r = reader_at(idx);
	if (r != NULL && card_present(r)) {
		wait_idle_inlock(r);
		if (unpower) {
			jp_emu_power_off(r->card);
			jp_emu_power_on(r->card);
		} else {
			jp_emu_reset(r->card);
		}
		r->resets++;
	}
	pthread_mutex_unlock(&g_lock);
}

void jp_emu_reader_unreachable(int idx, int mode)
{
	emu_reader *r;

	pthread_mutex_lock(&g_lock);
	r = reader_at(idx);
	if (r != NULL) {
		r->unreachable = mode == JP_EMU_UNREACHABLE ? mode : JP_EMU_REACHABLE;
		if (mode == JP_EMU_LINKS_BROKEN)
			r->link_epoch++;
		pthread_cond_broadcast(&g_cond);
	}
	pthread_mutex_unlock(&g_lock);
}

unsigned jp_emu_blocked(void)
{
	unsigned n;

	pthread_mutex_lock(&g_lock);
	n = g_blocked;
	pthread_mutex_unlock(&g_lock);
	return n;
}

/* ---- the ops table ---- */

static jp_err emu_establish(jp_transport **out)
{
	emu_transport *t;

	if (out == NULL)
		return JP_E_ARGS;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return JP_E_NO_MEMORY;
	t->base.ops = &emu_ops;
	*out = &t->base;
	return JP_OK;
}

static void emu_release(jp_transport *t)
{
	free(t);
}

static jp_err list_inlock(jp_reader_status **out, size_t *count)
{
	jp_reader_status *rs = NULL;
	size_t n = 0;
	int i;
	jp_err rc = JP_OK;

	for (i = 0; i < EMU_READERS_MAX; i++)
		if (g_readers[i].used)
			n++;
	if (n > 0) {
		rs = calloc(n, sizeof(*rs));
		if (rs == NULL) {
			rc = JP_E_NO_MEMORY;
			n = 0;
			goto out;
		}
	}
	n = 0;
	for (i = 0; i < EMU_READERS_MAX; i++) {
		emu_reader *r = &g_readers[i];
		jp_reader_status *s;
		if (!r->used)
			continue;
		sync_inlock(r);
		s = &rs[n++];
		strcpy(s->name, r->name);
		s->present = r->last_present;
		s->events = r->events;
		if (s->present) {
			const uint8_t *atr = jp_emu_atr(r->card, &s->atr_len);
			memcpy(s->atr, atr, s->atr_len);
		}
	}
out:
	*out = rs;
	*count = n;
	return rc;
}

static jp_err emu_list_readers(jp_transport *t, jp_reader_status **out, size_t *count)
{
	jp_err rc;

	if (t == NULL || out == NULL || count == NULL)
		return JP_E_ARGS;
	pthread_mutex_lock(&g_lock);
	rc = list_inlock(out, count);
	pthread_mutex_unlock(&g_lock);
	return rc;
}

static int differs_inlock(const jp_reader_status *known, size_t count)
{
	size_t n = 0, j;
	int i;

	for (i = 0; i < EMU_READERS_MAX; i++) {
		emu_reader *r = &g_readers[i];
		const jp_reader_status *k = NULL;
		if (!r->used)
			continue;
		n++;
		sync_inlock(r);
		for (j = 0; j < count; j++)
			if (strcmp(known[j].name, r->name) == 0)
				k = &known[j];
		if (k == NULL || (k->present != 0) != r->last_present || k->events != r->events)
			return 1;
	}
	return n != count;
}

/* t += ms, normalized. */
static void ts_add_ms(struct timespec *t, unsigned long ms)
{
	t->tv_sec += (time_t)(ms / 1000);
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/* <0, 0, >0 as a is before, at, after b. */
static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return (a->tv_nsec > b->tv_nsec) - (a->tv_nsec < b->tv_nsec);
}

static jp_err emu_wait_change(jp_transport *tp, const jp_reader_status *known, size_t count,
                              unsigned timeout_ms)
{
	emu_transport *t = (emu_transport *)tp;
	struct timespec deadline;
	unsigned long cancel_gen;
	jp_err rc;

	if (t == NULL || (known == NULL && count > 0))
		return JP_E_ARGS;
	clock_gettime(CLOCK_REALTIME, &deadline);
	ts_add_ms(&deadline, timeout_ms);
	pthread_mutex_lock(&g_lock);
	cancel_gen = t->cancel_gen;
	for (;;) {
		struct timespec tick;
		if (differs_inlock(known, count)) {
			rc = JP_OK;
			break;
		}
		if (t->cancel_gen != cancel_gen) {
			rc = JP_E_CANCELLED;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &tick);
		if (timeout_ms != (unsigned)-1 && ts_cmp(&tick, &deadline) >= 0) {
			rc = JP_E_TIMEOUT;
			break;
		}
		/* Wake at least every 50 ms: a card can also leave by itself
		 * (remove_nth) without anyone signalling. */
		ts_add_ms(&tick, 50);
		if (timeout_ms != (unsigned)-1 && ts_cmp(&tick, &deadline) > 0)
			tick = deadline;
		g_blocked++;
		pthread_cond_timedwait(&g_cond, &g_lock, &tick);
		g_blocked--;
	}
	pthread_mutex_unlock(&g_lock);
	return rc;
}

/* Like SCardCancel: wakes the wait_change calls running now; one that
 * starts later is not affected. */
static jp_err emu_cancel(jp_transport *tp)
{
	emu_transport *t = (emu_transport *)tp;

	if (t == NULL)
		return JP_E_ARGS;
	pthread_mutex_lock(&g_lock);
	t->cancel_gen++;
	pthread_cond_broadcast(&g_cond);
	pthread_mutex_unlock(&g_lock);
	return JP_OK;
}

static jp_err emu_connect(jp_transport *t, const char *reader, jp_link **out)
{
	emu_link *l = NULL;
	emu_reader *r = NULL;
	jp_err rc = JP_OK;
	int i;

	if (t == NULL || reader == NULL || out == NULL)
		return JP_E_ARGS;
	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return JP_E_NO_MEMORY;
	pthread_mutex_lock(&g_lock);
	for (i = 0; i < EMU_READERS_MAX && r == NULL; i++)
		if (g_readers[i].used && strcmp(g_readers[i].name, reader) == 0)
			r = &g_readers[i];
	if (r == NULL) {
		rc = JP_E_NO_READER;
		goto out;
	}
	sync_inlock(r);
	if (!r->last_present) {
		rc = JP_E_NO_CARD;
		goto out;
	}
	wait_idle_inlock(r);
	if (!card_present(r)) {
		rc = JP_E_NO_CARD;
		goto out;
	}
	if (r->unreachable == JP_EMU_UNREACHABLE) {
		rc = JP_E_TRANSPORT;
		goto out;
	}
	/* The reader powers the card at the first connect, as pcscd does. */
	if (!jp_emu_powered(r->card))
		jp_emu_power_on(r->card);
	l->base.ops = &emu_ops;
	l->base.transport = t;
	l->idx = (int)(r - g_readers);
	l->reader_gen = r->gen;
	l->card_gen = r->card_gen;
	l->resets_seen = r->resets;
	l->link_epoch = r->link_epoch;
	*out = &l->base;
	l = NULL;
out:
	pthread_mutex_unlock(&g_lock);
	free(l);
	return rc;
}

/* Ends l's transaction if it holds one on its reader (whatever happened
 * to the card since: a removal or reset does not leave it held). */
static void release_tx_inlock(emu_link *l)
{
	emu_reader *r = reader_at(l->idx);

	if (r != NULL && r->gen == l->reader_gen && r->tx_owner == l) {
		r->tx_owner = NULL;
		pthread_cond_broadcast(&g_cond);
	}
}

static void emu_disconnect(jp_link *lp)
{
	emu_link *l = (emu_link *)lp;

	if (l == NULL)
		return;
	pthread_mutex_lock(&g_lock);
	release_tx_inlock(l);
	pthread_mutex_unlock(&g_lock);
	free(l);
}

static void emu_forget_link(jp_link *lp)
{
	free(lp);
}

/* Where the link stands: JP_E_NO_READER, JP_E_NO_CARD, JP_E_CARD_RESET
 * (seen once: the link is "reconnected" and usable again) or JP_OK. */
static jp_err check_inlock(emu_link *l, emu_reader **out)
{
	emu_reader *r = reader_at(l->idx);

	*out = NULL;
	if (r == NULL || r->gen != l->reader_gen)
		return JP_E_NO_READER;
	sync_inlock(r);
	if (!r->last_present || r->card_gen != l->card_gen)
		return JP_E_NO_CARD;
	if (r->unreachable == JP_EMU_UNREACHABLE || l->link_epoch != r->link_epoch)
		return JP_E_TRANSPORT;
	*out = r;
	if (l->resets_seen != r->resets) {
		l->resets_seen = r->resets;
		return JP_E_CARD_RESET;
	}
	return JP_OK;
}

/* Waits while another link holds the transaction (PC/SC blocks the other
 * handles of a shared card during one). Returns with r checked. */
static jp_err acquire_inlock(emu_link *l, emu_reader **out)
{
	jp_err rc;

	for (;;) {
		rc = check_inlock(l, out);
		if (rc != JP_OK || (*out)->tx_owner == NULL || (*out)->tx_owner == l)
			break;
		g_blocked++;
		pthread_cond_wait(&g_cond, &g_lock);
		g_blocked--;
	}
	return rc;
}

static int is_extended(const uint8_t *cmd, size_t n)
{
	return n >= 7 && cmd[4] == 0x00;
}

static jp_err emu_transmit(jp_link *lp, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp,
                           size_t *rsp_len)
{
	emu_link *l = (emu_link *)lp;
	emu_reader *r = NULL;
	jp_emu *card;
	long n;
	jp_err rc;

	if (l == NULL || cmd == NULL || cmd_len == 0 || rsp == NULL || rsp_len == NULL)
		return JP_E_ARGS;
	pthread_mutex_lock(&g_lock);
	for (;;) {
		rc = acquire_inlock(l, &r);
		if (rc != JP_OK || !r->busy)
			break;
		pthread_cond_wait(&g_cond, &g_lock);
	}
	if (rc != JP_OK)
		goto out;
	/* A reader without extended APDU support fails the exchange itself,
	 * as PC/SC does: JP_E_TRANSPORT (the card never sees it). */
	if (r->no_extended && is_extended(cmd, cmd_len)) {
		rc = JP_E_TRANSPORT;
		goto out;
	}
	card = r->card;
	r->busy = 1;
	pthread_mutex_unlock(&g_lock);
	n = jp_emu_apdu(card, cmd, cmd_len, l->rsp);
	pthread_mutex_lock(&g_lock);
	r->busy = 0;
	pthread_cond_broadcast(&g_cond);
	if (n < 0) {
		/* Removed mid-command, or no answer at all (drop_nth). */
		sync_inlock(r);
		rc = jp_emu_removed(card) ? JP_E_NO_CARD : JP_E_TRANSPORT;
		goto out;
	}
	if ((size_t)n > *rsp_len) {
		rc = JP_E_ARGS;
		goto out;
	}
	memcpy(rsp, l->rsp, (size_t)n);
	*rsp_len = (size_t)n;
out:
	pthread_mutex_unlock(&g_lock);
	return rc;
}

/* On JP_E_CARD_RESET the transaction is not held (as in pcsc.c). */
static jp_err emu_begin(jp_link *lp)
{
	emu_link *l = (emu_link *)lp;
	emu_reader *r;
	jp_err rc;

	if (l == NULL)
		return JP_E_ARGS;
	pthread_mutex_lock(&g_lock);
	rc = acquire_inlock(l, &r);
	if (rc == JP_OK)
		r->tx_owner = l;
	pthread_mutex_unlock(&g_lock);
	return rc;
}

static jp_err emu_end(jp_link *lp)
{
	emu_link *l = (emu_link *)lp;
	emu_reader *r;
	jp_err rc;

	if (l == NULL)
		return JP_E_ARGS;
	pthread_mutex_lock(&g_lock);
	rc = check_inlock(l, &r);
	release_tx_inlock(l);
	pthread_mutex_unlock(&g_lock);
	return rc;
}

/* SCardReconnect(SCARD_UNPOWER_CARD): power off + on; the other links see
 * JP_E_CARD_RESET, this one does not. */
static jp_err emu_unpower(jp_link *lp)
{
	emu_link *l = (emu_link *)lp;
	emu_reader *r;
	jp_err rc;

	if (l == NULL)
		return JP_E_ARGS;
	pthread_mutex_lock(&g_lock);
	rc = check_inlock(l, &r);
	if (rc == JP_E_CARD_RESET)
		rc = JP_OK;
	if (rc != JP_OK)
		goto out;
	wait_idle_inlock(r);
	if (!card_present(r)) {
		rc = JP_E_NO_CARD;
		goto out;
	}
	jp_emu_power_off(r->card);
	jp_emu_power_on(r->card);
	r->resets++;
	l->resets_seen = r->resets;
out:
	pthread_mutex_unlock(&g_lock);
	return rc;
}

static jp_err emu_status(jp_link *lp)
{
	emu_link *l = (emu_link *)lp;
	emu_reader *r;
	jp_err rc;

	if (l == NULL)
		return JP_E_ARGS;
	pthread_mutex_lock(&g_lock);
	rc = check_inlock(l, &r);
	if (rc == JP_E_NO_READER)
		rc = JP_E_NO_CARD;
	pthread_mutex_unlock(&g_lock);
	return rc;
}

static jp_err emu_atr(jp_link *lp, uint8_t *out, size_t *len)
{
	emu_link *l = (emu_link *)lp;
	emu_reader *r;
	jp_err rc = JP_OK;

	if (l == NULL || out == NULL || len == NULL)
		return JP_E_ARGS;
	pthread_mutex_lock(&g_lock);
	r = reader_at(l->idx);
	if (r == NULL || r->gen != l->reader_gen || r->card == NULL) {
		rc = JP_E_NO_CARD;
	} else {
		const uint8_t *atr = jp_emu_atr(r->card, len);
		memcpy(out, atr, *len);
	}
	pthread_mutex_unlock(&g_lock);
	return rc;
}

static const jp_transport_ops emu_ops = {
	.name = "emu",
	.establish = emu_establish,
	.release = emu_release,
	.forget = emu_release,
	.list_readers = emu_list_readers,
	.wait_change = emu_wait_change,
	.cancel = emu_cancel,
	.connect = emu_connect,
	.disconnect = emu_disconnect,
	.forget_link = emu_forget_link,
	.transmit = emu_transmit,
	.begin = emu_begin,
	.end = emu_end,
	.unpower = emu_unpower,
	.status = emu_status,
	.atr = emu_atr,
};

const jp_transport_ops *jp_transport_default_ops(void)
{
	return &emu_ops;
}
