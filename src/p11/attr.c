/* Attribute access: the C_GetAttributeValue rules of PKCS#11 v2.40 §5.7.5
 * in one place (jp_attr_get), template matching for C_FindObjects,
 * C_GetAttributeValue and C_SetAttributeValue (refused: read-only). */
#include "config.h"

#include <string.h>

#include "p11.h"

const jp_attr *jp_attr_find(const jp_object *o, CK_ATTRIBUTE_TYPE type)
{
	const jp_attr *a = NULL;
	size_t i;

	for (i = 0; i < o->nattrs && !a; i++)
		if (o->attrs[i].type == type)
			a = &o->attrs[i];
	return a;
}

int jp_attr_true(const jp_object *o, CK_ATTRIBUTE_TYPE type)
{
	const jp_attr *a = jp_attr_find(o, type);

	return a && a->len == sizeof(CK_BBOOL) && *(const CK_BBOOL *)a->value == CK_TRUE;
}

/* The private parts of an RSA key (PKCS#11 v2.40 mechanisms §2.1.3) and a
 * secret value: they live on the card, which never gives them out. */
static int is_sensitive(const jp_object *o, CK_ATTRIBUTE_TYPE type)
{
	int r = 0;

	if (o->cls == CKO_PRIVATE_KEY) {
		switch (type) {
		case CKA_PRIVATE_EXPONENT:
		case CKA_PRIME_1:
		case CKA_PRIME_2:
		case CKA_EXPONENT_1:
		case CKA_EXPONENT_2:
		case CKA_COEFFICIENT:
		case CKA_VALUE:
			r = 1;
			break;
		default:
			break;
		}
	}
	return r;
}

CK_RV jp_attr_get(const jp_object *o, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	int sensitive = 0, invalid = 0, too_small = 0;
	const jp_attr *a;
	CK_ULONG i;

	/* §5.7.5: every entry is processed, whatever happened to the others. */
	for (i = 0; i < count; i++) {
		CK_ATTRIBUTE *t = &tmpl[i];

		a = jp_attr_find(o, t->type);
		if (is_sensitive(o, t->type)) {
			/* Rule 1: sensitive or unextractable. */
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			sensitive = 1;
		} else if (!a) {
			/* Rule 2: not an attribute of this object. */
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			invalid = 1;
		} else if (!t->pValue) {
			/* Rule 3: the length only. */
			t->ulValueLen = a->len;
		} else if (t->ulValueLen >= a->len) {
			/* Rule 4: copy. */
			if (a->len)
				memcpy(t->pValue, a->value, a->len);
			t->ulValueLen = a->len;
		} else {
			/* Rule 5: too small. */
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			too_small = 1;
		}
	}
	/* "If more than one of these error codes is applicable, Cryptoki may
	 * return any of them": we answer in the order the spec lists them. */
	return sensitive ? CKR_ATTRIBUTE_SENSITIVE :
	       invalid ? CKR_ATTRIBUTE_TYPE_INVALID :
	       too_small ? CKR_BUFFER_TOO_SMALL : CKR_OK;
}

int jp_attr_match(const jp_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG count)
{
	const jp_attr *a;
	int match = 1;
	CK_ULONG i;

	/* §5.7.7 C_FindObjectsInit: an object matches when it has every
	 * attribute of the template with exactly that value. Sensitive values
	 * are not stored, so they never match. */
	for (i = 0; i < count && match; i++) {
		a = jp_attr_find(o, tmpl[i].type);
		if (!a && o->content_due)
			match = -1;   /* may be in the content: decided after the rest */
		else if (!a || a->len != tmpl[i].ulValueLen)
			match = 0;
		else if (a->len && (!tmpl[i].pValue || memcmp(a->value, tmpl[i].pValue, a->len)))
			match = 0;
	}
	return match;
}

CK_RV jp_p11_get_attribute_value(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                 CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	CK_RV rv;
	jp_session *s;
	jp_object *o;

	CK_ULONG i;

	rv = jp_object_enter(hs, ho, tmpl || !count, &s, &o);
	if (rv != CKR_OK)
		goto out;
	/* An attribute the object lacks may be in its content not read yet. */
	for (i = 0; i < count && rv == CKR_OK && o->content_due; i++)
		if (!jp_attr_find(o, tmpl[i].type))
			rv = jp_object_content_held(s->reader, o);
	if (rv == CKR_OK)
		rv = jp_attr_get(o, tmpl, count);
	jp_leave_reader(s->reader);
out:
	return rv;
}

CK_RV jp_p11_set_attribute_value(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho,
                                 CK_ATTRIBUTE_PTR tmpl, CK_ULONG count)
{
	return jp_object_prohibited(hs, ho, tmpl || !count);
}
