/* PIN rules (doc/card.md §5), checked before any APDU: the card simply
 * compares bytes and burns a try on anything that does not match, and there
 * is no unblock command for citizens, so a malformed PIN must never reach
 * it. */
#include "config.h"

#include <string.h>

#include "jpki/card.h"

int jp_pin_max_tries(jp_key key)
{
	return key == JP_KEY_SIGN ? JP_SIGN_PIN_TRIES : JP_AUTH_PIN_TRIES;
}

size_t jp_pin_min_len(jp_key key)
{
	return key == JP_KEY_SIGN ? 6 : 4;
}

size_t jp_pin_max_len(jp_key key)
{
	return key == JP_KEY_SIGN ? 16 : 4;
}

/* Auth PIN: exactly 4 digits. Signing password: 6-16 of A-Z 0-9 with at
 * least one letter and one digit, after upper-casing ASCII a-z (J-LIS
 * software upper-cases what the user types; the card compares bytes).
 * Lengths are in bytes: a multi-byte UTF-8 character is simply invalid. */
jp_err jp_pin_normalize(jp_key key, const uint8_t *pin, size_t len,
                        uint8_t out[JP_PIN_MAX], size_t *out_len)
{
	jp_err rc = JP_E_ARGS;
	size_t i;
	int letters = 0, digits = 0;

	if (!out || !out_len || (len > 0 && !pin))
		goto out;
	if (key != JP_KEY_AUTH && key != JP_KEY_SIGN)
		goto out;
	if (len < jp_pin_min_len(key) || len > jp_pin_max_len(key)) {
		rc = JP_E_PIN_LEN_RANGE;
		goto out;
	}
	for (i = 0; i < len; i++) {
		uint8_t c = pin[i];

		if (key == JP_KEY_SIGN && c >= 'a' && c <= 'z')
			c = (uint8_t)(c - 'a' + 'A');
		if (c >= '0' && c <= '9') {
			digits++;
		} else if (key == JP_KEY_SIGN && c >= 'A' && c <= 'Z') {
			letters++;
		} else {
			rc = JP_E_PIN_INVALID;
			goto out;
		}
		out[i] = c;
	}
	if (key == JP_KEY_SIGN && (letters == 0 || digits == 0)) {
		rc = JP_E_PIN_INVALID;
		goto out;
	}
	*out_len = len;
	rc = JP_OK;
out:
	if (rc != JP_OK && out) {
		jp_wipe(out, JP_PIN_MAX);
		if (out_len)
			*out_len = 0;
	}
	return rc;
}
