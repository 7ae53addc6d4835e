/* Every attribute of every object of both tokens, checked byte for byte
 * against values computed independently with OpenSSL from the fixture
 * certificates; the C_GetAttributeValue rules of PKCS#11 v2.40 §5.7.5
 * (length query, too small, sensitive, invalid, every entry processed);
 * no APDU for any of it; read-only objects. */
#include "config.h"

#include "tests/p11/p11-test.h"

#define CARD 1
#define MAX_EXP 48

typedef struct exp_attr {
	CK_ATTRIBUTE_TYPE type;
	const char *name;
	uint8_t val[2048];
	size_t len;
} exp_attr;

typedef struct exp_obj {
	exp_attr a[MAX_EXP];
	size_t n;
} exp_obj;

static void put(exp_obj *x, CK_ATTRIBUTE_TYPE type, const char *name, const void *v, size_t len)
{
	exp_attr *a = &x->a[x->n++];

	if (len > sizeof(a->val))
		bail_out("expected value of %s too long", name);
	a->type = type;
	a->name = name;
	if (len)
		memcpy(a->val, v, len);
	a->len = len;
}
#define PUT(x, t, v, l) put((x), (t), #t, (v), (l))

static void put_bool(exp_obj *x, CK_ATTRIBUTE_TYPE type, const char *name, int v)
{
	CK_BBOOL b = v ? CK_TRUE : CK_FALSE;

	put(x, type, name, &b, sizeof(b));
}
#define PUT_BOOL(x, t, v) put_bool((x), (t), #t, (v))

static void put_ulong(exp_obj *x, CK_ATTRIBUTE_TYPE type, const char *name, CK_ULONG v)
{
	put(x, type, name, &v, sizeof(v));
}
#define PUT_ULONG(x, t, v) put_ulong((x), (t), #t, (v))

static void put_str(exp_obj *x, CK_ATTRIBUTE_TYPE type, const char *name, const char *s)
{
	put(x, type, name, s, strlen(s));
}
#define PUT_STR(x, t, s) put_str((x), (t), #t, (s))

static void put_date(exp_obj *x, CK_ATTRIBUTE_TYPE type, const char *name, const ASN1_TIME *tm)
{
	struct tm t;
	char buf[16];

	memset(&t, 0, sizeof(t));
	if (ASN1_TIME_to_tm(tm, &t) != 1)
		bail_out("bad time in fixture");
	strftime(buf, sizeof(buf), "%Y%m%d", &t);
	put(x, type, name, buf, 8);   /* CK_DATE: YYYY MM DD as characters */
}
#define PUT_DATE(x, t, v) put_date((x), (t), #t, (v))

static void put_name(exp_obj *x, CK_ATTRIBUTE_TYPE type, const char *name, const X509_NAME *nm)
{
	uint8_t *der = NULL;
	int len = i2d_X509_NAME(nm, &der);

	put(x, type, name, der, (size_t)len);
	OPENSSL_free(der);
}

static void put_bn(exp_obj *x, CK_ATTRIBUTE_TYPE type, const char *name, EVP_PKEY *k,
                   const char *param)
{
	BIGNUM *bn = NULL;
	uint8_t buf[600];
	int len;

	if (!EVP_PKEY_get_bn_param(k, param, &bn))
		bail_out("no %s in fixture key", param);
	len = BN_bn2bin(bn, buf);
	put(x, type, name, buf, (size_t)len);
	BN_free(bn);
}

static const CK_MECHANISM_TYPE rsa_mechs[] = {
	CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS,
	CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
};

static void common(exp_obj *x, CK_OBJECT_CLASS cls, int priv, const char *label)
{
	PUT_ULONG(x, CKA_CLASS, cls);
	PUT_BOOL(x, CKA_TOKEN, 1);
	PUT_BOOL(x, CKA_PRIVATE, priv);
	PUT_BOOL(x, CKA_MODIFIABLE, 0);
	PUT_BOOL(x, CKA_COPYABLE, 0);
	PUT_BOOL(x, CKA_DESTROYABLE, 0);
	PUT_STR(x, CKA_LABEL, label);
}

