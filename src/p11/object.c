/* A token's objects, built from the card's certificates: per token the
 * holder's certificate, its CA's certificate, the holder's public key and
 * the private key on the card; and the calls on an object as a whole
 * (C_GetObjectSize; C_CreateObject, C_CopyObject and C_DestroyObject, which
 * a write-protected token with read-only objects refuses). Every attribute is computed once here, as
 * the bytes C_GetAttributeValue returns, so a length query and the fetch
 * that follows always agree. The one exception to "built with the token":
 * a CA certificate's content, read on first need (jp_object_content_held)
 * and then kept like the rest.
 *
 * The signing certificate is personal data (doc/card.md §7): it and what
 * derives from it (the public key, the private key's modulus) are built
 * only while the signing token is logged in in this process. Building is
 * idempotent and follows the token's state: objects that stay keep their
 * handles, objects that should no longer exist are freed.
 *
 * The authentication token also has a profile object (PKCS#11 v3.0 §4.13)
 * saying CKP_PUBLIC_CERTIFICATES_TOKEN: its certificates can be found
 * without logging in, so an application (NSS: a "friendly" token) may look
 * for them without asking for the PIN. The signature token says nothing:
 * its holder certificate is private. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jpki/log.h"
#include "jpki/pkcs11-3.h"
#include "p11.h"

/* Labels that read well in certificate pickers (Firefox shows
 * "token label:certificate label"). A certificate and its key pair share
 * one label as well as one CKA_ID: NSS expects the certificate's label to
 * match its private key's, and one "object=" in a pkcs11: URI then names
 * the key and its certificate alike (type= tells them apart). Never
 * personal data. */
static const char *const labels[2][JP_ROLE__COUNT] = {
	[JP_KEY_AUTH] = {
		"JPKI User Authentication",
		"JPKI User Authentication CA",
		"JPKI User Authentication",
		"JPKI User Authentication",
		NULL,
	},
	[JP_KEY_SIGN] = {
		"JPKI Digital Signature",
		"JPKI Digital Signature CA",
		"JPKI Digital Signature",
		"JPKI Digital Signature",
		NULL,
	},
};

static const jp_cert_id holder_cert[2] = { JP_CERT_AUTH, JP_CERT_SIGN };
static const jp_cert_id ca_cert[2] = { JP_CERT_AUTH_CA, JP_CERT_SIGN_CA };

/* What the card's keys can do: the RSA mechanisms of mechanism.c; the
 * last two (PSS) only with the option pss=yes (a TLS 1.3 client such as
 * pkcs11-provider checks this list before it signs). */
static const CK_MECHANISM_TYPE key_mechs[] = {
	CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS,
	CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
	CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS,
};
#define KEY_MECHS_PSS 2

/* The most attributes any object gets (a private key has 29). */
#define ATTRS_MAX 40

/* ---- building one object ---- */

typedef struct builder {
	jp_object *o;
	int failed;
} builder;

static void add(builder *b, CK_ATTRIBUTE_TYPE type, const void *value, size_t len)
{
	jp_attr *a;

	if (b->failed)
		goto out;
	if (b->o->nattrs >= ATTRS_MAX) {
		b->failed = 1;   /* a bug: ATTRS_MAX too small */
		goto out;
	}
	a = &b->o->attrs[b->o->nattrs];
	a->type = type;
	a->len = len;
	/* Always allocate, even for an empty value, so value != NULL means
	 * "present" for everyone reading the table. */
	a->value = malloc(len ? len : 1);
	if (!a->value) {
		b->failed = 1;
		goto out;
	}
	if (len)
		memcpy(a->value, value, len);
	b->o->nattrs++;
out:
	return;
}

static void add_bool(builder *b, CK_ATTRIBUTE_TYPE type, int v)
{
	CK_BBOOL x = v ? CK_TRUE : CK_FALSE;

	add(b, type, &x, sizeof(x));
}

