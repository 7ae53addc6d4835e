/* DER DigestInfo for PKCS#1 v1.5 signatures: the fixed encodings of
 * DigestInfo { AlgorithmIdentifier { OID, NULL }, OCTET STRING } listed in
 * RFC 8017 §9.2, note 1, followed by the hash value. */
#include "config.h"

#include <string.h>

#include "jpki/crypto.h"

#define JP_DI_PREFIX_LEN 19

typedef struct jp_di_prefix {
	size_t len;
	uint8_t bytes[JP_DI_PREFIX_LEN];
} jp_di_prefix;

static const jp_di_prefix jp_di_prefixes[JP_HASH__COUNT] = {
	/* SHA-1, OID 1.3.14.3.2.26 */
	[JP_HASH_SHA1] = { 15, { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02,
	                         0x1a, 0x05, 0x00, 0x04, 0x14 } },
	/* SHA-224, OID 2.16.840.1.101.3.4.2.4 */
	[JP_HASH_SHA224] = { 19, { 0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                           0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c } },
	/* SHA-256, OID 2.16.840.1.101.3.4.2.1 */
	[JP_HASH_SHA256] = { 19, { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                           0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 } },
	/* SHA-384, OID 2.16.840.1.101.3.4.2.2 */
	[JP_HASH_SHA384] = { 19, { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                           0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 } },
	/* SHA-512, OID 2.16.840.1.101.3.4.2.3 */
	[JP_HASH_SHA512] = { 19, { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	                           0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 } },
};

jp_err jp_digestinfo(jp_hash h, const uint8_t *hash, size_t hash_len,
                     uint8_t *out, size_t *out_len)
{
	jp_err rv = JP_OK;
	const jp_di_prefix *p;

	if ((unsigned)h >= JP_HASH__COUNT || hash == NULL || out == NULL || out_len == NULL ||
	    hash_len != jp_hash_len(h)) {
		rv = JP_E_ARGS;
		goto out;
	}
	p = &jp_di_prefixes[h];
	if (*out_len < p->len + hash_len) {
		rv = JP_E_ARGS;
		goto out;
	}
	memcpy(out, p->bytes, p->len);
	memcpy(out + p->len, hash, hash_len);
	*out_len = p->len + hash_len;
out:
	return rv;
}
