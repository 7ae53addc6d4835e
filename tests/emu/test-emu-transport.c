/* The in-process transport keeps PC/SC's promises (include/jpki/transport.h):
 * readers and events, connect/transmit, resets seen once per link, removal,
 * unpower, transactions, wait_change with cancel and timeout. */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "jpki/sleep.h"
#include "jpki/transport.h"
#include "tests/emu/emu-transport.h"
#include "tests/tap.h"

static const jp_transport_ops *ops;
static jp_transport *T;
static uint8_t rsp[JP_RSP_MAX];
static size_t rlen;

static jp_err xmit(jp_link *l, const char *hex)
{
	uint8_t c[300];
	size_t n = 0;
	unsigned v;
	int used;

	while (*hex && sscanf(hex, "%2x%n", &v, &used) == 1) {
		c[n++] = (uint8_t)v;
		hex += used;
		while (*hex == ' ')
			hex++;
	}
	rlen = sizeof(rsp);
	return ops->transmit(l, c, n, rsp, &rlen);
}

static unsigned sw(void)
{
	return rlen >= 2 ? (unsigned)((rsp[rlen - 2] << 8) | rsp[rlen - 1]) : 0;
}

#define SEL "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"

static jp_err verify_auth(jp_link *l, const char *pin)
{
	uint8_t c[16] = { 0x00, 0x20, 0x00, 0x80, 0x04 };
	jp_err rc = xmit(l, "00 A4 02 0C 02 00 18");
	if (rc != JP_OK)
		return rc;
	memcpy(c + 5, pin, 4);
	rlen = sizeof(rsp);
	return ops->transmit(l, c, 9, rsp, &rlen);
}

typedef struct waiter {
	jp_reader_status *known;
	size_t count;
	unsigned timeout;
	jp_err rc;
} waiter;

static void *wait_thread(void *arg)
{
	waiter *w = arg;
	w->rc = ops->wait_change(T, w->known, w->count, w->timeout);
	return NULL;
}

typedef struct holder {
	jp_link *l;
	int done;                   /* atomic: read while the thread runs */
} holder;