static void add_ulong(builder *b, CK_ATTRIBUTE_TYPE type, CK_ULONG v)
{
	add(b, type, &v, sizeof(v));
}

static void add_buf(builder *b, CK_ATTRIBUTE_TYPE type, const jp_buf *buf)
{
	add(b, type, buf->data, buf->len);
}

/* CK_DATE from "YYYYMMDD"; empty when the date is unknown (PKCS#11 v2.40
 * §4.6.2: empty is the default). */
static void add_date(builder *b, CK_ATTRIBUTE_TYPE type, const char *ymd)
{
	CK_DATE d;

	if (strlen(ymd) != 8) {
		add(b, type, NULL, 0);
	} else {
		memcpy(d.year, ymd, 4);
		memcpy(d.month, ymd + 4, 2);
		memcpy(d.day, ymd + 6, 2);
		add(b, type, &d, sizeof(d));
	}
}

static void free_object(jp_object *o)
{
	size_t i;

	if (!o)
		goto out;
	for (i = 0; i < o->nattrs; i++) {
		jp_wipe(o->attrs[i].value, o->attrs[i].len);
		free(o->attrs[i].value);
	}
	free(o->attrs);
	jp_buf_free(&o->rsa_n);
	jp_buf_free(&o->rsa_e);
	jp_wipe(o, sizeof(*o));
	free(o);
out:
	return;
}

/* Attributes every object has (PKCS#11 v2.40 §4.4, §4.5). The token is
 * write-protected: nothing is modifiable, copyable or destroyable. */
static void add_common(builder *b, CK_OBJECT_CLASS cls, int is_private, const char *label)
{
	add_ulong(b, CKA_CLASS, cls);
	add_bool(b, CKA_TOKEN, 1);
	add_bool(b, CKA_PRIVATE, is_private);
	add_bool(b, CKA_MODIFIABLE, 0);
	add_bool(b, CKA_COPYABLE, 0);
	add_bool(b, CKA_DESTROYABLE, 0);
	add(b, CKA_LABEL, label, strlen(label));
}

/* X.509 certificate object (§4.6.3): what is known without its content. */
static void add_cert_known(builder *b, CK_ULONG category)
{
	add_ulong(b, CKA_CERTIFICATE_TYPE, CKC_X_509);
	/* We never ask applications to trust the card's CA (§4.6.2). */
	add_bool(b, CKA_TRUSTED, 0);
	add_ulong(b, CKA_CERTIFICATE_CATEGORY, category);
	add(b, CKA_URL, NULL, 0);
	add(b, CKA_HASH_OF_ISSUER_PUBLIC_KEY, NULL, 0);
	add_ulong(b, CKA_JAVA_MIDP_SECURITY_DOMAIN, 0);   /* CK_SECURITY_DOMAIN_UNSPECIFIED */
	add_ulong(b, CKA_NAME_HASH_ALGORITHM, CKM_SHA_1);
}

/* What derives from the certificate's bytes (a CA's: read on first need,
 * jp_object_content_held), and the public key it carries. */
static void add_cert_content(builder *b, const jp_cert_info *ci, const uint8_t *der, size_t len)
{
	uint8_t sha1[JP_HASH_MAX];
	size_t sha1_len = sizeof(sha1);

	/* CKA_CHECK_VALUE: the first three bytes of the SHA-1 of the value. */
	if (jp_digest(JP_HASH_SHA1, der, len, sha1, &sha1_len) == JP_OK && sha1_len >= 3)
		add(b, CKA_CHECK_VALUE, sha1, 3);
	else
		b->failed = 1;
	add_date(b, CKA_START_DATE, ci->not_before);
	add_date(b, CKA_END_DATE, ci->not_after);
	add_buf(b, CKA_SUBJECT, &ci->subject);
	add_buf(b, CKA_ID, &ci->spki_sha1);
	add_buf(b, CKA_ISSUER, &ci->issuer);
	add_buf(b, CKA_SERIAL_NUMBER, &ci->serial);
	add(b, CKA_VALUE, der, len);
	add_buf(b, CKA_HASH_OF_SUBJECT_PUBLIC_KEY, &ci->spki_sha1);
	if (jp_buf_set(&b->o->rsa_n, ci->modulus.data, ci->modulus.len) != JP_OK ||
	    jp_buf_set(&b->o->rsa_e, ci->exponent.data, ci->exponent.len) != JP_OK)
		b->failed = 1;
}

