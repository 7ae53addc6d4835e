/* C_Sign*: every mechanism, single- and multi-part, with both keys; each
 * signature verified independently with OpenSSL against the fixture
 * certificate. The output conventions (length query without the card,
 * too small keeps the operation), input limits, error states, the
 * always-authenticate rule of the signing key, host verification of a
 * garbled signature, APDU counts per signature, a reset by another process
 * and a removal mid-operation. */
#include "config.h"

#include "tests/p11/p11-test.h"

#define CARD 1

static const CK_MECHANISM_TYPE mechs[] = {
	CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS,
	CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

static const char msg[] = "My Number Card: a document to be signed, long enough to be split.";

/* SHA-256 DigestInfo of msg (RFC 8017 §9.2 note 1): CKM_RSA_PKCS input. */
static size_t digest_info(uint8_t out[51])
{
	static const uint8_t prefix[] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		0x02, 0x01, 0x05, 0x00, 0x04, 0x20
	};
	unsigned int n = 32;

	memcpy(out, prefix, sizeof(prefix));
	EVP_Digest(msg, strlen(msg), out + sizeof(prefix), &n, EVP_sha256(), NULL);
	return sizeof(prefix) + 32;
}

/* Independent check: hash-and-sign with EVP, raw PKCS#1 v1.5 type 01 by
 * recovering the payload. */
static int ossl_verify(EVP_PKEY *k, CK_MECHANISM_TYPE m, const uint8_t *in, size_t in_len,
                       const uint8_t *sig, size_t sig_len)
{
	int r = 0;

	if (m == CKM_RSA_PKCS) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
		uint8_t rec[512];
		size_t rec_len = sizeof(rec);

		if (c && EVP_PKEY_verify_recover_init(c) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_verify_recover(c, rec, &rec_len, sig, sig_len) == 1)
			r = rec_len == in_len && memcmp(rec, in, in_len) == 0;
		EVP_PKEY_CTX_free(c);
	} else {
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		if (c && EVP_DigestVerifyInit(c, NULL, pt_md(m), NULL, k) == 1)
			r = EVP_DigestVerify(c, sig, sig_len, in, in_len) == 1;
		EVP_MD_CTX_free(c);
	}
	return r;
}

/* One signature: init, (context login), single or three-part. */
static CK_RV sign(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE m,
                  int ctx_login, const uint8_t *in, size_t in_len, int multi,
                  uint8_t *sig, CK_ULONG *sig_len)
{
	CK_MECHANISM mech = { m, NULL, 0 };
	CK_RV rv;
	size_t a = in_len / 3, b = in_len / 3;

	rv = F->C_SignInit(h, &mech, key);
	if (rv == CKR_OK && ctx_login)
		rv = pt_login(h, CKU_CONTEXT_SPECIFIC, fixture_pin(CARD, PT_SIGN));
	if (rv != CKR_OK)
		return rv;
	if (!multi)
		return F->C_Sign(h, (CK_BYTE_PTR)in, in_len, sig, sig_len);
	rv = F->C_SignUpdate(h, (CK_BYTE_PTR)in, a);
	if (rv == CKR_OK)
		rv = F->C_SignUpdate(h, (CK_BYTE_PTR)in + a, b);
	if (rv == CKR_OK)
		rv = F->C_SignUpdate(h, (CK_BYTE_PTR)in + a + b, in_len - a - b);
	if (rv == CKR_OK)
		rv = F->C_SignFinal(h, sig, sig_len);
	return rv;
}

static void every_mechanism(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, EVP_PKEY *k,
                            int ctx_login, const char *what)
{
	uint8_t di[51], sig[512];
	size_t i, in_len;
	const uint8_t *in;
	CK_ULONG sig_len;
	CK_RV rv;
	int multi;

	for (i = 0; i < NMECHS; i++) {
		for (multi = 0; multi < 2; multi++) {
			if (mechs[i] == CKM_RSA_PKCS) {
				in_len = digest_info(di);
				in = di;
			} else {
				in = (const uint8_t *)msg;
				in_len = strlen(msg);
			}
			sig_len = sizeof(sig);
			memset(sig, 0, sizeof(sig));
			rv = sign(h, key, mechs[i], ctx_login, in, in_len, multi, sig, &sig_len);
			ok(rv == CKR_OK && sig_len == 256 &&
			   ossl_verify(k, mechs[i], in, in_len, sig, sig_len),
			   "%s: mechanism 0x%lx %s-part: verified by OpenSSL (rv 0x%lx)", what,
			   mechs[i], multi ? "multi" : "single", rv);
		}
	}
}

