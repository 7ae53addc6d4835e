/* The one map from the project's errors to Cryptoki return values. */
#include "config.h"

#include "p11.h"

CK_RV jp_rv(jp_err e)
{
	CK_RV rv;

	switch (e) {
	case JP_OK:                  rv = CKR_OK; break;
	case JP_E_NO_MEMORY:         rv = CKR_HOST_MEMORY; break;
	case JP_E_ARGS:              rv = CKR_ARGUMENTS_BAD; break;
	/* The reader or the card left: PKCS#11 v2.40 §5.1 CKR_DEVICE_REMOVED. */
	case JP_E_NO_READER:
	case JP_E_NO_CARD:           rv = CKR_DEVICE_REMOVED; break;
	case JP_E_CANCELLED:         rv = CKR_FUNCTION_CANCELED; break;
	case JP_E_NOT_JPKI:
	case JP_E_JUKI_CARD:         rv = CKR_TOKEN_NOT_RECOGNIZED; break;
	/* The card refused for lack of a verified PIN: the module's login
	 * state should have caught it; say what the user must do. */
	case JP_E_SECURITY_STATUS:   rv = CKR_USER_NOT_LOGGED_IN; break;
	case JP_E_PIN_INCORRECT:     rv = CKR_PIN_INCORRECT; break;
	case JP_E_PIN_LOCKED:        rv = CKR_PIN_LOCKED; break;
	case JP_E_PIN_LEN_RANGE:     rv = CKR_PIN_LEN_RANGE; break;
	case JP_E_PIN_INVALID:       rv = CKR_PIN_INVALID; break;
	case JP_E_DATA_LEN_RANGE:    rv = CKR_DATA_LEN_RANGE; break;
	case JP_E_NO_KEY:            rv = CKR_KEY_HANDLE_INVALID; break;
	/* Everything the card or reader did wrong, including a signature
	 * that failed host verification (a fault, maybe an attack). */
	case JP_E_NO_SERVICE:
	case JP_E_CARD_RESET:
	case JP_E_SHARING:
	case JP_E_TIMEOUT:
	case JP_E_TRANSPORT:
	case JP_E_UNSUPPORTED:
	case JP_E_BAD_RESPONSE:
	case JP_E_FILE_NOT_FOUND:
	case JP_E_WRONG_LENGTH:
	case JP_E_WRONG_P1P2:
	case JP_E_OFFSET:
	case JP_E_CARD_ERROR:
	case JP_E_SIGNATURE_INVALID:
	case JP_E_BAD_CERT:          rv = CKR_DEVICE_ERROR; break;
	case JP_E_INTERNAL:
	case JP_E_CRYPTO:
	default:                     rv = CKR_GENERAL_ERROR; break;
	}
	return rv;
}

/* The one rule for a read a call makes ahead of need (the objects when a
 * session opens, the signing certificate at login): a call whose own card
 * I/O lost the card answers CKR_DEVICE_REMOVED, never CKR_OK; any other
 * failure is not the call's — the call that needs the data reads again. */
CK_RV jp_rv_read_ahead(CK_RV rv)
{
	return rv == CKR_DEVICE_REMOVED ? rv : CKR_OK;
}