/* What public and private RSA keys share (§4.7, §4.8, §2.1.2-3 of the
 * mechanisms document). The keys were generated on the card at issuance:
 * CKA_LOCAL true, the generation mechanism is not known. */
static void add_key(builder *b, const jp_cert_info *ci)
{
	CK_ULONG bits = ci->modulus_bits;

	add_ulong(b, CKA_KEY_TYPE, CKK_RSA);
	add_buf(b, CKA_ID, &ci->spki_sha1);
	add_date(b, CKA_START_DATE, ci->not_before);
	add_date(b, CKA_END_DATE, ci->not_after);
	add_bool(b, CKA_DERIVE, 0);
	add_bool(b, CKA_LOCAL, 1);
	add_ulong(b, CKA_KEY_GEN_MECHANISM, CK_UNAVAILABLE_INFORMATION);
	add(b, CKA_ALLOWED_MECHANISMS, key_mechs,
	    sizeof(key_mechs) - (jp_mod.opts.pss ? 0 : KEY_MECHS_PSS * sizeof(key_mechs[0])));
	add_buf(b, CKA_SUBJECT, &ci->subject);
	add_buf(b, CKA_MODULUS, &ci->modulus);
	add(b, CKA_MODULUS_BITS, &bits, sizeof(bits));
	add_buf(b, CKA_PUBLIC_EXPONENT, &ci->exponent);
}

static void add_pub(builder *b)
{
	add_bool(b, CKA_ENCRYPT, 0);
	add_bool(b, CKA_VERIFY, 1);       /* on the host (verify.c) */
	add_bool(b, CKA_VERIFY_RECOVER, 0);
	add_bool(b, CKA_WRAP, 0);
	add_bool(b, CKA_TRUSTED, 0);
}

/* The card only signs (doc/card.md §4: no decryption, no raw RSA); the key
 * never leaves it. CKA_ALWAYS_AUTHENTICATE on the signing key by default:
 * a signature with it is legally binding (options.c can turn it off). */
static void add_priv(builder *b, jp_key key)
{
	add_bool(b, CKA_SENSITIVE, 1);
	add_bool(b, CKA_DECRYPT, 0);
	add_bool(b, CKA_SIGN, 1);
	add_bool(b, CKA_SIGN_RECOVER, 0);
	add_bool(b, CKA_UNWRAP, 0);
	add_bool(b, CKA_EXTRACTABLE, 0);
	add_bool(b, CKA_ALWAYS_SENSITIVE, 1);
	add_bool(b, CKA_NEVER_EXTRACTABLE, 1);
	add_bool(b, CKA_WRAP_WITH_TRUSTED, 0);
	add_bool(b, CKA_ALWAYS_AUTHENTICATE,
	         key == JP_KEY_SIGN && jp_mod.opts.always_authenticate);
}

static CK_OBJECT_HANDLE next_handle_inlock(void)
{
	/* Handles are never reused within a process, so a handle kept across
	 * a card removal can never name another card's object. 0 is
	 * CK_INVALID_HANDLE. */
	if (++jp_mod.next_object == CK_INVALID_HANDLE)
		++jp_mod.next_object;
	return jp_mod.next_object;
}

static const CK_OBJECT_CLASS role_class[JP_ROLE__COUNT] = {
	CKO_CERTIFICATE, CKO_CERTIFICATE, CKO_PUBLIC_KEY, CKO_PRIVATE_KEY, CKO_PROFILE
};

