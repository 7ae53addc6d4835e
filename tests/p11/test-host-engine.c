/* The module never reaches an ENGINE the host made a default. OpenSSL 3
 * still keeps a process-wide ENGINE table, and EVP consults it by NID
 * whatever library context an algorithm came from: a host that made an
 * ENGINE the default for SHA digests (openssl -engine, curl --engine, a
 * PKCS#11 engine) would otherwise get the module's hashing, with the
 * module's lock held. The test program plays that host: it builds a tiny
 * ENGINE in-process whose SHA digests and RSA method count every call
 * (the digests hash for real, the RSA method is OpenSSL's own), makes it
 * the default, shows that its own default-context calls do reach it, and
 * then drives the module: opening sessions (certificate parsing), C_Digest,
 * C_Sign one-shot and multi-part with the host check of each signature,
 * C_Verify. The ENGINE must see none of it, and every result must be
 * right (checked with OpenSSL in the test's own context). */
#include "config.h"

#include <openssl/engine.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "tests/p11/p11-test.h"

#define CARD 1

static struct {
	int md_calls;    /* digest init, update, final */
	int rsa_inits;   /* RSA objects given the ENGINE's method */
} eng;

static OSSL_LIB_CTX *tctx;   /* the test's own checks */
static EVP_MD *eng_mds[5];
static RSA_METHOD *eng_rsa;

/* ---- the host's ENGINE ---- */

/* Low-level SHA: an EVP digest here would look the ENGINE table up again
 * and come back to this very ENGINE. */
typedef union eng_sha {
	SHA_CTX s1;
	SHA256_CTX s256;
	SHA512_CTX s512;
} eng_sha;

static int eng_md_init(EVP_MD_CTX *c)
{
	eng_sha *s = EVP_MD_CTX_md_data(c);

	eng.md_calls++;
	switch (EVP_MD_get_type(EVP_MD_CTX_get0_md(c))) {
	case NID_sha1: return SHA1_Init(&s->s1);
	case NID_sha224: return SHA224_Init(&s->s256);
	case NID_sha256: return SHA256_Init(&s->s256);
	case NID_sha384: return SHA384_Init(&s->s512);
	case NID_sha512: return SHA512_Init(&s->s512);
	default: return 0;
	}
}

static int eng_md_update(EVP_MD_CTX *c, const void *in, size_t len)
{
	eng_sha *s = EVP_MD_CTX_md_data(c);

	eng.md_calls++;
	switch (EVP_MD_get_type(EVP_MD_CTX_get0_md(c))) {
	case NID_sha1: return SHA1_Update(&s->s1, in, len);
	case NID_sha224: return SHA224_Update(&s->s256, in, len);
	case NID_sha256: return SHA256_Update(&s->s256, in, len);
	case NID_sha384: return SHA384_Update(&s->s512, in, len);
	case NID_sha512: return SHA512_Update(&s->s512, in, len);
	default: return 0;
	}
}

static int eng_md_final(EVP_MD_CTX *c, unsigned char *out)
{
	eng_sha *s = EVP_MD_CTX_md_data(c);

	eng.md_calls++;
	switch (EVP_MD_get_type(EVP_MD_CTX_get0_md(c))) {
	case NID_sha1: return SHA1_Final(out, &s->s1);
	case NID_sha224: return SHA224_Final(out, &s->s256);
	case NID_sha256: return SHA256_Final(out, &s->s256);
	case NID_sha384: return SHA384_Final(out, &s->s512);
	case NID_sha512: return SHA512_Final(out, &s->s512);
	default: return 0;
	}
}

static const struct { int nid, len, block; } eng_md_list[5] = {
	{ NID_sha1, 20, 64 }, { NID_sha224, 28, 64 }, { NID_sha256, 32, 64 },
	{ NID_sha384, 48, 128 }, { NID_sha512, 64, 128 },
};
static const int eng_nids[5] = { NID_sha1, NID_sha224, NID_sha256, NID_sha384, NID_sha512 };

static int eng_digests(ENGINE *e, const EVP_MD **md, const int **nids, int nid)
{
	int i;

	(void)e;
	if (md == NULL) {
		*nids = eng_nids;
		return 5;
	}
	for (i = 0; i < 5; i++)
		if (eng_md_list[i].nid == nid) {
			*md = eng_mds[i];
			return 1;
		}
	*md = NULL;
	return 0;
}

static int eng_rsa_init(RSA *r)
{
	eng.rsa_inits++;
	/* What OpenSSL's own method does at init. */
	RSA_set_flags(r, RSA_FLAG_CACHE_PUBLIC | RSA_FLAG_CACHE_PRIVATE);
	return 1;
}

