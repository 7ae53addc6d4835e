/* C_Verify*: signatures made by OpenSSL with the fixture's private key
 * (not the card) checked by the module with the public-key and certificate
 * objects, every mechanism single- and multi-part; wrong signatures,
 * lengths, keys and states (PKCS#11 v2.40 §5.12); the CA certificate object
 * checks the holder certificate's own signature; no APDU. */
#include "config.h"

#include "tests/p11/p11-test.h"
#include "src/p11/p11.h"

/* The module's own copy of an attribute of the object with handle h (white-box). */
static jp_attr *module_attr(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	size_t i, j, k;

	for (i = 0; i < jp_mod.nreaders; i++)
		for (k = 0; k < 2; k++)
			for (j = 0; j < jp_mod.readers[i]->tokens[k].nobjects; j++) {
				jp_object *o = jp_mod.readers[i]->tokens[k].objects[j];
				if (o->handle == h)
					return (jp_attr *)jp_attr_find(o, type);
			}
	return NULL;
}

static const CK_MECHANISM_TYPE mechs[] = {
	CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS,
	CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

static const char msg[] = "Verified on the host: PKCS#1 v1.5 with the public key object.";

/* OpenSSL's signature over in: hash-and-sign, or raw type-01 padding. */
static size_t ossl_sign(EVP_PKEY *k, CK_MECHANISM_TYPE m, const uint8_t *in, size_t in_len,
                        uint8_t sig[512])
{
	size_t len = 512;
	int r = 0;

	if (m == CKM_RSA_PKCS) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);

		r = c && EVP_PKEY_sign_init(c) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_sign(c, sig, &len, in, in_len) == 1;
		EVP_PKEY_CTX_free(c);
	} else {
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		r = c && EVP_DigestSignInit(c, NULL, pt_md(m), NULL, k) == 1 &&
		    EVP_DigestSign(c, sig, &len, in, in_len) == 1;
		EVP_MD_CTX_free(c);
	}
	if (!r)
		bail_out("OpenSSL could not sign");
	return len;
}

static CK_RV verify(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE m,
                    const uint8_t *in, size_t in_len, int multi, const uint8_t *sig,
                    size_t sig_len)
{
	CK_MECHANISM mech = { m, NULL, 0 };
	CK_RV rv;
	size_t a = in_len / 2;

	rv = F->C_VerifyInit(h, &mech, key);
	if (rv != CKR_OK)
		return rv;
	if (!multi)
		return F->C_Verify(h, (CK_BYTE_PTR)in, in_len, (CK_BYTE_PTR)sig, sig_len);
	rv = F->C_VerifyUpdate(h, (CK_BYTE_PTR)in, a);
	if (rv == CKR_OK)
		rv = F->C_VerifyUpdate(h, (CK_BYTE_PTR)in + a, in_len - a);
	if (rv == CKR_OK)
		rv = F->C_VerifyFinal(h, (CK_BYTE_PTR)sig, sig_len);
	return rv;
}