/* An empty object of role ro for key, with room for its attributes;
 * NULL when out of memory. */
static jp_object *object_alloc(jp_role ro, jp_key key)
{
	jp_object *o = calloc(1, sizeof(*o));

	if (o) {
		o->attrs = calloc(ATTRS_MAX, sizeof(*o->attrs));
		if (!o->attrs) {
			free(o);
			o = NULL;
		}
	}
	if (o) {
		o->role = ro;
		o->cls = role_class[ro];
		o->key = key;
	}
	return o;
}

/* Ends building o: gives it a handle, or frees it (and returns NULL) when
 * an attribute could not be added. */
static jp_object *object_finish_inlock(jp_object *o, const builder *b)
{
	if (b->failed) {
		free_object(o);
		o = NULL;
	} else {
		o->handle = next_handle_inlock();
	}
	return o;
}

/* The profile object (§4.13): its class and CKA_PROFILE_ID are all the
 * spec defines; the storage attributes say what every object of this
 * token is (on the token, public, read-only), for applications that
 * filter on them. No label: nothing to pick it by mistake. */
static jp_object *profile_new_inlock(jp_key key, CK_PROFILE_ID id)
{
	jp_object *o = object_alloc(JP_ROLE_PROFILE, key);
	builder b = { o, 0 };

	if (!o)
		goto out;
	add_ulong(&b, CKA_CLASS, CKO_PROFILE);
	add_bool(&b, CKA_TOKEN, 1);
	add_bool(&b, CKA_PRIVATE, 0);
	add_bool(&b, CKA_MODIFIABLE, 0);
	add_bool(&b, CKA_COPYABLE, 0);
	add_bool(&b, CKA_DESTROYABLE, 0);
	add_ulong(&b, CKA_PROFILE_ID, id);
	o = object_finish_inlock(o, &b);
out:
	return o;
}

/* Builds one object of role for key from the parsed certificate (none for
 * the CA: its content comes later). NULL when out of memory. */
static jp_object *object_new_inlock(const jp_token *t, jp_key key, jp_role ro,
                                    const jp_cert_info *ci, const uint8_t *der, size_t len)
{
	jp_object *o = object_alloc(ro, key);
	builder b = { o, 0 };
	/* The auth private key needs the PIN; everything from the signing
	 * certificate needs the signing password (it is personal data), and
	 * on a smartphone everything from the authentication one its PIN. */
	int is_private = ro == JP_ROLE_PRIV || (t->holder_private && ro != JP_ROLE_CA);

	if (!o)
		goto out;
	o->is_private = is_private;
	o->can_sign = ro == JP_ROLE_PRIV;
	add_common(&b, o->cls, is_private, labels[key][ro]);
	if (ro == JP_ROLE_CERT || ro == JP_ROLE_CA)
		add_cert_known(&b, ro == JP_ROLE_CERT ? 1 : 2);
	/* A CA's content waits for a caller that needs it (ci NULL). */
	o->content_due = ro == JP_ROLE_CA;
	if (ro == JP_ROLE_CERT)
		add_cert_content(&b, ci, der, len);
	else if (ro != JP_ROLE_CA)
		add_key(&b, ci);
	if (ro == JP_ROLE_PUB)
		add_pub(&b);
	else if (ro == JP_ROLE_PRIV)
		add_priv(&b, key);
	if (ro == JP_ROLE_PUB || ro == JP_ROLE_PRIV) {
		if (jp_buf_set(&o->rsa_n, ci->modulus.data, ci->modulus.len) != JP_OK ||
		    jp_buf_set(&o->rsa_e, ci->exponent.data, ci->exponent.len) != JP_OK)
			b.failed = 1;
	}
	o = object_finish_inlock(o, &b);
out:
	return o;
}

/* ---- a token's object list ---- */

/* Reads one certificate into out (a copy: the card layer's may go with
 * the card once the reader is given back). Empty when the card has none. */
