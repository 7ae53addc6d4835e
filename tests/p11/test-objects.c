/* The objects of both tokens: which exist in which login state (the
 * signing certificate and what derives from it only after the signing
 * password), labels, shared CKA_ID, no personal data in any label, handles
 * unique, stable across login/logout and never reused after a removal, and
 * cards without a signing certificate. */
#include "config.h"

#include <openssl/x509v3.h>

#include "jpki/pkcs11-3.h"
#include "tests/p11/p11-test.h"

#define CARD 1

typedef struct objset {
	CK_OBJECT_HANDLE cert, ca, pub, priv, profile;
	CK_ULONG n;
	CK_OBJECT_HANDLE all[16];
} objset;

static void objects(CK_SESSION_HANDLE h, objset *s)
{
	CK_ULONG n = 0;

	memset(s, 0, sizeof(*s));
	if (F->C_FindObjectsInit(h, NULL, 0) == CKR_OK) {
		if (F->C_FindObjects(h, s->all, 16, &n) != CKR_OK)
			n = 0;
		F->C_FindObjectsFinal(h);
	}
	s->n = n;
	s->cert = pt_find1(h, CKO_CERTIFICATE, 1);
	s->ca = pt_find1(h, CKO_CERTIFICATE, 2);
	s->pub = pt_find1(h, CKO_PUBLIC_KEY, -1);
	s->priv = pt_find1(h, CKO_PRIVATE_KEY, -1);
	s->profile = pt_find1(h, CKO_PROFILE, -1);
}

static int attr(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
                void *buf, CK_ULONG *len)
{
	CK_ATTRIBUTE a = { type, buf, *len };
	int r = F->C_GetAttributeValue(h, o, &a, 1) == CKR_OK;

	*len = a.ulValueLen;
	return r;
}

static int label_is(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, const char *want)
{
	char buf[256];
	CK_ULONG len = sizeof(buf);

	return attr(h, o, CKA_LABEL, buf, &len) && len == strlen(want) &&
	       memcmp(buf, want, len) == 0;
}

static int bool_is(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, int v)
{
	CK_BBOOL b = 0xee;
	CK_ULONG len = sizeof(b);

	return attr(h, o, type, &b, &len) && len == 1 && b == (v ? CK_TRUE : CK_FALSE);
}

static int id_is(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, const uint8_t want[20])
{
	uint8_t buf[64];
	CK_ULONG len = sizeof(buf);

	return attr(h, o, CKA_ID, buf, &len) && len == 20 && memcmp(buf, want, 20) == 0;
}

static int in_set(const objset *s, CK_OBJECT_HANDLE h)
{
	CK_ULONG i;

	for (i = 0; i < s->n; i++)
		if (s->all[i] == h)
			return 1;
	return 0;
}

/* The strings of the signing certificate that are personal: subject
 * values and subjectAltName otherName strings (doc/card.md §7). */
static size_t personal_strings(char out[32][256])
{
	X509 *x = pt_cert(CARD, "sign.der");
	X509_NAME *nm = X509_get_subject_name(x);
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t n = 0;
	int i;

	for (i = 0; i < X509_NAME_entry_count(nm) && n < 32; i++) {
		ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i));

		if (v->length >= 3 && v->length < 256) {
			memcpy(out[n], v->data, (size_t)v->length);
			out[n++][v->length] = 0;
		}
	}
	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens) && n < 32; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		ASN1_TYPE *v;

		if (g->type != GEN_OTHERNAME)
			continue;
		v = g->d.otherName->value;
		if (v->type == V_ASN1_UTF8STRING || v->type == V_ASN1_PRINTABLESTRING ||
		    v->type == V_ASN1_IA5STRING) {
			ASN1_STRING *str = v->value.asn1_string;

			if (str->length >= 3 && str->length < 256) {
				memcpy(out[n], str->data, (size_t)str->length);
				out[n++][str->length] = 0;
			}
		}
	}
	GENERAL_NAMES_free(gens);
	X509_free(x);
	return n;
}

/* A card whose signing certificate cannot be had. With the signing key's
 * files missing (SELECT answers 6A82) there is no key to sign with and no
 * signing token; with the key there but its certificate refused or blank,
 * the token is there and the password logs in, but it shows neither the
 * signing certificate nor the key. */
