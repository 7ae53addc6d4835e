/* The project's one error enum. Every layer below the Cryptoki front reports
 * through it; src/p11/rv.c is the one place that maps it to CK_RV, and
 * src/transport/pcsc-error.c / src/card/sw.c are the one places that map
 * SCARD_* results and status words into it. */
#ifndef JPKI_ERROR_H
#define JPKI_ERROR_H

typedef enum jp_err {
	JP_OK = 0,
	JP_E_NO_MEMORY,        /* allocation failed */
	JP_E_ARGS,             /* a caller passed something invalid */
	JP_E_INTERNAL,         /* a bug or an impossible state */

	/* transport */
	JP_E_NO_SERVICE,       /* no PC/SC daemon (not an error for C_Initialize) */
	JP_E_NO_READER,        /* the reader is gone */
	JP_E_NO_CARD,          /* no card in the reader, or it was removed */
	JP_E_CARD_RESET,       /* the card was reset (by us or another process):
	                          its security state is gone; the link was
	                          reconnected and can be used again */
	JP_E_SHARING,          /* another process holds the card exclusively */
	JP_E_TIMEOUT,          /* a wait ran out */
	JP_E_CANCELLED,        /* a wait was cancelled */
	JP_E_TRANSPORT,        /* any other communication failure */
	JP_E_UNSUPPORTED,      /* the reader/card refuses this (e.g. extended APDUs) */

	/* card */
	JP_E_BAD_RESPONSE,     /* the card answered garbage (wrong length, bad DER, ...) */
	JP_E_NOT_JPKI,         /* no JPKI application */
	JP_E_JUKI_CARD,        /* the old Basic Resident Registration card: refused */
	JP_E_FILE_NOT_FOUND,   /* 6A82 */
	JP_E_SECURITY_STATUS,  /* 6982: PIN not verified */
	JP_E_PIN_INCORRECT,    /* 63Cx with x > 0 */
	JP_E_PIN_LOCKED,       /* 63C0, 6983, 6984 */
	JP_E_PIN_LEN_RANGE,    /* policy: wrong length (no APDU sent) */
	JP_E_PIN_INVALID,      /* policy: wrong characters (no APDU sent) */
	JP_E_WRONG_LENGTH,     /* 6700 */
	JP_E_WRONG_P1P2,       /* 6A86 */
	JP_E_OFFSET,           /* 6B00 */
	JP_E_CARD_ERROR,       /* any other status word */
	JP_E_NO_KEY,           /* the card has no such key/certificate (e.g. no signing cert) */
	JP_E_DATA_LEN_RANGE,   /* input to sign is empty or too long */

	/* crypto */
	JP_E_CRYPTO,           /* OpenSSL failed */
	JP_E_SIGNATURE_INVALID,/* a card signature failed host verification */
	JP_E_BAD_CERT,         /* a certificate did not parse */

	JP_E__COUNT
} jp_err;

/* A short English description, never NULL. */
const char *jp_err_str(jp_err e);

#endif
