/* Readers → slots (two per reader, doc/design.md §3), C_GetSlotList,
 * C_GetSlotInfo and C_WaitForSlotEvent. Listing readers sends no APDU. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/log.h"
#include "jpki/sleep.h"
#include "p11.h"

static const char *const purpose[2] = { "User Authentication", "Digital Signature" };

CK_SLOT_ID jp_slot_id(const jp_reader *r, jp_key key)
{
	return JP_SLOT_BASE + r->no * 2 + (CK_SLOT_ID)key;
}

int jp_slot_next_inlock(size_t *pos, int with_gone, jp_reader **reader, jp_key *key)
{
	jp_reader *r;
	jp_key k;
	int found = 0;

	while (!found && *pos < jp_mod.nreaders * 2) {
		r = jp_mod.readers[*pos / 2];
		k = (jp_key)(*pos % 2);
		(*pos)++;
		if ((with_gone || !r->gone) && JP_TOKEN_SHOWN(k)) {
			*reader = r;
			*key = k;
			found = 1;
		}
	}
	return found;
}

CK_RV jp_slot_lookup_inlock(CK_SLOT_ID id, jp_reader **reader, jp_key *key)
{
	CK_RV rv = CKR_SLOT_ID_INVALID;
	size_t pos = 0;
	jp_reader *r;
	jp_key k;

	while (rv != CKR_OK && jp_slot_next_inlock(&pos, 0, &r, &k)) {
		if (jp_slot_id(r, k) == id) {
			*reader = r;
			*key = k;
			rv = CKR_OK;
		}
	}
	return rv;
}

static jp_reader *reader_by_name(const char *name)
{
	jp_reader *r = NULL;
	size_t i;

	for (i = 0; i < jp_mod.nreaders && !r; i++)
		if (!jp_mod.readers[i]->gone && !strcmp(jp_mod.readers[i]->name, name))
			r = jp_mod.readers[i];
	return r;
}

/* Frees the entries of readers that went away, so that a long-running
 * application keeps seeing readers across replugs and pcscd restarts.
 * Their sessions are dead (freed here: nothing can use them again) and
 * their slot IDs stay invalid for ever: reader numbers are never reused,
 * only the table entry is. Called only where no caller holds a reader
 * pointer (a slot-set update, from jp_slots_refresh_inlock(1)); a reader
 * pinned by a thread in card I/O (io.c) stays. */
static void readers_reclaim_inlock(void)
{
	size_t i = 0;

	while (i < jp_mod.nreaders) {
		jp_reader *r = jp_mod.readers[i];

		if (!r->gone || r->pins > 0) {
			i++;   /* in use, or in card I/O in another thread */
			continue;
		}
		JP_DEBUG("p11: reader \"%s\" (slots %lu, %lu) forgotten", r->name,
		         (unsigned long)jp_slot_id(r, JP_KEY_AUTH),
		         (unsigned long)jp_slot_id(r, JP_KEY_SIGN));
		jp_sessions_drop_reader_inlock(r);
		jp_reader_card_gone_inlock(r);   /* not pinned: closes what is left */
		jp_mutex_free(r->lock);
		jp_wipe(r, sizeof(*r));
		free(r);
		/* Keep the order: C_GetSlotList lists readers as they came. */
		memmove(&jp_mod.readers[i], &jp_mod.readers[i + 1],
		        (jp_mod.nreaders - i - 1) * sizeof(jp_mod.readers[0]));
		jp_mod.readers[--jp_mod.nreaders] = NULL;
	}
}