static void no_sign_card(jp_emu_no_sign how, const char *what, int token_present)
{
	pt_card t;
	jp_emu_options o;
	CK_SESSION_HANDLE ha, hs;
	objset s;
	CK_RV rv;

	memset(&o, 0, sizeof(o));
	o.no_sign = how;
	pt_start(&t, CARD, &o);
	ha = pt_open(&t, PT_AUTH);
	is_int(pt_login(ha, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "%s: auth login", what);
	objects(ha, &s);
	ok(s.n == 5 && s.cert && s.ca && s.pub && s.priv && s.profile,
	   "%s: the auth token is complete", what);
	rv = F->C_OpenSession(t.slot[PT_SIGN], CKF_SERIAL_SESSION, NULL, NULL, &hs);
	if (!token_present) {
		is_int(rv, CKR_TOKEN_NOT_PRESENT, "%s: no signing token", what);
	} else {
		is_int(rv, CKR_OK, "%s: the signing token is there", what);
		is_int(pt_login(hs, CKU_USER, fixture_pin(CARD, PT_SIGN)), CKR_OK, "%s: the signing password logs in", what);
		objects(hs, &s);
		ok(!s.cert && !s.pub && !s.priv, "%s: signing token shows no signing certificate or key", what);
	}
	pt_stop(&t);
}

int main(void)
{
	pt_card t;
	CK_SESSION_HANDLE ha, hs, h2;
	objset a0, a1, s0, s1, a2;
	uint8_t id_auth[20], id_ca[20], id_sign[20];
	X509 *x;
	char pers[32][256], label[256];
	size_t npers, i, j;
	CK_ULONG k, len;
	int leak = 0, dup = 0;
	CK_OBJECT_HANDLE seen[16];
	size_t nseen = 0;
	CK_ATTRIBUTE a;

	x = pt_cert(CARD, "auth.der"); pt_key_id(x, id_auth); X509_free(x);
	x = pt_cert(CARD, "auth-ca.der"); pt_key_id(x, id_ca); X509_free(x);
	x = pt_cert(CARD, "sign.der"); pt_key_id(x, id_sign); X509_free(x);

	pt_start(&t, CARD, NULL);
	ha = pt_open(&t, PT_AUTH);
	hs = pt_open(&t, PT_SIGN);

	/* ---- authentication token ---- */
	objects(ha, &a0);
	ok(a0.n == 4 && a0.cert && a0.ca && a0.pub && !a0.priv && a0.profile,
	   "auth token before login: certificate, CA, public key, profile (%lu)", a0.n);
	/* PKCS#11 v3.0 §4.13: the public-certificates profile, a public object. */
	{
		CK_ULONG id = 0, id_len = sizeof(id);
		ok(attr(ha, a0.profile, CKA_PROFILE_ID, &id, &id_len) && id_len == sizeof(id) &&
		   id == CKP_PUBLIC_CERTIFICATES_TOKEN, "auth profile: CKP_PUBLIC_CERTIFICATES_TOKEN");
		ok(bool_is(ha, a0.profile, CKA_PRIVATE, 0) &&
		   bool_is(ha, a0.profile, CKA_TOKEN, 1), "the profile is a public token object");
	}
	ok(label_is(ha, a0.cert, "JPKI User Authentication") &&
	   label_is(ha, a0.ca, "JPKI User Authentication CA") &&
	   label_is(ha, a0.pub, "JPKI User Authentication"), "auth labels");
	is_int(pt_login(ha, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "auth login");
	objects(ha, &a1);
	ok(a1.n == 5 && a1.priv, "after login: and the private key");
	ok(a1.cert == a0.cert && a1.ca == a0.ca && a1.pub == a0.pub && a1.profile == a0.profile,
	   "the public objects keep their handles across the login");
	ok(label_is(ha, a1.priv, "JPKI User Authentication"), "auth key label");
	ok(id_is(ha, a1.cert, id_auth) && id_is(ha, a1.pub, id_auth) &&
	   id_is(ha, a1.priv, id_auth), "certificate, public and private key share CKA_ID = SHA-1 of the key");
	ok(id_is(ha, a1.ca, id_ca), "the CA's CKA_ID is its own key's");
	ok(bool_is(ha, a1.priv, CKA_ALWAYS_AUTHENTICATE, 0), "auth key: no always-authenticate");
	ok(bool_is(ha, a1.cert, CKA_PRIVATE, 0) && bool_is(ha, a1.priv, CKA_PRIVATE, 1),
	   "auth certificate public, private key private");

	/* ---- signing token ---- */
	objects(hs, &s0);
	ok(s0.n == 1 && s0.ca && !s0.cert && !s0.pub && !s0.priv && !s0.profile,
	   "sign token before login: the CA certificate only (%lu)", s0.n);
	ok(label_is(hs, s0.ca, "JPKI Digital Signature CA"), "sign CA label");
	is_int(pt_login(hs, CKU_USER, fixture_pin(CARD, PT_SIGN)), CKR_OK, "sign login");
	objects(hs, &s1);
	ok(s1.n == 4 && s1.cert && s1.pub && s1.priv, "after the signing password: 4 objects");
	ok(!s1.profile, "the signature token publishes no profile (its certificate is private)");
	ok(s1.ca == s0.ca, "the CA keeps its handle");
	ok(label_is(hs, s1.cert, "JPKI Digital Signature") &&
	   label_is(hs, s1.pub, "JPKI Digital Signature") &&
	   label_is(hs, s1.priv, "JPKI Digital Signature"), "sign labels");
	ok(id_is(hs, s1.cert, id_sign) && id_is(hs, s1.pub, id_sign) &&
	   id_is(hs, s1.priv, id_sign), "signing objects share CKA_ID");
	ok(bool_is(hs, s1.priv, CKA_ALWAYS_AUTHENTICATE, 1), "signing key: always-authenticate");
	ok(bool_is(hs, s1.cert, CKA_PRIVATE, 1) && bool_is(hs, s1.pub, CKA_PRIVATE, 1) &&
	   bool_is(hs, s1.ca, CKA_PRIVATE, 0),
	   "the signing certificate and public key are private objects, the CA is not");

	/* No personal data in any label; every handle unique. */
	npers = personal_strings(pers);
	ok(npers >= 3, "the signing certificate has personal strings to look for (%zu)", npers);
	for (i = 0; i < 2; i++) {
		const objset *s = i == 0 ? &a1 : &s1;
		CK_SESSION_HANDLE h = i == 0 ? ha : hs;

		for (k = 0; k < s->n; k++) {
			for (j = 0; j < nseen; j++)
				dup |= seen[j] == s->all[k];
			seen[nseen++] = s->all[k];
			len = sizeof(label) - 1;
			if (!attr(h, s->all[k], CKA_LABEL, label, &len))
				continue;     /* the profile object has none */
			label[len] = 0;
			for (j = 0; j < npers; j++)
				if (strstr(label, pers[j])) {
					diag("label \"%s\" contains \"%s\"", label, pers[j]);
					leak = 1;
				}
		}
	}
	ok(!leak, "no label holds personal data from the signing certificate");
	ok(!dup && nseen == 9, "9 objects, 9 distinct handles");

	/* ---- logout: the signing objects go, the CA stays ---- */
	is_int(F->C_Logout(hs), CKR_OK, "sign logout");
	objects(hs, &s0);
	ok(s0.n == 1 && s0.ca == s1.ca, "after logout: the CA only, same handle");
	a.type = CKA_CLASS; a.pValue = NULL; a.ulValueLen = 0;
	is_int(F->C_GetAttributeValue(hs, s1.cert, &a, 1), CKR_OBJECT_HANDLE_INVALID,
	       "the signing certificate's handle is dead");

	/* ---- removal and reinsertion: a fresh token, new handles ---- */
	jp_emu_reader_eject(t.reader);
	k = 16;
	F->C_GetSlotList(CK_FALSE, NULL, &k);
	jp_emu_reader_insert(t.reader, t.e);
	k = 16;
	F->C_GetSlotList(CK_FALSE, NULL, &k);
	pt_find_slots(&t);
	h2 = pt_open(&t, PT_AUTH);
	is_int(pt_login(h2, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "login on the reinserted card");
	objects(h2, &a2);
	ok(a2.n == 5, "5 objects again");
	for (dup = 0, k = 0; k < a2.n; k++)
		dup |= in_set(&a1, a2.all[k]) || in_set(&s1, a2.all[k]);
	ok(!dup, "no handle of the removed card was reused");
	is_int(F->C_GetAttributeValue(h2, a1.cert, &a, 1), CKR_OBJECT_HANDLE_INVALID,
	       "an old handle is invalid in the new session");
	pt_stop(&t);

	/* ---- cards without a signing certificate (doc/card.md §3) ---- */
	no_sign_card(JP_EMU_SIGN_NOT_FOUND, "EF 0001 missing", 0);
	no_sign_card(JP_EMU_SIGN_DENIED, "EF 0001 refused after VERIFY", 1);
	no_sign_card(JP_EMU_SIGN_EMPTY, "EF 0001 zero-filled", 1);
	done_testing();
}
