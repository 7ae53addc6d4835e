/* src/crypto: digest known answers, streaming, DigestInfo encodings, the
 * certificate fields, and RSA PKCS#1 v1.5 verification of raw payloads.
 * Keys and certificates are made here with OpenSSL so the test needs no
 * fixture; the emulator's fixture certificates are parsed too when present. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "jpki/crypto.h"
#include "tests/tap.h"

static const char *const abc_hex[JP_HASH__COUNT] = {
	"a9993e364706816aba3e25717850c26c9cd0d89d",
	"23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
	"1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
};
static const char *const hash_name[JP_HASH__COUNT] = {
	"SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512",
};
static const int hash_nid[JP_HASH__COUNT] = {
	NID_sha1, NID_sha224, NID_sha256, NID_sha384, NID_sha512,
};
/* RFC 8017 §9.2 note 1, copied from the RFC's text. */
static const char *const di_prefix_hex[JP_HASH__COUNT] = {
	"3021300906052b0e03021a05000414",
	"302d300d06096086480165030402040500041c",
	"3031300d060960864801650304020105000420",
	"3041300d060960864801650304020205000430",
	"3051300d060960864801650304020305000440",
};

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned v;
	for (; s[0] && s[1]; s += 2) {
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void test_digests(void)
{
	uint8_t want[JP_HASH_MAX], got[JP_HASH_MAX], got2[JP_HASH_MAX];
	uint8_t *big;
	size_t len, i, off, step;
	jp_digest_ctx *c;
	int h;
	const size_t big_len = 1000003;

	for (h = 0; h < JP_HASH__COUNT; h++) {
		len = sizeof(got);
		is_int(jp_hash_len((jp_hash)h), unhex(abc_hex[h], want), "%s length", hash_name[h]);
		is_int(jp_digest((jp_hash)h, (const uint8_t *)"abc", 3, got, &len), JP_OK,
		       "%s(abc)", hash_name[h]);
		ok(len == jp_hash_len((jp_hash)h) && memcmp(got, want, len) == 0,
		   "%s(abc) known answer", hash_name[h]);
	}
	len = sizeof(got);
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
	ok(jp_digest(JP_HASH_SHA256, NULL, 0, got, &len) == JP_OK && memcmp(got, want, 32) == 0,
	   "SHA-256 of the empty string");
	len = 19;
	is_int(jp_digest(JP_HASH_SHA1, (const uint8_t *)"abc", 3, got, &len), JP_E_ARGS,
	       "buffer one byte short refused");
	len = sizeof(got);
	is_int(jp_digest(JP_HASH__COUNT, (const uint8_t *)"abc", 3, got, &len), JP_E_ARGS,
	       "unknown hash refused");
	is_int(jp_hash_len(JP_HASH__COUNT), 0, "unknown hash has no length");
	is_int(jp_digest_new(JP_HASH__COUNT, &c), JP_E_ARGS, "streaming: unknown hash refused");

	big = malloc(big_len);
	for (i = 0; i < big_len; i++)
		big[i] = (uint8_t)(i * 31 + (i >> 8));
	for (h = 0; h < JP_HASH__COUNT; h++) {
		size_t l1 = sizeof(got), l2 = sizeof(got2);
		int all = 1;
		jp_err e = jp_digest((jp_hash)h, big, big_len, got, &l1);

		all &= e == JP_OK;
		all &= jp_digest_new((jp_hash)h, &c) == JP_OK;
		/* Uneven chunks, including empty ones. */
		for (off = 0, step = 0; all && off < big_len; off += step) {
			step = (off * 7 + 13) % 9000;
			if (step > big_len - off)
				step = big_len - off;
			all &= jp_digest_update(c, big + off, step) == JP_OK;
		}
		all &= jp_digest_final(c, got2, &l2) == JP_OK;
		jp_digest_free(c);
		ok(all && l1 == l2 && l1 == jp_hash_len((jp_hash)h) && memcmp(got, got2, l1) == 0,
		   "%s streaming == one-shot over %zu bytes", hash_name[h], big_len);
		/* ...and both equal OpenSSL's own one-shot. */
		{
			unsigned n = 0;
			EVP_Digest(big, big_len, want, &n, EVP_get_digestbynid(hash_nid[h]), NULL);
			ok(n == l1 && memcmp(want, got, n) == 0, "%s matches EVP_Digest", hash_name[h]);
		}
	}
	free(big);

	is_int(jp_digest_new(JP_HASH_SHA256, &c), JP_OK, "streaming context");
	len = 31;
	is_int(jp_digest_final(c, got, &len), JP_E_ARGS, "final into a short buffer refused");
	jp_digest_free(c);
	jp_digest_free(NULL);
}

static void test_digestinfo(void)
{
	uint8_t hash[JP_HASH_MAX], prefix[32], out[JP_DIGESTINFO_MAX + 8];
	size_t hl, pl, ol;
	int h;

	for (h = 0; h < JP_HASH__COUNT; h++) {
		X509_SIG *sig;
		X509_ALGOR *alg;
		ASN1_OCTET_STRING *dig;
		unsigned char *der = NULL;
		int dl;

		hl = sizeof(hash);
		jp_digest((jp_hash)h, (const uint8_t *)"abc", 3, hash, &hl);
		pl = unhex(di_prefix_hex[h], prefix);
		ol = sizeof(out);
		is_int(jp_digestinfo((jp_hash)h, hash, hl, out, &ol), JP_OK, "%s DigestInfo", hash_name[h]);
		ok(ol == pl + hl && memcmp(out, prefix, pl) == 0 && memcmp(out + pl, hash, hl) == 0,
		   "%s DigestInfo = RFC 8017 prefix || hash (%zu bytes)", hash_name[h], ol);

		/* Independently: OpenSSL's DER encoder for the same structure. */
		sig = X509_SIG_new();
		X509_SIG_getm(sig, &alg, &dig);
		X509_ALGOR_set0(alg, OBJ_nid2obj(hash_nid[h]), V_ASN1_NULL, NULL);
		ASN1_OCTET_STRING_set(dig, hash, (int)hl);
		dl = i2d_X509_SIG(sig, &der);
		ok(dl > 0 && (size_t)dl == ol && memcmp(der, out, ol) == 0,
		   "%s DigestInfo equals OpenSSL's DER encoding", hash_name[h]);
		OPENSSL_free(der);
		X509_SIG_free(sig);

		ol = pl + hl - 1;
		is_int(jp_digestinfo((jp_hash)h, hash, hl, out, &ol), JP_E_ARGS,
		       "%s DigestInfo: short buffer refused", hash_name[h]);
		ol = sizeof(out);
		is_int(jp_digestinfo((jp_hash)h, hash, hl - 1, out, &ol), JP_E_ARGS,
		       "%s DigestInfo: wrong hash length refused", hash_name[h]);
	}
}

/* ---- certificates made in-process ---- */

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *issuer_key, X509 *issuer, const char *cn,
                       uint64_t serial, const char *nb, const char *na, int ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"JPKI test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
	ASN1_TIME_set_string_X509(X509_getm_notBefore(x), nb);
	ASN1_TIME_set_string_X509(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if (ca) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier, "hash");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, issuer_key, EVP_sha256());
	X509_NAME_free(name);
	return x;
}

