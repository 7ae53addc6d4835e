/* Host verification of card signatures (design.md §3: every signature is
 * checked before it is returned, against RSA fault attacks). The card
 * pads with PKCS#1 v1.5 type 01 (RFC 8017 §9.2) around whatever bytes it
 * was given, so we recover the payload and compare it with those bytes,
 * rather than letting OpenSSL parse a DigestInfo: CKM_RSA_PKCS callers may
 * sign any short input. */
#include "config.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto-int.h"

/* RSA-16384 is far beyond the card's 2048 bits; anything larger is refused. */
#define JP_RSA_MAX_BYTES 2048

static jp_err jp_rsa_verify_pkey(EVP_PKEY *pkey, const uint8_t *data, size_t data_len,
                                 const uint8_t *sig, size_t sig_len)
{
	jp_err rv = JP_OK;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t rec[JP_RSA_MAX_BYTES], want[JP_RSA_MAX_BYTES];
	size_t rec_len = sizeof(rec);
	int k = EVP_PKEY_get_size(pkey);

	memset(rec, 0, sizeof(rec));
	memset(want, 0, sizeof(want));
	if (k <= 11 || k > JP_RSA_MAX_BYTES) {
		rv = JP_E_ARGS;
		goto out;
	}
	/* PKCS#1 v1.5 leaves at most k - 11 bytes for the payload. */
	if (data == NULL || data_len == 0 || data_len > (size_t)k - 11) {
		rv = JP_E_ARGS;
		goto out;
	}
	/* A signature is exactly k bytes (RFC 8017 §8.2.2 step 1). */
	if (sig == NULL || sig_len != (size_t)k) {
		rv = JP_E_SIGNATURE_INVALID;
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL || EVP_PKEY_verify_recover_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	/* A signature that does not decode to a type-01 block is simply
	 * invalid, not an internal failure. */
	if (EVP_PKEY_verify_recover(ctx, rec, &rec_len, sig, sig_len) != 1 ||
	    rec_len > sizeof(rec)) {
		rv = JP_E_SIGNATURE_INVALID;
		goto out;
	}
	/* Compare a fixed k bytes whatever the recovered length, so the time
	 * taken says nothing about where a mismatch is. */
	memcpy(want, data, data_len);
	if ((CRYPTO_memcmp(rec, want, (size_t)k) != 0) | (rec_len != data_len))
		rv = JP_E_SIGNATURE_INVALID;
out:
	ERR_clear_error();
	jp_wipe(rec, sizeof(rec));
	jp_wipe(want, sizeof(want));
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

jp_err jp_rsa_verify_raw(const uint8_t *cert_der, size_t cert_len,
                         const uint8_t *data, size_t data_len,
                         const uint8_t *sig, size_t sig_len)
{
	jp_err rv = JP_OK;
	X509 *x = NULL;
	const unsigned char *p = cert_der;
	EVP_PKEY *pkey;

	if (cert_der == NULL || cert_len == 0 || cert_len > (size_t)0x7fffffff) {
		rv = JP_E_ARGS;
		goto out;
	}
	x = d2i_X509(NULL, &p, (long)cert_len);
	if (x == NULL || p != cert_der + cert_len) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	pkey = X509_get0_pubkey(x);
	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	rv = jp_rsa_verify_pkey(pkey, data, data_len, sig, sig_len);
out:
	ERR_clear_error();
	X509_free(x);
	return rv;
}

jp_err jp_rsa_verify_raw_key(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                             const uint8_t *data, size_t data_len,
                             const uint8_t *sig, size_t sig_len)
{
	jp_err rv = JP_OK;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *kctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (n == NULL || n_len == 0 || n_len > JP_RSA_MAX_BYTES || e == NULL || e_len == 0 ||
	    e_len > JP_RSA_MAX_BYTES) {
		rv = JP_E_ARGS;
		goto out;
	}
	bn_n = BN_bin2bn(n, (int)n_len, NULL);
	bn_e = BN_bin2bn(e, (int)e_len, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn_n == NULL || bn_e == NULL || bld == NULL) {
		rv = JP_E_NO_MEMORY;
		goto out;
	}
	if (BN_is_zero(bn_n) || BN_is_zero(bn_e)) {
		rv = JP_E_ARGS;
		goto out;
	}
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	kctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (kctx == NULL || EVP_PKEY_fromdata_init(kctx) != 1 ||
	    EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	rv = jp_rsa_verify_pkey(pkey, data, data_len, sig, sig_len);
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(kctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return rv;
}
