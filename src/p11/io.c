/* A reader held for a call, and card I/O inside that call (doc/design.md
 * §3: a global lock for the tables, a lock per reader for everything about
 * the card in it; order reader → global).
 *
 *     rv = jp_enter_session(h, &s);          // s's reader and the global lock held
 *     r = s->reader;
 *     ... checks on s, its token, its objects ...
 *     rv = jp_io_begin(r, &io, 0);           // the reader's lock only
 *     if (rv == CKR_OK) {
 *             e = jp_card_sign(io.card, ...);
 *             rv = jp_io_end(&io, e);        // the global lock again
 *     }
 *     ... s, its token and objects are as they were: nobody else changes
 *         them without r's lock ...
 *     jp_leave_reader(r);
 *
 * jp_reader_take pins the reader (it is not freed meanwhile), lets go of
 * the global lock while it waits for the reader's, takes the global lock
 * again and brings the reader's state up to date with the card generation
 * (a removal seen by another call meanwhile). The call then holds the
 * reader to its end. During card I/O it lets go of the global lock only,
 * so a slow card (hundreds of ms for a signature over NFC) blocks the calls
 * that need that reader and nothing else: slot and token info and slot
 * lists read the fields published under the global lock. What only a
 * removal seen by such a call can change meanwhile is the reader's card
 * generation: jp_io_end compares it once (CKR_DEVICE_REMOVED).
 *
 * Nobody waits for a reader's lock while holding the global one, and a
 * reader's lock is let go only after the global one, so a hook on the
 * reader's unlock (tests/p11/test-threads) never holds up the tables. */
#include "config.h"

#include <string.h>

#include "jpki/log.h"
#include "p11.h"

int jp_err_is_removal(jp_err e)
{
	return e == JP_E_NO_CARD || e == JP_E_NO_READER;
}

void jp_reader_take(jp_reader *r)
{
	r->pins++;   /* not freed (slot.c) while we wait for it or hold it */
	jp_mutex_unlock(jp_mod.lock);
	jp_mutex_lock(r->lock);
	jp_mutex_lock(jp_mod.lock);
	jp_token_sync_held(r);
}

void jp_reader_give(jp_reader *r)
{
	jp_mutex_unlock(jp_mod.lock);
	jp_mutex_unlock(r->lock);
	jp_mutex_lock(jp_mod.lock);
	r->pins--;
	/* Nobody holds it: the state of a card removed meanwhile goes now. */
	if (r->pins == 0)
		jp_token_sync_held(r);
}

void jp_leave_reader(jp_reader *r)
{
	jp_reader_give(r);
	jp_leave();
}

/* Connects and identifies the card in the reader called name. */
static jp_err open_card(const char *name, jp_card **out)
{
	jp_link *link = NULL;
	jp_err e;

	*out = NULL;
	e = jp_mod.transport->ops->connect(jp_mod.transport, name, &link);
	if (e == JP_OK)
		e = jp_card_open(link, out);
	return e;
}

/* Back under the global lock (r held): applies what the I/O found. */
static CK_RV io_finish_held(jp_io *io, jp_err e)
{
	jp_reader *r = io->r;
	CK_RV rv;
	int k;

	if (io->gen != r->card_gen || r->gone) {
		/* Removed meanwhile, seen by another call: the card we used is
		 * not the reader's any more. */
		jp_token_sync_held(r);
		rv = CKR_DEVICE_REMOVED;
	} else if (jp_err_is_removal(e)) {
		jp_reader_card_gone_inlock(r);
		jp_token_sync_held(r);
		rv = CKR_DEVICE_REMOVED;
	} else {
		/* The card forgot both PINs (a reset by someone else), or a
		 * power cycle we owed could not be done: both tokens are
		 * logged out. A power cycle done logs out the tokens it was
		 * asked to (jp_io_unverify). */
		if (io->reset || e == JP_E_CARD_RESET || io->unverify_failed)
			io->logout[JP_KEY_AUTH] = io->logout[JP_KEY_SIGN] = 1;
		if (io->logout[JP_KEY_AUTH] && io->logout[JP_KEY_SIGN])
			jp_token_logout_all_held(r);
		else
			for (k = 0; k < 2; k++)
				if (io->logout[k])
					jp_token_logout_held(r, (jp_key)k);
		if (io->unverified)
			r->unpower_pending = 0;
		else if (io->unpower || io->unverify_failed)
			r->unpower_pending = 1;   /* owed: the next contact does it first */
		rv = jp_rv(e);
	}
	return rv;
}

jp_err jp_io_unverify(jp_io *io, unsigned logout)
{
	jp_err e = jp_card_unverify(io->card);

	if (e == JP_OK) {
		io->unverified = 1;
		io->logout[JP_KEY_AUTH] |= !!(logout & JP_IO_LOGOUT_AUTH);
		io->logout[JP_KEY_SIGN] |= !!(logout & JP_IO_LOGOUT_SIGN);
	} else if (!jp_err_is_removal(e)) {
		io->unverify_failed = 1;
	}
	return e;
}