static size_t to_der(X509 *x, uint8_t **out)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	*out = der;
	return n > 0 ? (size_t)n : 0;
}

static int buf_is(const jp_buf *b, const uint8_t *want, size_t len)
{
	return b->len == len && (len == 0 || memcmp(b->data, want, len) == 0);
}

static int bn_buf_is(const jp_buf *b, const EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	uint8_t tmp[1024];
	int n, r;

	EVP_PKEY_get_bn_param(k, param, &bn);
	n = BN_bn2bin(bn, tmp);
	r = buf_is(b, tmp, (size_t)n);
	BN_free(bn);
	return r;
}

static EVP_PKEY *ca_key, *ee_key, *ec_key;
static uint8_t *ca_der, *ee_der, *ec_der;
static size_t ca_len, ee_len, ec_len;
static jp_cert_info ca_info, ee_info;

static void test_certs(void)
{
	X509 *ca, *ee, *ec;
	uint8_t *tmp, sha1[20];
	unsigned sha1_len = 0;
	size_t i;
	int bad;
	unsigned char *der = NULL;
	int dl;
	static const uint8_t serial_ca[] = { 0x02, 0x04, 0x00, 0xC0, 0xFF, 0xEE };
	static const uint8_t serial_ee[] = { 0x02, 0x01, 0x07 };
	static const uint8_t e65537[] = { 0x01, 0x00, 0x01 };

	ca_key = EVP_RSA_gen(2048);
	ee_key = EVP_RSA_gen(2048);
	ec_key = EVP_EC_gen("P-256");
	ca = make_cert(ca_key, ca_key, NULL, "Test CA", 0xC0FFEE, "20240102030405Z", "20341231235959Z", 1);
	/* A GeneralizedTime (2050 and later) for notAfter. */
	ee = make_cert(ee_key, ca_key, ca, "\xe5\x88\xa9\xe7\x94\xa8\xe8\x80\x85", 7,
	               "20251130150000Z", "20500101000000Z", 0);
	ec = make_cert(ec_key, ca_key, ca, "EC", 9, "20250101000000Z", "20260101000000Z", 0);
	ca_len = to_der(ca, &ca_der);
	ee_len = to_der(ee, &ee_der);
	ec_len = to_der(ec, &ec_der);
	ok(ca_len > 0 && ee_len > 0 && ec_len > 0, "fixture certificates made");

	is_int(jp_cert_parse(ca_der, ca_len, &ca_info), JP_OK, "CA certificate parses");
	dl = i2d_X509_NAME(X509_get_subject_name(ca), &der);
	ok(buf_is(&ca_info.subject, der, (size_t)dl), "subject DER");
	ok(buf_is(&ca_info.issuer, der, (size_t)dl), "self-signed: issuer == subject");
	OPENSSL_free(der);
	der = NULL;
	ok(buf_is(&ca_info.serial, serial_ca, sizeof(serial_ca)),
	   "serial as DER INTEGER with its sign byte");
	ok(bn_buf_is(&ca_info.modulus, ca_key, OSSL_PKEY_PARAM_RSA_N) && ca_info.modulus.data[0] != 0,
	   "modulus big-endian, no leading zero");
	ok(buf_is(&ca_info.exponent, e65537, 3), "exponent 01 00 01");
	is_int(ca_info.modulus_bits, 2048, "modulus bits");
	X509_pubkey_digest(ca, EVP_sha1(), sha1, &sha1_len);
	ok(sha1_len == 20 && buf_is(&ca_info.spki_sha1, sha1, 20), "SHA-1 of the public key bits");
	ok(buf_is(&ca_info.subject_key_id, sha1, 20), "subject key identifier (hash method)");
	ok(strcmp(ca_info.not_before, "20240102") == 0, "notBefore %s", ca_info.not_before);
	ok(strcmp(ca_info.not_after, "20341231") == 0, "notAfter %s", ca_info.not_after);
	ok(ca_info.not_before_s == 1704164645, "notBefore to the second: %lld (2024-01-02T03:04:05Z)",
	   (long long)ca_info.not_before_s);
	is_int(ca_info.is_ca, 1, "CA flag");

	is_int(jp_cert_parse(ee_der, ee_len, &ee_info), JP_OK, "end-entity certificate parses");
	dl = i2d_X509_NAME(X509_get_subject_name(ee), &der);
	ok(buf_is(&ee_info.subject, der, (size_t)dl), "UTF-8 subject DER");
	OPENSSL_free(der);
	der = NULL;
	ok(buf_is(&ee_info.issuer, ca_info.subject.data, ca_info.subject.len), "issuer == CA subject");
	ok(buf_is(&ee_info.serial, serial_ee, sizeof(serial_ee)), "small serial");
	is_int(ee_info.subject_key_id.len, 0, "no SKI extension: empty");
	is_int(ee_info.is_ca, 0, "not a CA");
	ok(strcmp(ee_info.not_before, "20251130") == 0, "UTC date of notBefore %s", ee_info.not_before);
	ok(strcmp(ee_info.not_after, "20500101") == 0, "GeneralizedTime notAfter %s", ee_info.not_after);
	{
		int w1 = 9, w2 = 9, w3 = 9;
		jp_cert_validity_at(ee_der, ee_len, 1764514799, &w1);
		jp_cert_validity_at(ee_der, ee_len, 1764514800, &w2);
		jp_cert_validity_at(ee_der, ee_len, 2524608001, &w3);
		ok(w1 == -1 && w2 == 0 && w3 == 1, "validity at: before %d, at notBefore %d, after notAfter %d",
		   w1, w2, w3);
	}
	ok(ee_info.not_before_s == 1764514800 && ee_info.not_after_s == 2524608000,
	   "UTCTime and GeneralizedTime to the second: %lld %lld", (long long)ee_info.not_before_s,
	   (long long)ee_info.not_after_s);
	ok(!buf_is(&ee_info.modulus, ca_info.modulus.data, ca_info.modulus.len), "distinct keys");

	{
		jp_cert_info ci;
		memset(&ci, 0x5A, sizeof(ci));
		is_int(jp_cert_parse(ec_der, ec_len, &ci), JP_E_BAD_CERT, "EC key refused");
		ok(ci.subject.data == NULL && ci.modulus.data == NULL, "output zeroed on failure");
	}

	tmp = malloc(ee_len + 1);
	memcpy(tmp, ee_der, ee_len);
	tmp[ee_len] = 0;
	{
		jp_cert_info ci;
		is_int(jp_cert_parse(tmp, ee_len + 1, &ci), JP_E_BAD_CERT, "one trailing byte refused");
		for (i = 0, bad = 0; i < ee_len; i++)
			bad += jp_cert_parse(tmp, i, &ci) == JP_OK;
		is_int(bad, 0, "every truncation refused");
		tmp[ee_len / 2] ^= 0x01;
		tmp[7] ^= 0xFF;
		is_int(jp_cert_parse(tmp, ee_len, &ci) == JP_OK, 0, "corrupted certificate refused");
		is_int(jp_cert_parse(NULL, 10, &ci), JP_E_ARGS, "NULL refused");
	}
	free(tmp);
	X509_free(ca);
	X509_free(ee);
	X509_free(ec);
}

