/* The card I/O bracket (doc/design.md §3: a global lock for the tables and a
 * per-reader lock held across card I/O and its PC/SC transaction; order
 * global → reader). Every C_* that talks to a card does it here:
 *
 *     rv = jp_card_enter_inlock(r, &io, flags);   // global lock held
 *     if (rv == CKR_OK) {
 *             e = jp_card_sign(io.card, ...);     // reader lock only
 *             rv = jp_card_leave(&io, e);         // global lock held again
 *     }
 *
 * enter pins the reader (it is not freed meanwhile), waits — without the
 * global lock — while another thread uses it, marks it busy, takes its
 * lock, DROPS the global lock, and begins a transaction. So a slow card
 * (hundreds of ms for a signature over NFC) blocks only the callers that
 * need that reader; everything else (slot and session info, other
 * readers) goes on. Between enter and leave the caller touches io->card
 * and its own locals, nothing of the module's state. leave ends the
 * transaction, drops the reader lock, re-takes the global lock, gives the
 * reader back, and applies what the I/O found: removal, a reset by another
 * program (both tokens logged out), a power cycle done or still owed, and
 * whether the card is still the one the I/O used (another thread may have
 * seen it removed: then CKR_DEVICE_REMOVED). Sessions looked up before
 * enter may be gone after leave: callers look them up again by handle.
 *
 * Waiting for a busy reader sleeps on its lock with no other lock held and
 * re-takes the global lock after letting go of the reader's: no thread
 * ever waits for the global lock while holding a reader's. */
#include "config.h"

#include <sched.h>
#include <string.h>

#include "jpki/log.h"
#include "p11.h"

