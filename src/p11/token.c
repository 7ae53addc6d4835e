/* Tokens: looking at the card in a reader (once per insertion), token info
 * and flags, the card I/O bracket, and what happens to tokens when the
 * card is removed or reset. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/log.h"
#include "p11.h"

/* Labels a citizen recognises in a browser's certificate picker (≤ 32). */
static const char *const token_label[2] = {
	"My Number Card (Authentication)",
	"My Number Card (Signature)",
};

static void token_reset(jp_token *t)
{
	jp_objects_free(t);
	memset(t, 0, sizeof(*t));
	t->tries = -1;
}

void jp_token_card_gone_inlock(jp_reader *r)
{
	int k;

	if (r->card) {
		jp_card_close(r->card);
		r->card = NULL;
	}
	for (k = 0; k < 2; k++)
		token_reset(&r->tokens[k]);
	r->probed = 0;
	r->card_err = JP_OK;
	r->serial[0] = '\0';
	/* A card that left the reader lost its power: nothing verified. */
	r->unpower_pending = 0;
	/* Sessions opened on the old card are dead from now on. */
	r->card_gen++;
}

void jp_token_logout_all_inlock(jp_reader *r)
{
	int k;

	for (k = 0; k < 2; k++) {
		jp_token *t = &r->tokens[k];
		if (t->logged_in)
			JP_INFO("p11: %s token logged out", k == JP_KEY_AUTH ? "authentication"
			                                                      : "signature");
		t->logged_in = 0;
		/* The personal data goes now, whatever the session count
		 * (jpki-card.md §7). Objects that stay keep their handles, and
		 * the list is right for the logged-out state if it was right
		 * for the logged-in one, so objects_built is unchanged. No
		 * caller holds an object pointer across this. */
		jp_objects_logout(t, (jp_key)k);
	}
	/* The card layer's copy of the signing certificate too (a power
	 * cycle drops it as well, but this works when the card cannot be
	 * reached). */
	if (r->card)
		jp_card_forget_cert(r->card, JP_CERT_SIGN);
}

static int any_logged_in(const jp_reader *r)
{
	return r->tokens[JP_KEY_AUTH].logged_in || r->tokens[JP_KEY_SIGN].logged_in;
}

static int is_removal(jp_err e)
{
	return e == JP_E_NO_CARD || e == JP_E_NO_READER;
}

jp_err jp_token_unverify_intxn(jp_reader *r)
{
	jp_err e = jp_card_unverify(r->card);

	if (e == JP_OK)
		r->unpower_pending = 0;
	else if (!is_removal(e))
		r->unpower_pending = 1;
	return e;
}

CK_RV jp_card_enter_inlock(jp_reader *r)
{
	CK_RV rv = CKR_OK;
	jp_err e;

	if (!r->card) {
		rv = CKR_DEVICE_REMOVED;
		goto out;
	}
	jp_mutex_lock(r->lock);
	e = jp_card_begin(r->card);
	if (e == JP_E_CARD_RESET) {
		/* Someone reset the card: this process is logged out (the
		 * link is usable again). A warm reset may leave the PINs we
		 * verified verified (jpki-card.md §6): power cycle the card so
		 * our PIN does not outlive our login. */
		JP_INFO("p11: card in \"%s\" was reset by another program", r->name);
		if (any_logged_in(r))
			r->unpower_pending = 1;
		jp_token_logout_all_inlock(r);
		e = jp_card_begin(r->card);
	}
	if (e == JP_OK && r->unpower_pending) {
		/* A power cycle is owed (a logout that could not reach the
		 * card, a reset found while logged in): before anything else. */
		JP_INFO("p11: card in \"%s\": power cycle owed, done now", r->name);
		e = jp_token_unverify_intxn(r);
		if (e != JP_OK)
			jp_card_end(r->card);
	}
	if (e != JP_OK) {
		jp_mutex_unlock(r->lock);
		if (e == JP_E_NO_CARD || e == JP_E_NO_READER) {
			jp_token_card_gone_inlock(r);
			rv = CKR_DEVICE_REMOVED;
		} else {
			rv = jp_rv(e);
		}
	}
out:
	return rv;
}

