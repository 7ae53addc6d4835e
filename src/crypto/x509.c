/* The certificate fields the Cryptoki objects need (CKA_SUBJECT, CKA_ISSUER,
 * CKA_SERIAL_NUMBER, CKA_MODULUS, CKA_ID, dates...), read with OpenSSL's
 * DER decoder. Only RSA keys: both JPKI keys are RSA-2048 (doc/card.md §7).
 *
 * Not with d2i_X509: decoding an X509 decodes its public key at once, and
 * OpenSSL 3 builds that RSA key with RSA_new, which takes the process-wide
 * default RSA ENGINE when the host set one (ENGINE_set_default_RSA, as
 * "openssl -engine" or a PKCS#11 engine does) and calls that ENGINE's
 * init; reading the extensions then hashes the whole certificate with
 * SHA-1 through EVP, which looks the ENGINE table up too. Either would run
 * the host's ENGINE code inside the module's lock. The certificate is read
 * here with templates of its own that keep the key as a plain BIT STRING
 * and decode no extension but the two wanted; the RSA key's two INTEGERs
 * are read the same way. Nothing in them calls an ENGINE. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto-int.h"

/* SubjectPublicKeyInfo (RFC 5280 §4.1), the key left undecoded. */
typedef struct JP_SPKI {
	X509_ALGOR *alg;
	ASN1_BIT_STRING *key;
} JP_SPKI;

