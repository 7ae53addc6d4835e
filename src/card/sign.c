/* COMPUTE DIGITAL SIGNATURE (doc/card.md §4): SELECT the key EF, then
 * 80 2A 00 80 Lc data 00. P1 00: the card adds PKCS#1 v1.5 type-01 padding
 * to the 1..245 bytes it gets and returns the 256-byte RSA-2048 result. */
#include "config.h"

#include <string.h>

#include "jpki/log.h"
#include "card-int.h"

jp_err jp_card_sign(jp_card *card, jp_key key, const uint8_t *in, size_t in_len,
                    uint8_t *out, size_t *out_len)
{
	jp_err rc = JP_E_ARGS;
	uint8_t rsp[JP_SIGNATURE_LEN + 64];
	size_t rsp_len = sizeof(rsp);
	uint16_t sw = 0;
	int locked = 0;

	if (!card || (key != JP_KEY_AUTH && key != JP_KEY_SIGN) || !out || !out_len ||
	    (in_len > 0 && !in))
		goto out;
	*out_len = 0;
	if (in_len < 1 || in_len > JP_SIGN_INPUT_MAX) {
		rc = JP_E_DATA_LEN_RANGE;   /* 256 - 11 bytes of padding */
		goto out;
	}
	if (card->key_absent[key]) {
		rc = JP_E_NO_KEY;
		goto out;
	}
	rc = jp_card_begin(card);
	if (rc != JP_OK)
		goto out;
	locked = 1;
	rc = jp_card_select_key_ef_inlock(card, key, jp_key_key_fid(key));
	if (rc != JP_OK)
		goto out;
	rc = jp_card_apdu_inlock(card, 0x80, 0x2A, 0x00, 0x80, in, in_len, 256, rsp, &rsp_len, &sw);
	if (rc != JP_OK)
		goto out;
	rc = jp_sw_to_err(sw);
	if (rc == JP_OK && (sw != 0x9000 || rsp_len != JP_SIGNATURE_LEN))
		rc = JP_E_BAD_RESPONSE;
	if (rc != JP_OK) {
		JP_DEBUG("card: sign answered SW %04X with %zu bytes", sw, rsp_len);
		goto out;
	}
	memcpy(out, rsp, JP_SIGNATURE_LEN);
	*out_len = JP_SIGNATURE_LEN;
out:
	if (locked)
		jp_card_end(card);
	jp_wipe(rsp, sizeof(rsp));
	return rc;
}
