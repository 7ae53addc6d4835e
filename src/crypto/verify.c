/* Host verification of card signatures (doc/design.md §3: every signature is
 * checked before it is returned, against RSA fault attacks). The card
 * pads with PKCS#1 v1.5 type 01 (RFC 8017 §9.2) around whatever bytes it
 * was given, so we recover the payload and compare it with those bytes,
 * rather than letting OpenSSL parse a DigestInfo: CKM_RSA_PKCS callers may
 * sign any short input. RSA-PSS (P1 04, doc/card.md §11) is checked the
 * same way, by the steps of RFC 8017 §9.1.2 with SHA-256 from the module's
 * own context. */
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
/* RSAVP1 (RFC 8017 §5.2.2): em = sig^e mod n as k = |n| bytes. */
static jp_err rsavp1(const BIGNUM *bn_n, const BIGNUM *bn_e, const uint8_t *sig, size_t sig_len,
                     uint8_t em[JP_RSA_MAX_BYTES], int *k_out)
{
	jp_err rv = JP_OK;
	BN_CTX *bctx = NULL;
	BIGNUM *s = NULL, *m = NULL;
	int k = BN_num_bytes(bn_n);

	*k_out = k;
	if (k <= 11 || k > JP_RSA_MAX_BYTES || BN_is_zero(bn_e) || !BN_is_odd(bn_n)) {
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
	/* The representative must be below n. */
	if (BN_cmp(s, bn_n) >= 0) {
		rv = JP_E_SIGNATURE_INVALID;
		goto out;
	}
	if (BN_mod_exp(m, s, bn_e, bn_n, bctx) != 1 || BN_bn2binpad(m, em, k) != k)
		rv = JP_E_CRYPTO;
out:
	ERR_clear_error();
	BN_free(s);
	BN_clear_free(m);
	BN_CTX_free(bctx);
	return rv;
}

static jp_err verify_bn(const BIGNUM *bn_n, const BIGNUM *bn_e,
                        const uint8_t *data, size_t data_len,
                        const uint8_t *sig, size_t sig_len)
{
	jp_err rv;
	uint8_t em[JP_RSA_MAX_BYTES], want[JP_RSA_MAX_BYTES];
	int k = BN_num_bytes(bn_n);

	/* PKCS#1 v1.5 leaves at most k - 11 bytes for the payload. */
	if (k <= 11 || k > JP_RSA_MAX_BYTES || data == NULL || data_len == 0 ||
	    data_len > (size_t)k - 11) {
		rv = JP_E_ARGS;
		goto out;
	}
	rv = rsavp1(bn_n, bn_e, sig, sig_len, em, &k);
	if (rv != JP_OK)
		goto out;
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
	jp_wipe(em, sizeof(em));
	jp_wipe(want, sizeof(want));
	return rv;
}

/* MGF1 with SHA-256 (RFC 8017 §B.2.1): mask = SHA-256(seed || C) for
 * C = 0, 1, ... (4 bytes big-endian), cut to len, XORed into out. */
static jp_err mgf1_sha256_xor(const uint8_t seed[JP_PSS_HASH_LEN], uint8_t *out, size_t len)
{
	jp_err rv = JP_OK;
	uint8_t in[JP_PSS_HASH_LEN + 4], h[JP_PSS_HASH_LEN];
	size_t done = 0, hl, i, n;
	uint32_t c;

	memcpy(in, seed, JP_PSS_HASH_LEN);
	for (c = 0; done < len; c++) {
		in[JP_PSS_HASH_LEN] = (uint8_t)(c >> 24);
		in[JP_PSS_HASH_LEN + 1] = (uint8_t)(c >> 16);
		in[JP_PSS_HASH_LEN + 2] = (uint8_t)(c >> 8);
		in[JP_PSS_HASH_LEN + 3] = (uint8_t)c;
		hl = sizeof(h);
		rv = jp_digest(JP_HASH_SHA256, in, sizeof(in), h, &hl);
		if (rv != JP_OK)
			goto out;
		n = len - done < hl ? len - done : hl;
		for (i = 0; i < n; i++)
			out[done + i] ^= h[i];
		done += n;
	}
out:
	return rv;
}

/* EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with SHA-256, MGF1-SHA-256 and a
 * 32-byte salt, the one parameter set the card uses (doc/card.md §11) and
 * TLS 1.3's rsa_pss_rsae_sha256 needs. Every step is checked; nothing is
 * inferred (no "auto" salt length). */
static jp_err verify_pss_bn(const BIGNUM *bn_n, const BIGNUM *bn_e,
                            const uint8_t mhash[JP_PSS_HASH_LEN],
                            const uint8_t *sig, size_t sig_len)
{
	jp_err rv;
	uint8_t buf[JP_RSA_MAX_BYTES], mprime[8 + 2 * JP_PSS_HASH_LEN], h2[JP_PSS_HASH_LEN];
	const size_t hlen = JP_PSS_HASH_LEN, slen = JP_PSS_SALT_LEN;
	int k = 0, mod_bits = BN_num_bits(bn_n);
	size_t em_bits = (size_t)mod_bits - 1, em_len = (em_bits + 7) / 8, db_len, i, hl;
	uint8_t *em, *db, top_mask;
	unsigned bad = 0;

	if (mhash == NULL || mod_bits < 16) {
		rv = JP_E_ARGS;
		goto out;
	}
	rv = rsavp1(bn_n, bn_e, sig, sig_len, buf, &k);
	if (rv != JP_OK)
		goto out;
	/* I2OSP(m, emLen): when modBits - 1 is a multiple of 8 the k-byte
	 * block has one more (zero) byte in front. */
	em = buf + ((size_t)k - em_len);
	if ((size_t)k != em_len && buf[0] != 0x00)
		bad = 1;
	if (em_len < hlen + slen + 2) {
		rv = JP_E_SIGNATURE_INVALID;
		goto out;
	}
	if (em[em_len - 1] != 0xBC)
		bad = 1;
	db_len = em_len - hlen - 1;
	db = em;                           /* maskedDB, unmasked in place */
	top_mask = (uint8_t)(0xFF >> (8 * em_len - em_bits));
	if (db[0] & (uint8_t)~top_mask)
		bad = 1;
	rv = mgf1_sha256_xor(em + db_len, db, db_len);
	if (rv != JP_OK)
		goto out;
	db[0] &= top_mask;
	/* DB = PS (zeros) || 01 || salt */
	for (i = 0; i < db_len - slen - 1; i++)
		bad |= db[i];
	if (db[db_len - slen - 1] != 0x01)
		bad = 1;
	/* H' = SHA-256(00 x 8 || mHash || salt) */
	memset(mprime, 0, 8);
	memcpy(mprime + 8, mhash, hlen);
	memcpy(mprime + 8 + hlen, db + db_len - slen, slen);
	hl = sizeof(h2);
	rv = jp_digest(JP_HASH_SHA256, mprime, sizeof(mprime), h2, &hl);
	if (rv != JP_OK)
		goto out;
	if (CRYPTO_memcmp(h2, em + db_len, hlen) != 0)
		bad = 1;
	if (bad)
		rv = JP_E_SIGNATURE_INVALID;
out:
	jp_wipe(buf, sizeof(buf));
	jp_wipe(mprime, sizeof(mprime));
	return rv;
}

/* Builds n and e, then checks with PKCS#1 v1.5 (pss 0: data/data_len) or
 * PSS (pss 1: data is the 32-byte hash). */
static jp_err verify_key(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len, int pss,
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
	if (pss)
		rv = data_len == JP_PSS_HASH_LEN ? verify_pss_bn(bn_n, bn_e, data, sig, sig_len) :
		                                  JP_E_ARGS;
	else
		rv = verify_bn(bn_n, bn_e, data, data_len, sig, sig_len);
out:
	BN_free(bn_n);
	BN_free(bn_e);
	return rv;
}

jp_err jp_rsa_verify_raw_key(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                             const uint8_t *data, size_t data_len,
                             const uint8_t *sig, size_t sig_len)
{
	return verify_key(n, n_len, e, e_len, 0, data, data_len, sig, sig_len);
}

jp_err jp_rsa_verify_pss_key(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                             const uint8_t *hash, size_t hash_len,
                             const uint8_t *sig, size_t sig_len)
{
	return verify_key(n, n_len, e, e_len, 1, hash, hash_len, sig, sig_len);
}

static jp_err verify_cert(const uint8_t *cert_der, size_t cert_len, int pss,
                          const uint8_t *data, size_t data_len,
                          const uint8_t *sig, size_t sig_len)
{
	jp_err rv;
	jp_cert_info ci;

	memset(&ci, 0, sizeof(ci));
	rv = jp_cert_parse(cert_der, cert_len, &ci);
	if (rv == JP_OK)
		rv = verify_key(ci.modulus.data, ci.modulus.len, ci.exponent.data, ci.exponent.len,
		                pss, data, data_len, sig, sig_len);
	jp_cert_info_free(&ci);
	return rv;
}

jp_err jp_rsa_verify_raw(const uint8_t *cert_der, size_t cert_len,
                         const uint8_t *data, size_t data_len,
                         const uint8_t *sig, size_t sig_len)
{
	return verify_cert(cert_der, cert_len, 0, data, data_len, sig, sig_len);
}

jp_err jp_rsa_verify_pss(const uint8_t *cert_der, size_t cert_len,
                         const uint8_t *hash, size_t hash_len,
                         const uint8_t *sig, size_t sig_len)
{
	return verify_cert(cert_der, cert_len, 1, hash, hash_len, sig, sig_len);
}