static ENGINE *eng_make(void)
{
	ENGINE *e = ENGINE_new();
	int i;

	for (i = 0; i < 5; i++) {
		eng_mds[i] = EVP_MD_meth_new(eng_md_list[i].nid, NID_undef);
		if (eng_mds[i] == NULL ||
		    !EVP_MD_meth_set_result_size(eng_mds[i], eng_md_list[i].len) ||
		    !EVP_MD_meth_set_input_blocksize(eng_mds[i], eng_md_list[i].block) ||
		    !EVP_MD_meth_set_app_datasize(eng_mds[i], sizeof(eng_sha)) ||
		    !EVP_MD_meth_set_init(eng_mds[i], eng_md_init) ||
		    !EVP_MD_meth_set_update(eng_mds[i], eng_md_update) ||
		    !EVP_MD_meth_set_final(eng_mds[i], eng_md_final))
			bail_out("cannot build the ENGINE's digests");
	}
	eng_rsa = RSA_meth_dup(RSA_PKCS1_OpenSSL());
	if (e == NULL || eng_rsa == NULL || !RSA_meth_set_init(eng_rsa, eng_rsa_init) ||
	    !ENGINE_set_id(e, "jpcount") || !ENGINE_set_name(e, "counting test ENGINE") ||
	    !ENGINE_set_digests(e, eng_digests) || !ENGINE_set_RSA(e, eng_rsa) ||
	    !ENGINE_add(e))
		bail_out("cannot build the ENGINE");
	/* What "openssl -engine" and curl --engine do for a default engine. */
	if (!ENGINE_set_default(e, ENGINE_METHOD_DIGESTS | ENGINE_METHOD_RSA))
		bail_out("cannot make the ENGINE the default");
	return e;
}

static void eng_drop(ENGINE *e)
{
	int i;

	ENGINE_unregister_digests(e);
	ENGINE_unregister_RSA(e);
	ENGINE_remove(e);
	ENGINE_free(e);
	RSA_meth_free(eng_rsa);
	for (i = 0; i < 5; i++)
		EVP_MD_meth_free(eng_mds[i]);
}

/* ---- the module's work ---- */

static const char msg[] = "a document to sign, in more than one part";

typedef struct results {
	uint8_t sig1[256], sig2[256];
	CK_ULONG sig1_len, sig2_len;
	CK_RV verify_good, verify_bad;
	uint8_t md[4][64];
	CK_ULONG md_len[4];
	int failures;
	int md_calls, rsa_inits;   /* the ENGINE's, during the module's calls */
} results;

static const CK_MECHANISM_TYPE digest_mechs[4] = { CKM_SHA_1, CKM_SHA256, CKM_SHA384,
                                                   CKM_SHA512 };
static const char *const digest_names[4] = { "SHA1", "SHA256", "SHA384", "SHA512" };

static void module_work(results *r)
{
	pt_card t;
	CK_SESSION_HANDLE h, h2;
	CK_OBJECT_HANDLE pub, key;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t bad[256];
	int i;

	memset(r, 0, sizeof(*r));
	/* As pt_start, but the ENGINE's counts start after the emulated card
	 * has loaded its keys (that is the emulator's OpenSSL, not ours). */
	memset(&t, 0, sizeof(t));
	t.e = jp_emu_new(jp_emu_fixture_dir(CARD), NULL, NULL);
	t.reader = jp_emu_reader_add(PT_READER);
	if (t.e == NULL || t.reader < 0)
		bail_out("no emulated card");
	jp_emu_reader_insert(t.reader, t.e);
	memset(&eng, 0, sizeof(eng));
	if (C_GetFunctionList(&F) != CKR_OK || F->C_Initialize(NULL) != CKR_OK)
		bail_out("C_Initialize failed");
	pt_find_slots(&t);

	h = pt_open(&t, PT_AUTH);
	h2 = pt_open(&t, PT_SIGN);
	pub = pt_find1(h, CKO_PUBLIC_KEY, -1);
	if (pt_login(h, CKU_USER, fixture_pin(CARD, PT_AUTH)) != CKR_OK)
		r->failures++;
	key = pt_find1(h, CKO_PRIVATE_KEY, -1);
	r->sig1_len = sizeof(r->sig1);
	if (F->C_SignInit(h, &m, key) != CKR_OK ||
	    F->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, r->sig1, &r->sig1_len) != CKR_OK)
		r->failures++;
	r->sig2_len = sizeof(r->sig2);
	if (F->C_SignInit(h, &m, key) != CKR_OK ||
	    F->C_SignUpdate(h, (CK_BYTE_PTR)msg, 7) != CKR_OK ||
	    F->C_SignUpdate(h, (CK_BYTE_PTR)msg + 7, sizeof(msg) - 1 - 7) != CKR_OK ||
	    F->C_SignFinal(h, r->sig2, &r->sig2_len) != CKR_OK)
		r->failures++;
	if (F->C_VerifyInit(h, &m, pub) == CKR_OK)
		r->verify_good = F->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, r->sig1,
		                               r->sig1_len);
	memcpy(bad, r->sig1, sizeof(bad));
	bad[17] ^= 0x40;
	if (F->C_VerifyInit(h, &m, pub) == CKR_OK)
		r->verify_bad = F->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, bad,
		                              r->sig1_len);
	for (i = 0; i < 4; i++) {
		CK_MECHANISM dm = { digest_mechs[i], NULL, 0 };

		r->md_len[i] = sizeof(r->md[i]);
		if (F->C_DigestInit(h, &dm) != CKR_OK ||
		    F->C_Digest(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, r->md[i], &r->md_len[i]) !=
		    CKR_OK)
			r->failures++;
	}
	F->C_CloseSession(h2);
	F->C_CloseSession(h);
	F->C_Finalize(NULL);
	r->md_calls = eng.md_calls;
	r->rsa_inits = eng.rsa_inits;
	jp_emu_readers_clear();
	jp_emu_free(t.e);
}