static jp_reader *reader_add(const jp_reader_status *st)
{
	jp_reader *r = NULL;
	int k;

	if (jp_mod.nreaders >= JP_MAX_READERS)
		readers_reclaim_inlock();
	if (jp_mod.nreaders >= JP_MAX_READERS) {
		JP_WARN("p11: too many readers; \"%s\" ignored", st->name);
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	r->lock = jp_mutex_new();
	if (!r->lock) {
		free(r);
		r = NULL;
		goto out;
	}
	memcpy(r->name, st->name, sizeof(r->name));
	r->name[sizeof(r->name) - 1] = '\0';
	r->no = jp_mod.next_reader_no++;
	r->present = st->present;
	r->events = st->events;
	for (k = 0; k < 2; k++) {
		r->tokens[k].tries = -1;
		r->event_pending[k] = 1;
	}
	jp_mod.readers[jp_mod.nreaders++] = r;
	JP_DEBUG("p11: reader \"%s\" → slots %lu, %lu", r->name,
	         (unsigned long)jp_slot_id(r, JP_KEY_AUTH), (unsigned long)jp_slot_id(r, JP_KEY_SIGN));
out:
	return r;
}

/* Applies a listing to the reader table. */
static void apply_listing_inlock(const jp_reader_status *st, size_t n, int update_set)
{
	size_t i, j;

	for (i = 0; i < jp_mod.nreaders; i++) {
		jp_reader *r = jp_mod.readers[i];
		int seen = 0;

		if (r->gone)
			continue;
		for (j = 0; j < n; j++)
			if (!strcmp(st[j].name, r->name))
				seen = 1;
		if (!seen) {
			JP_DEBUG("p11: reader \"%s\" is gone", r->name);
			jp_reader_card_gone_inlock(r);
			r->gone = 1;
			r->present = 0;
			r->event_pending[0] = r->event_pending[1] = 1;
		}
	}
	for (j = 0; j < n; j++) {
		jp_reader *r = reader_by_name(st[j].name);

		if (!r) {
			if (update_set)
				(void)reader_add(&st[j]);
			continue;
		}
		if ((st[j].present != 0) != (r->present != 0) || st[j].events != r->events) {
			/* Inserted, removed or swapped: whatever we knew about
			 * the card is void. */
			JP_DEBUG("p11: reader \"%s\": card %s", r->name,
			         st[j].present ? "inserted or changed" : "removed");
			jp_reader_card_gone_inlock(r);
			r->present = st[j].present;
			r->events = st[j].events;
			r->event_pending[0] = r->event_pending[1] = 1;
		}
	}
}

CK_RV jp_slots_refresh_inlock(int update_set)
{
	jp_reader_status *st = NULL;
	size_t n = 0;
	jp_err e;

	if (!jp_mod.transport)
		goto out;
	e = jp_mod.transport->ops->list_readers(jp_mod.transport, &st, &n);
	if (e != JP_OK) {
		/* No daemon or a hiccup: keep what we know. */
		JP_DEBUG("p11: listing readers: %s", jp_err_str(e));
		goto out;
	}
	apply_listing_inlock(st, n, update_set);
out:
	free(st);
	return CKR_OK;
}

void jp_slots_clear_events_inlock(void)
{
	size_t i;

	for (i = 0; i < jp_mod.nreaders; i++)
		jp_mod.readers[i]->event_pending[0] = jp_mod.readers[i]->event_pending[1] = 0;
}

CK_RV jp_p11_get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_RV rv;
	CK_ULONG n = 0;
	size_t pos;
	jp_reader *r;
	jp_key k;
	int pass;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	if (!count) {
		rv = CKR_ARGUMENTS_BAD;
		goto unlock;
	}
	(void)jp_slots_refresh_inlock(list == NULL);
	/* Pass 0 counts, pass 1 copies. Asking for token-present slots
	 * probes unknown tokens (APDUs, once per insertion); the plain list
	 * never touches a card. */
	for (pass = 0; pass < 2; pass++) {
		n = 0;
		pos = 0;
		while (jp_slot_next_inlock(&pos, 0, &r, &k)) {
			if (present && pass == 0)
				(void)jp_token_probe(r, k);   /* once per token: then a no-op */
			if (present && !jp_token_present_inlock(r, k))
				continue;
			if (pass == 1 && list && n < *count)
				list[n] = jp_slot_id(r, k);
			n++;
		}
	}
	if (list && *count < n)
		rv = CKR_BUFFER_TOO_SMALL;
	*count = n;
unlock:
	jp_leave();
out:
	return rv;
}