ASN1_SEQUENCE(JP_SPKI) = {
	ASN1_SIMPLE(JP_SPKI, alg, X509_ALGOR),
	ASN1_SIMPLE(JP_SPKI, key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(JP_SPKI)

/* TBSCertificate (RFC 5280 §4.1). */
typedef struct JP_TBS {
	ASN1_INTEGER *version;
	ASN1_INTEGER *serial;
	X509_ALGOR *sig_alg;
	X509_NAME *issuer;
	X509_VAL *validity;
	X509_NAME *subject;
	JP_SPKI *spki;
	ASN1_BIT_STRING *issuer_uid;
	ASN1_BIT_STRING *subject_uid;
	STACK_OF(X509_EXTENSION) *exts;
} JP_TBS;

ASN1_SEQUENCE(JP_TBS) = {
	ASN1_EXP_OPT(JP_TBS, version, ASN1_INTEGER, 0),
	ASN1_SIMPLE(JP_TBS, serial, ASN1_INTEGER),
	ASN1_SIMPLE(JP_TBS, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(JP_TBS, issuer, X509_NAME),
	ASN1_SIMPLE(JP_TBS, validity, X509_VAL),
	ASN1_SIMPLE(JP_TBS, subject, X509_NAME),
	ASN1_SIMPLE(JP_TBS, spki, JP_SPKI),
	ASN1_IMP_OPT(JP_TBS, issuer_uid, ASN1_BIT_STRING, 1),
	ASN1_IMP_OPT(JP_TBS, subject_uid, ASN1_BIT_STRING, 2),
	ASN1_EXP_SEQUENCE_OF_OPT(JP_TBS, exts, X509_EXTENSION, 3),
} static_ASN1_SEQUENCE_END(JP_TBS)

typedef struct JP_CERT {
	JP_TBS *tbs;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *sig;
} JP_CERT;

ASN1_SEQUENCE(JP_CERT) = {
	ASN1_SIMPLE(JP_CERT, tbs, JP_TBS),
	ASN1_SIMPLE(JP_CERT, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(JP_CERT, sig, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(JP_CERT)

/* RSAPublicKey (RFC 8017 §A.1.1). */
typedef struct JP_RSAPUB {
	ASN1_INTEGER *n;
	ASN1_INTEGER *e;
} JP_RSAPUB;

ASN1_SEQUENCE(JP_RSAPUB) = {
	ASN1_SIMPLE(JP_RSAPUB, n, ASN1_INTEGER),
	ASN1_SIMPLE(JP_RSAPUB, e, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(JP_RSAPUB)

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

/* A positive INTEGER's value, big-endian without leading zeros. */
static jp_err jp_x509_uint(const ASN1_INTEGER *i, jp_buf *out)
{
	jp_err rv = JP_OK;
	const uint8_t *d = i != NULL ? ASN1_STRING_get0_data(i) : NULL;
	int n = i != NULL ? ASN1_STRING_length(i) : 0;

	while (d != NULL && n > 0 && d[0] == 0) {
		d++;
		n--;
	}
	if (d == NULL || n <= 0 || n > 1024 || ASN1_STRING_type(i) != V_ASN1_INTEGER) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	rv = jp_buf_set(out, d, (size_t)n);
out:
	return rv;
}

/* Modulus and exponent from the subjectPublicKey of an rsaEncryption key. */
static jp_err jp_x509_rsa_key(const JP_SPKI *spki, jp_cert_info *out)
{
	jp_err rv = JP_OK;
	JP_RSAPUB *k = NULL;
	const unsigned char *p;
	unsigned top;

	/* Whole bytes only (no unused bits), as a DER RSAPublicKey is. */
	if (OBJ_obj2nid(spki->alg->algorithm) != NID_rsaEncryption || spki->key->length <= 0 ||
	    ((spki->key->flags & ASN1_STRING_FLAG_BITS_LEFT) && (spki->key->flags & 0x07))) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	p = spki->key->data;
	k = (JP_RSAPUB *)ASN1_item_d2i(NULL, &p, spki->key->length, ASN1_ITEM_rptr(JP_RSAPUB));
	if (k == NULL || p != spki->key->data + spki->key->length) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	rv = jp_x509_uint(k->n, &out->modulus);
	if (rv == JP_OK)
		rv = jp_x509_uint(k->e, &out->exponent);
	if (rv != JP_OK)
		goto out;
	out->modulus_bits = (unsigned)out->modulus.len * 8;
	for (top = out->modulus.data[0]; (top & 0x80) == 0; top <<= 1)
		out->modulus_bits--;
out:
	ASN1_item_free((ASN1_VALUE *)k, ASN1_ITEM_rptr(JP_RSAPUB));
	return rv;
}

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (m 1..12):
 * timegm() is not POSIX. */
static int64_t jp_x509_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static jp_err jp_x509_date(const ASN1_TIME *t, char out[9], int64_t *secs)
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
	*secs = jp_x509_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	        tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
out:
	return rv;
}

jp_err jp_cert_parse(const uint8_t *der, size_t len, jp_cert_info *out)
{
	jp_err rv = JP_OK;
	JP_CERT *c = NULL;
	const unsigned char *p = der;
	const JP_TBS *tbs;
	ASN1_OCTET_STRING *skid = NULL;
	BASIC_CONSTRAINTS *bc = NULL;
	uint8_t sha1[JP_HASH_MAX];
	size_t sha1_len = sizeof(sha1);

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0 || len > (size_t)0x7fffffff || out == NULL) {
		rv = JP_E_ARGS;
		goto out;
	}
	c = (JP_CERT *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(JP_CERT));
	/* Exactly one certificate: trailing bytes mean the caller sized the
	 * object wrongly (or the card padded it) — refuse. */
	if (c == NULL || p != der + len) {
		rv = JP_E_BAD_CERT;
		goto out;
	}
	tbs = c->tbs;

	JP_I2D_BUF(i2d_X509_NAME, tbs->subject, &out->subject, rv);
	if (rv != JP_OK)
		goto out;
	JP_I2D_BUF(i2d_X509_NAME, tbs->issuer, &out->issuer, rv);
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
	JP_I2D_BUF(i2d_ASN1_INTEGER, tbs->serial, &out->serial, rv);
	if (rv != JP_OK)
		goto out;

	rv = jp_x509_rsa_key(tbs->spki, out);
	if (rv != JP_OK)
		goto out;

	/* The key identifier of RFC 5280 §4.2.1.2 method (1): SHA-1 of the
	 * subjectPublicKey BIT STRING value (without tag, length, unused-bits). */
	rv = jp_digest(JP_HASH_SHA1, tbs->spki->key->data, (size_t)tbs->spki->key->length, sha1,
	               &sha1_len);
	if (rv != JP_OK)
		goto out;
	rv = jp_buf_set(&out->spki_sha1, sha1, sha1_len);
	if (rv != JP_OK)
		goto out;

	/* An extension that is absent, undecodable or present twice reads
	 * as absent (NULL), as OpenSSL's own extension cache has it. */
	skid = X509V3_get_d2i(tbs->exts, NID_subject_key_identifier, NULL, NULL);
	if (skid != NULL && skid->length > 0)
		rv = jp_buf_set(&out->subject_key_id, skid->data, (size_t)skid->length);
	if (rv != JP_OK)
		goto out;

	rv = jp_x509_date(tbs->validity->notBefore, out->not_before, &out->not_before_s);
	if (rv != JP_OK)
		goto out;
	rv = jp_x509_date(tbs->validity->notAfter, out->not_after, &out->not_after_s);
	if (rv != JP_OK)
		goto out;

	bc = X509V3_get_d2i(tbs->exts, NID_basic_constraints, NULL, NULL);
	out->is_ca = bc != NULL && bc->ca;
out:
	if (rv != JP_OK)
		jp_cert_info_free(out);
	ERR_clear_error();
	ASN1_OCTET_STRING_free(skid);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(JP_CERT));
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

jp_err jp_cert_validity_at(const uint8_t *der, size_t len, int64_t now, int *where)
{
	jp_cert_info ci;
	jp_err rv;

	memset(&ci, 0, sizeof(ci));
	rv = jp_cert_parse(der, len, &ci);
	if (rv == JP_OK)
		*where = now < ci.not_before_s ? -1 : now > ci.not_after_s ? 1 : 0;
	jp_cert_info_free(&ci);
	return rv;
}

void jp_cert_token_serial(const uint8_t *der, size_t len, char out[17])
{
	uint8_t h[JP_HASH_MAX];
	size_t hl = sizeof(h), i;

	out[0] = '\0';
	if (jp_digest(JP_HASH_SHA256, der, len, h, &hl) == JP_OK && hl >= 8)
		for (i = 0; i < 8; i++)
			snprintf(out + 2 * i, 3, "%02X", h[i]);
}
