/* The session table: C_OpenSession, C_CloseSession, C_CloseAllSessions,
 * C_GetSessionInfo. Sessions of a removed card are dead (their card_gen is
 * old) and are freed when next looked up. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jpki/log.h"
#include "p11.h"

void jp_session_ops_clear(jp_session *s)
{
	int k;

	for (k = 0; k < JP_OP__KINDS; k++)
		jp_op_clear(&s->ops[k]);
	jp_find_clear(s);
}

static int session_dead(const jp_session *s)
{
	return s->reader->gone || s->card_gen != s->reader->card_gen;
}

/* Takes entry i out of the table and frees it. */
static void session_remove_at(size_t i)
{
	jp_session *s = jp_mod.sessions[i];

	jp_mod.sessions[i] = jp_mod.sessions[--jp_mod.nsessions];
	jp_session_ops_clear(s);
	free(s);
}

CK_RV jp_session_lookup_inlock(CK_SESSION_HANDLE h, jp_session **out)
{
	CK_RV rv = CKR_SESSION_HANDLE_INVALID;
	size_t i;

	for (i = 0; i < jp_mod.nsessions; i++) {
		if (jp_mod.sessions[i]->handle != h)
			continue;
		if (session_dead(jp_mod.sessions[i])) {
			/* Its card was removed: the session closed with it. It is
			 * freed when nobody holds its reader (a holder may be
			 * using it: its own call ends with CKR_DEVICE_REMOVED). */
			if (jp_mod.sessions[i]->reader->pins == 0)
				session_remove_at(i);
		} else {
			*out = jp_mod.sessions[i];
			rv = CKR_OK;
		}
		break;
	}
	return rv;
}

CK_RV jp_enter_session(CK_SESSION_HANDLE h, jp_session **out)
{
	CK_RV rv = jp_enter();
	jp_session *s = NULL;
	jp_reader *r;

	if (rv != CKR_OK)
		goto out;
	rv = jp_session_lookup_inlock(h, &s);
	if (rv != CKR_OK) {
		jp_leave();
		goto out;
	}
	/* The reader first, then the one check of the session: while we
	 * waited for the reader its holder may have closed the session, or
	 * the card may have gone. */
	r = s->reader;
	jp_reader_take(r);
	rv = jp_session_lookup_inlock(h, out);
	if (rv == CKR_OK && (*out)->reader != r)
		rv = CKR_SESSION_HANDLE_INVALID;   /* closed, and its handle reused */
	if (rv != CKR_OK)
		jp_leave_reader(r);
out:
	return rv;
}

CK_RV jp_enter_session_args(CK_SESSION_HANDLE h, int args_ok, jp_session **out)
{
	return args_ok ? jp_enter_session(h, out) : jp_refuse_args();
}

void jp_sessions_drop_reader_inlock(const jp_reader *r)
{
	size_t i = 0;

	while (i < jp_mod.nsessions) {
		if (jp_mod.sessions[i]->reader == r)
			session_remove_at(i);   /* the last entry moves to i */
		else
			i++;
	}
}

/* Closes live session i, updating the token's counts. Returns its token
 * (for the last-session logout). */
static jp_token *session_close_at(size_t i)
{
	jp_session *s = jp_mod.sessions[i];
	jp_token *t = jp_session_token(s);

	if (t->sessions > 0)
		t->sessions--;
	if ((s->flags & CKF_RW_SESSION) && t->rw_sessions > 0)
		t->rw_sessions--;
	session_remove_at(i);
	return t;
}

/* PKCS#11 v2.40 §5.6: closing the last session logs the token out. The
 * card is power-cycled so no PIN stays verified (doc/card.md §6). */
static CK_RV last_session_logout_held(jp_reader *r, jp_token *t)
{
	CK_RV rv = CKR_OK;

	if (t->sessions == 0 && t->logged_in)
		rv = jp_logout_card_held(r);
	return rv;
}

