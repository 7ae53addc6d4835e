/* The module never uses the application's default OpenSSL library context.
 * The test program plays a host whose default context holds a provider
 * (host-provider.h) preferred for every fetch ("?provider=jprec"), as
 * pkcs11-provider may be: the module must sign, verify, digest and parse
 * its certificates as before without asking it anything. Twice: with the
 * provider recording and working, then with it calling back into the
 * module (C_GetSlotList, as pkcs11-provider does) and failing — the
 * reported hang, caught here by an alarm. Controls at the end show the
 * provider does get default-context fetches, and that its call-back does
 * reach the module. The emulated card has its own context; this program
 * checks results in a third one, so the default context sees only the
 * module (if anything). */
#include "config.h"

#include <signal.h>
#include <unistd.h>

#include "host-provider.h"
#include "tests/p11/p11-test.h"

#define CARD 1

static OSSL_LIB_CTX *tctx;   /* the test's own checks */
static CK_FUNCTION_LIST_PTR mod;
static int reentries;
static CK_RV reenter_rv;

static void on_alarm(int sig)
{
	static const char msg[] = "Bail out! hung: the module waits for itself\n";

	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(99);
}

/* What pkcs11-provider does from its digest functions. */
static void call_module(void)
{
	CK_ULONG n = 0;

	reentries++;
	reenter_rv = mod->C_GetSlotList(CK_FALSE, NULL, &n);
}

typedef struct results {
	uint8_t cert[4096];
	CK_ULONG cert_len;
	uint8_t modulus[512];
	CK_ULONG modulus_len;
	uint8_t sig256[256], sig_raw[256], sig512[256], sig384[256];
	CK_ULONG sig256_len, sig_raw_len, sig512_len, sig384_len;
	CK_RV verify_good, verify_bad;
	uint8_t sha1[20], sha384[48];
	CK_ULONG sha1_len, sha384_len;
	int failures;   /* module calls that did not return CKR_OK */
} results;

static const char msg[] = "a document to sign";

static void sign1(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mt,
                  const void *in, size_t len, uint8_t *sig, CK_ULONG *sig_len, results *r)
{
	CK_MECHANISM m = { mt, NULL, 0 };

	*sig_len = 256;
	if (F->C_SignInit(h, &m, key) != CKR_OK ||
	    F->C_Sign(h, (CK_BYTE_PTR)in, len, sig, sig_len) != CKR_OK)
		r->failures++;
}

static CK_RV digest1(CK_SESSION_HANDLE h, CK_MECHANISM_TYPE mt, uint8_t *out,
                     CK_ULONG *out_len)
{
	CK_MECHANISM m = { mt, NULL, 0 };
	CK_RV rv = F->C_DigestInit(h, &m);

	if (rv == CKR_OK)
		rv = F->C_Digest(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, out, out_len);
	return rv;
}

/* Everything the module does with OpenSSL, from C_Initialize to
 * C_Finalize: certificate parsing (C_Initialize/C_OpenSession read the
 * tokens; C_Login adds objects), one-shot and multi-part signing with the
 * host check of each signature, C_Verify, C_Digest. */
