/* Host-side cryptography with OpenSSL 3 EVP. Knows nothing about the card. */
#ifndef JPKI_CRYPTO_H
#define JPKI_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include "jpki/error.h"
#include "jpki/mem.h"

typedef enum jp_hash {
	JP_HASH_SHA1 = 0, JP_HASH_SHA224, JP_HASH_SHA256, JP_HASH_SHA384, JP_HASH_SHA512,
	JP_HASH__COUNT
} jp_hash;

#define JP_HASH_MAX 64
#define JP_DIGESTINFO_MAX (19 + JP_HASH_MAX)

size_t jp_hash_len(jp_hash h);

/* ---- the module's own OpenSSL context (libctx.c) ---- */
/* Every function below works only between jp_crypto_init and
 * jp_crypto_fini (JP_E_CRYPTO otherwise): it uses a private OpenSSL library
 * context with only the built-in default provider, never the
 * application's default context, config file, providers or ENGINEs.
 * (OpenSSL 3 still consults its process-wide ENGINE table when an EVP
 * digest starts or an RSA key is made, so digests call the provider's
 * functions directly, certificates are decoded without building a key,
 * and the RSA verification is plain BIGNUM maths.)
 * jp_crypto_init may run the host's OpenSSL configuration, which may call
 * back into the module: call it with no lock held. It does nothing when
 * the context exists. Not thread-safe: the caller serialises the three. */
jp_err jp_crypto_init(void);
void jp_crypto_fini(void);
/* In a forked child: drops the parent's context without touching it. */
void jp_crypto_forget(void);

/* ---- digests (digest.c) ---- */
/* Output lengths here and in jp_digestinfo: *out_len is the buffer size on
 * entry (JP_E_ARGS if too small) and the bytes written on return. */
jp_err jp_digest(jp_hash h, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len);
typedef struct jp_digest_ctx jp_digest_ctx;
jp_err jp_digest_new(jp_hash h, jp_digest_ctx **out);
jp_err jp_digest_update(jp_digest_ctx *c, const uint8_t *in, size_t len);
/* Writes the digest; the context can be freed afterwards. */
jp_err jp_digest_final(jp_digest_ctx *c, uint8_t *out, size_t *out_len);
void jp_digest_free(jp_digest_ctx *c);

/* ---- DigestInfo (digestinfo.c) ---- */
/* DER DigestInfo { AlgorithmIdentifier(h, NULL params), OCTET STRING hash }. */
jp_err jp_digestinfo(jp_hash h, const uint8_t *hash, size_t hash_len,
                     uint8_t *out, size_t *out_len);

/* ---- certificates (x509.c) ---- */
typedef struct jp_cert_info {
	jp_buf subject;        /* DER Name */
	jp_buf issuer;         /* DER Name */
	jp_buf serial;         /* DER INTEGER (tag, length, value) */
	jp_buf modulus;        /* big-endian, no leading zero */
	jp_buf exponent;       /* big-endian */
	jp_buf spki_sha1;      /* SHA-1 of the subjectPublicKey BIT STRING value: key id */
	jp_buf subject_key_id; /* the extension's value, empty if absent */
	char not_before[9];    /* YYYYMMDD (UTC date) */
	char not_after[9];
	/* The same instants to the second, as seconds since 1970-01-01T00:00Z
	 * (a calendar day elsewhere than UTC needs the time of day: JPKI
	 * certificates end at 14:59:59Z, 23:59:59 in Japan). */
	int64_t not_before_s;
	int64_t not_after_s;
	unsigned modulus_bits;
	int is_ca;             /* basicConstraints cA */
} jp_cert_info;

/* Parses a DER certificate (exactly len bytes; trailing bytes are an
 * error). RSA keys only. */
jp_err jp_cert_parse(const uint8_t *der, size_t len, jp_cert_info *out);
void jp_cert_info_free(jp_cert_info *ci);
/* Where the instant now (seconds since the epoch) lies in a certificate's
 * validity: 0 within it, -1 before notBefore, 1 after notAfter; *where is
 * untouched on a parse error. */
jp_err jp_cert_validity_at(const uint8_t *der, size_t len, int64_t now, int *where);
/* The card's serial as the module's token info and `jpki status` show it:
 * hex of the first 8 bytes of SHA-256 of the authentication certificate
 * (unique per card and certificate; CK_TOKEN_INFO's 16-character field).
 * out is "" if hashing fails. */
void jp_cert_token_serial(const uint8_t *der, size_t len, char out[17]);

/* ---- RSA PKCS#1 v1.5 verification (verify.c) ---- */
/* Checks that sig is the PKCS#1 v1.5 type-01 signature of the exact bytes
 * `data` (a DigestInfo or any other <= k-11 bytes) under the RSA public key
 * of the certificate cert_der. JP_E_SIGNATURE_INVALID on mismatch. */
jp_err jp_rsa_verify_raw(const uint8_t *cert_der, size_t cert_len,
                         const uint8_t *data, size_t data_len,
                         const uint8_t *sig, size_t sig_len);
/* Same with the key given as modulus and exponent. */
jp_err jp_rsa_verify_raw_key(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                             const uint8_t *data, size_t data_len,
                             const uint8_t *sig, size_t sig_len);

/* ---- RSASSA-PSS verification (verify.c) ---- */
/* The card's PSS (doc/card.md §11): SHA-256, MGF1-SHA-256, 32-byte salt;
 * exactly these, so nothing is negotiated. */
#define JP_PSS_HASH_LEN 32
#define JP_PSS_SALT_LEN 32
/* Checks that sig is an RSASSA-PSS signature (RFC 8017 §8.1.2) of the
 * SHA-256 hash `hash` (hash_len must be 32, else JP_E_ARGS) under the key
 * of cert_der. JP_E_SIGNATURE_INVALID on mismatch. */
jp_err jp_rsa_verify_pss(const uint8_t *cert_der, size_t cert_len,
                         const uint8_t *hash, size_t hash_len,
                         const uint8_t *sig, size_t sig_len);
jp_err jp_rsa_verify_pss_key(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                             const uint8_t *hash, size_t hash_len,
                             const uint8_t *sig, size_t sig_len);

#endif