/* The second signature of a kind, after a first one: the APDUs it costs. */
static unsigned long steady_apdus(pt_card *t, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, int ctx_login)
{
	uint8_t sig[256];
	CK_ULONG sig_len = sizeof(sig);
	unsigned long before;

	(void)sign(h, key, CKM_SHA256_RSA_PKCS, ctx_login, (const uint8_t *)msg, strlen(msg), 0,
	           sig, &sig_len);
	before = jp_emu_apdu_count(t->e);
	sig_len = sizeof(sig);
	if (sign(h, key, CKM_SHA256_RSA_PKCS, ctx_login, (const uint8_t *)msg, strlen(msg), 0,
	         sig, &sig_len) != CKR_OK)
		return 999;
	return jp_emu_apdu_count(t->e) - before;
}

static void auth_key(pt_card *t, CK_SESSION_HANDLE h)
{
	EVP_PKEY *k = pt_cert_key(CARD, "auth.der");
	CK_OBJECT_HANDLE priv, pub, cert;
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 }, bad = { CKM_SHA256, NULL, 0 };
	CK_ULONG sig_len, pss = CKM_SHA256;
	uint8_t sig[512], big[300], before[512];
	unsigned long apdus, signs;
	CK_RV rv;

	is_int(pt_login(h, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "auth login");
	priv = pt_find1(h, CKO_PRIVATE_KEY, -1);
	pub = pt_find1(h, CKO_PUBLIC_KEY, -1);
	cert = pt_find1(h, CKO_CERTIFICATE, 1);
	ok(priv != CK_INVALID_HANDLE && pub != CK_INVALID_HANDLE, "auth keys found");

	every_mechanism(h, priv, k, 0, "auth key");
	/* The card signs by short EF identifier (doc/card.md §11): no SELECT. */
	is_int(steady_apdus(t, h, priv, 0), 1, "auth signature, steady state: 1 APDU (P2 97)");

	/* Output conventions (§5.2): no card for the length, too small keeps it. */
	is_int(F->C_SignInit(h, &mech, priv), CKR_OK, "SignInit");
	apdus = jp_emu_apdu_count(t->e);
	sig_len = 0;
	rv = F->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), NULL, &sig_len);
	ok(rv == CKR_OK && sig_len == 256, "NULL output: length 256 (rv 0x%lx)", rv);
	sig_len = 255;
	rv = F->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &sig_len);
	ok(rv == CKR_BUFFER_TOO_SMALL && sig_len == 256, "255-byte buffer: CKR_BUFFER_TOO_SMALL, 256");
	is_int(jp_emu_apdu_count(t->e) - apdus, 0, "length query and too small: no APDU");
	sig_len = sizeof(sig);
	rv = F->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &sig_len);
	ok(rv == CKR_OK && ossl_verify(k, CKM_SHA256_RSA_PKCS, (const uint8_t *)msg, strlen(msg), sig,
	                               sig_len), "the operation stayed: then signed and verified");
	is_int(F->C_Sign(h, (CK_BYTE_PTR)msg, 1, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "a signature ends the operation");

	/* Multi-part: length query at Final, and C_Sign refused after Update. */
	is_int(F->C_SignInit(h, &mech, priv), CKR_OK, "SignInit (multi-part)");
	is_int(F->C_SignUpdate(h, (CK_BYTE_PTR)msg, 10), CKR_OK, "SignUpdate");
	is_int(F->C_Sign(h, (CK_BYTE_PTR)msg, 10, sig, &sig_len), CKR_OPERATION_ACTIVE,
	       "C_Sign after C_SignUpdate: CKR_OPERATION_ACTIVE");
	is_int(F->C_SignUpdate(h, (CK_BYTE_PTR)msg + 10, strlen(msg) - 10),
	       CKR_OPERATION_NOT_INITIALIZED, "... which ended the operation");
	is_int(F->C_SignInit(h, &mech, priv), CKR_OK, "SignInit (multi-part, again)");
	is_int(F->C_SignUpdate(h, (CK_BYTE_PTR)msg, 10), CKR_OK, "SignUpdate");
	is_int(F->C_SignUpdate(h, (CK_BYTE_PTR)msg + 10, strlen(msg) - 10), CKR_OK,
	       "SignUpdate (rest)");
	sig_len = 0;
	ok(F->C_SignFinal(h, NULL, &sig_len) == CKR_OK && sig_len == 256, "SignFinal length query");
	sig_len = 10;
	is_int(F->C_SignFinal(h, sig, &sig_len), CKR_BUFFER_TOO_SMALL, "SignFinal too small");
	sig_len = sizeof(sig);
	rv = F->C_SignFinal(h, sig, &sig_len);
	ok(rv == CKR_OK && ossl_verify(k, CKM_SHA256_RSA_PKCS, (const uint8_t *)msg, strlen(msg), sig,
	                               sig_len), "SignFinal after the length queries: verified");

	/* CKM_RSA_PKCS limits: 245 bytes (k - 11). */
	mech.mechanism = CKM_RSA_PKCS;
	memset(big, 0x5a, sizeof(big));
	sig_len = sizeof(sig);
	rv = sign(h, priv, CKM_RSA_PKCS, 0, big, 245, 0, sig, &sig_len);
	ok(rv == CKR_OK && ossl_verify(k, CKM_RSA_PKCS, big, 245, sig, sig_len),
	   "CKM_RSA_PKCS over 245 bytes: verified");
	sig_len = sizeof(sig);
	rv = sign(h, priv, CKM_RSA_PKCS, 0, big, 245, 1, sig, &sig_len);
	ok(rv == CKR_OK && ossl_verify(k, CKM_RSA_PKCS, big, 245, sig, sig_len),
	   "CKM_RSA_PKCS multi-part over 245 bytes: verified");
	signs = jp_emu_sign_count(t->e);
	is_int(sign(h, priv, CKM_RSA_PKCS, 0, big, 246, 0, sig, &sig_len), CKR_DATA_LEN_RANGE,
	       "CKM_RSA_PKCS over 246 bytes: CKR_DATA_LEN_RANGE");
	is_int(F->C_Sign(h, big, 1, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "... which ended the operation");
	sig_len = 0;
	is_int(sign(h, priv, CKM_RSA_PKCS, 0, big, 246, 0, NULL, &sig_len), CKR_DATA_LEN_RANGE,
	       "... also for a length query");
	is_int(sign(h, priv, CKM_RSA_PKCS, 0, big, 0, 0, sig, &sig_len), CKR_DATA_LEN_RANGE,
	       "CKM_RSA_PKCS over nothing: CKR_DATA_LEN_RANGE");
	is_int(F->C_SignInit(h, &mech, priv), CKR_OK, "SignInit CKM_RSA_PKCS multi-part");
	is_int(F->C_SignUpdate(h, big, 200), CKR_OK, "200 bytes");
	is_int(F->C_SignUpdate(h, big, 46), CKR_DATA_LEN_RANGE, "46 more: CKR_DATA_LEN_RANGE");
	is_int(F->C_SignFinal(h, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED, "... ended");
	is_int(jp_emu_sign_count(t->e) - signs, 0, "the card signed nothing for refused input");

	/* Keys, mechanisms, states. */
	mech.mechanism = CKM_SHA256_RSA_PKCS;
	is_int(F->C_SignInit(h, &mech, pub), CKR_KEY_FUNCTION_NOT_PERMITTED,
	       "public key: CKR_KEY_FUNCTION_NOT_PERMITTED");
	is_int(F->C_SignInit(h, &mech, cert), CKR_KEY_HANDLE_INVALID,
	       "certificate: CKR_KEY_HANDLE_INVALID");
	is_int(F->C_SignInit(h, &mech, 0x7fff0000UL), CKR_KEY_HANDLE_INVALID,
	       "unknown handle: CKR_KEY_HANDLE_INVALID");
	is_int(F->C_SignInit(h, &bad, priv), CKR_MECHANISM_INVALID,
	       "CKM_SHA256 for signing: CKR_MECHANISM_INVALID");
	bad.mechanism = CKM_SHA256_RSA_PKCS_PSS;
	is_int(F->C_SignInit(h, &bad, priv), CKR_MECHANISM_INVALID, "no PSS");
	bad.mechanism = CKM_RSA_X_509;
	is_int(F->C_SignInit(h, &bad, priv), CKR_MECHANISM_INVALID, "no raw RSA");
	bad.mechanism = CKM_SHA256_RSA_PKCS;
	bad.pParameter = &pss;
	bad.ulParameterLen = sizeof(pss);
	is_int(F->C_SignInit(h, &bad, priv), CKR_MECHANISM_PARAM_INVALID,
	       "a parameter: CKR_MECHANISM_PARAM_INVALID");
	is_int(F->C_SignInit(h, NULL, priv), CKR_ARGUMENTS_BAD, "NULL mechanism");
	is_int(F->C_SignInit(0x7fff0000UL, &mech, priv), CKR_SESSION_HANDLE_INVALID,
	       "unknown session");
	is_int(F->C_Sign(h, (CK_BYTE_PTR)msg, 1, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "C_Sign without init");
	is_int(F->C_SignUpdate(h, (CK_BYTE_PTR)msg, 1), CKR_OPERATION_NOT_INITIALIZED,
	       "C_SignUpdate without init");
	is_int(F->C_SignFinal(h, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "C_SignFinal without init");
	is_int(F->C_SignInit(h, &mech, priv), CKR_OK, "SignInit");
	is_int(F->C_SignInit(h, &mech, priv), CKR_OPERATION_ACTIVE, "SignInit again: active");
	is_int(F->C_Sign(h, (CK_BYTE_PTR)msg, 1, sig, NULL), CKR_ARGUMENTS_BAD,
	       "NULL length pointer: CKR_ARGUMENTS_BAD");
	is_int(F->C_Sign(h, (CK_BYTE_PTR)msg, 1, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "... which ended the operation");
	is_int(F->C_SignInit(h, &mech, priv), CKR_OK, "SignInit");
	is_int(F->C_Sign(h, NULL, 5, sig, &sig_len), CKR_ARGUMENTS_BAD, "NULL data with a length");
	is_int(F->C_SignRecoverInit(h, &mech, priv), CKR_FUNCTION_NOT_SUPPORTED,
	       "C_SignRecoverInit: not supported");

	/* Host verification: a garbled signature never leaves the module. */
	jp_emu_opts(t->e)->garble_signatures = 1;
	signs = jp_emu_sign_count(t->e);
	is_int(F->C_SignInit(h, &mech, priv), CKR_OK, "SignInit (garbling card)");
	memset(sig, 0xAA, sizeof(sig));
	memset(before, 0xAA, sizeof(before));
	sig_len = sizeof(sig);
	rv = F->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &sig_len);
	is_int(rv, CKR_DEVICE_ERROR, "garbled signature: CKR_DEVICE_ERROR");
	ok(memcmp(sig, before, sizeof(sig)) == 0, "the output buffer was not touched");
	is_int(jp_emu_sign_count(t->e) - signs, 1, "the card did sign (once: no retry)");
	is_int(F->C_Sign(h, (CK_BYTE_PTR)msg, 1, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "the error ended the operation");
	jp_emu_opts(t->e)->garble_signatures = 0;
	sig_len = sizeof(sig);
	ok(sign(h, priv, CKM_SHA256_RSA_PKCS, 0, (const uint8_t *)msg, strlen(msg), 0, sig,
	        &sig_len) == CKR_OK, "a healthy card signs again");
	EVP_PKEY_free(k);
}

static void sign_key(pt_card *t, CK_SESSION_HANDLE h)
{
	EVP_PKEY *k = pt_cert_key(CARD, "sign.der");
	CK_OBJECT_HANDLE priv;
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_ULONG sig_len;
	uint8_t sig[512];
	unsigned long signs, apdus;
	CK_RV rv;

	is_int(pt_login(h, CKU_USER, fixture_pin(CARD, PT_SIGN)), CKR_OK, "sign login");
	priv = pt_find1(h, CKO_PRIVATE_KEY, -1);
	ok(priv != CK_INVALID_HANDLE, "signing key found");

	/* CKA_ALWAYS_AUTHENTICATE: no signature without the context login. */
	signs = jp_emu_sign_count(t->e);
	is_int(F->C_SignInit(h, &mech, priv), CKR_OK, "SignInit");
	apdus = jp_emu_apdu_count(t->e);
	sig_len = 0;
	rv = F->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), NULL, &sig_len);
	ok(rv == CKR_OK && sig_len == 256, "length query before the context login");
	is_int(jp_emu_apdu_count(t->e) - apdus, 0, "... costs no APDU");
	sig_len = sizeof(sig);
	is_int(F->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &sig_len), CKR_USER_NOT_LOGGED_IN,
	       "C_Sign without C_Login(CKU_CONTEXT_SPECIFIC): CKR_USER_NOT_LOGGED_IN");
	is_int(jp_emu_sign_count(t->e) - signs, 0, "... and the card signed nothing");
	is_int(F->C_Sign(h, (CK_BYTE_PTR)msg, 1, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "... and the operation ended");

	every_mechanism(h, priv, k, 1, "signing key");
	/* SELECT AP (the card was power-cycled after the previous signature),
	 * SELECT PIN, VERIFY, sign by short EF identifier. */
	is_int(steady_apdus(t, h, priv, 1), 4,
	       "signing key with always-authenticate, steady state: 4 APDUs");

	/* The context login is for one operation only. */
	sig_len = sizeof(sig);
	rv = sign(h, priv, CKM_SHA256_RSA_PKCS, 1, (const uint8_t *)msg, strlen(msg), 0, sig,
	          &sig_len);
	is_int(rv, CKR_OK, "a signature with its context login");
	is_int(sign(h, priv, CKM_SHA256_RSA_PKCS, 0, (const uint8_t *)msg, strlen(msg), 0, sig,
	            &sig_len), CKR_USER_NOT_LOGGED_IN, "the next one needs its own");
	EVP_PKEY_free(k);
}

int main(void)
{
	pt_card t;
	CK_SESSION_HANDLE ha, hs;
	CK_OBJECT_HANDLE priv;
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_SESSION_INFO si;
	CK_C_INITIALIZE_ARGS args;
	uint8_t sig[512];
	CK_ULONG sig_len = sizeof(sig);
	unsigned long signs;
	CK_RV rv;

	pt_start(&t, CARD, NULL);
	ha = pt_open(&t, PT_AUTH);
	hs = pt_open(&t, PT_SIGN);
	auth_key(&t, ha);
	sign_key(&t, hs);

	/* Logged out: no signature. */
	priv = pt_find1(ha, CKO_PRIVATE_KEY, -1);
	/* The always-authenticate signatures power-cycled the card: the
	 * authentication token was logged out with it (one verified state). */
	is_int(F->C_Logout(ha), CKR_USER_NOT_LOGGED_IN, "auth logged out by the seal's power cycle");
	is_int(pt_login(ha, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "auth login");
	priv = pt_find1(ha, CKO_PRIVATE_KEY, -1);
	is_int(F->C_Logout(ha), CKR_OK, "auth logout");
	rv = F->C_SignInit(ha, &mech, priv);
	ok(rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_KEY_HANDLE_INVALID,
	   "SignInit after logout refused (0x%lx)", rv);

	/* A reset by another process logs us out: no signature, no retry. */
	is_int(pt_login(ha, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "auth login again");
	priv = pt_find1(ha, CKO_PRIVATE_KEY, -1);
	is_int(F->C_SignInit(ha, &mech, priv), CKR_OK, "SignInit");
	jp_emu_reader_reset_by_other(t.reader, 1);
	signs = jp_emu_sign_count(t.e);
	rv = F->C_Sign(ha, (CK_BYTE_PTR)msg, strlen(msg), sig, &sig_len);
	is_int(rv, CKR_USER_NOT_LOGGED_IN, "card reset by another process: CKR_USER_NOT_LOGGED_IN");
	is_int(jp_emu_sign_count(t.e) - signs, 0, "... and no signature was made");
	ok(F->C_GetSessionInfo(ha, &si) == CKR_OK && si.state == CKS_RW_PUBLIC_SESSION,
	   "... the session is logged out");

	/* Removal mid-operation. */
	is_int(pt_login(ha, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "auth login once more");
	priv = pt_find1(ha, CKO_PRIVATE_KEY, -1);
	is_int(F->C_SignInit(ha, &mech, priv), CKR_OK, "SignInit");
	jp_emu_reader_eject(t.reader);
	sig_len = sizeof(sig);
	is_int(F->C_Sign(ha, (CK_BYTE_PTR)msg, strlen(msg), sig, &sig_len), CKR_DEVICE_REMOVED,
	       "card removed mid-operation: CKR_DEVICE_REMOVED");
	rv = F->C_SignInit(ha, &mech, priv);
	ok(rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_DEVICE_REMOVED,
	   "the session is dead afterwards (0x%lx)", rv);
	jp_emu_reader_insert(t.reader, t.e);
	pt_stop(&t);

	/* always-authenticate=no: batch signing, 2 APDUs a signature. */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = (void *)"always-authenticate=no";
	pt_start_args(&t, CARD, NULL, &args);
	hs = pt_open(&t, PT_SIGN);
	is_int(pt_login(hs, CKU_USER, fixture_pin(CARD, PT_SIGN)), CKR_OK, "sign login (batch)");
	priv = pt_find1(hs, CKO_PRIVATE_KEY, -1);
	{
		EVP_PKEY *k = pt_cert_key(CARD, "sign.der");

		sig_len = sizeof(sig);
		rv = sign(hs, priv, CKM_SHA512_RSA_PKCS, 0, (const uint8_t *)msg, strlen(msg), 0,
		          sig, &sig_len);
		ok(rv == CKR_OK && ossl_verify(k, CKM_SHA512_RSA_PKCS, (const uint8_t *)msg,
		                               strlen(msg), sig, sig_len),
		   "always-authenticate=no: signs without a context login, verified");
		EVP_PKEY_free(k);
	}
	is_int(steady_apdus(&t, hs, priv, 0), 1, "batch signing, steady state: 1 APDU");
	pt_stop(&t);
	done_testing();
}
