/* COMPUTE DIGITAL SIGNATURE (doc/card.md §4, §11): 80 2A P1 P2 Lc data 00
 * with P2 = 80 | SFI naming the key (one APDU), or, on a card that refuses
 * that, SELECT the key EF and P2 80. P1 00: the card adds PKCS#1 v1.5
 * type-01 padding to the 1..245 bytes it gets; P1 04: RSASSA-PSS over a
 * 32-byte SHA-256 hash [one source]. Either way a 256-byte RSA-2048 result. */
#include "config.h"

#include <string.h>

#include "jpki/log.h"
#include "card-int.h"

static int scheme_input_ok(jp_sign_scheme scheme, size_t in_len)
{
	if (scheme == JP_SIGN_PSS_SHA256)
		return in_len == JP_SHA256_LEN;
	/* 256 - 11 bytes of padding */
	return in_len >= 1 && in_len <= JP_SIGN_INPUT_MAX;
}

/* One COMPUTE DIGITAL SIGNATURE with P1 p1 and P2 p2; the status word is
 * mapped, a 9000 must carry exactly one signature. */
static jp_err sign_once_inlock(jp_card *card, uint8_t p1, uint8_t p2, const uint8_t *in,
                               size_t in_len, uint8_t *rsp, size_t *rsp_len, uint16_t *sw)
{
	jp_err rc;

	*sw = 0;
	rc = jp_card_apdu_inlock(card, 0x80, 0x2A, p1, p2, in, in_len, 256, rsp, rsp_len, sw);
	if (rc != JP_OK)
		goto out;
	rc = jp_sw_to_err(*sw);
	if (rc == JP_OK && (*sw != 0x9000 || *rsp_len != JP_SIGNATURE_LEN))
		rc = JP_E_BAD_RESPONSE;
	if (rc != JP_OK)
		JP_DEBUG("card: sign (P1 %02X P2 %02X) answered SW %04X with %zu bytes", p1, p2, *sw,
		         *rsp_len);
out:
	return rc;
}

/* The answers to the short form that SELECT + P2 80 may not get: the card
 * does not know the short EF identifier (6A86, 6A82 in doc/card.md §11), or
 * the JPKI AP is no longer current (6986: someone else selected another
 * application; the old way selects it again). Anything else ends the call
 * as it did before: 6982 would be the same with P2 80, and a second
 * signature after a failed one (6F00, garbage, a transport error) is not
 * what the caller asked for. */
static int sfi_fallback(jp_err rc, uint16_t sw)
{
	return rc != JP_OK && (sw == 0x6A86 || sw == 0x6A82 || sw == 0x6986);
}

jp_err jp_card_sign_scheme(jp_card *card, jp_key key, jp_sign_scheme scheme, const uint8_t *in,
                           size_t in_len, uint8_t *out, size_t *out_len)
{
	jp_err rc = JP_E_ARGS;
	uint8_t rsp[JP_SIGNATURE_LEN + 64];
	size_t rsp_len = sizeof(rsp);
	uint16_t sw = 0, sfi_sw = 0;
	int locked = 0;
	uint8_t p1 = (uint8_t)scheme;

	if (!card || (key != JP_KEY_AUTH && key != JP_KEY_SIGN) || !out || !out_len ||
	    (in_len > 0 && !in) || (scheme != JP_SIGN_PKCS1 && scheme != JP_SIGN_PSS_SHA256))
		goto out;
	*out_len = 0;
	if (!scheme_input_ok(scheme, in_len)) {
		rc = JP_E_DATA_LEN_RANGE;
		goto out;
	}
	if (card->key_absent[key]) {
		rc = JP_E_NO_KEY;
		goto out;
	}
	if (scheme == JP_SIGN_PSS_SHA256 && card->pss == JP_AVAIL_ABSENT) {
		rc = JP_E_WRONG_P1P2;    /* this card said so already */
		goto out;
	}
	rc = jp_card_begin(card);
	if (rc != JP_OK)
		goto out;
	locked = 1;
	if (card->sfi != JP_AVAIL_ABSENT) {
		/* One APDU: P2 = 80 | SFI names the key (doc/card.md §11). */
		rc = jp_card_select_ap_inlock(card, 0);
		if (rc != JP_OK)
			goto out;
		rc = sign_once_inlock(card, p1, (uint8_t)(0x80 | jp_key_key_fid(key)), in, in_len,
		                      rsp, &rsp_len, &sw);
		/* By ISO 7816-4 the key EF may now be the current one: what
		 * we selected is no longer known. */
		card->ef = 0;
		if (rc == JP_OK) {
			card->sfi = JP_AVAIL_PRESENT;
			goto signed_ok;
		}
		if (!sfi_fallback(rc, sw))
			goto out;
		if (card->sfi == JP_AVAIL_PRESENT && sw == 0x6A86)
			goto signed_ok;   /* the short form works here: P1 is refused */
		sfi_sw = sw;
		rsp_len = sizeof(rsp);
	}
	/* The old way, at once and in the same call: SELECT the key EF, P2 80. */
	rc = jp_card_select_key_ef_inlock(card, key, jp_key_key_fid(key));
	if (rc != JP_OK)
		goto out;
	rc = sign_once_inlock(card, p1, 0x80, in, in_len, rsp, &rsp_len, &sw);
	/* The card refused the short EF identifier if the same P1 works with
	 * P2 80 (or P1 is 00, which every card knows). Remembered per card. */
	if ((sfi_sw == 0x6A86 || sfi_sw == 0x6A82) && (rc == JP_OK || scheme == JP_SIGN_PKCS1)) {
		card->sfi = JP_AVAIL_ABSENT;
		JP_INFO("card: signing by short EF identifier refused (%04X); SELECT + sign "
		        "for this card", sfi_sw);
	}
signed_ok:
	if (scheme == JP_SIGN_PSS_SHA256) {
		/* 6A86 with P2 80: no P1 04 on this card. A signature proves it
		 * does; anything else (6982, garbage) says nothing about PSS. */
		if (rc == JP_E_WRONG_P1P2) {
			card->pss = JP_AVAIL_ABSENT;
			JP_INFO("card: RSA-PSS signing (P1 04) refused with 6A86: this card "
			        "does not sign RSA-PSS");
		} else if (rc == JP_OK) {
			card->pss = JP_AVAIL_PRESENT;
		}
	}
	if (rc != JP_OK)
		goto out;
	memcpy(out, rsp, JP_SIGNATURE_LEN);
	*out_len = JP_SIGNATURE_LEN;
out:
	if (locked)
		jp_card_end(card);
	jp_wipe(rsp, sizeof(rsp));
	return rc;
}

jp_err jp_card_sign(jp_card *card, jp_key key, const uint8_t *in, size_t in_len,
                    uint8_t *out, size_t *out_len)
{
	return jp_card_sign_scheme(card, key, JP_SIGN_PKCS1, in, in_len, out, out_len);
}

jp_avail jp_card_pss_avail(const jp_card *card)
{
	return card ? card->pss : JP_AVAIL_UNKNOWN;
}

jp_avail jp_card_sfi_avail(const jp_card *card)
{
	return card ? card->sfi : JP_AVAIL_UNKNOWN;
}