int jp_err_is_removal(jp_err e)
{
	return e == JP_E_NO_CARD || e == JP_E_NO_READER;
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

/* Takes r for card I/O. Global lock held on entry; on CKR_OK it returns
 * with r busy, r's lock held and the global lock NOT held. Otherwise
 * (reader or card gone) the global lock is held and nothing else. */
static CK_RV reader_acquire_inlock(jp_reader *r, jp_io *io, unsigned flags)
{
	CK_RV rv = CKR_OK;
	int k;

	memset(io, 0, sizeof(*io));
	io->r = r;
	r->pins++;   /* not freed (slot.c) while we are without the global lock */
	while (r->busy) {
		jp_mutex_unlock(jp_mod.lock);
		jp_mutex_lock(r->lock);      /* held by the busy thread across its I/O */
		jp_mutex_unlock(r->lock);
		sched_yield();               /* let it re-take the global lock first */
		jp_mutex_lock(jp_mod.lock);
	}
	if (r->gone || !jp_mod.transport || (!r->card && !(flags & JP_IO_OPEN))) {
		r->pins--;
		rv = CKR_DEVICE_REMOVED;
		goto out;
	}
	r->busy = 1;
	jp_mutex_lock(r->lock);   /* free: only a waiter passing through may hold it */
	io->card = r->card;
	io->gen = r->card_gen;
	for (k = 0; k < 2; k++)
		io->logged_in[k] = r->tokens[k].logged_in;
	io->unpower = (flags & JP_IO_UNPOWER) || r->unpower_pending;
	jp_mutex_unlock(jp_mod.lock);
out:
	return rv;
}

/* Gives r back (r's lock held, the global one not) and applies what the
 * I/O found. Returns with the global lock held. */
static CK_RV reader_release(jp_io *io, jp_err e)
{
	jp_reader *r = io->r;
	CK_RV rv;
	int stale;

	jp_mutex_unlock(r->lock);
	jp_mutex_lock(jp_mod.lock);
	r->busy = 0;
	r->pins--;
	stale = io->gen != r->card_gen || r->gone;
	/* A connection this I/O opened becomes the reader's card. */
	if (io->opened && !stale && !r->card)
		r->card = io->card;
	if (io->card && io->card != r->card) {
		/* The card went away while we used it (jp_token_card_gone_inlock
		 * leaves a busy reader's card to its user): ours to close. */
		jp_card_close(io->card);
		io->card = NULL;
		stale = 1;
	}
	if (stale) {
		rv = CKR_DEVICE_REMOVED;
	} else if (jp_err_is_removal(e)) {
		jp_token_card_gone_inlock(r);
		rv = CKR_DEVICE_REMOVED;
	} else {
		/* The card forgot both PINs (a reset by someone else, our own
		 * power cycle), or one was due: both tokens are logged out —
		 * except the signing token after its own always-authenticate
		 * power cycle (sign.c): its password is asked for again before
		 * the next signature, so its login gates nothing the card
		 * would still allow. */
		if (io->reset || e == JP_E_CARD_RESET || io->unverify_failed ||
		    (io->unverified && !io->seal))
			jp_token_logout_all_inlock(r);
		else if (io->unverified)
			jp_token_logout_inlock(r, JP_KEY_AUTH);
		if (io->unverified)
			r->unpower_pending = 0;
		else if (io->unpower || io->unverify_failed)
			r->unpower_pending = 1;   /* owed: the next contact does it first */
		if (r->forget_sign_cert && r->card && !r->tokens[JP_KEY_SIGN].logged_in)
			jp_card_forget_cert(r->card, JP_CERT_SIGN);
		r->forget_sign_cert = 0;
		rv = jp_rv(e);
	}
	return rv;
}

jp_err jp_io_unverify(jp_io *io)
{
	jp_err e = jp_card_unverify(io->card);

	if (e == JP_OK)
		io->unverified = 1;
	else if (!jp_err_is_removal(e))
		io->unverify_failed = 1;
	return e;
}

CK_RV jp_card_enter_inlock(jp_reader *r, jp_io *io, unsigned flags)
{
	CK_RV rv;
	jp_err e = JP_OK;

	rv = reader_acquire_inlock(r, io, flags);
	if (rv != CKR_OK)
		goto out;
	/* The reader's lock, not the global one, from here on. */
	if (!io->card) {
		e = open_card(r->name, &io->card);
		io->open_err = e;
		io->opened = e == JP_OK;
	}
	if (e == JP_OK) {
		e = jp_card_begin(io->card);
		if (e == JP_E_CARD_RESET) {
			/* Someone reset the card: this process is logged out (the
			 * link is usable again). A warm reset may leave the PINs we
			 * verified verified (doc/card.md §6): power cycle the card
			 * so our PIN does not outlive our login. */
			JP_INFO("p11: card in \"%s\" was reset by another program", r->name);
			io->reset = 1;
			if (io->logged_in[JP_KEY_AUTH] || io->logged_in[JP_KEY_SIGN])
				io->unpower = 1;
			e = jp_card_begin(io->card);
		}
		io->txn = e == JP_OK;
	}
	if (e == JP_OK && io->unpower) {
		/* A power cycle is due (a logout, one owed since a logout that
		 * could not reach the card, a reset found while logged in):
		 * before anything else. */
		e = jp_io_unverify(io);
	}
	io->cleared = io->reset || io->unverified;
	if (e != JP_OK) {
		if (io->txn)
			jp_card_end(io->card);
		io->txn = 0;
		rv = reader_release(io, e);
		if (rv == CKR_OK)
			rv = CKR_GENERAL_ERROR;   /* jp_rv maps no error to CKR_OK */
	}
out:
	return rv;
}

CK_RV jp_card_leave(jp_io *io, jp_err e)
{
	if (io->txn)
		jp_card_end(io->card);
	io->txn = 0;
	if (e == JP_E_CARD_RESET) {
		/* Reset in the middle: as on entering, the card must not stay
		 * verified for us. */
		io->reset = 1;
		if (io->logged_in[JP_KEY_AUTH] || io->logged_in[JP_KEY_SIGN])
			(void)jp_io_unverify(io);
	}
	return reader_release(io, e);
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

CK_RV jp_token_unpower_inlock(jp_reader *r)
{
	CK_RV rv = CKR_OK;
	jp_io io;
	jp_err e;

	if (!r->card)
		goto out;   /* gone (or never opened): nothing verified by us */
	rv = jp_card_enter_inlock(r, &io, JP_IO_UNPOWER);
	if (rv == CKR_OK)
		rv = jp_card_leave(&io, JP_OK);
	if (rv != CKR_OK && r->card && !r->gone) {
		rv = reader_acquire_inlock(r, &io, 0);
		if (rv != CKR_OK)
			goto out;
		e = unpower_fresh(r->name);
		if (e == JP_OK) {
			io.unverified = 1;
			JP_INFO("p11: card in \"%s\" power-cycled through a new connection", r->name);
		} else if (!jp_err_is_removal(e)) {
			io.unverify_failed = 1;
		}
		rv = reader_release(&io, jp_err_is_removal(e) ? e : JP_OK);
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
