/* The one status-word → jp_err table (doc/card.md §4 "Status words"). */
#include "config.h"

#include "jpki/card.h"

jp_err jp_sw_to_err(uint16_t sw)
{
	jp_err rc;

	if ((sw & 0xFFF0) == 0x63C0) {
		/* 63C0 is the attempt that used the last try: blocked from now. */
		rc = (sw & 0x000F) ? JP_E_PIN_INCORRECT : JP_E_PIN_LOCKED;
		goto out;
	}
	switch (sw) {
	case 0x9000:
	/* 6282 "end of file reached before Le bytes": READ BINARY of the
	 * rest of a file, the data is good. */
	case 0x6282:
		rc = JP_OK;
		break;
	case 0x6300:                       /* verification failed, no counter */
		rc = JP_E_PIN_INCORRECT;
		break;
	case 0x6983:                       /* authentication method blocked */
	case 0x6984:                       /* reference data not usable */
		rc = JP_E_PIN_LOCKED;
		break;
	case 0x6982:
		rc = JP_E_SECURITY_STATUS;
		break;
	case 0x6A82:
		rc = JP_E_FILE_NOT_FOUND;
		break;
	case 0x6A86:
		rc = JP_E_WRONG_P1P2;
		break;
	case 0x6B00:
		rc = JP_E_OFFSET;
		break;
	case 0x6700:
		rc = JP_E_WRONG_LENGTH;
		break;
	case 0x0000:                       /* no status word at all */
		rc = JP_E_BAD_RESPONSE;
		break;
	default:
		rc = JP_E_CARD_ERROR;
		break;
	}
out:
	return rc;
}

int jp_sw_err_is_refusal(jp_err e)
{
	int refusal;

	switch (e) {
	case JP_E_PIN_INCORRECT:
	case JP_E_PIN_LOCKED:
	case JP_E_SECURITY_STATUS:
	case JP_E_FILE_NOT_FOUND:
	case JP_E_WRONG_P1P2:
	case JP_E_OFFSET:
	case JP_E_WRONG_LENGTH:
	case JP_E_CARD_ERROR:
		refusal = 1;
		break;
	default:
		refusal = 0;
		break;
	}
	return refusal;
}

int jp_sw_tries(uint16_t sw)
{
	int tries = -1;

	if ((sw & 0xFFF0) == 0x63C0)
		tries = sw & 0x000F;
	else if (sw == 0x6983 || sw == 0x6984)
		tries = 0;    /* blocked (doc/card.md §4 VERIFY) */
	return tries;
}