static void module_work(results *r)
{
	pt_card t;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE cert, pub, key;
	CK_ATTRIBUTE a;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t bad[256];

	memset(r, 0, sizeof(*r));
	pt_start(&t, CARD, NULL);
	mod = F;
	h = pt_open(&t, PT_AUTH);
	cert = pt_find1(h, CKO_CERTIFICATE, 1);
	pub = pt_find1(h, CKO_PUBLIC_KEY, -1);
	a.type = CKA_VALUE;
	a.pValue = r->cert;
	a.ulValueLen = sizeof(r->cert);
	if (F->C_GetAttributeValue(h, cert, &a, 1) != CKR_OK)
		r->failures++;
	r->cert_len = a.ulValueLen;
	a.type = CKA_MODULUS;
	a.pValue = r->modulus;
	a.ulValueLen = sizeof(r->modulus);
	if (F->C_GetAttributeValue(h, pub, &a, 1) != CKR_OK)
		r->failures++;
	r->modulus_len = a.ulValueLen;
	if (pt_login(h, CKU_USER, fixture_pin(CARD, PT_AUTH)) != CKR_OK)
		r->failures++;
	key = pt_find1(h, CKO_PRIVATE_KEY, -1);
	sign1(h, key, CKM_SHA256_RSA_PKCS, msg, sizeof(msg) - 1, r->sig256, &r->sig256_len, r);
	sign1(h, key, CKM_RSA_PKCS, msg, sizeof(msg) - 1, r->sig_raw, &r->sig_raw_len, r);
	m.mechanism = CKM_SHA512_RSA_PKCS;
	r->sig512_len = sizeof(r->sig512);
	if (F->C_SignInit(h, &m, key) != CKR_OK ||
	    F->C_SignUpdate(h, (CK_BYTE_PTR)msg, 5) != CKR_OK ||
	    F->C_SignUpdate(h, (CK_BYTE_PTR)msg + 5, sizeof(msg) - 1 - 5) != CKR_OK ||
	    F->C_SignFinal(h, r->sig512, &r->sig512_len) != CKR_OK)
		r->failures++;
	m.mechanism = CKM_SHA256_RSA_PKCS;
	if (F->C_VerifyInit(h, &m, pub) == CKR_OK)
		r->verify_good = F->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, r->sig256,
		                               r->sig256_len);
	memcpy(bad, r->sig256, sizeof(bad));
	bad[100] ^= 0x01;
	if (F->C_VerifyInit(h, &m, pub) == CKR_OK)
		r->verify_bad = F->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, bad,
		                              r->sig256_len);
	r->sha1_len = sizeof(r->sha1);
	if (digest1(h, CKM_SHA_1, r->sha1, &r->sha1_len) != CKR_OK)
		r->failures++;
	r->sha384_len = sizeof(r->sha384);
	if (digest1(h, CKM_SHA384, r->sha384, &r->sha384_len) != CKR_OK)
		r->failures++;
	F->C_CloseSession(h);

	/* The signature key: its token, its certificate after the login. */
	h = pt_open(&t, PT_SIGN);
	if (pt_login(h, CKU_USER, fixture_pin(CARD, PT_SIGN)) != CKR_OK)
		r->failures++;
	key = pt_find1(h, CKO_PRIVATE_KEY, -1);
	/* The signature key wants its password again for each signature. */
	m.mechanism = CKM_SHA384_RSA_PKCS;
	r->sig384_len = sizeof(r->sig384);
	if (F->C_SignInit(h, &m, key) != CKR_OK ||
	    pt_login(h, CKU_CONTEXT_SPECIFIC, fixture_pin(CARD, PT_SIGN)) != CKR_OK ||
	    F->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, r->sig384, &r->sig384_len) != CKR_OK)
		r->failures++;
	F->C_CloseSession(h);
	pt_stop(&t);
}

/* ---- the test's own checks, in its own context ---- */