static size_t rsa_sign(EVP_PKEY *k, int pad, const uint8_t *in, size_t in_len, uint8_t *sig)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	size_t sl = 512;

	if (EVP_PKEY_sign_init(c) != 1 || EVP_PKEY_CTX_set_rsa_padding(c, pad) != 1 ||
	    EVP_PKEY_sign(c, sig, &sl, in, in_len) != 1)
		sl = 0;
	EVP_PKEY_CTX_free(c);
	return sl;
}

static void test_verify(void)
{
	uint8_t hash[32], di[JP_DIGESTINFO_MAX], sig[512], bad[512], data[256], block[256];
	size_t hl = sizeof(hash), dl = sizeof(di), sl, i;
	int flips_ok = 0;

	jp_digest(JP_HASH_SHA256, (const uint8_t *)"hello", 5, hash, &hl);
	jp_digestinfo(JP_HASH_SHA256, hash, hl, di, &dl);
	sl = rsa_sign(ee_key, RSA_PKCS1_PADDING, di, dl, sig);
	is_int(sl, 256, "reference signature made");

	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl, sig, sl), JP_OK, "good signature verifies");
	is_int(jp_rsa_verify_raw_key(ee_info.modulus.data, ee_info.modulus.len, ee_info.exponent.data,
	                             ee_info.exponent.len, di, dl, sig, sl), JP_OK,
	       "good signature verifies with n/e");
	for (i = 0; i < sl; i += 17) {
		memcpy(bad, sig, sl);
		bad[i] ^= 0x10;
		flips_ok += jp_rsa_verify_raw(ee_der, ee_len, di, dl, bad, sl) == JP_E_SIGNATURE_INVALID;
	}
	is_int(flips_ok, (sl + 16) / 17, "a flipped bit anywhere in the signature is invalid");
	memcpy(bad, sig, sl);
	bad[sl - 1] ^= 0x01;
	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl, bad, sl), JP_E_SIGNATURE_INVALID,
	       "last bit flipped: invalid");
	memcpy(bad, di, dl);
	bad[dl - 1] ^= 0x01;
	is_int(jp_rsa_verify_raw(ee_der, ee_len, bad, dl, sig, sl), JP_E_SIGNATURE_INVALID,
	       "wrong data: invalid");
	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl - 1, sig, sl), JP_E_SIGNATURE_INVALID,
	       "data one byte short (a prefix): invalid");
	memcpy(bad, di, dl);
	bad[dl] = 0;
	is_int(jp_rsa_verify_raw(ee_der, ee_len, bad, dl + 1, sig, sl), JP_E_SIGNATURE_INVALID,
	       "data one byte longer: invalid");
	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl, sig, sl - 1), JP_E_SIGNATURE_INVALID,
	       "signature one byte short: invalid");
	memset(bad, 0, sizeof(bad));
	memcpy(bad + 1, sig, sl);
	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl, bad, sl + 1), JP_E_SIGNATURE_INVALID,
	       "signature with a leading zero byte (257 bytes): invalid");
	is_int(jp_rsa_verify_raw(ca_der, ca_len, di, dl, sig, sl), JP_E_SIGNATURE_INVALID,
	       "wrong key (certificate): invalid");
	is_int(jp_rsa_verify_raw_key(ca_info.modulus.data, ca_info.modulus.len, ca_info.exponent.data,
	                             ca_info.exponent.len, di, dl, sig, sl), JP_E_SIGNATURE_INVALID,
	       "wrong key (n/e): invalid");
	memset(bad, 0xFF, sl);
	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl, bad, sl), JP_E_SIGNATURE_INVALID,
	       "signature >= modulus: invalid");
	is_int(jp_rsa_verify_raw(ec_der, ec_len, di, dl, sig, sl), JP_E_BAD_CERT, "EC certificate refused");
	is_int(jp_rsa_verify_raw(ee_der, ee_len - 1, di, dl, sig, sl), JP_E_BAD_CERT,
	       "truncated certificate refused");

	/* CKM_RSA_PKCS takes any payload up to k - 11 = 245 bytes. */
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0x5C);
	sl = rsa_sign(ee_key, RSA_PKCS1_PADDING, data, 245, sig);
	is_int(jp_rsa_verify_raw(ee_der, ee_len, data, 245, sig, sl), JP_OK, "245-byte payload verifies");
	is_int(jp_rsa_verify_raw(ee_der, ee_len, data, 246, sig, sl), JP_E_ARGS, "246 bytes refused");
	is_int(jp_rsa_verify_raw(ee_der, ee_len, data, 0, sig, sl), JP_E_ARGS, "empty payload refused");
	sl = rsa_sign(ee_key, RSA_PKCS1_PADDING, data, 1, sig);
	is_int(jp_rsa_verify_raw(ee_der, ee_len, data, 1, sig, sl), JP_OK, "1-byte payload verifies");

	/* Right payload, wrong block type: 00 02 (encryption padding). */
	memset(block, 0xFF, sizeof(block));
	block[0] = 0x00;
	block[1] = 0x02;
	block[256 - dl - 1] = 0x00;
	memcpy(block + 256 - dl, di, dl);
	sl = rsa_sign(ee_key, RSA_NO_PADDING, block, 256, sig);
	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl, sig, sl), JP_E_SIGNATURE_INVALID,
	       "type-02 block refused");
	block[1] = 0x01;
	sl = rsa_sign(ee_key, RSA_NO_PADDING, block, 256, sig);
	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl, sig, sl), JP_OK,
	       "hand-made type-01 block verifies (control)");
	block[5] = 0xFE;
	sl = rsa_sign(ee_key, RSA_NO_PADDING, block, 256, sig);
	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl, sig, sl), JP_E_SIGNATURE_INVALID,
	       "type-01 block with a non-FF pad byte refused");
}

