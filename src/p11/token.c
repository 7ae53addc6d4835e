/* Tokens: looking at the card in a reader (once per insertion), token info
 * and flags, building a token's objects, and what happens to tokens when
 * the card is removed or the process logged out. Card I/O goes through
 * io.c (jp_io_begin .. jp_io_end) while the reader is held. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jpki/crypto.h"
#include "jpki/log.h"
#include "p11.h"

/* Labels a citizen recognises in a browser's certificate picker (≤ 32);
 * the second pair for the certificates kept in a smartphone. */
static const char *const token_label[2][2] = {
	{ "My Number Card (Authentication)", "My Number Card (Signature)" },
	{ "Smartphone JPKI (Authentication)", "Smartphone JPKI (Signature)" },
};

static void token_reset(jp_token *t)
{
	jp_objects_free(t);
	memset(t, 0, sizeof(*t));
	t->tries = -1;
}

void jp_reader_card_gone_inlock(jp_reader *r)
{
	/* Sessions opened on the old card are dead from now on, and the
	 * reader's card state is void. Nobody holds the reader: drop that
	 * state now (the signing certificate in the card object is personal
	 * data); else its holder does when it next looks (jp_token_sync_held). */
	r->card_gen++;
	if (r->pins == 0)
		jp_token_sync_held(r);
}

void jp_token_sync_held(jp_reader *r)
{
	int k;

	if (r->state_gen == r->card_gen)
		goto out;
	if (r->card)
		jp_card_close(r->card);
	r->card = NULL;
	for (k = 0; k < 2; k++)
		token_reset(&r->tokens[k]);
	r->probed = 0;
	r->card_err = JP_OK;
	r->serial[0] = '\0';
	/* A card that left the reader lost its power: nothing verified. */
	r->unpower_pending = 0;
	r->state_gen = r->card_gen;
out:
	return;
}

int jp_token_present_inlock(const jp_reader *r, jp_key key)
{
	return r->state_gen == r->card_gen && r->tokens[key].present;
}

void jp_token_logout_held(jp_reader *r, jp_key key)
{
	jp_token *t = &r->tokens[key];

	if (t->logged_in)
		JP_INFO("p11: %s token logged out", key == JP_KEY_AUTH ? "authentication"
		                                                        : "signature");
	t->logged_in = 0;
	/* The personal data goes now, whatever the session count. Objects
	 * that stay keep their handles, and the list is right for the
	 * logged-out state if it was right for the logged-in one, so
	 * objects_built is unchanged. */
	jp_objects_logout(t);
}

void jp_token_logout_all_held(jp_reader *r)
{
	jp_token_logout_held(r, JP_KEY_AUTH);
	jp_token_logout_held(r, JP_KEY_SIGN);
	/* The card layer's copy of the signing certificate too (a power
	 * cycle drops it as well, but this works when the card cannot be
	 * reached). */
	if (r->card)
		jp_card_forget_cert(r->card, JP_CERT_SIGN);
}

CK_RV jp_logout_card_held(jp_reader *r)
{
	/* Whatever happens at the card, this process is logged out now, and
	 * the signing certificate's objects are wiped (also when no session
	 * is left). The power cycle clears BOTH PINs: both tokens. A card
	 * that cannot be reached now is power-cycled at the next contact. */
	jp_token_logout_all_held(r);
	return jp_token_unpower_held(r);
}

/* Builds tokens[key]'s objects from certificates read during card I/O. */
/* An expired or not yet valid certificate is still listed and still signs
 * (the relying party decides: doc/card.md §8); the log says so at login (the objects
 * of a logged-in token are built at login). */
static void warn_validity(jp_key key, const jp_token_certs *c)
{
	int where = 0;

	if (c->holder.len > 0 &&
	    jp_cert_validity_at(c->holder.data, c->holder.len, (int64_t)time(NULL), &where) == JP_OK &&
	    where != 0)
		JP_WARN("p11: login (%s): the certificate %s", key == JP_KEY_AUTH ? "authentication" :
		        "signature", where > 0 ? "has expired" : "is not valid yet");
}

static void build_held(jp_reader *r, jp_key key, const jp_token_certs *c)
{
	jp_token *t = &r->tokens[key];
	jp_err e;

	/* The builder keeps the handles of objects that stay (p11.h). */
	e = jp_objects_build_inlock(r, key, c);
	t->objects_built = (e == JP_OK);
	if (e == JP_OK && t->logged_in)
		warn_validity(key, c);
	if (e != JP_OK && e != JP_E_SECURITY_STATUS)
		JP_WARN("p11: building the objects of slot %lu: %s",
		        (unsigned long)jp_slot_id(r, key), jp_err_str(e));
}