CK_RV jp_card_leave_inlock(jp_reader *r, jp_err e)
{
	CK_RV rv;
	int was_logged_in;

	jp_card_end(r->card);
	jp_mutex_unlock(r->lock);
	if (is_removal(e)) {
		jp_token_card_gone_inlock(r);
		rv = CKR_DEVICE_REMOVED;
	} else {
		if (e == JP_E_CARD_RESET) {
			/* As in jp_card_enter_inlock: logged out, and the
			 * card must not stay verified for us. */
			was_logged_in = any_logged_in(r);
			jp_token_logout_all_inlock(r);
			if (was_logged_in)
				(void)jp_token_unpower_inlock(r);
		}
		rv = jp_rv(e);
	}
	return rv;
}

/* A power cycle through a connection of its own, for when the module's
 * connection cannot be used (a stale handle, a refused transaction) while
 * the card may still be in and verified. */
static jp_err unpower_fresh_inlock(jp_reader *r)
{
	jp_link *link = NULL;
	jp_err e = JP_E_NO_READER;

	if (!jp_mod.transport)
		goto out;
	e = jp_mod.transport->ops->connect(jp_mod.transport, r->name, &link);
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
	jp_err e;

	if (!r->card)
		goto out;   /* gone (or never opened): nothing verified by us */
	/* The bracket power-cycles a card that is owed one, first thing. */
	r->unpower_pending = 1;
	rv = jp_card_enter_inlock(r);
	if (rv == CKR_OK)
		rv = jp_card_leave_inlock(r, JP_OK);
	if (rv != CKR_OK && r->card) {
		e = unpower_fresh_inlock(r);
		if (e == JP_OK || is_removal(e)) {
			JP_INFO("p11: card in \"%s\" power-cycled through a new connection", r->name);
			r->unpower_pending = 0;
			rv = CKR_OK;
		}
	}
	if (r->unpower_pending)
		JP_WARN("p11: card in \"%s\" unreachable: it may stay verified until the next "
		        "successful contact power-cycles it", r->name);
out:
	return rv;
}

/* Objects of tokens[key] for its login state; inside a transaction. */
static jp_err build_intxn(jp_reader *r, jp_key key)
{
	jp_token *t = &r->tokens[key];
	jp_err e;

	/* The builder keeps the handles of objects that stay (p11.h). */
	e = jp_objects_build_inlock(r, key);
	t->objects_built = (e == JP_OK);
	if (e != JP_OK)
		JP_WARN("p11: building the objects of slot %lu: %s",
		        (unsigned long)jp_slot_id(r, key), jp_err_str(e));
	return e;
}

CK_RV jp_token_objects_ensure_inlock(jp_reader *r, jp_key key)
{
	CK_RV rv = CKR_OK;

	if (r->tokens[key].objects_built)
		goto out;
	if (!r->tokens[key].present) {
		rv = CKR_TOKEN_NOT_PRESENT;
		goto out;
	}
	rv = jp_card_enter_inlock(r);
	if (rv != CKR_OK)
		goto out;
	rv = jp_card_leave_inlock(r, build_intxn(r, key));
out:
	return rv;
}

/* Hex of the first 8 bytes of SHA-256(authentication certificate): unique
 * per card and per certificate, 16 characters (CK_TOKEN_INFO's field). */
static void make_serial(jp_reader *r, const uint8_t *der, size_t len)
{
	uint8_t h[JP_HASH_MAX];
	size_t hl = sizeof(h), i;

	r->serial[0] = '\0';
	if (jp_digest(JP_HASH_SHA256, der, len, h, &hl) == JP_OK && hl >= 8)
		for (i = 0; i < 8; i++)
			snprintf(r->serial + 2 * i, 3, "%02X", h[i]);
}

/* The retry counter of key: tries left, 0 when blocked, -1 unknown. JP_E_NO_KEY
 * when the card lacks the key. Inside a transaction. */
static jp_err query_tries_intxn(jp_reader *r, jp_key key)
{
	int tries = -1;
	jp_err e = jp_card_pin_tries(r->card, key, &tries);

	if (e == JP_E_PIN_LOCKED) {
		tries = 0;
		e = JP_OK;
	}
	if (e == JP_OK)
		r->tokens[key].tries = tries;
	return e;
}

/* Connects and identifies the card; r->card on success. */
static jp_err open_card_inlock(jp_reader *r)
{
	jp_link *link = NULL;
	jp_card *card = NULL;
	jp_err e;

	e = jp_mod.transport->ops->connect(jp_mod.transport, r->name, &link);
	if (e != JP_OK)
		goto out;
	e = jp_card_open(link, &card);
	if (e != JP_OK)
		goto out;
	r->card = card;
out:
	return e;
}

