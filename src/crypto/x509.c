/* The certificate fields the Cryptoki objects need (CKA_SUBJECT, CKA_ISSUER,
 * CKA_SERIAL_NUMBER, CKA_MODULUS, CKA_ID, dates...), read with OpenSSL.
 * Only RSA keys: both JPKI keys are RSA-2048 (doc/card.md). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto-int.h"

/* i2d of an OpenSSL object into a jp_buf. */
#define JP_I2D_BUF(fn, obj, buf, rv) do { \
	unsigned char *der_ = NULL; \
	int n_ = (obj) != NULL ? fn((obj), &der_) : -1; \
	if (n_ <= 0) \
		(rv) = JP_E_BAD_CERT; \
	else \
		(rv) = jp_buf_set((buf), der_, (size_t)n_); \
	OPENSSL_free(der_); \
} while (0)

static jp_err jp_x509_bn_param(const EVP_PKEY *pkey, const char *name, jp_buf *out)
{
	jp_err rv = JP_OK;
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	int n;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1 || BN_num_bytes(bn) > (int)sizeof(buf)) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	/* Minimal big-endian: BN_bn2bin never emits a leading zero. */
	n = BN_bn2bin(bn, buf);
	rv = jp_buf_set(out, buf, (size_t)n);
out:
	BN_free(bn);
	return rv;
}

static jp_err jp_x509_date(const ASN1_TIME *t, char out[9])
{
	jp_err rv = JP_OK;
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	/* DER times are UTC ("Z"), so the date is the UTC date. */
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	snprintf(out, 9, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
out:
	return rv;
}

jp_err jp_cert_parse(const uint8_t *der, size_t len, jp_cert_info *out)
{
	jp_err rv = JP_OK;
	X509 *x = NULL;
	const unsigned char *p = der;
	EVP_PKEY *pkey;
	const ASN1_BIT_STRING *bits;
	const ASN1_OCTET_STRING *skid;
	uint8_t sha1[JP_HASH_MAX];
	size_t sha1_len = sizeof(sha1);
	uint32_t flags;
	int bits_n;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0 || len > (size_t)0x7fffffff || out == NULL) {
		rv = JP_E_ARGS;
		goto out;
	}
	/* Created in the module's context first, so that decoding the public
	 * key and the hashes OpenSSL computes while caching the extensions
	 * use its providers, not the application's. */
	x = jp_crypto_libctx() != NULL ? X509_new_ex(jp_crypto_libctx(), NULL) : NULL;
	if (x == NULL) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	/* On failure d2i frees x and sets it to NULL. */
	(void)d2i_X509(&x, &p, (long)len);
	/* Exactly one certificate: trailing bytes mean the caller sized the
	 * object wrongly (or the card padded it) — refuse. */
	if (x == NULL || p != der + len) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	pkey = X509_get0_pubkey(x);
	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		rv = JP_E_BAD_CERT;
		goto out;
	}

	JP_I2D_BUF(i2d_X509_NAME, X509_get_subject_name(x), &out->subject, rv);
	if (rv != JP_OK)
		goto out;
	JP_I2D_BUF(i2d_X509_NAME, X509_get_issuer_name(x), &out->issuer, rv);
	if (rv != JP_OK)
		goto out;
	/* OpenSSL keeps a name's bytes as received and hands them back from
	 * i2d, so a certificate whose Name is not a constructed SEQUENCE (a
	 * fuzzer found a primitive tag 0x10 accepted) would reach
	 * CKA_SUBJECT/CKA_ISSUER as non-DER: refuse it. */
	if (out->subject.len < 2 || out->subject.data[0] != 0x30 || out->issuer.len < 2 ||
	    out->issuer.data[0] != 0x30) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	JP_I2D_BUF(i2d_ASN1_INTEGER, X509_get0_serialNumber(x), &out->serial, rv);
	if (rv != JP_OK)
		goto out;

	rv = jp_x509_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &out->modulus);
	if (rv != JP_OK)
		goto out;
	rv = jp_x509_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &out->exponent);
	if (rv != JP_OK)
		goto out;
	bits_n = EVP_PKEY_get_bits(pkey);
	if (bits_n <= 0) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	out->modulus_bits = (unsigned)bits_n;

	/* The key identifier of RFC 5280 §4.2.1.2 method (1): SHA-1 of the
	 * subjectPublicKey BIT STRING value (without tag, length, unused-bits). */
	bits = X509_get0_pubkey_bitstr(x);
	if (bits == NULL) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	rv = jp_digest(JP_HASH_SHA1, bits->data, (size_t)bits->length, sha1, &sha1_len);
	if (rv != JP_OK)
		goto out;
	rv = jp_buf_set(&out->spki_sha1, sha1, sha1_len);
	if (rv != JP_OK)
		goto out;

	/* Also computes the extension flags used below. */
	skid = X509_get0_subject_key_id(x);
	if (skid != NULL && skid->length > 0)
		rv = jp_buf_set(&out->subject_key_id, skid->data, (size_t)skid->length);
	if (rv != JP_OK)
		goto out;

	rv = jp_x509_date(X509_get0_notBefore(x), out->not_before);
	if (rv != JP_OK)
		goto out;
	rv = jp_x509_date(X509_get0_notAfter(x), out->not_after);
	if (rv != JP_OK)
		goto out;

	flags = X509_get_extension_flags(x);
	out->is_ca = (flags & EXFLAG_BCONS) && (flags & EXFLAG_CA);
out:
	if (rv != JP_OK) {
		ERR_clear_error();
		jp_cert_info_free(out);
	}
	X509_free(x);
	return rv;
}

void jp_cert_info_free(jp_cert_info *ci)
{
	if (ci != NULL) {
		jp_buf_free(&ci->subject);
		jp_buf_free(&ci->issuer);
		jp_buf_free(&ci->serial);
		jp_buf_free(&ci->modulus);
		jp_buf_free(&ci->exponent);
		jp_buf_free(&ci->spki_sha1);
		jp_buf_free(&ci->subject_key_id);
		memset(ci, 0, sizeof(*ci));
	}
}