static jp_err read_cert(jp_card *card, jp_cert_id id, jp_buf *out)
{
	const uint8_t *der = NULL;
	size_t len = 0;
	jp_err e;

	e = jp_card_read_cert(card, id, &der, &len);
	if (e == JP_E_NO_KEY) {
		JP_DEBUG("p11: certificate %d absent from the card", (int)id);
		e = JP_OK;
	} else if (e == JP_OK) {
		e = jp_buf_set(out, der, len);
	}
	return e;
}

jp_err jp_objects_read_certs(jp_card *card, jp_key key, jp_token_certs *c)
{
	jp_err e;

	e = read_cert(card, holder_cert[key], &c->holder);
	c->holder_read = e == JP_OK;
	return e;
}

void jp_token_certs_free(jp_token_certs *c)
{
	jp_buf_free(&c->holder);   /* jp_buf_free wipes */
	c->holder_read = 0;
}

/* Parses a certificate read by jp_objects_read_certs; *have = 0 (and
 * JP_OK) when the card has none. */
static jp_err parse_cert(const jp_buf *der, jp_cert_info *ci, int *have)
{
	jp_err e = JP_OK;

	*have = 0;
	if (der->len) {
		e = jp_cert_parse(der->data, der->len, ci);
		if (e != JP_OK)
			JP_WARN("p11: a certificate does not parse: %s", jp_err_str(e));
		*have = e == JP_OK;
	}
	return e;
}

/* Whether an object of role exists for key while the token is logged out:
 * everything from the signing certificate is personal data and exists only
 * after the signing password was given in this process (doc/card.md §7);
 * the authentication certificate and every CA certificate are public. */
static int shown_logged_out(const jp_token *t, int ro)
{
	return !t->holder_private || ro == JP_ROLE_CA;
}

/* Only the authentication token publishes the public-certificates profile
 * (its holder certificate is public; the signature token's is not, nor a
 * smartphone's, doc/card.md §11). */
static int has_profile(const jp_token *t, jp_key key)
{
	return key == JP_KEY_AUTH && !t->holder_private;
}

void jp_objects_logout(jp_token *t)
{
	size_t i, n = 0;
	int ro;

	for (i = 0; i < t->nobjects; i++) {
		ro = t->objects[i]->role;
		if (shown_logged_out(t, ro))
			t->objects[n++] = t->objects[i];
		else
			free_object(t->objects[i]);   /* wipes every attribute */
	}
	t->nobjects = n;
}