/* RSASSA-PSS with OpenSSL's signer: md and mgf1 the hashes, salt its
 * length. */
static size_t pss_sign(EVP_PKEY *k, const EVP_MD *md, const EVP_MD *mgf1, int salt,
                       const uint8_t *hash, uint8_t *sig)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	size_t sl = 512;

	if (EVP_PKEY_sign_init(c) != 1 || EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(c, md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(c, mgf1) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(c, salt) != 1 ||
	    EVP_PKEY_sign(c, sig, &sl, hash, (size_t)EVP_MD_get_size(md)) != 1)
		sl = 0;
	EVP_PKEY_CTX_free(c);
	return sl;
}

/* doc/card.md §11: the card's PSS is SHA-256, MGF1-SHA-256, salt 32, and
 * only that verifies. */
static void test_verify_pss(void)
{
	uint8_t hash[32], h1[20], di[JP_DIGESTINFO_MAX], sig[512], sig2[512], bad[512];
	size_t hl = sizeof(hash), dl = sizeof(di), sl, sl2, i;
	int flips_ok = 0;
	EVP_PKEY *odd;
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nb[300], eb[8];
	int nl, el;

	jp_digest(JP_HASH_SHA256, (const uint8_t *)"hello", 5, hash, &hl);
	sl = pss_sign(ee_key, EVP_sha256(), EVP_sha256(), 32, hash, sig);
	is_int(sl, 256, "reference PSS signature made");
	is_int(jp_rsa_verify_pss(ee_der, ee_len, hash, 32, sig, sl), JP_OK, "PSS signature verifies");
	is_int(jp_rsa_verify_pss_key(ee_info.modulus.data, ee_info.modulus.len, ee_info.exponent.data,
	                             ee_info.exponent.len, hash, 32, sig, sl), JP_OK,
	       "PSS signature verifies with n/e");
	sl2 = pss_sign(ee_key, EVP_sha256(), EVP_sha256(), 32, hash, sig2);
	ok(sl2 == 256 && memcmp(sig, sig2, 256) != 0 &&
	   jp_rsa_verify_pss(ee_der, ee_len, hash, 32, sig2, sl2) == JP_OK,
	   "a second one (another salt) differs and verifies");
	for (i = 0; i < sl; i += 17) {
		memcpy(bad, sig, sl);
		bad[i] ^= 0x10;
		flips_ok += jp_rsa_verify_pss(ee_der, ee_len, hash, 32, bad, sl) == JP_E_SIGNATURE_INVALID;
	}
	is_int(flips_ok, (sl + 16) / 17, "a flipped bit anywhere in the signature is invalid");
	memcpy(bad, hash, 32);
	bad[31] ^= 0x01;
	is_int(jp_rsa_verify_pss(ee_der, ee_len, bad, 32, sig, sl), JP_E_SIGNATURE_INVALID,
	       "another hash: invalid");
	is_int(jp_rsa_verify_pss(ee_der, ee_len, hash, 31, sig, sl), JP_E_ARGS, "31-byte hash refused");
	is_int(jp_rsa_verify_pss(ee_der, ee_len, hash, 33, sig, sl), JP_E_ARGS, "33-byte hash refused");
	is_int(jp_rsa_verify_pss(ca_der, ca_len, hash, 32, sig, sl), JP_E_SIGNATURE_INVALID,
	       "wrong key: invalid");
	is_int(jp_rsa_verify_pss(ee_der, ee_len, hash, 32, sig, sl - 1), JP_E_SIGNATURE_INVALID,
	       "signature one byte short: invalid");
	/* Other parameters are other signatures. */
	sl = pss_sign(ee_key, EVP_sha256(), EVP_sha256(), 20, hash, sig);
	is_int(jp_rsa_verify_pss(ee_der, ee_len, hash, 32, sig, sl), JP_E_SIGNATURE_INVALID,
	       "salt 20: invalid");
	sl = pss_sign(ee_key, EVP_sha256(), EVP_sha256(), 0, hash, sig);
	is_int(jp_rsa_verify_pss(ee_der, ee_len, hash, 32, sig, sl), JP_E_SIGNATURE_INVALID,
	       "salt 0: invalid");
	sl = pss_sign(ee_key, EVP_sha256(), EVP_sha1(), 32, hash, sig);
	is_int(jp_rsa_verify_pss(ee_der, ee_len, hash, 32, sig, sl), JP_E_SIGNATURE_INVALID,
	       "MGF1-SHA-1: invalid");
	EVP_Digest("hello", 5, h1, NULL, EVP_sha1(), NULL);
	sl = pss_sign(ee_key, EVP_sha1(), EVP_sha1(), 20, h1, sig);
	is_int(jp_rsa_verify_pss(ee_der, ee_len, hash, 32, sig, sl), JP_E_SIGNATURE_INVALID,
	       "SHA-1 PSS: invalid");
	/* The PKCS#1 v1.5 signature of the same hash is not a PSS one, and
	 * the other way round. */
	jp_digestinfo(JP_HASH_SHA256, hash, hl, di, &dl);
	sl = rsa_sign(ee_key, RSA_PKCS1_PADDING, di, dl, sig);
	is_int(jp_rsa_verify_pss(ee_der, ee_len, hash, 32, sig, sl), JP_E_SIGNATURE_INVALID,
	       "a PKCS#1 v1.5 signature is no PSS signature");
	sl = pss_sign(ee_key, EVP_sha256(), EVP_sha256(), 32, hash, sig);
	is_int(jp_rsa_verify_raw(ee_der, ee_len, di, dl, sig, sl), JP_E_SIGNATURE_INVALID,
	       "a PSS signature is no PKCS#1 v1.5 signature");

	/* A 1025-bit modulus: emLen = k - 1, the leading byte must be 0. */
	{
		EVP_PKEY_CTX *g = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
		odd = NULL;
		if (g == NULL || EVP_PKEY_keygen_init(g) != 1 ||
		    EVP_PKEY_CTX_set_rsa_keygen_bits(g, 1025) != 1 || EVP_PKEY_keygen(g, &odd) != 1)
			odd = NULL;
		EVP_PKEY_CTX_free(g);
	}
	ok(odd != NULL && EVP_PKEY_get_bits(odd) == 1025 && EVP_PKEY_get_bn_param(odd, "n", &n) == 1 &&
	   EVP_PKEY_get_bn_param(odd, "e", &e) == 1, "1025-bit key made");
	nl = BN_bn2bin(n, nb);
	el = BN_bn2bin(e, eb);
	sl = pss_sign(odd, EVP_sha256(), EVP_sha256(), 32, hash, sig);
	is_int(sl, 129, "129-byte PSS signature");
	is_int(jp_rsa_verify_pss_key(nb, (size_t)nl, eb, (size_t)el, hash, 32, sig, sl), JP_OK,
	       "1025-bit key: verifies");
	sig[sl / 2] ^= 0x01;
	is_int(jp_rsa_verify_pss_key(nb, (size_t)nl, eb, (size_t)el, hash, 32, sig, sl),
	       JP_E_SIGNATURE_INVALID, "1025-bit key: flipped bit invalid");
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(odd);
}

