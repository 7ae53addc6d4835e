/* RSA-PSS (the card's P1 04, doc/card.md §11): CKM_RSA_PKCS_PSS and
 * CKM_SHA256_RSA_PKCS_PSS, offered only with the option pss=yes, with
 * exactly SHA-256 / MGF1-SHA-256 / salt 32; single- and multi-part; every
 * signature checked here with OpenSSL as a TLS 1.3 peer would. With pss=yes
 * on a card that answers 6A86: CKR_MECHANISM_INVALID, no PIN try spent,
 * PSS no longer offered for that card. */
#include "config.h"

#include "tests/p11/p11-test.h"

#define CARD 1

static CK_RSA_PKCS_PSS_PARAMS good = { CKM_SHA256, CKG_MGF1_SHA256, 32 };

static int listed(pt_card *t, int which, CK_MECHANISM_TYPE m)
{
	CK_MECHANISM_TYPE list[64];
	CK_ULONG n = 64, i;
	int found = 0;

	if (F->C_GetMechanismList(t->slot[which], list, &n) != CKR_OK)
		return -1;
	for (i = 0; i < n; i++)
		found += list[i] == m;
	return found;
}

/* RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32, over a hash. */
static int pss_ok(EVP_PKEY *k, const uint8_t *hash, const uint8_t *sig, CK_ULONG sig_len)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	int r = 0;

	if (c && EVP_PKEY_verify_init(c) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) == 1 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(c, 32) == 1)
		r = EVP_PKEY_verify(c, sig, sig_len, hash, 32) == 1;
	EVP_PKEY_CTX_free(c);
	return r;
}

/* Whether the key's CKA_ALLOWED_MECHANISMS holds m (pkcs11-provider checks
 * it before a TLS 1.3 signature). */
static int allowed(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k, CK_MECHANISM_TYPE m)
{
	CK_MECHANISM_TYPE list[32];
	CK_ATTRIBUTE a = { CKA_ALLOWED_MECHANISMS, list, sizeof(list) };
	CK_ULONG i;
	int found = 0;

	if (F->C_GetAttributeValue(h, k, &a, 1) != CKR_OK)
		return -1;
	for (i = 0; i < a.ulValueLen / sizeof(list[0]); i++)
		found += list[i] == m;
	return found;
}

static void start(pt_card *t, int card_pss, const char *options)
{
	jp_emu_options o;
	CK_C_INITIALIZE_ARGS args;

	memset(&o, 0, sizeof(o));
	o.pss = card_pss;
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = (void *)options;
	pt_start_args(t, CARD, &o, options ? &args : NULL);
}

static void off_by_default(void)
{
	pt_card t;
	CK_MECHANISM_INFO mi;
	CK_MECHANISM m = { CKM_RSA_PKCS_PSS, &good, sizeof(good) };
	CK_SESSION_HANDLE h;

	start(&t, 1, NULL);
	is_int(listed(&t, PT_AUTH, CKM_RSA_PKCS_PSS), 0, "default: CKM_RSA_PKCS_PSS not listed");
	is_int(listed(&t, PT_AUTH, CKM_SHA256_RSA_PKCS_PSS), 0,
	       "default: CKM_SHA256_RSA_PKCS_PSS not listed");
	is_int(F->C_GetMechanismInfo(t.slot[PT_AUTH], CKM_RSA_PKCS_PSS, &mi), CKR_MECHANISM_INVALID,
	       "default: no info for it");
	h = pt_open(&t, PT_AUTH);
	pt_login(h, CKU_USER, fixture_pin(CARD, PT_AUTH));
	is_int(F->C_SignInit(h, &m, pt_find1(h, CKO_PRIVATE_KEY, -1)), CKR_MECHANISM_INVALID,
	       "default: SignInit with it refused");
	is_int(allowed(h, pt_find1(h, CKO_PRIVATE_KEY, -1), CKM_RSA_PKCS_PSS), 0,
	       "default: not in the key's CKA_ALLOWED_MECHANISMS");
	is_int(listed(&t, PT_AUTH, CKM_SHA256_RSA_PKCS), 1, "PKCS#1 mechanisms listed as before");
	pt_stop(&t);
}

