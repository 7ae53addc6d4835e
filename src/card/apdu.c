/* APDU encoding (ISO/IEC 7816-4 §5.1): short and extended length fields,
 * cases 1-4. Only encoding lives here; what to send is the callers' job. */
#include "config.h"

#include <string.h>

#include "jpki/card.h"

/* Short: Lc 1..255 in one byte, Le 1..256 in one byte (256 → 00).
 * Extended: a 00 marker, then Lc 1..65535 in two bytes; Le 1..65536 in two
 * bytes (65536 → 00 00), preceded by the 00 marker only when there is no
 * Lc field (case 2E). */
jp_err jp_apdu_build(uint8_t *out, size_t *out_len, uint8_t cla, uint8_t ins,
                     uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
                     size_t le, int extended)
{
	jp_err rc = JP_E_ARGS;
	size_t need, n = 0;
	size_t max_lc = extended ? 65535 : 255;
	size_t max_le = extended ? 65536 : 256;
	int has_le = (le != JP_APDU_NO_LE);

	if (!out || !out_len)
		goto out;
	if (lc > 0 && !data)
		goto out;
	if (lc > max_lc || (has_le && (le == 0 || le > max_le)))
		goto out;

	need = 4;
	if (extended) {
		if (lc > 0)
			need += 3 + lc;
		if (has_le)
			need += (lc > 0) ? 2 : 3;
	} else {
		if (lc > 0)
			need += 1 + lc;
		if (has_le)
			need += 1;
	}
	if (need > *out_len)
		goto out;

	out[n++] = cla;
	out[n++] = ins;
	out[n++] = p1;
	out[n++] = p2;
	if (extended) {
		if (lc > 0 || has_le)
			out[n++] = 0x00;
		if (lc > 0) {
			out[n++] = (uint8_t)(lc >> 8);
			out[n++] = (uint8_t)lc;
			memcpy(out + n, data, lc);
			n += lc;
		}
		if (has_le) {
			/* 65536 encodes as 00 00: the truncation does exactly that. */
			out[n++] = (uint8_t)(le >> 8);
			out[n++] = (uint8_t)le;
		}
	} else {
		if (lc > 0) {
			out[n++] = (uint8_t)lc;
			memcpy(out + n, data, lc);
			n += lc;
		}
		if (has_le)
			out[n++] = (uint8_t)le;    /* 256 → 00 */
	}
	*out_len = n;
	rc = JP_OK;
out:
	return rc;
}

uint16_t jp_apdu_sw(const uint8_t *rsp, size_t len)
{
	if (!rsp || len < 2)
		return 0;
	return (uint16_t)((rsp[len - 2] << 8) | rsp[len - 1]);
}
