/* jp_der_object_size (src/card/der.c) on hostile headers. The first input
 * byte picks the size limit; the rest is the header. Besides "no crash, no
 * out-of-bounds read", the answer is checked against X.690 §8.1.3 directly. */
#include "config.h"

#include "jpki/card.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[4] = { 8192, 65536, 127, (size_t)0xFFFFFFFFu };
	const uint8_t *p;
	size_t avail, max_total, total = 0, hdr, len, i;
	jp_err rc;

	if (size < 1)
		return 0;
	max_total = limits[data[0] & 3];
	p = data + 1;
	avail = size - 1;
	rc = jp_der_object_size(p, avail, max_total, &total);
	if (rc == JP_OK) {
		/* Only a complete header can be sized: short form, or long form
		 * with 1..4 length octets, all of them available. */
		FUZZ_ASSERT(avail >= 2);
		FUZZ_ASSERT((p[0] & 0x1F) != 0x1F);
		if (p[1] < 0x80) {
			hdr = 2;
			len = p[1];
		} else {
			hdr = 2 + (size_t)(p[1] & 0x7F);
			FUZZ_ASSERT(hdr >= 3 && hdr <= 6 && avail >= hdr);
			for (len = 0, i = 2; i < hdr; i++)
				len = (len << 8) | p[i];
		}
		FUZZ_ASSERT(total == hdr + len);
		FUZZ_ASSERT(total <= max_total);
	} else {
		FUZZ_ASSERT(rc == JP_E_ARGS || rc == JP_E_BAD_RESPONSE);
		/* Never "need more bytes" once the whole short header is there. */
		if (avail >= 2 && (p[0] & 0x1F) != 0x1F && p[1] < 0x80)
			FUZZ_ASSERT(rc == JP_E_BAD_RESPONSE && (size_t)2 + p[1] > max_total);
	}
	return 0;
}