CK_RV jp_token_probe_inlock(jp_reader *r)
{
	CK_RV rv = CKR_OK;
	const uint8_t *der = NULL;
	size_t len = 0;
	jp_err e;

	/* A polling application retries a power cycle we still owe. */
	if (r->unpower_pending)
		(void)jp_token_unpower_inlock(r);
	if (r->probed || r->gone || !r->present || !jp_mod.transport)
		goto out;
	if (!r->card) {
		e = open_card_inlock(r);
		if (e == JP_E_NOT_JPKI || e == JP_E_JUKI_CARD) {
			/* Stays so until the card changes. */
			JP_DEBUG("p11: reader \"%s\": no token: %s", r->name,
			         e == JP_E_JUKI_CARD
			             ? "old Basic Resident Registration card (expired JPKI)"
			             : "not a My Number Card (no JPKI application)");
			r->card_err = e;
			r->probed = 1;
			goto out;
		}
		if (e != JP_OK) {
			JP_DEBUG("p11: reader \"%s\": cannot open the card: %s", r->name,
			         jp_err_str(e));
			goto out;   /* tried again next time */
		}
	}
	rv = jp_card_enter_inlock(r);
	if (rv != CKR_OK)
		goto out;
	/* The authentication certificate gives the serial; its absence, the
	 * authentication token's. */
	e = jp_card_read_cert(r->card, JP_CERT_AUTH, &der, &len);
	if (e == JP_OK) {
		make_serial(r, der, len);
		/* A hidden token ("tokens=" option) costs no retry query. */
		if (JP_TOKEN_SHOWN(JP_KEY_AUTH))
			e = query_tries_intxn(r, JP_KEY_AUTH);
		r->tokens[JP_KEY_AUTH].present = (e != JP_E_NO_KEY);
	} else if (e == JP_E_NO_KEY) {
		JP_DEBUG("p11: reader \"%s\": the card has no authentication certificate", r->name);
		r->tokens[JP_KEY_AUTH].present = 0;
	}
	if ((e == JP_OK || e == JP_E_NO_KEY) && JP_TOKEN_SHOWN(JP_KEY_SIGN)) {
		/* The signing password's EF tells whether there is a signing
		 * key (holders under 15 have none: jpki-card.md §3). */
		e = query_tries_intxn(r, JP_KEY_SIGN);
		r->tokens[JP_KEY_SIGN].present = (e != JP_E_NO_KEY);
		if (e == JP_E_NO_KEY)
			JP_DEBUG("p11: reader \"%s\": the card has no signing key", r->name);
	}
	if (e == JP_E_NO_KEY)
		e = JP_OK;
	if (!r->serial[0]) {
		/* No authentication certificate: fall back to the signing CA's
		 * hash, which at least tells card generations apart. */
		if (jp_card_read_cert(r->card, JP_CERT_SIGN_CA, &der, &len) == JP_OK)
			make_serial(r, der, len);
	}
	if (e == JP_OK)
		r->probed = 1;
	rv = jp_card_leave_inlock(r, e);
	if (rv != CKR_OK) {
		r->tokens[0].present = r->tokens[1].present = 0;
		JP_DEBUG("p11: reader \"%s\": probing the card failed", r->name);
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

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	(void)jp_slots_refresh_inlock(0);
	rv = jp_slot_lookup_inlock(id, &r, &key);
	if (rv != CKR_OK)
		goto unlock;
	if (!info) {
		rv = CKR_ARGUMENTS_BAD;
		goto unlock;
	}
	(void)jp_token_probe_inlock(r);
	t = &r->tokens[key];
	if (!t->present) {
		rv = CKR_TOKEN_NOT_PRESENT;
		goto unlock;
	}
	memset(info, 0, sizeof(*info));
	memset(info->label, ' ', sizeof(info->label));
	memcpy(info->label, token_label[key], strlen(token_label[key]));
	memset(info->manufacturerID, ' ', sizeof(info->manufacturerID));
	memcpy(info->manufacturerID, "J-LIS (JPKI)", 12);
	memset(info->model, ' ', sizeof(info->model));
	memcpy(info->model, "My Number Card", 14);
	memset(info->serialNumber, ' ', sizeof(info->serialNumber));
	memcpy(info->serialNumber, r->serial, strlen(r->serial));
	info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED |
	              CKF_WRITE_PROTECTED;
	/* The retry counter (jpki-card.md §4: empty VERIFY, no try used). */
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
	memset(info->utcTime, ' ', sizeof(info->utcTime));
unlock:
	jp_leave();
out:
	return rv;
}