static void *tx_thread(void *arg)
{
	holder *h = arg;
	jp_err rc = xmit(h->l, SEL);
	__atomic_store_n(&h->done, rc == JP_OK ? 1 : -1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Waits until n threads are blocked in the transport: the check that
 * follows then tests a blocked call, whatever the scheduler did. The bound
 * only catches a hang. */
static int blocked(unsigned n)
{
	int ms;

	for (ms = 0; ms < 30000 && jp_emu_blocked() < n; ms++)
		jp_sleep_ms(1);
	return jp_emu_blocked() >= n;
}

int main(void)
{
	char pin[8];
	jp_emu *e1, *e2;
	jp_link *a = NULL, *b = NULL;
	jp_reader_status *rs = NULL;
	size_t n = 0;
	int r0, r1;
	unsigned long ev;
	uint8_t atr[JP_ATR_MAX];
	size_t atr_len = sizeof(atr);
	pthread_t th;
	waiter w;
	holder h;

	ops = jp_transport_default_ops();
	ok(ops != NULL && strcmp(ops->name, "emu") == 0, "default ops are the emulator's");
	is_int(ops->establish(&T), JP_OK, "establish");
	is_int(ops->list_readers(T, &rs, &n), JP_OK, "list with no readers");
	is_int(n, 0, "  zero readers");
	free(rs);
	jp_emu_fixture_pin(1, 0, pin, sizeof(pin));
	e1 = jp_emu_new(jp_emu_fixture_dir(1), NULL, NULL);
	e2 = jp_emu_new(jp_emu_fixture_dir(2), NULL, NULL);
	ok(e1 != NULL && e2 != NULL, "two emulated cards");

	r0 = jp_emu_reader_add("Emu Reader 0");
	r1 = jp_emu_reader_add("Emu Reader 1");
	ok(r0 >= 0 && r1 >= 0 && r0 != r1, "two readers");
	is_int(ops->connect(T, "Emu Reader 0", &a), JP_E_NO_CARD, "connect to an empty reader: NO_CARD");
	is_int(ops->connect(T, "No Such Reader", &a), JP_E_NO_READER, "connect to no reader: NO_READER");
	jp_emu_reader_insert(r0, e1);
	ops->list_readers(T, &rs, &n);
	ok(n == 2 && rs[0].present && !rs[1].present && rs[0].atr_len == 15 && rs[0].atr[0] == 0x3B,
	   "list: card in reader 0 with its ATR, reader 1 empty");
	ev = n ? rs[0].events : 0;
	ok(n == 2 && strcmp(rs[0].name, "Emu Reader 0") == 0, "  names kept");

	/* wait_change: returns at once when the state differs, times out when
	 * not, wakes on insert and on cancel. */
	is_int(ops->wait_change(T, rs, n, 0), JP_E_TIMEOUT, "wait_change poll, nothing new: TIMEOUT");
	is_int(ops->wait_change(T, rs, 1, 0), JP_OK, "wait_change with a stale reader list: OK");
	w.known = rs;
	w.count = n;
	w.timeout = 5000;
	pthread_create(&th, NULL, wait_thread, &w);
	ok(blocked(1), "wait_change blocks");
	jp_emu_reader_insert(r1, e2);
	pthread_join(th, NULL);
	is_int(w.rc, JP_OK, "insert wakes wait_change");
	free(rs);
	ops->list_readers(T, &rs, &n);
	w.known = rs;
	w.count = n;
	w.timeout = (unsigned)-1;
	pthread_create(&th, NULL, wait_thread, &w);
	ok(blocked(1), "wait_change (forever) blocks");
	ops->cancel(T);
	pthread_join(th, NULL);
	is_int(w.rc, JP_E_CANCELLED, "cancel wakes wait_change (forever)");
	is_int(ops->wait_change(T, rs, n, 30), JP_E_TIMEOUT, "a later wait is not cancelled");

	is_int(ops->connect(T, "Emu Reader 0", &a), JP_OK, "connect A");
	is_int(ops->connect(T, "Emu Reader 0", &b), JP_OK, "connect B (shared)");
	ok(jp_emu_powered(e1), "connect powered the card");
	is_int(ops->atr(a, atr, &atr_len), JP_OK, "atr");
	ok(atr_len == 15 && atr[0] == 0x3B, "  the emulator's ATR");
	is_int(xmit(a, SEL), JP_OK, "transmit SELECT");
	is_int(sw(), 0x9000, "  9000");
	is_int(verify_auth(a, pin), JP_OK, "VERIFY through A");
	is_int(sw(), 0x9000, "  9000");
	ok(jp_emu_verified(e1, 0), "  card verified");

	/* Reset by another process: every link sees it once, then works. */
	jp_emu_reader_reset_by_other(r0, 0);
	ok(jp_emu_verified(e1, 0), "warm reset by other keeps the PIN (worst case default)");
	is_int(xmit(a, SEL), JP_E_CARD_RESET, "A: CARD_RESET");
	is_int(xmit(a, SEL), JP_OK, "A: then usable");
	is_int(ops->begin(b), JP_E_CARD_RESET, "B: begin gives CARD_RESET too");
	is_int(ops->begin(b), JP_OK, "B: begin again OK");
	is_int(ops->end(b), JP_OK, "B: end");
	is_int(ops->status(a), JP_OK, "status A: OK");

	/* Unpower: this link is fine, the other sees a reset; PIN gone. */
	is_int(ops->unpower(a), JP_OK, "unpower via A");
	ok(!jp_emu_verified(e1, 0), "  the card is no longer verified");
	is_int(ops->status(a), JP_OK, "  A not told about its own power cycle");
	is_int(ops->status(b), JP_E_CARD_RESET, "  B: status CARD_RESET");
	is_int(ops->status(b), JP_OK, "  B: then OK");
	jp_emu_reader_reset_by_other(r0, 1);
	is_int(xmit(b, SEL), JP_E_CARD_RESET, "power cycle by other: CARD_RESET");

	/* Transactions block the other link. */
	is_int(ops->begin(a), JP_E_CARD_RESET, "A: begin after that: CARD_RESET, not held");
	is_int(ops->begin(a), JP_OK, "A begins a transaction");
	h.l = b;
	h.done = 0;
	pthread_create(&th, NULL, tx_thread, &h);
	ok(blocked(1), "B's transmit blocks while A holds the transaction");
	is_int(__atomic_load_n(&h.done, __ATOMIC_SEQ_CST), 0, "  and has not gone through");
	xmit(a, SEL);
	is_int(ops->end(a), JP_OK, "A ends");
	pthread_join(th, NULL);
	is_int(h.done, 1, "  then B's transmit goes through");

	/* Reader without extended APDUs. */
	jp_emu_reader_no_extended(r0, 1);
	xmit(a, SEL);
	xmit(a, "00 A4 02 0C 02 00 0A");
	is_int(xmit(a, "00 B0 00 00 00 00 00"), JP_E_TRANSPORT, "no_extended reader: TRANSPORT error");
	is_int(xmit(a, "00 B0 00 00 04"), JP_OK, "  short READ still fine");
	is_int(sw(), 0x9000, "  9000");
	jp_emu_reader_no_extended(r0, 0);
	is_int(xmit(a, "00 B0 00 00 00 00 00"), JP_OK, "extended READ once allowed");
	ok(rlen > 900 && sw() == 0x9000, "  whole certificate");

	/* Removal. */
	free(rs);
	ops->list_readers(T, &rs, &n);
	ev = rs[0].events;
	ok(jp_emu_reader_eject(r0) == e1, "eject returns the card");
	ok(!jp_emu_powered(e1), "  unpowered");
	is_int(xmit(a, SEL), JP_E_NO_CARD, "A: NO_CARD");
	is_int(ops->status(b), JP_E_NO_CARD, "B: status NO_CARD");
	is_int(ops->wait_change(T, rs, n, 0), JP_OK, "wait_change sees the removal");
	jp_emu_reader_insert(r0, e1);
	is_int(xmit(a, SEL), JP_E_NO_CARD, "old link after re-insert: still NO_CARD (new card)");
	ops->disconnect(a);
	ops->disconnect(b);
	free(rs);
	ops->list_readers(T, &rs, &n);
	ok(rs[0].events != ev, "events counter changed");

	/* A card that leaves by itself mid-command (remove_nth). */
	is_int(ops->connect(T, "Emu Reader 0", &a), JP_OK, "reconnect");
	jp_emu_opts(e1)->remove_nth = jp_emu_apdu_count(e1) + 2;
	is_int(xmit(a, SEL), JP_OK, "one more APDU fine");
	is_int(xmit(a, SEL), JP_E_NO_CARD, "remove_nth: NO_CARD");
	is_int(ops->wait_change(T, rs, n, 0), JP_OK, "  wait_change sees it");
	free(rs);
	ops->list_readers(T, &rs, &n);
	ok(!rs[0].present, "  list: absent");
	jp_emu_opts(e1)->remove_nth = 0;
	jp_emu_opts(e1)->drop_nth = jp_emu_apdu_count(e1) + 1;
	jp_emu_reader_insert(r0, e1);
	ops->disconnect(a);
	is_int(ops->connect(T, "Emu Reader 0", &a), JP_OK, "re-inserted: connect");
	is_int(xmit(a, SEL), JP_E_TRANSPORT, "drop_nth: TRANSPORT");
	is_int(xmit(a, SEL), JP_OK, "  next is fine");
	ops->disconnect(a);

	/* Reader removal. */
	is_int(ops->connect(T, "Emu Reader 1", &b), JP_OK, "connect reader 1");
	jp_emu_reader_remove(r1);
	is_int(xmit(b, SEL), JP_E_NO_READER, "reader removed: NO_READER");
	ops->disconnect(b);
	free(rs);
	ops->list_readers(T, &rs, &n);
	is_int(n, 1, "one reader left");
	free(rs);

	jp_emu_readers_clear();
	ops->list_readers(T, &rs, &n);
	is_int(n, 0, "readers_clear: none left");
	free(rs);
	ops->release(T);
	jp_emu_free(e1);
	jp_emu_free(e2);
	done_testing();
}
