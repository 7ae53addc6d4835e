/* Host verification of card signatures (doc/design.md §3: every signature is
 * checked before it is returned, against RSA fault attacks). The card
 * pads with PKCS#1 v1.5 type 01 (RFC 8017 §9.2) around whatever bytes it
 * was given, so we recover the payload and compare it with those bytes,
 * rather than letting OpenSSL parse a DigestInfo: CKM_RSA_PKCS callers may
 * sign any short input. */
#include "config.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "crypto-int.h"

/* RSA-16384 is far beyond the card's 2048 bits; anything larger is refused. */
#define JP_RSA_MAX_BYTES 2048

/* The public operation is done with plain BIGNUM arithmetic, not through
 * EVP_PKEY: a program may have made an ENGINE the default RSA
 * implementation (openssl -engine pkcs11, curl --engine), and EVP_PKEY
 * operations in that process then go to the engine — which cannot build a
 * key from n and e, and must not be what checks our card anyway. BN_mod_exp
 * is never routed through an engine. Everything here is public data. */
static jp_err verify_bn(const BIGNUM *bn_n, const BIGNUM *bn_e,
                        const uint8_t *data, size_t data_len,
                        const uint8_t *sig, size_t sig_len)
{
	jp_err rv = JP_OK;
	BN_CTX *bctx = NULL;
	BIGNUM *s = NULL, *m = NULL;
	uint8_t em[JP_RSA_MAX_BYTES], want[JP_RSA_MAX_BYTES];
	int k = BN_num_bytes(bn_n);

	if (k <= 11 || k > JP_RSA_MAX_BYTES || BN_is_zero(bn_e) || !BN_is_odd(bn_n)) {
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
	/* The maths needs no provider, but the context's absence means the
	 * crypto layer was not set up: refuse like every other function. */
	if (jp_crypto_libctx() == NULL) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	bctx = BN_CTX_new_ex(jp_crypto_libctx());
	s = BN_bin2bn(sig, (int)sig_len, NULL);
	m = BN_new();
	if (bctx == NULL || s == NULL || m == NULL) {
		rv = JP_E_NO_MEMORY;
		goto out;
	}
	/* RSAVP1 (RFC 8017 §5.2.2): the representative must be below n. */
	if (BN_cmp(s, bn_n) >= 0) {
		rv = JP_E_SIGNATURE_INVALID;
		goto out;
	}
	if (BN_mod_exp(m, s, bn_e, bn_n, bctx) != 1 || BN_bn2binpad(m, em, k) != k) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	/* The whole encoded block must be exactly 00 01 FF..FF 00 || data
	 * (RFC 8017 §9.2 with the card's payload in place of the DigestInfo),
	 * compared in full so the time taken says nothing about a mismatch. */
	want[0] = 0x00;
	want[1] = 0x01;
	memset(want + 2, 0xff, (size_t)k - 3 - data_len);
	want[(size_t)k - 1 - data_len] = 0x00;
	memcpy(want + (size_t)k - data_len, data, data_len);
	if (CRYPTO_memcmp(em, want, (size_t)k) != 0)
		rv = JP_E_SIGNATURE_INVALID;
out:
	ERR_clear_error();
	jp_wipe(em, sizeof(em));
	jp_wipe(want, sizeof(want));
	BN_free(s);
	BN_clear_free(m);
	BN_CTX_free(bctx);
	return rv;
}

jp_err jp_rsa_verify_raw_key(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                             const uint8_t *data, size_t data_len,
                             const uint8_t *sig, size_t sig_len)
{
	jp_err rv = JP_OK;
	BIGNUM *bn_n = NULL, *bn_e = NULL;

	if (n == NULL || n_len == 0 || n_len > JP_RSA_MAX_BYTES || e == NULL || e_len == 0 ||
	    e_len > JP_RSA_MAX_BYTES) {
		rv = JP_E_ARGS;
		goto out;
	}
	bn_n = BN_bin2bn(n, (int)n_len, NULL);
	bn_e = BN_bin2bn(e, (int)e_len, NULL);
	if (bn_n == NULL || bn_e == NULL) {
		rv = JP_E_NO_MEMORY;
		goto out;
	}
	rv = verify_bn(bn_n, bn_e, data, data_len, sig, sig_len);
out:
	BN_free(bn_n);
	BN_free(bn_e);
	return rv;
}

jp_err jp_rsa_verify_raw(const uint8_t *cert_der, size_t cert_len,
                         const uint8_t *data, size_t data_len,
                         const uint8_t *sig, size_t sig_len)
{
	jp_err rv;
	jp_cert_info ci;

	memset(&ci, 0, sizeof(ci));
	rv = jp_cert_parse(cert_der, cert_len, &ci);
	if (rv == JP_OK)
		rv = jp_rsa_verify_raw_key(ci.modulus.data, ci.modulus.len, ci.exponent.data,
		                           ci.exponent.len, data, data_len, sig, sig_len);
	jp_cert_info_free(&ci);
	return rv;
}
