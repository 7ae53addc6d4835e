/* C_Login, C_Logout, C_SetPIN. The login state is the module's, per token
 * and per process (design.md §3): the card cannot say whether a PIN is
 * verified (jpki-card.md §4), and another process may have verified it.
 * Every PIN is checked against the rules before the card sees it, is
 * never retried, and every copy is wiped before returning. */
#include "config.h"

#include <string.h>

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

/* After a VERIFY-bearing command: what the card said about the counter.
 * Any other outcome (a lost answer, a bare 6300) leaves it unknown: the
 * card may have used a try, and a stale count would hide FINAL_TRY or
 * send the next VERIFY to a blocked PIN. Unknown means one retry query
 * before the next VERIFY (know_tries_intxn). */
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

/* Makes sure t->tries is known (one retry query when it is not: the
 * blocked check must not cost a VERIFY). Inside a transaction. */
static jp_err know_tries_intxn(jp_reader *r, jp_key key)
{
	jp_token *t = &r->tokens[key];
	int tries = -1;
	jp_err e = JP_OK;

	if (t->tries >= 0)
		goto out;
	e = jp_card_pin_tries(r->card, key, &tries);
	if (e == JP_E_PIN_LOCKED) {
		tries = 0;
		e = JP_OK;
	}
	if (e == JP_OK)
		t->tries = tries;
out:
	return e;
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
	uint8_t buf[JP_PIN_MAX];
	size_t n = 0;
	int tries = -1;
	jp_err e;

	jp_wipe(buf, sizeof(buf));
	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = jp_session_lookup_inlock(h, &s);
	if (rv != CKR_OK)
		goto unlock;
	r = s->reader;
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
	rv = check_pin(s->key, pin, len, buf, &n);
	if (rv != CKR_OK)
		goto unlock;
	if (t->tries == 0) {
		rv = CKR_PIN_LOCKED;   /* known blocked: no VERIFY */
		goto unlock;
	}
	rv = jp_card_enter_inlock(r);
	if (rv != CKR_OK)
		goto unlock;
	e = know_tries_intxn(r, s->key);
	if (e == JP_OK && user == CKU_CONTEXT_SPECIFIC && !t->logged_in)
		/* Entering found a reset by another program and logged us
		 * out: a VERIFY now would leave the card verified for a
		 * process that is not logged in. */
		e = JP_E_SECURITY_STATUS;
	else if (e == JP_OK && t->tries == 0)
		e = JP_E_PIN_LOCKED;
	else if (e == JP_OK)
		e = jp_card_verify(r->card, s->key, buf, n, &tries);
	jp_wipe(buf, sizeof(buf));
	note_tries(t, s->key, e, tries);
	if (e == JP_OK && user == CKU_USER) {
		t->logged_in = 1;
		/* Login-only objects (the signing certificate and its keys)
		 * appear now; a failure here does not undo the login. */
		t->objects_built = jp_objects_build_inlock(r, s->key) == JP_OK;
	} else if (e == JP_OK) {
		s->sign.context_login = 1;
	}
	JP_INFO("p11: login (%s, %s): %s", s->key == JP_KEY_AUTH ? "authentication" : "signature",
	        user == CKU_USER ? "user" : "context-specific", jp_err_str(e));
	rv = jp_card_leave_inlock(r, e);
unlock:
	jp_leave();
out:
	jp_wipe(buf, sizeof(buf));
	return rv;
}

CK_RV jp_p11_logout(CK_SESSION_HANDLE h)
{
	CK_RV rv;
	jp_session *s = NULL;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = jp_session_lookup_inlock(h, &s);
	if (rv != CKR_OK)
		goto unlock;
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
	uint8_t o[JP_PIN_MAX], nw[JP_PIN_MAX];
	size_t on = 0, nn = 0;
	int tries = -1, was_logged_in;
	jp_err e;

	jp_wipe(o, sizeof(o));
	jp_wipe(nw, sizeof(nw));
	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = jp_session_lookup_inlock(h, &s);
	if (rv != CKR_OK)
		goto unlock;
	r = s->reader;
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
	rv = check_pin(s->key, old_pin, old_len, o, &on);
	if (rv == CKR_OK)
		rv = check_pin(s->key, new_pin, new_len, nw, &nn);
	if (rv != CKR_OK)
		goto unlock;
	if (t->tries == 0) {
		rv = CKR_PIN_LOCKED;
		goto unlock;
	}
	rv = jp_card_enter_inlock(r);
	if (rv != CKR_OK)
		goto unlock;
	was_logged_in = t->logged_in;
	e = know_tries_intxn(r, s->key);
	if (e == JP_OK && t->tries == 0)
		e = JP_E_PIN_LOCKED;
	else if (e == JP_OK)
		e = jp_card_change_pin(r->card, s->key, o, on, nw, nn, &tries);
	jp_wipe(o, sizeof(o));
	jp_wipe(nw, sizeof(nw));
	note_tries(t, s->key, e, tries);
	JP_INFO("p11: PIN change (%s): %s", s->key == JP_KEY_AUTH ? "authentication" : "signature",
	        jp_err_str(e));
	if (!was_logged_in && e != JP_E_PIN_INCORRECT && e != JP_E_PIN_LOCKED) {
		/* The change may have VERIFYed the old PIN (also when the
		 * CHANGE itself failed after it): do not leave the card
		 * verified for a process that is not logged in. This logs out
		 * the other token too (one card, one power cycle). */
		(void)jp_token_unverify_intxn(r);
		jp_token_logout_all_inlock(r);
	}
	rv = jp_card_leave_inlock(r, e);
unlock:
	jp_leave();
out:
	jp_wipe(o, sizeof(o));
	jp_wipe(nw, sizeof(nw));
	return rv;
}