jp_err jp_objects_build_inlock(jp_reader *r, jp_key key, const jp_token_certs *c)
{
	jp_err e = JP_OK;
	jp_token *t = &r->tokens[key];
	jp_object *keep[JP_ROLE__COUNT] = { NULL }, *made[JP_ROLE__COUNT] = { NULL };
	jp_object **list = NULL;
	int want[JP_ROLE__COUNT], have_holder = 0, ro;
	jp_cert_info holder;
	size_t i, n = 0;

	memset(&holder, 0, sizeof(holder));
	/* Objects that stay keep their handle. */
	for (i = 0; i < t->nobjects; i++) {
		ro = t->objects[i]->role;
		if (!keep[ro])
			keep[ro] = t->objects[i];
	}
	for (ro = 0; ro < JP_ROLE__COUNT; ro++)
		want[ro] = t->logged_in || shown_logged_out(t, ro);
	want[JP_ROLE_PROFILE] = has_profile(t, key);

	/* Make only what is missing: a rebuild after logout makes nothing.
	 * The CA object is there from the start, its content read when a
	 * caller first needs it (jp_object_content_held). */
	if (want[JP_ROLE_CERT] && !(keep[JP_ROLE_CERT] && keep[JP_ROLE_PUB] && keep[JP_ROLE_PRIV])) {
		/* Not read: the login came after the certificates were. */
		e = c->holder_read ? parse_cert(&c->holder, &holder, &have_holder)
		                   : JP_E_SECURITY_STATUS;
		if (e != JP_OK)
			goto out;
		want[JP_ROLE_CERT] = want[JP_ROLE_PUB] = want[JP_ROLE_PRIV] = have_holder;
		/* What came from the old certificate must not mix with the new. */
		keep[JP_ROLE_CERT] = keep[JP_ROLE_PUB] = keep[JP_ROLE_PRIV] = NULL;
	}
	for (ro = 0; ro < JP_ROLE__COUNT; ro++) {
		if (!want[ro] || keep[ro])
			continue;
		if (ro == JP_ROLE_PROFILE)
			made[ro] = profile_new_inlock(key, CKP_PUBLIC_CERTIFICATES_TOKEN);
		else if (ro == JP_ROLE_CA)
			made[ro] = object_new_inlock(t, key, ro, NULL, NULL, 0);
		else
			made[ro] = object_new_inlock(t, key, ro, &holder, c->holder.data,
			                             c->holder.len);
		if (!made[ro]) {
			e = JP_E_NO_MEMORY;
			goto out;
		}
	}
	list = calloc(JP_ROLE__COUNT, sizeof(*list));
	if (!list) {
		e = JP_E_NO_MEMORY;
		goto out;
	}
	for (ro = 0; ro < JP_ROLE__COUNT; ro++) {
		if (!want[ro])
			continue;
		list[n++] = keep[ro] ? keep[ro] : made[ro];
		made[ro] = NULL;
	}
	/* Free what no longer belongs (e.g. the signing objects at logout). */
	for (i = 0; i < t->nobjects; i++) {
		for (ro = 0; ro < JP_ROLE__COUNT; ro++)
			if (want[ro] && keep[ro] == t->objects[i])
				break;
		if (ro == JP_ROLE__COUNT)
			free_object(t->objects[i]);
	}
	free(t->objects);
	t->objects = list;
	t->nobjects = n;
	JP_DEBUG("p11: token %d of reader %lu has %zu objects", (int)key, r->no, n);
out:
	for (ro = 0; ro < JP_ROLE__COUNT; ro++)
		free_object(made[ro]);
	jp_cert_info_free(&holder);
	return e;
}

/* The ONE place a CA object's content (its value and what derives from
 * it) is made available: read from the card once, on the first call that
 * needs it (doc/design.md §3). r held; card I/O. The call that reads
 * answers CKR_DEVICE_REMOVED when the card went (o is gone with it). A
 * card without that certificate leaves the object without content. */
CK_RV jp_object_content_held(jp_reader *r, jp_object *o)
{
	CK_RV rv = CKR_OK;
	builder b = { o, 0 };
	jp_buf der = { 0 };
	jp_cert_info ci;
	size_t n0 = o->nattrs;
	jp_io io;
	jp_err e;

	memset(&ci, 0, sizeof(ci));
	if (!o->content_due)
		goto out;
	rv = jp_io_begin(r, &io, 0);
	if (rv != CKR_OK)
		goto out;
	e = read_cert(io.card, ca_cert[o->key], &der);
	rv = jp_io_end(&io, e);
	/* Only a removal (not CKR_OK) frees o meanwhile: r is held. */
	if (rv != CKR_OK || !der.len)
		goto done;
	e = parse_cert(&der, &ci, &(int){ 0 });
	if (e == JP_OK)
		add_cert_content(&b, &ci, der.data, der.len);
	if (e == JP_OK && b.failed) {
		/* Back to what the object was: read again next time. */
		while (o->nattrs > n0) {
			o->nattrs--;
			free(o->attrs[o->nattrs].value);
			o->attrs[o->nattrs].value = NULL;
		}
		jp_buf_free(&o->rsa_n);
		jp_buf_free(&o->rsa_e);
		e = JP_E_NO_MEMORY;
	}
	rv = jp_rv(e);
done:
	if (rv == CKR_OK)
		o->content_due = 0;
out:
	jp_buf_free(&der);
	jp_cert_info_free(&ci);
	return rv;
}