static void expect_cert(exp_obj *x, const char *file, int priv, CK_ULONG category,
                        const char *label)
{
	size_t len;
	uint8_t *der = fixture_file(CARD, file, &len), sha[20], id[20], *ser = NULL;
	X509 *c = pt_cert(CARD, file);
	int slen;

	x->n = 0;
	common(x, CKO_CERTIFICATE, priv, label);
	PUT_ULONG(x, CKA_CERTIFICATE_TYPE, CKC_X_509);
	PUT_BOOL(x, CKA_TRUSTED, 0);
	PUT_ULONG(x, CKA_CERTIFICATE_CATEGORY, category);
	SHA1(der, len, sha);
	PUT(x, CKA_CHECK_VALUE, sha, 3);
	PUT_DATE(x, CKA_START_DATE, X509_get0_notBefore(c));
	PUT_DATE(x, CKA_END_DATE, X509_get0_notAfter(c));
	put_name(x, CKA_SUBJECT, "CKA_SUBJECT", X509_get_subject_name(c));
	pt_key_id(c, id);
	PUT(x, CKA_ID, id, 20);
	put_name(x, CKA_ISSUER, "CKA_ISSUER", X509_get_issuer_name(c));
	slen = i2d_ASN1_INTEGER(X509_get0_serialNumber(c), &ser);
	PUT(x, CKA_SERIAL_NUMBER, ser, (size_t)slen);
	OPENSSL_free(ser);
	PUT(x, CKA_VALUE, der, len);
	PUT(x, CKA_URL, "", 0);
	PUT(x, CKA_HASH_OF_SUBJECT_PUBLIC_KEY, id, 20);
	PUT(x, CKA_HASH_OF_ISSUER_PUBLIC_KEY, "", 0);
	PUT_ULONG(x, CKA_JAVA_MIDP_SECURITY_DOMAIN, 0);
	PUT_ULONG(x, CKA_NAME_HASH_ALGORITHM, CKM_SHA_1);
	X509_free(c);
	free(der);
}

static void expect_key(exp_obj *x, const char *file, CK_OBJECT_CLASS cls, int priv,
                       const char *label)
{
	X509 *c = pt_cert(CARD, file);
	EVP_PKEY *k = X509_get_pubkey(c);
	uint8_t id[20];

	x->n = 0;
	common(x, cls, priv, label);
	PUT_ULONG(x, CKA_KEY_TYPE, CKK_RSA);
	pt_key_id(c, id);
	PUT(x, CKA_ID, id, 20);
	PUT_DATE(x, CKA_START_DATE, X509_get0_notBefore(c));
	PUT_DATE(x, CKA_END_DATE, X509_get0_notAfter(c));
	PUT_BOOL(x, CKA_DERIVE, 0);
	PUT_BOOL(x, CKA_LOCAL, 1);
	PUT_ULONG(x, CKA_KEY_GEN_MECHANISM, CK_UNAVAILABLE_INFORMATION);
	PUT(x, CKA_ALLOWED_MECHANISMS, rsa_mechs, sizeof(rsa_mechs));
	put_name(x, CKA_SUBJECT, "CKA_SUBJECT", X509_get_subject_name(c));
	put_bn(x, CKA_MODULUS, "CKA_MODULUS", k, "n");
	PUT_ULONG(x, CKA_MODULUS_BITS, (CK_ULONG)EVP_PKEY_get_bits(k));
	put_bn(x, CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT", k, "e");
	EVP_PKEY_free(k);
	X509_free(c);
}

static void expect_pub(exp_obj *x, const char *file, int priv, const char *label)
{
	expect_key(x, file, CKO_PUBLIC_KEY, priv, label);
	PUT_BOOL(x, CKA_ENCRYPT, 0);
	PUT_BOOL(x, CKA_VERIFY, 1);
	PUT_BOOL(x, CKA_VERIFY_RECOVER, 0);
	PUT_BOOL(x, CKA_WRAP, 0);
	PUT_BOOL(x, CKA_TRUSTED, 0);
}

static void expect_priv(exp_obj *x, const char *file, int always_auth, const char *label)
{
	expect_key(x, file, CKO_PRIVATE_KEY, 1, label);
	PUT_BOOL(x, CKA_SENSITIVE, 1);
	PUT_BOOL(x, CKA_DECRYPT, 0);
	PUT_BOOL(x, CKA_SIGN, 1);
	PUT_BOOL(x, CKA_SIGN_RECOVER, 0);
	PUT_BOOL(x, CKA_UNWRAP, 0);
	PUT_BOOL(x, CKA_EXTRACTABLE, 0);
	PUT_BOOL(x, CKA_ALWAYS_SENSITIVE, 1);
	PUT_BOOL(x, CKA_NEVER_EXTRACTABLE, 1);
	PUT_BOOL(x, CKA_WRAP_WITH_TRUSTED, 0);
	PUT_BOOL(x, CKA_ALWAYS_AUTHENTICATE, always_auth);
}

/* Each expected attribute: the length query, the exact fetch, a buffer one
 * byte short (§5.7.5 rules 3, 4, 5). */
static void check_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, const exp_obj *x,
                         const char *what)
{
	size_t i;
	uint8_t buf[4096];

	ok(o != CK_INVALID_HANDLE, "%s: found", what);
	for (i = 0; i < x->n; i++) {
		const exp_attr *e = &x->a[i];
		CK_ATTRIBUTE a = { e->type, NULL, 0 };
		CK_RV r1, r2, r3 = CKR_BUFFER_TOO_SMALL;
		CK_ULONG l1, l2, l3 = CK_UNAVAILABLE_INFORMATION;
		int same;

		r1 = F->C_GetAttributeValue(h, o, &a, 1);
		l1 = a.ulValueLen;
		memset(buf, 0xEE, sizeof(buf));
		a.pValue = buf;
		a.ulValueLen = e->len;
		r2 = F->C_GetAttributeValue(h, o, &a, 1);
		l2 = a.ulValueLen;
		same = r2 == CKR_OK && (e->len == 0 || memcmp(buf, e->val, e->len) == 0);
		if (e->len > 0) {
			a.ulValueLen = e->len - 1;
			r3 = F->C_GetAttributeValue(h, o, &a, 1);
			l3 = a.ulValueLen;
		}
		if (!ok(r1 == CKR_OK && l1 == e->len && same && l2 == e->len &&
		        r3 == CKR_BUFFER_TOO_SMALL && l3 == CK_UNAVAILABLE_INFORMATION,
		        "%s: %s (%zu bytes)", what, e->name, e->len))
			diag("query rv %lx len %lu; fetch rv %lx len %lu same %d; short rv %lx len %lx",
			     r1, l1, r2, l2, same, r3, l3);
	}
}