CK_RV jp_enter_slot_info(CK_SLOT_ID id, const void *info, jp_reader **reader, jp_key *key)
{
	CK_RV rv = jp_enter();

	if (rv != CKR_OK)
		goto out;
	(void)jp_slots_refresh_inlock(0);
	rv = jp_slot_lookup_inlock(id, reader, key);
	if (rv == CKR_OK && !info)
		rv = CKR_ARGUMENTS_BAD;
	if (rv != CKR_OK) {
		jp_leave();
		goto out;
	}
	/* APDUs only the first time this slot's token is asked about after
	 * an insertion; a card that cannot be probed shows as no token. */
	(void)jp_token_probe(*reader, *key);
out:
	return rv;
}

CK_RV jp_p11_get_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	CK_RV rv;
	jp_reader *r = NULL;
	jp_key key = JP_KEY_AUTH;
	size_t room, nlen;
	char desc[sizeof(info->slotDescription) + 1];

	rv = jp_enter_slot_info(id, info, &r, &key);
	if (rv != CKR_OK)
		goto out;
	memset(info, 0, sizeof(*info));
	/* "<reader name> <purpose>", the reader name shortened to fit. */
	room = sizeof(info->slotDescription) - strlen(purpose[key]) - 1;
	nlen = strlen(r->name);
	if (nlen > room)
		nlen = room;
	snprintf(desc, sizeof(desc), "%.*s %s", (int)nlen, r->name, purpose[key]);
	jp_pad(info->slotDescription, sizeof(info->slotDescription), desc);
	jp_pad(info->manufacturerID, sizeof(info->manufacturerID), "PC/SC");
	info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
	if (jp_token_present_inlock(r, key))
		info->flags |= CKF_TOKEN_PRESENT;
	jp_leave();
out:
	return rv;
}

/* A shown slot with an event pending: clears it. A slot the "tokens"
 * option hides has no ID the application may use (C_GetSlotInfo refuses
 * it): its events are never reported. */
static int take_event_inlock(CK_SLOT_ID *slot)
{
	size_t pos = 0;
	jp_reader *r;
	jp_key k;
	int found = 0;

	while (!found && jp_slot_next_inlock(&pos, 1, &r, &k)) {
		if (r->event_pending[k]) {
			r->event_pending[k] = 0;
			*slot = jp_slot_id(r, k);
			found = 1;
		}
	}
	return found;
}

CK_RV jp_p11_wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
	CK_RV rv;
	jp_reader_status *st = NULL;
	size_t n = 0;
	jp_err e;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	if (!slot || reserved) {
		rv = CKR_ARGUMENTS_BAD;
		goto unlock;
	}
	for (;;) {
		free(st);
		st = NULL;
		n = 0;
		if (jp_mod.transport) {
			e = jp_mod.transport->ops->list_readers(jp_mod.transport, &st, &n);
			if (e == JP_OK)
				apply_listing_inlock(st, n, 1);
		}
		if (take_event_inlock(slot)) {
			rv = CKR_OK;
			break;
		}
		if (flags & CKF_DONT_BLOCK) {
			rv = CKR_NO_EVENT;
			break;
		}
		if (!jp_mod.transport) {
			rv = CKR_FUNCTION_NOT_SUPPORTED;
			break;
		}
		/* Block without the global lock; C_Finalize cancels us. */
		jp_mod.waiters++;
		jp_mutex_unlock(jp_mod.lock);
		e = jp_mod.transport->ops->wait_change(jp_mod.transport, st, n, (unsigned)-1);
		if (e != JP_OK && e != JP_E_TIMEOUT && e != JP_E_CANCELLED)
			jp_sleep_ms(250);   /* no daemon yet: do not spin */
		jp_mutex_lock(jp_mod.lock);
		jp_mod.waiters--;
		if (jp_mod.finalizing || !jp_mod.initialized) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;
			break;
		}
	}
unlock:
	jp_leave();
out:
	free(st);
	return rv;
}
