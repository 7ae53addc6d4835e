/* Slots: zero readers, readers appearing and vanishing, two readers with
 * two cards (distinct stable IDs), card removal and insertion reflected in
 * the slot list and slot info, and C_WaitForSlotEvent: CKF_DONT_BLOCK
 * (CKR_NO_EVENT), events for insertion and removal, a blocking wait woken
 * by an insertion in another thread, and one woken by C_Finalize. */
#include "config.h"

#include <pthread.h>
#include <unistd.h>

#include "jpki/sleep.h"
#include "tests/p11/p11-test.h"

static int present(CK_SLOT_ID id)
{
	CK_SLOT_INFO si;

	if (F->C_GetSlotInfo(id, &si) != CKR_OK)
		return -1;
	return !!(si.flags & CKF_TOKEN_PRESENT);
}

/* Drains pending events; returns how many. */
static int drain(void)
{
	CK_SLOT_ID id;
	int n = 0;

	while (F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL) == CKR_OK && n < 100)
		n++;
	return n;
}

struct waiter {
	CK_RV rv;
	CK_SLOT_ID slot;
	int done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rv = F->C_WaitForSlotEvent(0, &w->slot, NULL);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Whether the waiting thread returned, after up to ms milliseconds; the
 * bounds below only catch a hang. */
static int wait_done(struct waiter *w, int ms)
{
	while (ms-- > 0 && !__atomic_load_n(&w->done, __ATOMIC_SEQ_CST))
		jp_sleep_ms(1);
	return __atomic_load_n(&w->done, __ATOMIC_SEQ_CST);
}

/* Whether the waiting thread is blocked in the transport (it listed the
 * readers and now waits for a change) and has not returned: only then does
 * the event that follows test waking a blocked wait, not a wait that
 * started late and found the event already pending. */
static int blocks(struct waiter *w)
{
	int ms;

	for (ms = 0; ms < 30000 && jp_emu_blocked() < 1; ms++)
		jp_sleep_ms(1);
	return jp_emu_blocked() >= 1 && !__atomic_load_n(&w->done, __ATOMIC_SEQ_CST);
}

int main(void)
{
	jp_emu *e1, *e2;
	CK_SLOT_ID s[8], id = 0, first[4];
	CK_ULONG n;
	int r1, r2;
	struct waiter w;
	pthread_t th;

	pt_load();
	/* Zero readers. */
	is_int(pt_init(), CKR_OK, "initialize without readers");
	is_int(pt_slots(CK_FALSE, s, 8), 0, "no slots");
	is_int(pt_slots(CK_TRUE, s, 8), 0, "no token slots");
	is_int(F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL), CKR_NO_EVENT, "no event");
	is_int(F->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD, "NULL slot");
	is_int(F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, &id), CKR_ARGUMENTS_BAD,
	       "non-NULL reserved");

	/* Two readers appear, with two cards. */
	r1 = pt_reader_with_card("Reader One 00 00", 1, NULL, &e1);
	r2 = pt_reader_with_card("Reader Two 00 00", 2, NULL, &e2);
	n = pt_slots(CK_FALSE, s, 8);
	is_int(n, 4, "two readers, four slots");
	memcpy(first, s, sizeof(first));
	ok(s[0] != s[1] && s[1] != s[2] && s[2] != s[3], "distinct slot ids");
	is_int(pt_slots(CK_TRUE, s, 8), 4, "four tokens");
	ok(drain() >= 4, "the new slots reported events");
	is_int(F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL), CKR_NO_EVENT, "then none");

	/* Card 1 removed. */
	jp_emu_reader_eject(r1);
	is_int(F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL), CKR_OK, "removal: event");
	ok(id == first[0] || id == first[1], "removal: on reader one's slot");
	is_int(present(first[0]), 0, "slot info: no token after removal");
	is_int(pt_slots(CK_TRUE, s, 8), 2, "two tokens left");
	is_int(pt_slots(CK_FALSE, s, 8), 4, "still four slots");
	ok(!memcmp(s, first, sizeof(first)), "slot ids unchanged");
	drain();

	/* Card 1 back. */
	jp_emu_reader_insert(r1, e1);
	is_int(F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL), CKR_OK, "insertion: event");
	ok(id == first[0] || id == first[1], "insertion: on reader one's slot");
	is_int(present(first[0]), 1, "slot info: token back");
	drain();

	/* A blocking wait, woken by an insertion from another thread. */
	jp_emu_reader_eject(r2);
	drain();
	memset(&w, 0, sizeof(w));
	pthread_create(&th, NULL, wait_thread, &w);
	ok(blocks(&w), "the wait blocks");
	jp_emu_reader_insert(r2, e2);
	ok(wait_done(&w, 30000), "an insertion wakes it");
	pthread_join(th, NULL);
	is_int(w.rv, CKR_OK, "wait: CKR_OK");
	ok(w.slot == first[2] || w.slot == first[3], "wait: reader two's slot");
	drain();

	/* Removal wakes a blocking wait too. */
	memset(&w, 0, sizeof(w));
	pthread_create(&th, NULL, wait_thread, &w);
	ok(blocks(&w), "blocked again");
	jp_emu_reader_eject(r2);
	ok(wait_done(&w, 30000), "a removal wakes it");
	pthread_join(th, NULL);
	is_int(w.rv, CKR_OK, "wait: CKR_OK");
	drain();

	/* A reader goes away: its slots become invalid. */
	jp_emu_reader_remove(r2);
	n = pt_slots(CK_FALSE, s, 8);
	is_int(n, 2, "reader two gone: two slots");
	is_int(present(first[2]), -1, "its slot id is invalid");
	drain();

	/* A reader that appears again gets new slot ids. */
	jp_emu_free(e2);
	r2 = pt_reader_with_card("Reader Two 00 00", 2, NULL, &e2);
	(void)r2;
	n = pt_slots(CK_FALSE, s, 8);
	is_int(n, 4, "reader two back: four slots");
	ok(s[2] != first[2] && s[3] != first[3], "with new slot ids");
	drain();

	/* C_Finalize from another thread ends a blocking wait. */
	memset(&w, 0, sizeof(w));
	pthread_create(&th, NULL, wait_thread, &w);
	ok(blocks(&w), "blocked");
	is_int(F->C_Finalize(NULL), CKR_OK, "finalize while a thread waits");
	ok(wait_done(&w, 30000), "the wait returned");
	pthread_join(th, NULL);
	is_int(w.rv, CKR_CRYPTOKI_NOT_INITIALIZED, "with CKR_CRYPTOKI_NOT_INITIALIZED");
	is_int(F->C_WaitForSlotEvent(CKF_DONT_BLOCK, &id, NULL), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "after finalize");

	jp_emu_readers_clear();
	jp_emu_free(e1);
	jp_emu_free(e2);
	done_testing();
}
