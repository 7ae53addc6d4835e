/* jp_cert_parse and jp_rsa_verify_raw (src/crypto) on hostile DER: the
 * card's certificates are untrusted input. Checks the parsed fields'
 * invariants, then runs both verification entry points with the key. */
#include "config.h"

#include <string.h>

#include "jpki/crypto.h"
#include "fuzz.h"

static int is_date(const char *s)
{
	int i, r = s[8] == '\0';

	for (i = 0; i < 8; i++)
		r &= s[i] >= '0' && s[i] <= '9';
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jp_cert_info ci;
	jp_err rc;
	uint8_t sig[2048], msg[51];
	size_t k;

	/* The crypto layer's private OpenSSL context (a no-op once made). */
	FUZZ_ASSERT(jp_crypto_init() == JP_OK);
	rc = jp_cert_parse(data, size, &ci);
	if (rc != JP_OK) {
		FUZZ_ASSERT(rc == JP_E_BAD_CERT || rc == JP_E_ARGS);
		FUZZ_ASSERT(ci.subject.data == NULL && ci.modulus.data == NULL);
		return 0;
	}
	FUZZ_ASSERT(ci.subject.len >= 2 && ci.subject.data[0] == 0x30);
	FUZZ_ASSERT(ci.issuer.len >= 2 && ci.issuer.data[0] == 0x30);
	FUZZ_ASSERT(ci.serial.len >= 3 && ci.serial.data[0] == 0x02);
	FUZZ_ASSERT(ci.modulus.len > 0 && ci.modulus.data[0] != 0);
	FUZZ_ASSERT(ci.exponent.len > 0);
	FUZZ_ASSERT(ci.modulus_bits > 8 * (ci.modulus.len - 1) && ci.modulus_bits <= 8 * ci.modulus.len);
	FUZZ_ASSERT(ci.spki_sha1.len == 20);
	FUZZ_ASSERT(is_date(ci.not_before) && is_date(ci.not_after));
	FUZZ_ASSERT(ci.is_ca == 0 || ci.is_ca == 1);

	/* A made-up signature of the key's size: exercises the whole path.
	 * (With e = 1 it may even verify, so the result is not asserted.) */
	k = ci.modulus.len;
	if (k <= sizeof(sig)) {
		memset(msg, 0x33, sizeof(msg));
		memset(sig, 0, k);
		memcpy(sig + k - (k < size ? k : size), data, k < size ? k : size);
		sig[0] = 0;
		(void)jp_rsa_verify_raw(data, size, msg, sizeof(msg), sig, k);
		(void)jp_rsa_verify_raw_key(ci.modulus.data, ci.modulus.len, ci.exponent.data,
		                            ci.exponent.len, msg, sizeof(msg), sig, k);
	}
	jp_cert_info_free(&ci);
	return 0;
}
