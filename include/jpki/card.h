/* The JPKI application on the My Number Card: plain bytes and jp_err, no
 * Cryptoki. See doc/card.md for every fact used here.
 *   apdu.c        APDU encoding (short/extended, cases 1-4), SW extraction
 *   sw.c          the one status-word → jp_err table
 *   der.c         sizing a DER object from its header, hostile lengths refused
 *   pin-policy.c  PIN rules, checked before any APDU
 *   card.c        open/identify, select tracking, transactions, unverify
 *   avail.c       which certificates the card carries (EF 0008, or SELECT)
 *   cert.c        certificate reads (extended or short) and their cache
 *   pin.c         retry query, VERIFY, CHANGE REFERENCE DATA
 *   sign.c        COMPUTE DIGITAL SIGNATURE */
#ifndef JPKI_CARD_H
#define JPKI_CARD_H

#include <stddef.h>
#include <stdint.h>
#include "jpki/error.h"
#include "jpki/mem.h"
#include "jpki/transport.h"

/* ---- APDU encoding (apdu.c) ---- */
#define JP_APDU_NO_LE ((size_t)-1)
/* Builds a command APDU. *out_len: the size of out on entry, the APDU's
 * length on return. data may be NULL when lc == 0. le: expected response
 * length 1..256 (short) or 1..65536 (extended), JP_APDU_NO_LE for none;
 * 256 (short) or 65536 (extended) mean "as much as there is". extended:
 * use extended length fields. Returns JP_E_ARGS if it does not fit in out
 * or the encoding does not allow it (le 0 included). */
jp_err jp_apdu_build(uint8_t *out, size_t *out_len, uint8_t cla, uint8_t ins,
                     uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
                     size_t le, int extended);
/* SW1SW2 of a response (0 if shorter than 2 bytes). */
uint16_t jp_apdu_sw(const uint8_t *rsp, size_t len);

/* ---- status words (sw.c) ---- */
jp_err jp_sw_to_err(uint16_t sw);
/* Whether e is what jp_sw_to_err makes of a status word refusing a command
 * (not JP_OK, not JP_E_BAD_RESPONSE for a missing one). */
int jp_sw_err_is_refusal(jp_err e);
/* For VERIFY / retry query answers: tries left from 63Cx, 0 for the
 * blocked answers 6983/6984, -1 otherwise. */
int jp_sw_tries(uint16_t sw);

/* ---- DER (der.c) ---- */
/* Total size (header + content) of the DER object at p, from its tag and
 * length octets only. avail: bytes available at p. Refuses indefinite
 * lengths, lengths over 4 octets, non-minimal encodings of lengths > 127
 * are accepted but the total must not exceed max_total. Returns
 * JP_E_BAD_RESPONSE on a malformed or hostile header, JP_E_ARGS if more
 * bytes are needed to read the header (avail too small). */
jp_err jp_der_object_size(const uint8_t *p, size_t avail, size_t max_total, size_t *total);

/* ---- keys and PIN policy (pin-policy.c) ---- */
typedef enum jp_key {
	JP_KEY_AUTH = 0,   /* 利用者証明用: 4-digit PIN, 3 tries, keys EF 0017 / PIN 0018 */
	JP_KEY_SIGN = 1    /* 署名用: 6-16 char password, 5 tries, key 001A / PIN 001B */
} jp_key;

#define JP_PIN_MAX 16
#define JP_AUTH_PIN_TRIES 3
#define JP_SIGN_PIN_TRIES 5

int jp_pin_max_tries(jp_key key);
size_t jp_pin_min_len(jp_key key);
size_t jp_pin_max_len(jp_key key);
/* Checks pin against the rules for key and writes the bytes to send into
 * out (upper-cased for the signing password). *out_len receives the length.
 * JP_E_PIN_LEN_RANGE or JP_E_PIN_INVALID on a PIN the card must never see.
 * out is wiped on error. */
jp_err jp_pin_normalize(jp_key key, const uint8_t *pin, size_t len,
                        uint8_t out[JP_PIN_MAX], size_t *out_len);

/* ---- the card (card.c, cert.c, pin.c, sign.c) ---- */
/* What the EF 0006 label says the JPKI application sits on (doc/card.md
 * §3, §11). The old 住基カード (JPKIAPICCTOKEN) never opens: jp_card_open
 * refuses it with JP_E_JUKI_CARD, so an open card is one of the first
 * three; UNKNOWN is what jp_card_get_kind(NULL) answers. */
typedef enum jp_card_kind {
	JP_CARD_KIND_MYNUMBER = 0,   /* JPKIAPICCTOKEN2: the card */
	JP_CARD_KIND_ANDROID,        /* JPKIAPGPSETOKEN: smartphone (Android) */
	JP_CARD_KIND_IPHONE,         /* JPKIAPIOSTOKEN: smartphone (iPhone) */
	JP_CARD_KIND_UNKNOWN
} jp_card_kind;