void jp_objects_free(jp_token *t)
{
	size_t i;

	for (i = 0; i < t->nobjects; i++)
		free_object(t->objects[i]);
	free(t->objects);
	t->objects = NULL;
	t->nobjects = 0;
}

jp_object *jp_object_find_inlock(jp_token *t, CK_OBJECT_HANDLE h)
{
	jp_object *o = NULL;
	size_t i;

	for (i = 0; i < t->nobjects && !o; i++)
		if (t->objects[i]->handle == h)
			o = t->objects[i];
	return o;
}

jp_object *jp_object_lookup_inlock(jp_session *s, CK_OBJECT_HANDLE h)
{
	jp_token *t = jp_session_token(s);
	jp_object *o = jp_object_find_inlock(t, h);

	/* Private objects exist for this process only after C_Login (the
	 * module's own login state, never the card's: doc/card.md §6). */
	if (o && o->is_private && !t->logged_in)
		o = NULL;
	return o;
}

/* ---- the object calls: size, and what read-only objects refuse ---- */

CK_RV jp_object_enter(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, int args_ok, jp_session **s,
                      jp_object **o)
{
	CK_RV rv;

	*o = NULL;
	rv = jp_enter_session_args(hs, args_ok, s);
	if (rv != CKR_OK)
		goto out;
	*o = jp_object_lookup_inlock(*s, ho);
	if (!*o) {
		rv = CKR_OBJECT_HANDLE_INVALID;
		jp_leave_reader((*s)->reader);
	}
out:
	return rv;
}

/* A call every object refuses: our objects are read-only (CKA_MODIFIABLE,
 * CKA_COPYABLE and CKA_DESTROYABLE false, §4.4.1), so after the checks any
 * object call makes the answer is CKR_ACTION_PROHIBITED. */
CK_RV jp_object_prohibited(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, int args_ok)
{
	CK_RV rv;
	jp_session *s;
	jp_object *o;

	rv = jp_object_enter(hs, ho, args_ok, &s, &o);
	if (rv != CKR_OK)
		goto out;
	rv = CKR_ACTION_PROHIBITED;
	jp_leave_reader(s->reader);
out:
	return rv;
}

/* The sum of the attribute values: what the object costs us in memory
 * (§5.7.4 leaves the meaning to the module). */
CK_RV jp_p11_get_object_size(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, CK_ULONG_PTR size)
{
	CK_RV rv;
	jp_session *s;
	jp_object *o;
	CK_ULONG sum = 0;
	size_t i;

	rv = jp_object_enter(hs, ho, size != NULL, &s, &o);
	if (rv != CKR_OK)
		goto out;
	rv = jp_object_content_held(s->reader, o);
	if (rv != CKR_OK)
		goto leave;
	for (i = 0; i < o->nattrs; i++)
		sum += o->attrs[i].len;
	*size = sum;
leave:
	jp_leave_reader(s->reader);
out:
	return rv;
}

/* The card's files cannot be written: the token is write-protected
 * (CKF_WRITE_PROTECTED), for token and session objects alike. */
CK_RV jp_p11_create_object(CK_SESSION_HANDLE hs, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                           CK_OBJECT_HANDLE_PTR ho)
{
	CK_RV rv;
	jp_session *s;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	if ((!tmpl && count) || !ho)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = jp_session_lookup_inlock(hs, &s);
	if (rv == CKR_OK)
		rv = CKR_TOKEN_WRITE_PROTECTED;
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_copy_object(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho, CK_ATTRIBUTE_PTR tmpl,
                         CK_ULONG count, CK_OBJECT_HANDLE_PTR hnew)
{
	return jp_object_prohibited(hs, ho, (tmpl || !count) && hnew);
}

CK_RV jp_p11_destroy_object(CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE ho)
{
	return jp_object_prohibited(hs, ho, 1);
}