CK_RV jp_p11_open_session(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE_PTR out)
{
	CK_RV rv;
	jp_reader *r = NULL;
	jp_key key = JP_KEY_AUTH;
	jp_session *s = NULL;
	jp_token *t;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = jp_slot_lookup_inlock(id, &r, &key);
	if (rv != CKR_OK)
		goto unlock;
	if (!(flags & CKF_SERIAL_SESSION)) {
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
		goto unlock;
	}
	if (!out) {
		rv = CKR_ARGUMENTS_BAD;
		goto unlock;
	}
	(void)jp_slots_refresh_inlock(0);
	if (r->gone) {
		rv = CKR_DEVICE_REMOVED;
		goto unlock;
	}
	jp_reader_take(r);
	rv = r->gone ? CKR_DEVICE_REMOVED : jp_token_probe_held(r, key);
	if (rv != CKR_OK)
		goto give;
	t = &r->tokens[key];
	if (!t->present) {
		rv = CKR_TOKEN_NOT_PRESENT;
		goto give;
	}
	/* Objects now, so C_FindObjects has them (read ahead of need). */
	rv = jp_rv_read_ahead(jp_token_objects_ensure_held(r, key));
	if (rv != CKR_OK)
		goto give;
	rv = t->present ? CKR_OK : CKR_TOKEN_NOT_PRESENT;
	if (rv != CKR_OK)
		goto give;
	if (jp_mod.nsessions == jp_mod.sessions_cap) {
		size_t cap = jp_mod.sessions_cap ? jp_mod.sessions_cap * 2 : 16;
		jp_session **n = realloc(jp_mod.sessions, cap * sizeof(*n));
		if (!n) {
			rv = CKR_HOST_MEMORY;
			goto give;
		}
		jp_mod.sessions = n;
		jp_mod.sessions_cap = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		rv = CKR_HOST_MEMORY;
		goto give;
	}
	s->handle = jp_mod.next_session++;
	if (jp_mod.next_session == CK_INVALID_HANDLE)
		jp_mod.next_session = 1;
	s->reader = r;
	s->key = key;
	s->card_gen = r->card_gen;
	/* RW sessions are allowed although the token is write-protected:
	 * C_SetPIN needs one (PKCS#11 v2.40 §5.6), and pkcs11-tool opens one
	 * to change a PIN. Nothing else can be written. */
	s->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
	jp_mod.sessions[jp_mod.nsessions++] = s;
	t->sessions++;
	if (flags & CKF_RW_SESSION)
		t->rw_sessions++;
	*out = s->handle;
give:
	jp_reader_give(r);
unlock:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_close_session(CK_SESSION_HANDLE h)
{
	CK_RV rv;
	jp_session *s = NULL;
	jp_reader *r;
	jp_token *t;
	size_t i;

	rv = jp_enter_session(h, &s);
	if (rv != CKR_OK)
		goto out;
	r = s->reader;
	for (i = 0; jp_mod.sessions[i] != s; i++)
		;
	t = session_close_at(i);
	(void)last_session_logout_held(r, t);
	jp_leave_reader(r);
out:
	return rv;
}

CK_RV jp_p11_close_all_sessions(CK_SLOT_ID id)
{
	CK_RV rv;
	jp_reader *r = NULL;
	jp_key key = JP_KEY_AUTH;
	size_t i;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = jp_slot_lookup_inlock(id, &r, &key);
	if (rv != CKR_OK)
		goto unlock;
	jp_reader_take(r);
	for (i = 0; i < jp_mod.nsessions;) {
		jp_session *s = jp_mod.sessions[i];
		if (s->reader != r || s->key != key)
			i++;
		else if (session_dead(s))
			session_remove_at(i);
		else
			(void)session_close_at(i);
	}
	(void)last_session_logout_held(r, &r->tokens[key]);
	jp_reader_give(r);
unlock:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	CK_RV rv;
	jp_session *s = NULL;
	int rw, user;

	/* The tables only, never the reader: a slow card does not hold up
	 * the session's state (its login is published under the global
	 * lock). */
	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = jp_session_lookup_inlock(h, &s);
	if (rv != CKR_OK)
		goto unlock;
	if (!info) {
		rv = CKR_ARGUMENTS_BAD;
		goto unlock;
	}
	rw = !!(s->flags & CKF_RW_SESSION);
	user = jp_session_token(s)->logged_in;
	memset(info, 0, sizeof(*info));
	info->slotID = jp_slot_id(s->reader, s->key);
	info->state = user ? (rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS)
	                   : (rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION);
	info->flags = s->flags;
	info->ulDeviceError = 0;
unlock:
	jp_leave();
out:
	return rv;
}