/* A yes/no the card answers only when asked (and the module remembers per
 * card): UNKNOWN until then. */
typedef enum jp_avail {
	JP_AVAIL_UNKNOWN = 0,
	JP_AVAIL_PRESENT,
	JP_AVAIL_ABSENT
} jp_avail;

typedef enum jp_cert_id {
	JP_CERT_AUTH = 0,       /* EF 000A */
	JP_CERT_AUTH_CA,        /* EF 000B */
	JP_CERT_SIGN,           /* EF 0001, needs the signing password */
	JP_CERT_SIGN_CA,        /* EF 0002 */
	JP_CERT__COUNT
} jp_cert_id;

typedef struct jp_card jp_card;

/* Card-level statistics, for tests and benchmarks. */
typedef struct jp_card_stats {
	unsigned long apdus;        /* commands the card layer sent (a GET RESPONSE
	                               done inside jp_transport_transmit is not
	                               seen here) */
	unsigned long bytes_out;    /* command bytes */
	unsigned long bytes_in;     /* response bytes */
} jp_card_stats;

/* Takes ownership of link. Selects the JPKI AP and reads EF 0006 to
 * identify the card (3 APDUs). On any error (JP_E_JUKI_CARD, JP_E_NOT_JPKI,
 * transport errors) *out is NULL and the link was disconnected. */
jp_err jp_card_open(jp_link *link, jp_card **out);
/* Disconnects (leaving the card powered) and frees everything, wiping the
 * certificate cache. */
void jp_card_close(jp_card *card);
/* After fork(): frees without touching the transport handles. */
void jp_card_forget(jp_card *card);

jp_card_kind jp_card_get_kind(const jp_card *card);
/* "My Number Card", "Android smartphone", "iPhone", "unknown": for logs
 * and messages. */
const char *jp_card_kind_name(jp_card_kind kind);
/* The smartphone tokens (doc/card.md §11): there the authentication
 * certificate too needs the authentication PIN. */
int jp_card_is_smartphone(const jp_card *card);
/* The 32-byte label from EF 0006, trailing spaces removed, NUL-terminated. */
const char *jp_card_label(const jp_card *card);
jp_link *jp_card_link(jp_card *card);
void jp_card_get_stats(const jp_card *card, jp_card_stats *out);

/* Exclusive access for a sequence of commands (PC/SC transaction). Nests:
 * only the outermost begin/end reach the transport, and every card
 * function below takes one itself, so a caller needs begin/end only to
 * group several calls. If the card was reset by someone else in between,
 * begin returns JP_E_CARD_RESET once and holds NO transaction (call begin
 * again; the link is usable, every verified state is gone and the card
 * object already forgot its selection and the signing certificate). Any
 * card function may likewise return JP_E_CARD_RESET (or JP_E_NO_CARD). */
jp_err jp_card_begin(jp_card *card);
void jp_card_end(jp_card *card);

/* Reads (once; later calls return the cache) a certificate. *der points
 * into the card object and stays valid until jp_card_close,
 * jp_card_forget_cert, or (JP_CERT_SIGN only) a reset / jp_card_unverify.
 * Sizes the object from its DER header (at most 8 KiB); filler after it is
 * ignored. JP_E_NO_KEY when the EF is missing or empty/zero-filled
 * (remembered: no APDU next time), and for JP_CERT_SIGN when the card
 * answers 6982 although this card object verified the signing password.
 * JP_CERT_SIGN needs the signing password verified (JP_E_SECURITY_STATUS
 * otherwise). Uses one extended READ BINARY when the card and reader
 * accept it, 256-byte short reads otherwise (remembered per card). */
jp_err jp_card_read_cert(jp_card *card, jp_cert_id which, const uint8_t **der, size_t *len);
/* Drops a cached certificate (used for JP_CERT_SIGN on logout). */
void jp_card_forget_cert(jp_card *card, jp_cert_id which);
/* Whether reading certificate which needs a PIN on this card: 1 and *key
 * = whose PIN (JP_CERT_SIGN always; JP_CERT_AUTH on a smartphone), else
 * 0. No APDU. */
int jp_card_cert_needs_pin(const jp_card *card, jp_cert_id which, jp_key *key);

/* Whether the card carries the certificate of key (doc/card.md §3, §11),
 * found without any PIN: from EF 0008 (byte 0 signing, byte 1
 * authentication; 8F = present) where the card has that EF, else from
 * SELECT of the certificate EF (0001 / 000A) answering 6A82 = absent.
 * Asked once per card (2 APDUs, 3 without EF 0008), remembered, and kept
 * across resets: it is a property of the card. *avail is UNKNOWN only on
 * an error (transport, reset: ask again). PRESENT means the card says so;
 * a read after VERIFY may still find the EF empty (JP_E_NO_KEY then). An
 * ABSENT signing certificate also makes jp_card_read_cert(JP_CERT_SIGN)
 * answer JP_E_NO_KEY without an APDU. The debug log says what decided. */