int main(void)
{
	pt_card t;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE pub, cert, ca, priv;
	EVP_PKEY *k = pt_priv_key(1, "auth.key.der");
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[512], bad[512], di[64], *tbs = NULL;
	const uint8_t *in;
	size_t sig_len, in_len, i;
	unsigned long apdus;
	int multi, tbs_len;
	X509 *x;
	const ASN1_BIT_STRING *xsig;
	const X509_ALGOR *alg;

	pt_start(&t, 1, NULL);
	h = pt_open(&t, PT_AUTH);
	pub = pt_find1(h, CKO_PUBLIC_KEY, -1);
	cert = pt_find1(h, CKO_CERTIFICATE, 1);
	ca = pt_find1(h, CKO_CERTIFICATE, 2);
	ok(pub && cert && ca, "public key, certificate and CA found without login");
	{
		/* The CA's content (and key) is read on first need: read it
		 * now, so what follows counts verification alone. */
		CK_ATTRIBUTE v = { CKA_VALUE, NULL, 0 };

		is_int(F->C_GetAttributeValue(h, ca, &v, 1), CKR_OK, "the CA's CKA_VALUE length");
	}
	apdus = jp_emu_apdu_count(t.e);

	for (i = 0; i < NMECHS; i++) {
		if (mechs[i] == CKM_RSA_PKCS) {
			/* Any short input, e.g. a DigestInfo. */
			memset(di, 0x42, sizeof(di));
			in = di;
			in_len = 51;
		} else {
			in = (const uint8_t *)msg;
			in_len = strlen(msg);
		}
		sig_len = ossl_sign(k, mechs[i], in, in_len, sig);
		for (multi = 0; multi < 2; multi++) {
			is_int(verify(h, pub, mechs[i], in, in_len, multi, sig, sig_len), CKR_OK,
			       "0x%lx %s-part, public key: valid", mechs[i], multi ? "multi" : "single");
			is_int(verify(h, cert, mechs[i], in, in_len, multi, sig, sig_len), CKR_OK,
			       "0x%lx %s-part, certificate: valid", mechs[i], multi ? "multi" : "single");
			memcpy(bad, sig, sig_len);
			bad[100] ^= 0x01;
			is_int(verify(h, pub, mechs[i], in, in_len, multi, bad, sig_len),
			       CKR_SIGNATURE_INVALID, "0x%lx %s-part: one bit flipped: invalid",
			       mechs[i], multi ? "multi" : "single");
		}
		is_int(verify(h, pub, mechs[i], in, in_len - 1, 0, sig, sig_len),
		       CKR_SIGNATURE_INVALID, "0x%lx: other data: invalid", mechs[i]);
		is_int(verify(h, pub, mechs[i], in, in_len, 0, sig, sig_len - 1),
		       CKR_SIGNATURE_LEN_RANGE, "0x%lx: 255-byte signature: CKR_SIGNATURE_LEN_RANGE",
		       mechs[i]);
	}
	/* Another mechanism's signature. */
	sig_len = ossl_sign(k, CKM_SHA1_RSA_PKCS, (const uint8_t *)msg, strlen(msg), sig);
	is_int(verify(h, pub, CKM_SHA256_RSA_PKCS, (const uint8_t *)msg, strlen(msg), 0, sig,
	              sig_len), CKR_SIGNATURE_INVALID, "SHA-1 signature checked as SHA-256: invalid");

	/* The CA certificate object checks the holder certificate's signature. */
	x = pt_cert(1, "auth.der");
	tbs_len = i2d_re_X509_tbs(x, &tbs);
	X509_get0_signature(&xsig, &alg, x);
	is_int(verify(h, ca, CKM_SHA256_RSA_PKCS, tbs, (size_t)tbs_len, 0, xsig->data,
	              (size_t)xsig->length), CKR_OK,
	       "the CA object verifies the certificate's own signature (sha256WithRSA)");

	/* The key is the one parsed when the objects were built: with the
	 * certificates' stored values (and the public key's CKA_MODULUS)
	 * made unparsable, verification is unchanged. A module that parsed
	 * per C_Verify would fail here. */
	{
		jp_attr *v1 = module_attr(cert, CKA_VALUE), *v2 = module_attr(ca, CKA_VALUE);
		jp_attr *m = module_attr(pub, CKA_MODULUS);

		ok(v1 && v2 && m && v1->len > 4 && v2->len > 4 && m->len > 4,
		   "the module's copies of the values found");
		if (v1 && v2 && m) {
			((uint8_t *)v1->value)[0] ^= 0xFF;
			((uint8_t *)v2->value)[0] ^= 0xFF;
			((uint8_t *)m->value)[1] ^= 0xFF;
			is_int(verify(h, ca, CKM_SHA256_RSA_PKCS, tbs, (size_t)tbs_len, 0, xsig->data,
			              (size_t)xsig->length), CKR_OK,
			       "CA certificate: verified from the parsed key, not CKA_VALUE");
			sig_len = ossl_sign(k, CKM_SHA256_RSA_PKCS, (const uint8_t *)msg, strlen(msg),
			                    sig);
			is_int(verify(h, cert, CKM_SHA256_RSA_PKCS, (const uint8_t *)msg,
			              strlen(msg), 0, sig, sig_len), CKR_OK,
			       "holder certificate: verified from the parsed key");
			is_int(verify(h, pub, CKM_SHA256_RSA_PKCS, (const uint8_t *)msg,
			              strlen(msg), 1, sig, sig_len), CKR_OK,
			       "public key: verified from the parsed key");
			((uint8_t *)v1->value)[0] ^= 0xFF;
			((uint8_t *)v2->value)[0] ^= 0xFF;
			((uint8_t *)m->value)[1] ^= 0xFF;
		}
	}
	OPENSSL_free(tbs);
	X509_free(x);

	/* Input limit of CKM_RSA_PKCS. */
	memset(bad, 1, sizeof(bad));
	is_int(verify(h, pub, CKM_RSA_PKCS, bad, 246, 0, sig, 256), CKR_DATA_LEN_RANGE,
	       "CKM_RSA_PKCS over 246 bytes: CKR_DATA_LEN_RANGE");

	/* Keys, mechanisms, states. */
	sig_len = ossl_sign(k, CKM_SHA256_RSA_PKCS, (const uint8_t *)msg, strlen(msg), sig);
	is_int(F->C_VerifyInit(h, &mech, 0x7fff0000UL), CKR_KEY_HANDLE_INVALID, "unknown key");
	is_int(F->C_VerifyInit(h, NULL, pub), CKR_ARGUMENTS_BAD, "NULL mechanism");
	mech.mechanism = CKM_SHA256;
	is_int(F->C_VerifyInit(h, &mech, pub), CKR_MECHANISM_INVALID, "a digest mechanism");
	mech.mechanism = CKM_RSA_PKCS_PSS;
	is_int(F->C_VerifyInit(h, &mech, pub), CKR_MECHANISM_INVALID, "no PSS");
	mech.mechanism = CKM_SHA256_RSA_PKCS;
	is_int(F->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), sig, sig_len),
	       CKR_OPERATION_NOT_INITIALIZED, "C_Verify without init");
	is_int(F->C_VerifyFinal(h, sig, sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "C_VerifyFinal without init");
	is_int(F->C_VerifyInit(h, &mech, pub), CKR_OK, "VerifyInit");
	is_int(F->C_VerifyInit(h, &mech, pub), CKR_OPERATION_ACTIVE, "VerifyInit again: active");
	is_int(F->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), NULL, sig_len), CKR_ARGUMENTS_BAD,
	       "NULL signature");
	is_int(F->C_Verify(h, (CK_BYTE_PTR)msg, strlen(msg), sig, sig_len),
	       CKR_OPERATION_NOT_INITIALIZED, "... ended the operation");
	is_int(F->C_VerifyInit(h, &mech, pub), CKR_OK, "VerifyInit");
	is_int(F->C_VerifyUpdate(h, (CK_BYTE_PTR)msg, 5), CKR_OK, "VerifyUpdate");
	is_int(F->C_Verify(h, (CK_BYTE_PTR)msg, 5, sig, sig_len), CKR_OPERATION_ACTIVE,
	       "C_Verify after an update: refused");
	is_int(F->C_VerifyFinal(h, sig, sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "... and the refusal ended the operation");
	is_int(F->C_VerifyInit(h, &mech, pub), CKR_OK, "VerifyInit");
	is_int(F->C_VerifyUpdate(h, (CK_BYTE_PTR)msg, 5), CKR_OK, "VerifyUpdate");
	is_int(F->C_VerifyUpdate(h, (CK_BYTE_PTR)msg + 5, strlen(msg) - 5), CKR_OK,
	       "VerifyUpdate (rest)");
	is_int(F->C_VerifyFinal(h, sig, sig_len), CKR_OK, "... multi-part: valid");
	is_int(F->C_VerifyFinal(h, sig, sig_len), CKR_OPERATION_NOT_INITIALIZED,
	       "VerifyFinal ended it");
	is_int(F->C_VerifyRecoverInit(h, &mech, pub), CKR_FUNCTION_NOT_SUPPORTED,
	       "C_VerifyRecoverInit: not supported");

	is_int(jp_emu_apdu_count(t.e) - apdus, 0, "host verification sent no APDU");

	/* The private key does not verify (CKA_VERIFY is the public key's). */
	is_int(pt_login(h, CKU_USER, fixture_pin(1, PT_AUTH)), CKR_OK, "login");
	priv = pt_find1(h, CKO_PRIVATE_KEY, -1);
	is_int(F->C_VerifyInit(h, &mech, priv), CKR_KEY_FUNCTION_NOT_PERMITTED,
	       "private key: CKR_KEY_FUNCTION_NOT_PERMITTED");
	pub = pt_find1(h, CKO_PUBLIC_KEY, -1);
	is_int(verify(h, pub, CKM_SHA256_RSA_PKCS, (const uint8_t *)msg, strlen(msg), 0, sig,
	              sig_len), CKR_OK, "still valid when logged in");
	is_int(F->C_Logout(h), CKR_OK, "logout");
	pt_stop(&t);
	EVP_PKEY_free(k);
	done_testing();
}
