/* C_Digest*: the SHA family on the host, single- and multi-part, against
 * OpenSSL's EVP_Digest; the output conventions and error states of
 * PKCS#11 v2.40 §5.10; no login and no APDU needed. */
#include "config.h"

#include "tests/p11/p11-test.h"

static const CK_MECHANISM_TYPE mechs[] = { CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512 };
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

static uint8_t data[3000];

int main(void)
{
	pt_card t;
	CK_SESSION_HANDLE h;
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	uint8_t out[128], want[64];
	unsigned int want_len;
	CK_ULONG len;
	CK_RV rv;
	size_t i;
	unsigned long apdus;
	CK_ULONG param = 1;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	pt_start(&t, 1, NULL);
	h = pt_open(&t, PT_AUTH);
	apdus = jp_emu_apdu_count(t.e);

	for (i = 0; i < NMECHS; i++) {
		m.mechanism = mechs[i];
		EVP_Digest(data, sizeof(data), want, &want_len, pt_md(mechs[i]), NULL);

		/* Single-part with the length query first. */
		is_int(F->C_DigestInit(h, &m), CKR_OK, "0x%lx: DigestInit", mechs[i]);
		len = 0;
		rv = F->C_Digest(h, data, sizeof(data), NULL, &len);
		ok(rv == CKR_OK && len == want_len, "0x%lx: length query gives %u", mechs[i], want_len);
		len = want_len - 1;
		rv = F->C_Digest(h, data, sizeof(data), out, &len);
		ok(rv == CKR_BUFFER_TOO_SMALL && len == want_len, "0x%lx: too small", mechs[i]);
		len = sizeof(out);
		rv = F->C_Digest(h, data, sizeof(data), out, &len);
		ok(rv == CKR_OK && len == want_len && memcmp(out, want, want_len) == 0,
		   "0x%lx: single-part equals OpenSSL", mechs[i]);

		/* Multi-part in uneven pieces, with an empty one. */
		is_int(F->C_DigestInit(h, &m), CKR_OK, "0x%lx: DigestInit (multi)", mechs[i]);
		rv = F->C_DigestUpdate(h, data, 1);
		if (rv == CKR_OK)
			rv = F->C_DigestUpdate(h, data + 1, 0);
		if (rv == CKR_OK)
			rv = F->C_DigestUpdate(h, data + 1, 1000);
		if (rv == CKR_OK)
			rv = F->C_DigestUpdate(h, data + 1001, sizeof(data) - 1001);
		len = 0;
		if (rv == CKR_OK)
			rv = F->C_DigestFinal(h, NULL, &len);
		ok(rv == CKR_OK && len == want_len, "0x%lx: DigestFinal length query", mechs[i]);
		len = sizeof(out);
		rv = F->C_DigestFinal(h, out, &len);
		ok(rv == CKR_OK && len == want_len && memcmp(out, want, want_len) == 0,
		   "0x%lx: multi-part equals OpenSSL", mechs[i]);
	}

	/* The empty message. */
	m.mechanism = CKM_SHA256;
	EVP_Digest("", 0, want, &want_len, EVP_sha256(), NULL);
	len = sizeof(out);
	ok(F->C_DigestInit(h, &m) == CKR_OK && F->C_Digest(h, NULL, 0, out, &len) == CKR_OK &&
	   len == 32 && memcmp(out, want, 32) == 0, "SHA-256 of nothing");
	len = sizeof(out);
	ok(F->C_DigestInit(h, &m) == CKR_OK && F->C_DigestFinal(h, out, &len) == CKR_OK &&
	   len == 32 && memcmp(out, want, 32) == 0, "SHA-256 of nothing, Init then Final");

	/* States and arguments. */
	len = sizeof(out);
	is_int(F->C_Digest(h, data, 1, out, &len), CKR_OPERATION_NOT_INITIALIZED,
	       "C_Digest without init");
	is_int(F->C_DigestUpdate(h, data, 1), CKR_OPERATION_NOT_INITIALIZED,
	       "C_DigestUpdate without init");
	is_int(F->C_DigestFinal(h, out, &len), CKR_OPERATION_NOT_INITIALIZED,
	       "C_DigestFinal without init");
	is_int(F->C_DigestInit(h, &m), CKR_OK, "DigestInit");
	is_int(F->C_DigestInit(h, &m), CKR_OPERATION_ACTIVE, "DigestInit again: active");
	is_int(F->C_DigestUpdate(h, data, 10), CKR_OK, "DigestUpdate");
	is_int(F->C_Digest(h, data, 10, out, &len), CKR_OPERATION_ACTIVE,
	       "C_Digest after an update: refused");
	len = sizeof(out);
	is_int(F->C_DigestFinal(h, out, &len), CKR_OPERATION_NOT_INITIALIZED,
	       "... and the refusal ended the operation");
	is_int(F->C_DigestInit(h, &m), CKR_OK, "DigestInit");
	is_int(F->C_DigestUpdate(h, data, 10), CKR_OK, "DigestUpdate");
	EVP_Digest(data, 10, want, &want_len, EVP_sha256(), NULL);
	len = sizeof(out);
	rv = F->C_DigestFinal(h, out, &len);
	ok(rv == CKR_OK && len == 32 && memcmp(out, want, 32) == 0,
	   "... multi-part finishes correctly");
	is_int(F->C_DigestInit(h, &m), CKR_OK, "DigestInit");
	is_int(F->C_Digest(h, data, 10, out, NULL), CKR_ARGUMENTS_BAD, "NULL length pointer");
	is_int(F->C_Digest(h, data, 10, out, &len), CKR_OPERATION_NOT_INITIALIZED,
	       "... ended the operation");
	is_int(F->C_DigestInit(h, &m), CKR_OK, "DigestInit");
	is_int(F->C_DigestUpdate(h, NULL, 10), CKR_ARGUMENTS_BAD, "NULL part with a length");
	is_int(F->C_DigestFinal(h, out, &len), CKR_OPERATION_NOT_INITIALIZED,
	       "... ended the operation");
	is_int(F->C_DigestInit(h, NULL), CKR_ARGUMENTS_BAD, "NULL mechanism");
	m.mechanism = CKM_MD5;
	is_int(F->C_DigestInit(h, &m), CKR_MECHANISM_INVALID, "MD5: CKR_MECHANISM_INVALID");
	m.mechanism = CKM_SHA256_RSA_PKCS;
	is_int(F->C_DigestInit(h, &m), CKR_MECHANISM_INVALID,
	       "a signature mechanism: CKR_MECHANISM_INVALID");
	m.mechanism = CKM_SHA256;
	m.pParameter = &param;
	m.ulParameterLen = sizeof(param);
	is_int(F->C_DigestInit(h, &m), CKR_MECHANISM_PARAM_INVALID, "a parameter");
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	is_int(F->C_DigestInit(0x7fff0000UL, &m), CKR_SESSION_HANDLE_INVALID, "unknown session");
	is_int(F->C_DigestInit(h, &m), CKR_OK, "DigestInit");
	is_int(F->C_DigestKey(h, 1), CKR_FUNCTION_NOT_SUPPORTED, "C_DigestKey: not supported");
	is_int(jp_emu_apdu_count(t.e) - apdus, 0, "digests never touch the card");
	pt_stop(&t);

	is_int(F->C_DigestInit(h, &m), CKR_CRYPTOKI_NOT_INITIALIZED, "after C_Finalize");
	done_testing();
}