static void test_fixtures(void)
{
	static const char *const files[] = {
		"tests/emu/cards/ca/auth-ca.der", "tests/emu/cards/ca/sign-ca.der",
		"tests/emu/cards/card-1/auth.der", "tests/emu/cards/card-1/sign.der",
	};
	const char *top = getenv("top_srcdir");
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f;
		uint8_t buf[8192];
		size_t n;
		jp_cert_info ci;

		snprintf(path, sizeof(path), "%s/%s", top != NULL ? top : ".", files[i]);
		f = fopen(path, "rb");
		if (f == NULL) {
			diag("fixture %s not present, not parsed", files[i]);
			continue;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		is_int(jp_cert_parse(buf, n, &ci), JP_OK, "fixture %s parses", files[i]);
		is_int(ci.modulus_bits, 2048, "fixture %s: RSA-2048", files[i]);
		is_int(ci.is_ca, strstr(files[i], "-ca") != NULL, "fixture %s: CA flag", files[i]);
		jp_cert_info_free(&ci);
	}
}

/* Without the private context every function refuses (it never falls back
 * to the application's default context); with it again, the same answers. */
static void test_lifecycle(void)
{
	uint8_t got[JP_HASH_MAX], want[JP_HASH_MAX], sig[256];
	size_t len = sizeof(got);
	jp_digest_ctx *c = NULL;
	jp_cert_info ci;

	memset(sig, 0x11, sizeof(sig));
	is_int(jp_crypto_init(), JP_OK, "init again while made: no-op");
	is_int(jp_digest(JP_HASH_SHA256, (const uint8_t *)"abc", 3, want, &len), JP_OK,
	       "digest after the second init");
	jp_crypto_fini();
	len = sizeof(got);
	is_int(jp_digest(JP_HASH_SHA256, (const uint8_t *)"abc", 3, got, &len), JP_E_CRYPTO,
	       "no context: digest refused");
	is_int(jp_digest_new(JP_HASH_SHA256, &c), JP_E_CRYPTO, "no context: streaming refused");
	ok(c == NULL, "no context: no streaming context");
	is_int(jp_cert_parse(ee_der, ee_len, &ci), JP_E_CRYPTO, "no context: certificate refused");
	is_int(jp_rsa_verify_raw_key(ee_info.modulus.data, ee_info.modulus.len,
	                             ee_info.exponent.data, ee_info.exponent.len,
	                             (const uint8_t *)"abc", 3, sig, sizeof(sig)), JP_E_CRYPTO,
	       "no context: verification refused");
	jp_crypto_fini();   /* twice: harmless */
	is_int(jp_crypto_init(), JP_OK, "init after fini");
	len = sizeof(got);
	ok(jp_digest(JP_HASH_SHA256, (const uint8_t *)"abc", 3, got, &len) == JP_OK && len == 32 &&
	   memcmp(got, want, 32) == 0, "digest after re-init: same value");
	is_int(jp_cert_parse(ee_der, ee_len, &ci), JP_OK, "certificate after re-init");
	ok(buf_is(&ci.modulus, ee_info.modulus.data, ee_info.modulus.len) &&
	   buf_is(&ci.spki_sha1, ee_info.spki_sha1.data, ee_info.spki_sha1.len),
	   "certificate after re-init: same fields");
	jp_cert_info_free(&ci);
}

int main(void)
{
	uint8_t out[JP_HASH_MAX];
	size_t len = sizeof(out);

	is_int(jp_digest(JP_HASH_SHA1, (const uint8_t *)"abc", 3, out, &len), JP_E_CRYPTO,
	       "before jp_crypto_init: digest refused");
	is_int(jp_crypto_init(), JP_OK, "jp_crypto_init");
	test_digests();
	test_digestinfo();
	test_certs();
	test_verify();
	test_verify_pss();
	test_fixtures();
	test_lifecycle();
	jp_crypto_fini();
	jp_cert_info_free(&ca_info);
	jp_cert_info_free(&ee_info);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ee_key);
	EVP_PKEY_free(ec_key);
	OPENSSL_free(ca_der);
	OPENSSL_free(ee_der);
	OPENSSL_free(ec_der);
	done_testing();
}