CK_RV jp_io_begin(jp_reader *r, jp_io *io, unsigned flags)
{
	CK_RV rv = CKR_OK;
	jp_err e = JP_OK;

	memset(io, 0, sizeof(*io));
	io->r = r;
	io->gen = r->card_gen;
	if (r->gone || !jp_mod.transport || (!r->card && !(flags & JP_IO_OPEN))) {
		rv = CKR_DEVICE_REMOVED;
		goto out;
	}
	io->unpower = (flags & JP_IO_UNPOWER) || r->unpower_pending;
	io->logged_in = r->tokens[JP_KEY_AUTH].logged_in || r->tokens[JP_KEY_SIGN].logged_in;
	/* The reader's lock, not the global one, from here on. */
	jp_mutex_unlock(jp_mod.lock);
	if (!r->card) {
		e = open_card(r->name, &r->card);
		io->open_err = e;
	}
	io->card = r->card;
	if (e == JP_OK) {
		e = jp_card_begin(io->card);
		if (e == JP_E_CARD_RESET) {
			/* Someone reset the card: this process is logged out (the
			 * link is usable again). A warm reset may leave the PINs we
			 * verified verified (doc/card.md §6): power cycle the card
			 * so our PIN does not outlive our login. */
			JP_INFO("p11: card in \"%s\" was reset by another program", r->name);
			io->reset = 1;
			if (io->logged_in)
				io->unpower = 1;
			e = jp_card_begin(io->card);
		}
		io->txn = e == JP_OK;
	}
	if (e == JP_OK && io->unpower) {
		/* A power cycle is due (a logout, one owed since a logout that
		 * could not reach the card, a reset found while logged in):
		 * before anything else. */
		e = jp_io_unverify(io, JP_IO_LOGOUT_AUTH | JP_IO_LOGOUT_SIGN);
	}
	io->cleared = io->reset || io->unverified;
	if (e != JP_OK) {
		if (io->txn)
			jp_card_end(io->card);
		io->txn = 0;
		jp_mutex_lock(jp_mod.lock);
		rv = io_finish_held(io, e);
		if (rv == CKR_OK)
			rv = CKR_GENERAL_ERROR;   /* jp_rv maps no error to CKR_OK */
	}
out:
	return rv;
}

CK_RV jp_io_end(jp_io *io, jp_err e)
{
	if (io->txn)
		jp_card_end(io->card);
	io->txn = 0;
	if (e == JP_E_CARD_RESET) {
		/* Reset in the middle: as on entering, the card must not stay
		 * verified for us. */
		io->reset = 1;
		if (io->logged_in)
			(void)jp_io_unverify(io, JP_IO_LOGOUT_AUTH | JP_IO_LOGOUT_SIGN);
	}
	jp_mutex_lock(jp_mod.lock);
	return io_finish_held(io, e);
}

/* A power cycle through a connection of its own, for when the module's
 * connection cannot be used (a stale handle, a refused transaction) while
 * the card may still be in and verified. Reader lock held. */
static jp_err unpower_fresh(const char *name)
{
	jp_link *link = NULL;
	jp_err e;

	e = jp_mod.transport->ops->connect(jp_mod.transport, name, &link);
	if (e != JP_OK)
		goto out;
	e = link->ops->unpower(link);
	if (e == JP_E_CARD_RESET)
		e = JP_OK;   /* reconnected: what we asked for */
	link->ops->disconnect(link);
out:
	return e;
}

CK_RV jp_token_unpower_held(jp_reader *r)
{
	CK_RV rv = CKR_OK;
	jp_io io;
	jp_err e;

	if (!r->card)
		goto out;   /* gone (or never opened): nothing verified by us */
	rv = jp_io_begin(r, &io, JP_IO_UNPOWER);
	if (rv == CKR_OK)
		rv = jp_io_end(&io, JP_OK);
	if (rv != CKR_OK && r->card && !r->gone && jp_mod.transport) {
		memset(&io, 0, sizeof(io));
		io.r = r;
		io.gen = r->card_gen;
		jp_mutex_unlock(jp_mod.lock);
		e = unpower_fresh(r->name);
		jp_mutex_lock(jp_mod.lock);
		if (e == JP_OK) {
			io.unverified = 1;
			io.logout[JP_KEY_AUTH] = io.logout[JP_KEY_SIGN] = 1;
			JP_INFO("p11: card in \"%s\" power-cycled through a new connection", r->name);
		} else if (!jp_err_is_removal(e)) {
			io.unverify_failed = 1;
		}
		rv = io_finish_held(&io, jp_err_is_removal(e) ? e : JP_OK);
		if (jp_err_is_removal(e))
			rv = CKR_OK;   /* gone: nothing verified remains */
		else if (e != JP_OK)
			rv = jp_rv(e);
	}
	if (r->unpower_pending)
		JP_WARN("p11: card in \"%s\" unreachable: it may stay verified until the next "
		        "successful contact power-cycles it", r->name);
out:
	return rv;
}