static EVP_PKEY *key_of(const uint8_t *der, size_t len)
{
	X509 *x = X509_new_ex(tctx, NULL);
	const uint8_t *p = der;
	EVP_PKEY *k = NULL;

	if (x != NULL && d2i_X509(&x, &p, (long)len) != NULL)
		k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

static int verify_md(EVP_PKEY *k, const char *md, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int r = 0;

	if (k != NULL && m != NULL &&
	    EVP_DigestVerifyInit_ex(m, NULL, md, tctx, NULL, k, NULL) == 1)
		r = EVP_DigestVerify(m, sig, sig_len, (const uint8_t *)msg, sizeof(msg) - 1) == 1;
	EVP_MD_CTX_free(m);
	return r;
}

static int verify_raw(EVP_PKEY *k, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *c = k != NULL ? EVP_PKEY_CTX_new_from_pkey(tctx, k, NULL) : NULL;
	int r = 0;

	if (c != NULL && EVP_PKEY_verify_init(c) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1)
		r = EVP_PKEY_verify(c, sig, sig_len, (const uint8_t *)msg, sizeof(msg) - 1) == 1;
	EVP_PKEY_CTX_free(c);
	return r;
}

static int digest_is(const char *md, const uint8_t *got, size_t got_len)
{
	uint8_t want[EVP_MAX_MD_SIZE];
	size_t n = 0;

	return EVP_Q_digest(tctx, md, NULL, msg, sizeof(msg) - 1, want, &n) == 1 &&
	       n == got_len && memcmp(want, got, n) == 0;
}

static void check_results(const char *what, const results *r)
{
	size_t auth_len, sign_len;
	uint8_t *auth = fixture_file(CARD, "auth.der", &auth_len);
	uint8_t *sign = fixture_file(CARD, "sign.der", &sign_len);
	EVP_PKEY *ka = key_of(auth, auth_len), *ks = key_of(sign, sign_len);
	BIGNUM *n = NULL;
	uint8_t nbuf[512];
	int nlen = 0;

	if (ka != NULL && EVP_PKEY_get_bn_param(ka, "n", &n) == 1)
		nlen = BN_bn2bin(n, nbuf);
	is_int(r->failures, 0, "%s: every module call succeeded", what);
	ok(r->cert_len == auth_len && memcmp(r->cert, auth, auth_len) == 0,
	   "%s: CKA_VALUE is the card's certificate", what);
	ok(nlen > 0 && r->modulus_len == (CK_ULONG)nlen && memcmp(r->modulus, nbuf, (size_t)nlen) == 0,
	   "%s: CKA_MODULUS parsed from the certificate", what);
	ok(verify_md(ka, "SHA256", r->sig256, r->sig256_len), "%s: SHA256-RSA-PKCS signature valid",
	   what);
	ok(verify_raw(ka, r->sig_raw, r->sig_raw_len), "%s: RSA-PKCS signature valid", what);
	ok(verify_md(ka, "SHA512", r->sig512, r->sig512_len),
	   "%s: multi-part SHA512-RSA-PKCS signature valid", what);
	ok(verify_md(ks, "SHA384", r->sig384, r->sig384_len),
	   "%s: signature key's SHA384-RSA-PKCS signature valid", what);
	is_int(r->verify_good, CKR_OK, "%s: C_Verify accepts the signature", what);
	is_int(r->verify_bad, CKR_SIGNATURE_INVALID, "%s: C_Verify refuses a flipped bit", what);
	ok(digest_is("SHA1", r->sha1, r->sha1_len), "%s: C_Digest SHA-1 value", what);
	ok(digest_is("SHA384", r->sha384, r->sha384_len), "%s: C_Digest SHA-384 value", what);
	BN_free(n);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(ks);
	free(auth);
	free(sign);
}

/* The provider does see the default context: a fetch there comes to it. */
static void control_recording(void)
{
	static const uint8_t abc256[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t out[32];
	unsigned n = 0;
	EVP_MD *md;

	hp_reset();
	hp.block = 0;
	hp.reenter = NULL;
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	ok(md != NULL && strcmp(OSSL_PROVIDER_get0_name(EVP_MD_get0_provider(md)), HP_NAME) == 0,
	   "control: a default-context fetch gets the recording provider");
	ok(hp.query[OSSL_OP_DIGEST] > 0, "control: the lookup was recorded (%d)",
	   hp.query[OSSL_OP_DIGEST]);
	ok(md != NULL && EVP_Digest("abc", 3, out, &n, md, NULL) == 1 && n == 32 &&
	   memcmp(out, abc256, 32) == 0, "control: its SHA-256 works");
	ok(hp.calls >= 3, "control: the digest calls were recorded (%d)", hp.calls);
	EVP_MD_free(md);
	hp_reset();
	n = EVP_Digest("abc", 3, out, &n, EVP_sha256(), NULL) == 1;
	ok(n && hp.calls >= 3, "control: an implicit fetch (EVP_sha256) is recorded too (%d)",
	   hp.calls);
}

/* The call-back does reach the module, and a blocked provider fails. */
static void control_reentering(void)
{
	pt_card t;
	uint8_t out[32];
	unsigned n = 0;

	pt_start(&t, CARD, NULL);
	mod = F;
	hp_reset();
	reentries = 0;
	reenter_rv = CKR_GENERAL_ERROR;
	hp.block = 1;
	hp.reenter = call_module;
	ok(EVP_Digest("abc", 3, out, &n, EVP_sha256(), NULL) != 1,
	   "control: a default-context digest fails while the provider blocks");
	ok(reentries > 0 && reenter_rv == CKR_OK,
	   "control: the provider's call-back reached the module (%d, rv 0x%lx)", reentries,
	   (unsigned long)reenter_rv);
	hp.block = 0;
	hp.reenter = NULL;
	pt_stop(&t);
}

int main(void)
{
	results r;
	OSSL_PROVIDER *rec = NULL, *def = NULL;

	signal(SIGALRM, on_alarm);
	alarm(300);   /* only to turn the reported hang into a failure */
	if (!hp_register() || (rec = OSSL_PROVIDER_load(NULL, HP_NAME)) == NULL ||
	    (def = OSSL_PROVIDER_load(NULL, "default")) == NULL ||
	    EVP_set_default_properties(NULL, "?provider=" HP_NAME) != 1)
		bail_out("cannot set up the recording provider");
	tctx = OSSL_LIB_CTX_new();
	if (tctx == NULL)
		bail_out("no test context");
	is_int(hp.inits, 1, "the host's provider is loaded");

	hp_reset();
	module_work(&r);
	is_int(hp_seen(), 0, "recording: the module asked the host's provider nothing "
	       "(%d lookups, %d calls)", hp_queries(), hp.calls);
	check_results("recording", &r);

	hp_reset();
	hp.block = 1;
	hp.reenter = call_module;
	reentries = 0;
	module_work(&r);
	hp.block = 0;
	hp.reenter = NULL;
	is_int(hp_seen(), 0, "blocking: the module asked the host's provider nothing "
	       "(%d lookups, %d calls)", hp_queries(), hp.calls);
	is_int(reentries, 0, "blocking: no call came back into the module");
	check_results("blocking", &r);

	/* The first default-context fetch of the process: the lookup itself
	 * reaches the provider (as the module's would have, above). */
	control_recording();
	control_reentering();
	OSSL_LIB_CTX_free(tctx);
	OSSL_PROVIDER_unload(rec);
	OSSL_PROVIDER_unload(def);
	OSSL_LIB_CTX_free(hp.backing);
	done_testing();
}