static void on(int which)
{
	pt_card t;
	CK_MECHANISM_INFO mi;
	CK_MECHANISM raw = { CKM_RSA_PKCS_PSS, &good, sizeof(good) };
	CK_MECHANISM hashed = { CKM_SHA256_RSA_PKCS_PSS, &good, sizeof(good) };
	CK_RSA_PKCS_PSS_PARAMS bad[] = {
		{ CKM_SHA256, CKG_MGF1_SHA256, 20 },
		{ CKM_SHA256, CKG_MGF1_SHA256, 0 },
		{ CKM_SHA_1, CKG_MGF1_SHA256, 32 },
		{ CKM_SHA256, CKG_MGF1_SHA1, 32 },
		{ CKM_SHA384, CKG_MGF1_SHA384, 48 },
	};
	CK_MECHANISM m;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE k;
	CK_BYTE sig[256], first[256], hash[32], big[33];
	CK_ULONG sl;
	const char *kn = which == PT_AUTH ? "auth" : "sign";
	EVP_PKEY *pub = pt_cert_key(CARD, which == PT_AUTH ? "auth.der" : "sign.der");
	static const char msg[] = "TLS 1.3 CertificateVerify content";
	size_t i;

	EVP_Digest(msg, strlen(msg), hash, NULL, EVP_sha256(), NULL);
	memset(big, 0x33, sizeof(big));
	start(&t, 1, "pss=yes always-authenticate=no");
	is_int(listed(&t, which, CKM_RSA_PKCS_PSS), 1, "[%s] pss=yes: CKM_RSA_PKCS_PSS listed", kn);
	is_int(listed(&t, which, CKM_SHA256_RSA_PKCS_PSS), 1,
	       "[%s] pss=yes: CKM_SHA256_RSA_PKCS_PSS listed", kn);
	is_int(F->C_GetMechanismInfo(t.slot[which], CKM_RSA_PKCS_PSS, &mi), CKR_OK, "[%s] info", kn);
	ok(mi.ulMinKeySize == 2048 && mi.ulMaxKeySize == 2048 && (mi.flags & CKF_SIGN) &&
	   (mi.flags & CKF_HW) && !(mi.flags & CKF_VERIFY), "[%s] 2048 bits, sign on the card", kn);
	h = pt_open(&t, which);
	is_int(pt_login(h, CKU_USER, fixture_pin(CARD, which)), CKR_OK, "[%s] login", kn);
	k = pt_find1(h, CKO_PRIVATE_KEY, -1);
	is_int(allowed(h, k, CKM_RSA_PKCS_PSS), 1, "[%s] CKA_ALLOWED_MECHANISMS has it", kn);
	is_int(allowed(h, k, CKM_SHA256_RSA_PKCS_PSS), 1, "[%s] and the hashed one", kn);

	/* Parameters: exactly the card's. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.mechanism = CKM_RSA_PKCS_PSS;
		m.pParameter = &bad[i];
		m.ulParameterLen = sizeof(bad[i]);
		is_int(F->C_SignInit(h, &m, k), CKR_MECHANISM_PARAM_INVALID,
		       "[%s] parameter set %zu refused", kn, i);
	}
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	is_int(F->C_SignInit(h, &m, k), CKR_MECHANISM_PARAM_INVALID, "[%s] no parameters refused",
	       kn);
	m.pParameter = &good;
	m.ulParameterLen = sizeof(good) - 1;
	is_int(F->C_SignInit(h, &m, k), CKR_MECHANISM_PARAM_INVALID, "[%s] short parameters", kn);

	/* CKM_RSA_PKCS_PSS over the hash. */
	is_int(F->C_SignInit(h, &raw, k), CKR_OK, "[%s] SignInit CKM_RSA_PKCS_PSS", kn);
	sl = sizeof(sig);
	is_int(F->C_Sign(h, hash, 32, sig, &sl), CKR_OK, "[%s] C_Sign over a SHA-256 hash", kn);
	ok(sl == 256 && pss_ok(pub, hash, sig, sl), "[%s] OpenSSL verifies PSS/SHA-256/salt 32", kn);
	memcpy(first, sig, sizeof(first));
	is_int(F->C_SignInit(h, &raw, k), CKR_OK, "[%s] again", kn);
	sl = sizeof(sig);
	is_int(F->C_Sign(h, hash, 32, sig, &sl), CKR_OK, "[%s] second signature", kn);
	ok(pss_ok(pub, hash, sig, sl) && memcmp(first, sig, 256) != 0,
	   "[%s] verifies, another salt", kn);
	is_int(F->C_SignInit(h, &raw, k), CKR_OK, "[%s] SignInit", kn);
	sl = sizeof(sig);
	is_int(F->C_Sign(h, big, 33, sig, &sl), CKR_DATA_LEN_RANGE, "[%s] 33 bytes: DATA_LEN_RANGE",
	       kn);
	/* multi-part raw: the 32 bytes in two pieces */
	is_int(F->C_SignInit(h, &raw, k), CKR_OK, "[%s] SignInit (multi-part)", kn);
	F->C_SignUpdate(h, hash, 10);
	F->C_SignUpdate(h, hash + 10, 22);
	sl = sizeof(sig);
	is_int(F->C_SignFinal(h, sig, &sl), CKR_OK, "[%s] SignFinal", kn);
	ok(pss_ok(pub, hash, sig, sl), "[%s] multi-part CKM_RSA_PKCS_PSS verifies", kn);

	/* CKM_SHA256_RSA_PKCS_PSS: the host hashes. */
	is_int(F->C_SignInit(h, &hashed, k), CKR_OK, "[%s] SignInit CKM_SHA256_RSA_PKCS_PSS", kn);
	sl = sizeof(sig);
	is_int(F->C_Sign(h, (CK_BYTE_PTR)msg, strlen(msg), sig, &sl), CKR_OK, "[%s] C_Sign", kn);
	ok(pss_ok(pub, hash, sig, sl), "[%s] single-part hash-and-sign verifies", kn);
	is_int(F->C_SignInit(h, &hashed, k), CKR_OK, "[%s] SignInit (multi-part)", kn);
	F->C_SignUpdate(h, (CK_BYTE_PTR)msg, 5);
	F->C_SignUpdate(h, (CK_BYTE_PTR)msg + 5, strlen(msg) - 5);
	sl = sizeof(sig);
	is_int(F->C_SignFinal(h, sig, &sl), CKR_OK, "[%s] SignFinal", kn);
	ok(pss_ok(pub, hash, sig, sl), "[%s] multi-part hash-and-sign verifies", kn);

	/* A corrupted PSS signature never leaves the module. */
	jp_emu_opts(t.e)->garble_signatures = 1;
	is_int(F->C_SignInit(h, &raw, k), CKR_OK, "[%s] SignInit (garbled card)", kn);
	sl = sizeof(sig);
	memset(sig, 0, sizeof(sig));
	is_int(F->C_Sign(h, hash, 32, sig, &sl), CKR_DEVICE_ERROR,
	       "[%s] a garbled PSS signature: CKR_DEVICE_ERROR (host verification)", kn);
	jp_emu_opts(t.e)->garble_signatures = 0;
	EVP_PKEY_free(pub);
	pt_stop(&t);
}

