/* C_Login, C_Logout, C_SetPIN. The login state is the module's, per token
 * and per process (doc/design.md §3): the card cannot say whether a PIN is
 * verified (doc/card.md §4), and another process may have verified it.
 * The PIN rules (policy, the blocked-PIN guard, the retry counter) are the
 * card layer's (jp_card_verify, jp_card_change_pin): this file maps their
 * errors, shows their count, and keeps the login state. The PIN is handed
 * down as the application gave it, never copied here. */
#include "config.h"

#include <string.h>

#include "jpki/log.h"
#include "p11.h"

/* What the card said about the retry counter (the card layer keeps it,
 * pin.c), shown in the token's flags (token.c). A call that did not reach
 * the card's PIN leaves the count as it was. */
static void show_tries(jp_token *t, int tries)
{
	t->tries = tries;
}

/* A change of PIN may have verified the old PIN at the card (also when the
 * CHANGE after it failed), unless the card refused it or never saw it. */
static int change_may_have_verified(jp_err e)
{
	return e != JP_E_PIN_INCORRECT && e != JP_E_PIN_LOCKED && e != JP_E_PIN_LEN_RANGE &&
	       e != JP_E_PIN_INVALID && !jp_err_is_removal(e);
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
	int tries = -1, asked = 0;
	jp_err e = JP_OK;

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
		if (!s->ops[JP_OP_SIGN].active) {
			rv = CKR_OPERATION_NOT_INITIALIZED;
			goto unlock;
		}
	}
	rv = jp_io_begin(r, &io, 0);
	if (rv != CKR_OK)
		goto unlock;
	/* Card I/O: the reader's lock, not the global one (io.c). */
	if (user == CKU_CONTEXT_SPECIFIC && io.cleared) {
		/* The card forgot the login (a reset by another program, a
		 * power cycle owed): a VERIFY now would leave the card
		 * verified for a process that is logged out at jp_io_end. */
		e = JP_E_SECURITY_STATUS;
	} else {
		e = jp_card_verify(io.card, key, pin, (size_t)len, &tries);
		asked = 1;
	}
	/* Login-only objects (the signing certificate and its keys) appear
	 * at login: their certificate is read now; a failure here does not
	 * undo the login (they are built at the next use). */
	if (e == JP_OK && user == CKU_USER)
		(void)jp_objects_read_certs(io.card, key, 1, &certs);
	rv = jp_io_end(&io, e);
	/* The global lock again; the session, its token and its operation
	 * are as they were (nobody changes them without the reader). */
	if (asked && rv != CKR_DEVICE_REMOVED)
		show_tries(t, tries);
	if (e == JP_OK && rv == CKR_OK && user == CKU_USER) {
		t->logged_in = 1;
		jp_token_objects_build_held(r, key, &certs);
	} else if (e == JP_OK && rv == CKR_OK) {
		s->ops[JP_OP_SIGN].context_login = 1;
	}
	JP_INFO("p11: login (%s, %s): %s", key == JP_KEY_AUTH ? "authentication" : "signature",
	        user == CKU_USER ? "user" : "context-specific", jp_err_str(e));
unlock:
	jp_leave_reader(r);
out:
	jp_token_certs_free(&certs);
	return rv;
}

CK_RV jp_p11_logout(CK_SESSION_HANDLE h)
{
	CK_RV rv;
	jp_session *s = NULL;
	jp_reader *r;

	rv = jp_enter_session(h, &s);
	if (rv != CKR_OK)
		goto out;
	r = s->reader;
	if (!jp_session_token(s)->logged_in) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto unlock;
	}
	rv = jp_logout_card_held(r);
unlock:
	jp_leave_reader(r);
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
	int tries = -1;
	jp_err e = JP_OK;

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
	rv = jp_io_begin(r, &io, 0);
	if (rv != CKR_OK)
		goto unlock;
	/* Card I/O: the reader's lock, not the global one (io.c). */
	e = jp_card_change_pin(io.card, key, old_pin, (size_t)old_len, new_pin, (size_t)new_len,
	                       &tries);
	if ((io.cleared || !t->logged_in) && change_may_have_verified(e)) {
		/* The change may have VERIFYed the old PIN: do not leave the card
		 * verified for a process that is not logged in. This logs out
		 * the other token too (one card, one power cycle; at leave). */
		(void)jp_io_unverify(&io, JP_IO_LOGOUT_AUTH | JP_IO_LOGOUT_SIGN);
	}
	rv = jp_io_end(&io, e);
	if (rv != CKR_DEVICE_REMOVED)
		show_tries(t, tries);
	JP_INFO("p11: PIN change (%s): %s", key == JP_KEY_AUTH ? "authentication" : "signature",
	        jp_err_str(e));
unlock:
	jp_leave_reader(r);
out:
	return rv;
}