CK_RV jp_token_objects_ensure_held(jp_reader *r, jp_key key)
{
	CK_RV rv = CKR_OK;
	jp_token_certs c;
	jp_io io;
	jp_err e;
	int holder;

	memset(&c, 0, sizeof(c));
	if (r->tokens[key].objects_built)
		goto out;
	if (!r->tokens[key].present) {
		rv = CKR_TOKEN_NOT_PRESENT;
		goto out;
	}
	/* The signing certificate (and a smartphone's authentication one)
	 * is read only while logged in; the CA's only when a caller needs
	 * its content (jp_object_content_held): without the holder's,
	 * building costs the card nothing. */
	holder = !r->tokens[key].holder_private || r->tokens[key].logged_in;
	if (holder) {
		rv = jp_io_begin(r, &io, 0);
		if (rv != CKR_OK)
			goto out;
		e = r->tokens[key].holder_private && io.cleared ?
		    JP_OK : jp_objects_read_certs(io.card, key, &c);
		rv = jp_io_end(&io, e);
	}
	if (rv == CKR_OK)
		build_held(r, key, &c);
out:
	jp_token_certs_free(&c);
	return rv;
}

/* What looking at a card found (card I/O, applied under the global lock). */
typedef struct probe_result {
	char serial[17];
	int smartphone;
} probe_result;

/* The card as a whole: the serial from the authentication certificate
 * (read once, cached by the card layer for that token's objects). Nothing
 * about either token's PIN or the signing certificate: a caller that asks
 * about one token pays for that token only (token_io). Reader owned, no
 * global lock. */
static jp_err probe_io(jp_io *io, probe_result *p)
{
	const uint8_t *der = NULL;
	size_t len = 0;
	jp_err e;

	memset(p, 0, sizeof(*p));
	p->smartphone = jp_card_is_smartphone(io->card);
	/* A smartphone shows its authentication certificate only after the
	 * PIN (doc/card.md §11): the token is there, the serial comes from
	 * a CA certificate below. */
	e = p->smartphone ? JP_E_SECURITY_STATUS :
	                    jp_card_read_cert(io->card, JP_CERT_AUTH, &der, &len);
	if (e == JP_OK)
		jp_cert_token_serial(der, len, p->serial);
	else if (e == JP_E_NO_KEY)
		JP_DEBUG("p11: reader \"%s\": the card has no authentication certificate",
		         io->r->name);
	if (e == JP_E_SECURITY_STATUS || e == JP_E_NO_KEY)
		e = JP_OK;
	if (e == JP_OK && !p->serial[0]) {
		/* No authentication certificate to hand: fall back to a CA's
		 * hash, which at least tells card generations apart. */
		if (jp_card_read_cert(io->card, JP_CERT_SIGN_CA, &der, &len) == JP_OK ||
		    jp_card_read_cert(io->card, JP_CERT_AUTH_CA, &der, &len) == JP_OK)
			jp_cert_token_serial(der, len, p->serial);
	}
	return e;
}

/* One token: whether it is there, asked when a caller first asks about
 * that token, so a program that uses one token costs the card nothing for
 * the other. Decided from what says whether the key's certificate exists,
 * without a PIN (doc/card.md §3, §11): the authentication certificate read
 * by probe_io (the card layer's cache answers), or EF 0008 (byte 0 signing,
 * byte 1 authentication), or on a card without EF 0008 the SELECT of the
 * certificate EF. Holders under 15 and those who opted out have no signing
 * certificate: no token, so nobody is asked for a password that cannot
 * sign. No retry query: the PIN flags show only what the card has told
 * this process (jp_p11_get_token_info). Reader owned, no global lock. */
static jp_err token_io(jp_io *io, jp_key key, int *present)
{
	jp_avail a = JP_AVAIL_UNKNOWN;
	jp_err e;

	*present = 0;
	e = jp_card_cert_avail(io->card, key, &a);
	if (e != JP_OK)
		goto out;
	*present = (a != JP_AVAIL_ABSENT);
	if (!*present)
		JP_DEBUG("p11: reader \"%s\": the card carries no %s certificate (EF 0008, "
		         "or the certificate EF missing): no %s token", io->r->name,
		         key == JP_KEY_SIGN ? "signing" : "authentication",
		         key == JP_KEY_SIGN ? "signature" : "authentication");
out:
	return e;
}

/* Whether tokens[key] needs card I/O to be told about: never looked at.
 * An unknown retry counter is no reason (the flags then say nothing). */
static int token_due_inlock(const jp_reader *r, jp_key key)
{
	return !r->tokens[key].probed;
}

/* Whether jp_token_probe_held has something to do for key. */
static int probe_due_inlock(const jp_reader *r, jp_key key)
{
	int current = r->state_gen == r->card_gen;
	int due = 0;

	if (current && r->unpower_pending)
		due = 1;
	else if (r->gone || !r->present || !jp_mod.transport)
		due = 0;
	else if (!(r->probed && current))
		due = 1;
	else
		due = r->card_err == JP_OK && token_due_inlock(r, key);
	return due;
}

CK_RV jp_token_probe(jp_reader *r, jp_key key)
{
	CK_RV rv = CKR_OK;

	if (probe_due_inlock(r, key)) {
		jp_reader_take(r);
		rv = jp_token_probe_held(r, key);
		jp_reader_give(r);
	}
	return rv;
}

