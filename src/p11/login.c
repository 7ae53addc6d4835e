/* C_Login, C_Logout, C_SetPIN. The login state is the module's, per token
 * and per process (doc/design.md §3): the card cannot say whether a PIN is
 * verified (doc/card.md §4), and another process may have verified it.
 * Every PIN is checked against the rules before the card sees it, is
 * never retried, and every copy is wiped before returning. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "jpki/crypto.h"
#include "jpki/log.h"
#include "p11.h"

/* The policy check (no APDU): the normalized PIN in out. */
static CK_RV check_pin(jp_key key, const CK_UTF8CHAR *pin, CK_ULONG len,
                       uint8_t out[JP_PIN_MAX], size_t *out_len)
{
	CK_RV rv;

	if (len > JP_PIN_MAX || len < jp_pin_min_len(key))
		rv = CKR_PIN_LEN_RANGE;
	else
		rv = jp_rv(jp_pin_normalize(key, pin, (size_t)len, out, out_len));
	if (rv != CKR_OK)
		jp_wipe(out, JP_PIN_MAX);
	return rv;
}

/* The rule for every PIN-bearing command: a blocked PIN never gets one.
 * tries < 0 (unknown) costs one retry query first. JP_OK when the PIN may
 * be sent. Card I/O bracket held. */
static jp_err guard_blocked(jp_card *card, jp_key key, int *tries)
{
	jp_err e = JP_OK;

	if (*tries < 0)
		e = jp_card_pin_tries(card, key, tries);
	if (e == JP_OK && *tries == 0)
		e = JP_E_PIN_LOCKED;
	return e;
}

/* After a VERIFY-bearing command: what the card said about the counter.
 * Any other outcome (a lost answer, a bare 6300) leaves it unknown: the
 * card may have used a try, and a stale count would hide FINAL_TRY or
 * send the next VERIFY to a blocked PIN. Unknown means one retry query
 * before the next VERIFY (jp_p11_login, jp_p11_set_pin). */
static void note_tries(jp_token *t, jp_key key, jp_err e, int tries)
{
	if (e == JP_OK)
		t->tries = jp_pin_max_tries(key);
	else if (e == JP_E_PIN_LOCKED)
		t->tries = 0;
	else if (e == JP_E_PIN_INCORRECT && tries >= 0)
		t->tries = tries;
	else
		t->tries = -1;
}

/* An expired or not yet valid certificate is still listed and still signs
 * (the relying party decides: doc/card.md §8); the log says so at login. */
static void warn_validity(jp_key key, const jp_token_certs *c)
{
	int where = 0;

	if (c->holder.len > 0 &&
	    jp_cert_validity_at(c->holder.data, c->holder.len, (int64_t)time(NULL), &where) == JP_OK &&
	    where != 0)
		JP_WARN("p11: login (%s): the certificate %s", key == JP_KEY_AUTH ? "authentication" :
		        "signature", where > 0 ? "has expired" : "is not valid yet");
}

CK_RV jp_logout_card_inlock(jp_reader *r)
{
	/* Whatever happens at the card, this process is logged out now, and
	 * the signing certificate's objects are wiped (also when no session
	 * is left). The power cycle clears BOTH PINs: both tokens. A card
	 * that cannot be reached now is power-cycled at the next contact. */
	jp_token_logout_all_inlock(r);
	return jp_token_unpower_inlock(r);
}

