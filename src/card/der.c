/* Sizing a DER object from its header (X.690 §8.1.2-8.1.3), so that a
 * certificate EF's filler is never mistaken for the certificate. The
 * header comes from the card: untrusted. */
#include "config.h"

#include "jpki/card.h"

jp_err jp_der_object_size(const uint8_t *p, size_t avail, size_t max_total, size_t *total)
{
	jp_err rc = JP_E_ARGS;
	size_t hdr, i, nlen;
	uint64_t len;

	if (!p || !total)
		goto out;
	if (avail < 2)
		goto out;                       /* need more bytes */
	if ((p[0] & 0x1F) == 0x1F) {
		/* High tag numbers never occur at the top of a certificate. */
		rc = JP_E_BAD_RESPONSE;
		goto out;
	}
	if (p[1] < 0x80) {
		len = p[1];
		hdr = 2;
	} else {
		nlen = p[1] & 0x7F;
		/* 0x80 is the indefinite form (not DER); more than 4 length
		 * octets is hostile for anything we read; 0xFF is reserved. */
		if (nlen == 0 || nlen > 4) {
			rc = JP_E_BAD_RESPONSE;
			goto out;
		}
		hdr = 2 + nlen;
		if (avail < hdr)
			goto out;               /* need more bytes */
		len = 0;
		for (i = 0; i < nlen; i++)
			len = (len << 8) | p[2 + i];
	}
	/* 64-bit arithmetic: len < 2^32, so hdr + len cannot wrap. */
	if ((uint64_t)hdr + len > (uint64_t)max_total) {
		rc = JP_E_BAD_RESPONSE;
		goto out;
	}
	*total = hdr + (size_t)len;
	rc = JP_OK;
out:
	return rc;
}