jp_err jp_card_cert_avail(jp_card *card, jp_key key, jp_avail *avail);
/* jp_card_cert_avail(card, JP_KEY_SIGN, avail). */
jp_err jp_card_sign_cert_avail(jp_card *card, jp_avail *avail);

/* Empty VERIFY: *tries = tries left (0 = blocked: 63C0 or 6983/6984).
 * Uses no try. JP_E_NO_KEY if the card has no such PIN (no signing key).
 * The answer becomes the card object's retry counter. Only for a caller
 * that wants the count itself (jpki status, change-pin's last-try
 * confirmation): neither the PKCS#11 module nor jp_card_verify asks it. */
jp_err jp_card_pin_tries(jp_card *card, jp_key key, int *tries);
/* The whole PIN rule, so callers only map the error (doc/card.md §4-5):
 * the policy (JP_E_PIN_LEN_RANGE / JP_E_PIN_INVALID, no APDU), the PIN
 * normalized once; a PIN known to be blocked gets no VERIFY
 * (JP_E_PIN_LOCKED, no APDU); then VERIFY, also when the counter is
 * unknown (no retry query first: a blocked card answers 6984/63C0 without
 * counting, JP_E_PIN_LOCKED). *tries (may be NULL) is the card object's
 * retry counter after the call: the tries left, 0 blocked, -1 unknown (a
 * lost answer, a bare 6300). */
jp_err jp_card_verify(jp_card *card, jp_key key, const uint8_t *pin, size_t len, int *tries);
/* The same rule for VERIFY old, then CHANGE REFERENCE DATA new (both PINs
 * through the policy before any APDU, in one transaction). */
jp_err jp_card_change_pin(jp_card *card, jp_key key, const uint8_t *old_pin, size_t old_len,
                          const uint8_t *new_pin, size_t new_len, int *tries);
/* COMPUTE DIGITAL SIGNATURE over in (1..245 bytes; the card adds PKCS#1
 * v1.5 type-01 padding). out must hold 256 bytes. One APDU where the card
 * signs by short EF identifier (P2 80|SFI, doc/card.md §11); on a card
 * that refuses it (6A86/6A82) SELECT of the key EF + P2 80 at once, in the
 * same call, and from then on for this card (jp_card_sfi_avail). Does NOT
 * verify the signature (the caller does, with the certificate). */
jp_err jp_card_sign(jp_card *card, jp_key key, const uint8_t *in, size_t in_len,
                    uint8_t *out, size_t *out_len);

/* Signing schemes (80 2A P1, doc/card.md §11). Only these two are used:
 * the others hash on the card or sign a bare hash. */
typedef enum jp_sign_scheme {
	JP_SIGN_PKCS1 = 0,        /* P1 00: in = 1..245 bytes (a DigestInfo),
	                             PKCS#1 v1.5 type 01 — jp_card_sign */
	JP_SIGN_PSS_SHA256 = 4    /* P1 04: in = a 32-byte SHA-256 hash;
	                             RSASSA-PSS, MGF1-SHA-256, 32-byte salt */
} jp_sign_scheme;
/* jp_card_sign with a scheme. JP_SIGN_PSS_SHA256 on a card that does not
 * know P1 04 answers JP_E_WRONG_P1P2 (6A86) and the card is remembered as
 * without PSS (jp_card_pss_avail; later calls fail the same way with no
 * APDU). Nothing here needs or spends a PIN try. Does NOT verify the
 * signature: the caller does (jp_rsa_verify_pss for PSS). */
jp_err jp_card_sign_scheme(jp_card *card, jp_key key, jp_sign_scheme scheme, const uint8_t *in,
                           size_t in_len, uint8_t *out, size_t *out_len);
/* What this card showed so far: PSS (P1 04) and signing by short EF
 * identifier (P2 80|SFI, no SELECT of the key EF). UNKNOWN until a
 * signature tried it. No APDU. */
jp_avail jp_card_pss_avail(const jp_card *card);
jp_avail jp_card_sfi_avail(const jp_card *card);
/* Leaves the card provably unverified: power cycles it (selecting the AP
 * again is not enough: doc/card.md §6). Forgets the selection and the
 * signing certificate. */
jp_err jp_card_unverify(jp_card *card);

#define JP_SIGN_INPUT_MAX 245
#define JP_SHA256_LEN 32
#define JP_SIGNATURE_LEN 256

#endif