static void check_rules(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub)
{
	static const CK_ATTRIBUTE_TYPE sensitive[] = {
		CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2,
		CKA_COEFFICIENT, CKA_VALUE,
	};
	uint8_t buf[512];
	CK_OBJECT_CLASS cls = 0;
	char label[8];
	CK_ATTRIBUTE a, mixed[4];
	CK_RV rv;
	size_t i;

	for (i = 0; i < sizeof(sensitive) / sizeof(sensitive[0]); i++) {
		a.type = sensitive[i];
		a.pValue = buf;
		a.ulValueLen = sizeof(buf);
		rv = F->C_GetAttributeValue(h, priv, &a, 1);
		ok(rv == CKR_ATTRIBUTE_SENSITIVE && a.ulValueLen == CK_UNAVAILABLE_INFORMATION,
		   "private key attribute 0x%lx is sensitive", sensitive[i]);
	}
	a.type = CKA_VALUE;
	a.pValue = NULL;
	a.ulValueLen = 0;
	rv = F->C_GetAttributeValue(h, pub, &a, 1);
	ok(rv == CKR_ATTRIBUTE_TYPE_INVALID && a.ulValueLen == CK_UNAVAILABLE_INFORMATION,
	   "CKA_VALUE of a public key: CKR_ATTRIBUTE_TYPE_INVALID");
	a.type = CKA_VENDOR_DEFINED | 0x1234;
	rv = F->C_GetAttributeValue(h, pub, &a, 1);
	ok(rv == CKR_ATTRIBUTE_TYPE_INVALID && a.ulValueLen == CK_UNAVAILABLE_INFORMATION,
	   "vendor attribute: CKR_ATTRIBUTE_TYPE_INVALID");

	/* Every entry processed, whatever the others do (§5.7.5). */
	mixed[0].type = CKA_CLASS; mixed[0].pValue = &cls; mixed[0].ulValueLen = sizeof(cls);
	mixed[1].type = CKA_PRIVATE_EXPONENT; mixed[1].pValue = buf; mixed[1].ulValueLen = sizeof(buf);
	mixed[2].type = CKA_VENDOR_DEFINED | 7; mixed[2].pValue = buf; mixed[2].ulValueLen = sizeof(buf);
	mixed[3].type = CKA_LABEL; mixed[3].pValue = label; mixed[3].ulValueLen = sizeof(label);
	rv = F->C_GetAttributeValue(h, priv, mixed, 4);
	ok(rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	   rv == CKR_BUFFER_TOO_SMALL, "mixed template: one of the three errors (0x%lx)", rv);
	ok(cls == CKO_PRIVATE_KEY && mixed[0].ulValueLen == sizeof(cls),
	   "mixed template: the valid entry was filled");
	ok(mixed[1].ulValueLen == CK_UNAVAILABLE_INFORMATION &&
	   mixed[2].ulValueLen == CK_UNAVAILABLE_INFORMATION &&
	   mixed[3].ulValueLen == CK_UNAVAILABLE_INFORMATION,
	   "mixed template: the three others say CK_UNAVAILABLE_INFORMATION");
	/* Several lengths at once. */
	mixed[0].pValue = NULL; mixed[0].ulValueLen = 99;
	mixed[3].pValue = NULL; mixed[3].ulValueLen = 99;
	rv = F->C_GetAttributeValue(h, priv, mixed, 1);
	ok(rv == CKR_OK && mixed[0].ulValueLen == sizeof(CK_OBJECT_CLASS), "length query of CKA_CLASS");

	/* Arguments and handles. */
	is_int(F->C_GetAttributeValue(h, priv, NULL, 1), CKR_ARGUMENTS_BAD, "NULL template");
	is_int(F->C_GetAttributeValue(h, priv, NULL, 0), CKR_OK, "empty template");
	a.type = CKA_CLASS; a.pValue = NULL; a.ulValueLen = 0;
	is_int(F->C_GetAttributeValue(h, 0x7fff0000UL, &a, 1), CKR_OBJECT_HANDLE_INVALID,
	       "unknown object handle");
	is_int(F->C_GetAttributeValue(h, CK_INVALID_HANDLE, &a, 1), CKR_OBJECT_HANDLE_INVALID,
	       "CK_INVALID_HANDLE");
	is_int(F->C_GetAttributeValue(0x7fff0000UL, priv, &a, 1), CKR_SESSION_HANDLE_INVALID,
	       "unknown session handle");

	/* Read-only token. */
	a.type = CKA_LABEL; a.pValue = "x"; a.ulValueLen = 1;
	is_int(F->C_SetAttributeValue(h, pub, &a, 1), CKR_ACTION_PROHIBITED,
	       "C_SetAttributeValue: CKR_ACTION_PROHIBITED");
	is_int(F->C_DestroyObject(h, pub), CKR_ACTION_PROHIBITED,
	       "C_DestroyObject: CKR_ACTION_PROHIBITED");
	{
		CK_OBJECT_HANDLE nh = 0;
		CK_ULONG size = 0;

		is_int(F->C_CopyObject(h, pub, NULL, 0, &nh), CKR_ACTION_PROHIBITED,
		       "C_CopyObject: CKR_ACTION_PROHIBITED");
		is_int(F->C_CreateObject(h, &a, 1, &nh), CKR_TOKEN_WRITE_PROTECTED,
		       "C_CreateObject: CKR_TOKEN_WRITE_PROTECTED");
		is_int(F->C_GetObjectSize(h, pub, &size), CKR_OK, "C_GetObjectSize");
		ok(size > 256 && size < 4096, "object size %lu is the sum of its values", size);
		is_int(F->C_GetObjectSize(h, pub, NULL), CKR_ARGUMENTS_BAD,
		       "C_GetObjectSize: NULL size");
	}
	a.type = CKA_LABEL; a.pValue = NULL; a.ulValueLen = 0;
	ok(F->C_GetAttributeValue(h, pub, &a, 1) == CKR_OK &&
	   a.ulValueLen == strlen("JPKI User Authentication"),
	   "label unchanged");
}