/* ---- the test's checks, in its own context ---- */

static EVP_PKEY *key_of(const uint8_t *der, size_t len, OSSL_LIB_CTX *lc)
{
	X509 *x = X509_new_ex(lc, NULL);
	const uint8_t *p = der;
	EVP_PKEY *k = NULL;

	if (x != NULL && d2i_X509(&x, &p, (long)len) != NULL)
		k = X509_get_pubkey(x);
	X509_free(x);
	return k;
}

static int verify_sha256(EVP_PKEY *k, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int r = 0;

	if (k != NULL && m != NULL &&
	    EVP_DigestVerifyInit_ex(m, NULL, "SHA256", tctx, NULL, k, NULL) == 1)
		r = EVP_DigestVerify(m, sig, sig_len, (const uint8_t *)msg, sizeof(msg) - 1) == 1;
	EVP_MD_CTX_free(m);
	return r;
}

static void check_results(const results *r)
{
	size_t auth_len;
	uint8_t *auth = fixture_file(CARD, "auth.der", &auth_len);
	EVP_PKEY *k = key_of(auth, auth_len, tctx);
	uint8_t want[EVP_MAX_MD_SIZE];
	size_t n;
	int i;

	is_int(r->failures, 0, "every module call succeeded");
	is_int(r->md_calls, 0, "the module used none of the ENGINE's digests");
	is_int(r->rsa_inits, 0, "the module made no RSA object with the ENGINE's method");
	ok(r->sig1_len == 256 && verify_sha256(k, r->sig1, r->sig1_len),
	   "C_Sign CKM_SHA256_RSA_PKCS: the signature is valid");
	ok(r->sig2_len == 256 && verify_sha256(k, r->sig2, r->sig2_len),
	   "multi-part C_SignFinal CKM_SHA256_RSA_PKCS: the signature is valid");
	is_int(r->verify_good, CKR_OK, "C_Verify accepts the signature");
	is_int(r->verify_bad, CKR_SIGNATURE_INVALID, "C_Verify refuses a flipped bit");
	for (i = 0; i < 4; i++) {
		n = 0;
		ok(EVP_Q_digest(tctx, digest_names[i], NULL, msg, sizeof(msg) - 1, want, &n) == 1 &&
		   n == r->md_len[i] && memcmp(want, r->md[i], n) == 0, "C_Digest %s value",
		   digest_names[i]);
	}
	EVP_PKEY_free(k);
	free(auth);
}

/* The ENGINE does get the host's own calls: the counts above can fail. */
static void controls(void)
{
	static const uint8_t abc256[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t out[32];
	unsigned n = 0;
	size_t auth_len;
	uint8_t *auth = fixture_file(CARD, "auth.der", &auth_len);
	EVP_MD *md = EVP_MD_fetch(tctx, "SHA256", NULL);
	EVP_PKEY *k;

	memset(&eng, 0, sizeof(eng));
	ok(EVP_Digest("abc", 3, out, &n, EVP_sha256(), NULL) == 1 && n == 32 &&
	   memcmp(out, abc256, 32) == 0, "control: the host's SHA-256 works");
	ok(eng.md_calls >= 3, "control: ... and went to the ENGINE (%d calls)", eng.md_calls);
	memset(&eng, 0, sizeof(eng));
	memset(out, 0, sizeof(out));
	n = md != NULL && EVP_Digest("abc", 3, out, &n, md, NULL) == 1 &&
	    memcmp(out, abc256, 32) == 0;
	ok(n && eng.md_calls >= 3,
	   "control: so does a digest fetched from another context (%d calls)", eng.md_calls);
	memset(&eng, 0, sizeof(eng));
	k = key_of(auth, auth_len, NULL);
	ok(k != NULL && eng.rsa_inits > 0,
	   "control: parsing a certificate in the default context meets the ENGINE's RSA "
	   "method (%d)", eng.rsa_inits);
	EVP_PKEY_free(k);
	EVP_MD_free(md);
	free(auth);
}

int main(void)
{
	results r;
	ENGINE *e;

	tctx = OSSL_LIB_CTX_new();
	if (tctx == NULL)
		bail_out("no test context");
	e = eng_make();
	controls();
	module_work(&r);
	check_results(&r);
	eng_drop(e);
	OSSL_LIB_CTX_free(tctx);
	done_testing();
}