/* pss=yes on a card without P1 04. */
static void misconfigured(void)
{
	pt_card t;
	CK_MECHANISM raw = { CKM_RSA_PKCS_PSS, &good, sizeof(good) };
	CK_MECHANISM pk = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE k;
	CK_BYTE sig[256], hash[32];
	CK_ULONG sl;
	unsigned long v0;

	memset(hash, 0x42, sizeof(hash));
	start(&t, 0, "pss=yes");
	is_int(listed(&t, PT_AUTH, CKM_RSA_PKCS_PSS), 1, "[no PSS card] listed at first (the option)");
	h = pt_open(&t, PT_AUTH);
	is_int(pt_login(h, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "[no PSS card] login");
	k = pt_find1(h, CKO_PRIVATE_KEY, -1);
	v0 = jp_emu_verify_count(t.e);
	is_int(F->C_SignInit(h, &raw, k), CKR_OK, "[no PSS card] SignInit");
	sl = sizeof(sig);
	is_int(F->C_Sign(h, hash, 32, sig, &sl), CKR_MECHANISM_INVALID,
	       "[no PSS card] C_Sign: CKR_MECHANISM_INVALID");
	is_int(jp_emu_verify_count(t.e) - v0, 0, "[no PSS card] no VERIFY sent for it");
	is_int(jp_emu_tries(t.e, 0), 3, "[no PSS card] no try spent");
	is_int(listed(&t, PT_AUTH, CKM_RSA_PKCS_PSS), 0, "[no PSS card] no longer listed");
	is_int(listed(&t, PT_AUTH, CKM_SHA256_RSA_PKCS_PSS), 0, "[no PSS card] nor the hashed one");
	is_int(F->C_SignInit(h, &raw, k), CKR_MECHANISM_INVALID,
	       "[no PSS card] SignInit with it now refused");
	is_int(F->C_SignInit(h, &pk, k), CKR_OK, "[no PSS card] PKCS#1 SignInit");
	sl = sizeof(sig);
	is_int(F->C_Sign(h, hash, 32, sig, &sl), CKR_OK, "[no PSS card] PKCS#1 still signs");
	pt_stop(&t);
}

int main(void)
{
	off_by_default();
	on(PT_AUTH);
	on(PT_SIGN);
	misconfigured();
	done_testing();
}