int main(void)
{
	pt_card t;
	CK_SESSION_HANDLE ha, hs;
	CK_OBJECT_HANDLE o, priv_a, pub_a, priv_s = 0;
	exp_obj *x = calloc(1, sizeof(*x));
	unsigned long apdus;
	CK_ATTRIBUTE a;
	CK_C_INITIALIZE_ARGS args;

	pt_start(&t, CARD, NULL);
	ha = pt_open(&t, PT_AUTH);
	hs = pt_open(&t, PT_SIGN);

	/* ---- authentication token, before login ---- */
	expect_cert(x, "auth.der", 0, 1, "JPKI User Authentication");
	check_object(ha, pt_find1(ha, CKO_CERTIFICATE, 1), x, "auth certificate");
	expect_cert(x, "auth-ca.der", 0, 2, "JPKI User Authentication CA");
	check_object(ha, pt_find1(ha, CKO_CERTIFICATE, 2), x, "auth CA certificate");
	expect_pub(x, "auth.der", 0, "JPKI User Authentication");
	pub_a = pt_find1(ha, CKO_PUBLIC_KEY, -1);
	check_object(ha, pub_a, x, "auth public key");
	is_int(pt_find1(ha, CKO_PRIVATE_KEY, -1), CK_INVALID_HANDLE,
	       "auth private key hidden before login");

	/* ---- signing token, before login: only the CA ---- */
	expect_cert(x, "sign-ca.der", 0, 2, "JPKI Digital Signature CA");
	check_object(hs, pt_find1(hs, CKO_CERTIFICATE, 2), x, "sign CA certificate");
	is_int(pt_find1(hs, CKO_CERTIFICATE, 1), CK_INVALID_HANDLE,
	       "no signing certificate before login");
	is_int(pt_find1(hs, CKO_PUBLIC_KEY, -1), CK_INVALID_HANDLE,
	       "no signing public key before login");

	/* ---- after login ---- */
	is_int(pt_login(ha, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "auth login");
	expect_priv(x, "auth.der", 0, "JPKI User Authentication");
	priv_a = pt_find1(ha, CKO_PRIVATE_KEY, -1);
	check_object(ha, priv_a, x, "auth private key");

	is_int(pt_login(hs, CKU_USER, fixture_pin(CARD, PT_SIGN)), CKR_OK, "sign login");
	expect_cert(x, "sign.der", 1, 1, "JPKI Digital Signature");
	check_object(hs, pt_find1(hs, CKO_CERTIFICATE, 1), x, "sign certificate");
	expect_pub(x, "sign.der", 1, "JPKI Digital Signature");
	check_object(hs, pt_find1(hs, CKO_PUBLIC_KEY, -1), x, "sign public key");
	expect_priv(x, "sign.der", 1, "JPKI Digital Signature");
	priv_s = pt_find1(hs, CKO_PRIVATE_KEY, -1);
	check_object(hs, priv_s, x, "sign private key");

	/* ---- the rules, and no card traffic for any of it ---- */
	pub_a = pt_find1(ha, CKO_PUBLIC_KEY, -1);
	priv_a = pt_find1(ha, CKO_PRIVATE_KEY, -1);
	apdus = jp_emu_apdu_count(t.e);
	check_rules(ha, priv_a, pub_a);
	expect_cert(x, "sign.der", 1, 1, "JPKI Digital Signature");
	check_object(hs, pt_find1(hs, CKO_CERTIFICATE, 1), x, "sign certificate again");
	is_int(jp_emu_apdu_count(t.e) - apdus, 0,
	       "attribute queries and fetches sent no APDU (values computed once)");

	/* ---- logout: the signing objects are gone ---- */
	is_int(F->C_Logout(hs), CKR_OK, "sign logout");
	a.type = CKA_MODULUS; a.pValue = NULL; a.ulValueLen = 0;
	is_int(F->C_GetAttributeValue(hs, priv_s, &a, 1), CKR_OBJECT_HANDLE_INVALID,
	       "signing private key handle invalid after logout");
	a.type = CKA_CLASS;
	o = priv_a;
	ok(F->C_GetAttributeValue(ha, o, &a, 1) == CKR_OBJECT_HANDLE_INVALID,
	   "auth private key hidden too: logout unpowers the card, both tokens log out");
	pt_stop(&t);

	/* ---- always-authenticate=no (p11-kit's x-init-reserved) ---- */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = (void *)"always-authenticate=no";
	pt_start_args(&t, CARD, NULL, &args);
	hs = pt_open(&t, PT_SIGN);
	is_int(pt_login(hs, CKU_USER, fixture_pin(CARD, PT_SIGN)), CKR_OK, "sign login (option run)");
	expect_priv(x, "sign.der", 0, "JPKI Digital Signature");
	check_object(hs, pt_find1(hs, CKO_PRIVATE_KEY, -1), x,
	             "sign private key with always-authenticate=no");
	pt_stop(&t);

	free(x);
	done_testing();
}