CK_RV jp_p11_login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	CK_RV rv;
	jp_session *s = NULL;
	jp_reader *r;
	jp_token *t;
	jp_key key;
	jp_token_certs certs;
	jp_io io;
	uint8_t buf[JP_PIN_MAX];
	size_t n = 0;
	int tries = -1, asked = 0;
	jp_err e = JP_OK;

	jp_wipe(buf, sizeof(buf));
	memset(&certs, 0, sizeof(certs));
	rv = jp_enter_session(h, &s);
	if (rv != CKR_OK)
		goto out;
	r = s->reader;
	key = s->key;
	t = jp_session_token(s);
	if (user != CKU_USER && user != CKU_CONTEXT_SPECIFIC) {
		/* There is no security officer on this card. */
		rv = CKR_USER_TYPE_INVALID;
		goto unlock;
	}
	if (!pin) {
		/* No protected authentication path. */
		rv = CKR_ARGUMENTS_BAD;
		goto unlock;
	}
	if (user == CKU_USER && t->logged_in) {
		rv = CKR_USER_ALREADY_LOGGED_IN;
		goto unlock;
	}
	if (user == CKU_CONTEXT_SPECIFIC) {
		if (!t->logged_in) {
			rv = CKR_USER_NOT_LOGGED_IN;
			goto unlock;
		}
		if (!s->sign_active) {
			rv = CKR_OPERATION_NOT_INITIALIZED;
			goto unlock;
		}
	}
	rv = check_pin(key, pin, len, buf, &n);
	if (rv != CKR_OK)
		goto unlock;
	if (t->tries == 0) {
		rv = CKR_PIN_LOCKED;   /* known blocked: no VERIFY */
		goto unlock;
	}
	tries = t->tries;
	rv = jp_card_enter_inlock(r, &io, 0);
	if (rv != CKR_OK)
		goto unlock;
	/* Card I/O: the reader's lock, not the global one (io.c). */
	if (user == CKU_CONTEXT_SPECIFIC && (io.cleared || !io.logged_in[key])) {
		/* Logged out meanwhile (a reset by another program, a logout):
		 * a VERIFY now would leave the card verified for a process
		 * that is not logged in. */
		e = JP_E_SECURITY_STATUS;
	} else {
		e = guard_blocked(io.card, key, &tries);
		if (e == JP_OK)
			e = jp_card_verify(io.card, key, buf, n, &tries);
		asked = 1;
	}
	jp_wipe(buf, sizeof(buf));
	/* Login-only objects (the signing certificate and its keys) appear
	 * at login: their certificate is read now; a failure here does not
	 * undo the login (they are built at the next use). */
	if (e == JP_OK && user == CKU_USER)
		(void)jp_objects_read_certs(io.card, key, 1, &certs);
	rv = jp_card_leave(&io, e);
	/* The global lock again: the session may have gone meanwhile. */
	if (asked && rv != CKR_DEVICE_REMOVED)
		note_tries(t, key, e, tries);
	if (e == JP_OK && rv == CKR_OK) {
		if (jp_session_lookup_inlock(h, &s) != CKR_OK) {
			/* Closed while the card checked the PIN: nobody may stay
			 * verified on the card for a process not logged in. */
			rv = CKR_SESSION_CLOSED;
			if (!t->logged_in)
				(void)jp_token_unpower_inlock(r);
		} else if (user == CKU_USER && t->logged_in) {
			rv = CKR_USER_ALREADY_LOGGED_IN;   /* another thread's login won */
		} else if (user == CKU_USER) {
			t->logged_in = 1;
			jp_token_objects_build_inlock(r, key, &certs);
			warn_validity(key, &certs);
		} else if (s->sign_active) {
			s->sign.context_login = 1;
		} else {
			rv = CKR_OPERATION_NOT_INITIALIZED;   /* ended meanwhile */
		}
	}
	JP_INFO("p11: login (%s, %s): %s", key == JP_KEY_AUTH ? "authentication" : "signature",
	        user == CKU_USER ? "user" : "context-specific", jp_err_str(e));
unlock:
	jp_leave();
out:
	jp_wipe(buf, sizeof(buf));
	jp_token_certs_free(&certs);
	return rv;
}

CK_RV jp_p11_logout(CK_SESSION_HANDLE h)
{
	CK_RV rv;
	jp_session *s = NULL;

	rv = jp_enter_session(h, &s);
	if (rv != CKR_OK)
		goto out;
	if (!jp_session_token(s)->logged_in) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto unlock;
	}
	rv = jp_logout_card_inlock(s->reader);
unlock:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_set_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
                     CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len)
{
	CK_RV rv;
	jp_session *s = NULL;
	jp_reader *r;
	jp_token *t;
	jp_key key;
	jp_io io;
	uint8_t o[JP_PIN_MAX], nw[JP_PIN_MAX];
	size_t on = 0, nn = 0;
	int tries = -1;
	jp_err e = JP_OK;

	jp_wipe(o, sizeof(o));
	jp_wipe(nw, sizeof(nw));
	rv = jp_enter_session(h, &s);
	if (rv != CKR_OK)
		goto out;
	r = s->reader;
	key = s->key;
	t = jp_session_token(s);
	/* PKCS#11 v2.40 §5.6: C_SetPIN works in R/W sessions only. */
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto unlock;
	}
	if (!old_pin || !new_pin) {
		rv = CKR_ARGUMENTS_BAD;
		goto unlock;
	}
	rv = check_pin(key, old_pin, old_len, o, &on);
	if (rv == CKR_OK)
		rv = check_pin(key, new_pin, new_len, nw, &nn);
	if (rv != CKR_OK)
		goto unlock;
	if (t->tries == 0) {
		rv = CKR_PIN_LOCKED;
		goto unlock;
	}
	tries = t->tries;
	rv = jp_card_enter_inlock(r, &io, 0);
	if (rv != CKR_OK)
		goto unlock;
	/* Card I/O: the reader's lock, not the global one (io.c). */
	e = guard_blocked(io.card, key, &tries);
	if (e == JP_OK)
		e = jp_card_change_pin(io.card, key, o, on, nw, nn, &tries);
	jp_wipe(o, sizeof(o));
	jp_wipe(nw, sizeof(nw));
	if ((io.cleared || !io.logged_in[key]) && e != JP_E_PIN_INCORRECT &&
	    e != JP_E_PIN_LOCKED && !jp_err_is_removal(e)) {
		/* The change may have VERIFYed the old PIN (also when the
		 * CHANGE itself failed after it): do not leave the card
		 * verified for a process that is not logged in. This logs out
		 * the other token too (one card, one power cycle; at leave). */
		(void)jp_io_unverify(&io);
	}
	rv = jp_card_leave(&io, e);
	if (rv != CKR_DEVICE_REMOVED)
		note_tries(t, key, e, tries);
	JP_INFO("p11: PIN change (%s): %s", key == JP_KEY_AUTH ? "authentication" : "signature",
	        jp_err_str(e));
unlock:
	jp_leave();
out:
	jp_wipe(o, sizeof(o));
	jp_wipe(nw, sizeof(nw));
	return rv;
}
