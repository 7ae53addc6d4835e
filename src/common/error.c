/* jp_err → short English text. One entry per enum value; the static
 * assertion below keeps the table in step with include/jpki/error.h. */
#include "config.h"

#include <stddef.h>

#include "jpki/error.h"

static const char *const jp_err_text[] = {
	[JP_OK] = "success",
	[JP_E_NO_MEMORY] = "out of memory",
	[JP_E_ARGS] = "invalid arguments",
	[JP_E_INTERNAL] = "internal error",

	[JP_E_NO_SERVICE] = "PC/SC service not available",
	[JP_E_NO_READER] = "reader not available",
	[JP_E_NO_CARD] = "no card in the reader, or the card was removed",
	[JP_E_CARD_RESET] = "the card was reset",
	[JP_E_SHARING] = "the card is used exclusively by another process",
	[JP_E_TIMEOUT] = "timed out",
	[JP_E_CANCELLED] = "cancelled",
	[JP_E_TRANSPORT] = "communication with the card failed",
	[JP_E_UNSUPPORTED] = "not supported by the reader or the card",

	[JP_E_BAD_RESPONSE] = "malformed response from the card",
	[JP_E_NOT_JPKI] = "no JPKI application on the card",
	[JP_E_JUKI_CARD] = "Basic Resident Registration card (not supported)",
	[JP_E_FILE_NOT_FOUND] = "file not found on the card",
	[JP_E_SECURITY_STATUS] = "security status not satisfied (PIN not verified)",
	[JP_E_PIN_INCORRECT] = "incorrect PIN",
	[JP_E_PIN_LOCKED] = "PIN blocked",
	[JP_E_PIN_LEN_RANGE] = "PIN length out of range",
	[JP_E_PIN_INVALID] = "PIN contains invalid characters",
	[JP_E_WRONG_LENGTH] = "wrong length (card)",
	[JP_E_WRONG_P1P2] = "wrong parameters P1-P2 (card)",
	[JP_E_OFFSET] = "offset outside the file (card)",
	[JP_E_CARD_ERROR] = "card error",
	[JP_E_NO_KEY] = "no such key or certificate on the card",
	[JP_E_DATA_LEN_RANGE] = "input length out of range",

	[JP_E_CRYPTO] = "cryptographic library failure",
	[JP_E_SIGNATURE_INVALID] = "signature verification failed",
	[JP_E_BAD_CERT] = "certificate could not be parsed",
};

_Static_assert(sizeof(jp_err_text) / sizeof(jp_err_text[0]) == JP_E__COUNT,
               "jp_err_text must have one entry per jp_err");

const char *jp_err_str(jp_err e)
{
	const char *s = "unknown error";

	if ((unsigned)e < JP_E__COUNT && jp_err_text[e] != NULL)
		s = jp_err_text[e];
	return s;
}