/* The card in r: opened, identified, its serial. Once per insertion. */
static CK_RV probe_card_held(jp_reader *r)
{
	CK_RV rv = CKR_OK;
	probe_result p;
	jp_io io;
	jp_err e;
	int k;

	rv = jp_io_begin(r, &io, JP_IO_OPEN);
	if (rv != CKR_OK) {
		e = io.open_err;
		if ((e == JP_E_NOT_JPKI || e == JP_E_JUKI_CARD) && io.gen == r->card_gen) {
			/* Stays so until the card changes. */
			JP_DEBUG("p11: reader \"%s\": no token: %s", r->name,
			         e == JP_E_JUKI_CARD
			             ? "old Basic Resident Registration card (expired JPKI)"
			             : "not a My Number Card (no JPKI application)");
			r->card_err = e;
			r->probed = 1;
		} else if (e != JP_OK) {
			JP_DEBUG("p11: reader \"%s\": cannot open the card: %s", r->name,
			         jp_err_str(e));
		}
		rv = CKR_OK;   /* no token (tried again next time unless not JPKI) */
		goto out;
	}
	e = probe_io(&io, &p);
	rv = jp_io_end(&io, e);
	if (rv == CKR_OK) {
		memcpy(r->serial, p.serial, sizeof(r->serial));
		for (k = 0; k < 2; k++) {
			r->tokens[k].smartphone = p.smartphone;
			r->tokens[k].holder_private = k == JP_KEY_SIGN || p.smartphone;
		}
		r->probed = 1;
	} else {
		r->tokens[0].present = r->tokens[1].present = 0;
		JP_DEBUG("p11: reader \"%s\": probing the card failed", r->name);
	}
out:
	return rv;
}

CK_RV jp_token_probe_held(jp_reader *r, jp_key key)
{
	CK_RV rv = CKR_OK;
	jp_token *t = &r->tokens[key];
	jp_io io;
	jp_err e;
	int present = 0;

	/* A polling application retries a power cycle we still owe. */
	if (r->unpower_pending)
		(void)jp_token_unpower_held(r);
	if (r->gone || !r->present || !jp_mod.transport)
		goto out;
	if (!r->probed) {
		rv = probe_card_held(r);
		if (rv != CKR_OK)
			goto out;
	}
	if (!r->probed || r->card_err != JP_OK || !r->card || !token_due_inlock(r, key))
		goto out;
	rv = jp_io_begin(r, &io, 0);
	if (rv != CKR_OK)
		goto out;
	e = token_io(&io, key, &present);
	rv = jp_io_end(&io, e);
	if (rv == CKR_OK) {
		t->present = present;
		t->probed = 1;
	} else if (!t->probed) {
		/* Never looked at: no token until a later call succeeds. A
		 * token already there stays, its counter unknown. */
		t->present = 0;
		JP_DEBUG("p11: reader \"%s\": probing the %s token failed", r->name,
		         key == JP_KEY_SIGN ? "signature" : "authentication");
	}
out:
	return rv;
}

CK_RV jp_p11_get_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
	CK_RV rv;
	jp_reader *r = NULL;
	jp_key key = JP_KEY_AUTH;
	jp_token *t;
	int max;

	rv = jp_enter_slot_info(id, info, &r, &key);
	if (rv != CKR_OK)
		goto out;
	t = &r->tokens[key];
	if (!jp_token_present_inlock(r, key)) {
		rv = CKR_TOKEN_NOT_PRESENT;
		goto unlock;
	}
	memset(info, 0, sizeof(*info));
	jp_pad(info->label, sizeof(info->label), token_label[t->smartphone ? 1 : 0][key]);
	jp_pad(info->manufacturerID, sizeof(info->manufacturerID), "J-LIS (JPKI)");
	jp_pad(info->model, sizeof(info->model), t->smartphone ? "Smartphone" : "My Number Card");
	jp_pad(info->serialNumber, sizeof(info->serialNumber), r->serial);
	info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED |
	              CKF_WRITE_PROTECTED;
	/* The retry counter as the card last told this process (every
	 * VERIFY's answer: login.c). Never asked only for these flags: a
	 * fresh process shows none of the three until a VERIFY has answered
	 * (doc/design.md §3; jpki status reads the counter, no try used). */
	max = jp_pin_max_tries(key);
	if (t->tries == 0)
		info->flags |= CKF_USER_PIN_LOCKED;
	else if (t->tries > 0 && t->tries < max)
		info->flags |= CKF_USER_PIN_COUNT_LOW;
	if (t->tries == 1)
		info->flags |= CKF_USER_PIN_FINAL_TRY;
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulSessionCount = t->sessions;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulRwSessionCount = t->rw_sessions;
	info->ulMaxPinLen = jp_pin_max_len(key);
	info->ulMinPinLen = jp_pin_min_len(key);
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	/* No clock on the card: utcTime is left blank. */
	jp_pad(info->utcTime, sizeof(info->utcTime), "");
unlock:
	jp_leave();
out:
	return rv;
}
