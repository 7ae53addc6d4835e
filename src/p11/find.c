/* C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal over a snapshot
 * of the handles taken at Init (PKCS#11 v2.40 §5.7.7-9): objects that
 * appear later are not returned; handles of objects that went away since
 * are returned and then refused by the functions that use them. */
#include "config.h"

#include <stdlib.h>

#include "p11.h"

void jp_find_clear(jp_session *s)
{
	free(s->found);
	s->found = NULL;
	s->nfound = s->found_pos = 0;
	s->find_active = 0;
}

/* Whether o is one session s may see (private objects only for a
 * logged-in process, §4.4). */
static int visible(const jp_token *t, const jp_object *o)
{
	return !o->is_private || t->logged_in;
}

/* Reads the content of the objects whose match depends on it (a CA
 * certificate not read yet and a template naming, say, CKA_SUBJECT), once,
 * in this call. By handle: card I/O may change the list (a logout). */
static CK_RV content_for_held(jp_session *s, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	CK_RV rv = CKR_OK;
	jp_token *t = jp_session_token(s);
	CK_OBJECT_HANDLE due[JP_ROLE__COUNT];
	jp_object *o;
	size_t i, n = 0;

	for (i = 0; i < t->nobjects && n < JP_ROLE__COUNT; i++)
		if (visible(t, t->objects[i]) && jp_attr_match(t->objects[i], tmpl, count) < 0)
			due[n++] = t->objects[i]->handle;
	for (i = 0; i < n && rv == CKR_OK; i++) {
		o = jp_object_find_inlock(jp_session_token(s), due[i]);
		if (o)
			rv = jp_object_content_held(s->reader, o);
	}
	return rv;
}

/* The handles of the objects session s may see that match. */
static CK_RV snapshot_held(jp_session *s, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	CK_RV rv = CKR_OK;
	jp_token *t;
	size_t i, n = 0;

	if (s->find_active)
		rv = CKR_OPERATION_ACTIVE;
	/* The objects follow the login state (object.c); this may read a
	 * certificate the first time (card I/O, the reader held). */
	if (rv == CKR_OK)
		rv = jp_token_objects_ensure_held(s->reader, s->key);
	if (rv == CKR_OK)
		rv = content_for_held(s, tmpl, count);
	if (rv != CKR_OK)
		goto out;
	t = jp_session_token(s);
	s->found = calloc(t->nobjects ? t->nobjects : 1, sizeof(*s->found));
	if (!s->found) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (i = 0; i < t->nobjects; i++) {
		const jp_object *o = t->objects[i];

		/* A content that could not be read matches nothing. */
		if (visible(t, o) && jp_attr_match(o, tmpl, count) > 0)
			s->found[n++] = o->handle;
	}
	s->nfound = n;
	s->found_pos = 0;
	s->find_active = 1;
out:
	return rv;
}

CK_RV jp_p11_find_objects_init(CK_SESSION_HANDLE hs, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	CK_RV rv;
	jp_session *s;

	rv = jp_enter_session_args(hs, tmpl || !count, &s);
	if (rv != CKR_OK)
		goto out;
	rv = snapshot_held(s, tmpl, count);
	jp_leave_reader(s->reader);
out:
	return rv;
}

CK_RV jp_p11_find_objects(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE_PTR out_h, CK_ULONG max,
                          CK_ULONG_PTR count)
{
	CK_RV rv;
	jp_session *s;
	CK_ULONG n = 0;

	rv = jp_enter_session_args(hs, count && (out_h || !max), &s);
	if (rv != CKR_OK)
		goto out;
	if (!s->find_active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		while (n < max && s->found_pos < s->nfound)
			out_h[n++] = s->found[s->found_pos++];
		*count = n;
	}
	jp_leave_reader(s->reader);
out:
	return rv;
}

CK_RV jp_p11_find_objects_final(CK_SESSION_HANDLE hs)
{
	CK_RV rv;
	jp_session *s;

	rv = jp_enter_session(hs, &s);
	if (rv != CKR_OK)
		goto out;
	if (!s->find_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		jp_find_clear(s);
	jp_leave_reader(s->reader);
out:
	return rv;
}
