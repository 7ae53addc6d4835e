/* The JPKI card emulator core: one state machine that plays the JPKI
 * application as doc/card.md describes, with every [open] point as
 * an option, fault injection and latency for tests and benchmarks, and an
 * APDU log (PIN bodies masked) that tests read to count round trips.
 * Front ends: emu-transport.c (in-process jp_transport backend) and
 * jpki-emu-vpcd.c (a vpcd card behind the real pcscd). */
#ifndef JPKI_EMU_H
#define JPKI_EMU_H

#include <stddef.h>
#include <stdint.h>

/* Default visibility even under -fvisibility=hidden, so that a test build
 * of the module as a shared object can expose the emulator's controls (the
 * readers are process-global: a process must use ONE copy of libjpemu). */
#define JP_EMU_API __attribute__((visibility("default")))

typedef enum jp_emu_no_sign {
	JP_EMU_SIGN_PRESENT = 0,    /* normal card */
	JP_EMU_SIGN_NOT_FOUND,      /* SELECT 0001 / 001A / 001B → 6A82 */
	JP_EMU_SIGN_DENIED,         /* READ 0001 → 6982 even after a correct VERIFY */
	JP_EMU_SIGN_EMPTY,          /* EF 0001 exists but is zero-filled */
	JP_EMU_SIGN_CERTS_ABSENT,   /* SELECT 0001 / 0002 → 6A82; the key and PIN
	                               EFs 001A / 001B exist (doc/card.md §11,
	                               a holder under 15 on some cards) */
} jp_emu_no_sign;

/* EF 0008, which certificates the card carries (doc/card.md §11). */
typedef enum jp_emu_ef0008 {
	JP_EMU_EF0008_AUTO = 0,     /* 8F 8F 00, or 00 8F 00 when EF 0001 is absent
	                               (no_sign notfound or certs-absent) */
	JP_EMU_EF0008_ABSENT,       /* SELECT 0008 → 6A82 */
	JP_EMU_EF0008_BOTH,         /* 8F 8F 00 whatever the files say */
	JP_EMU_EF0008_NO_SIGN,      /* 00 8F 00 whatever the files say */
} jp_emu_ef0008;

typedef enum jp_emu_kind {
	JP_EMU_MYNUMBER = 0,        /* label JPKIAPICCTOKEN2 */
	JP_EMU_JUKI,                /* label JPKIAPICCTOKEN (old card) */
	JP_EMU_NOT_JPKI,            /* SELECT JPKI AP → 6A82 */
	JP_EMU_ANDROID,             /* label JPKIAPGPSETOKEN (smartphone): the auth
	                               certificate needs the auth PIN (§11) */
	JP_EMU_IPHONE,              /* label JPKIAPIOSTOKEN, likewise */
} jp_emu_kind;

typedef struct jp_emu_options {
	jp_emu_kind kind;
	/* Security state lifetime (doc/card.md §6). Defaults (0) are the worst
	 * case: kept across re-selecting the JPKI AP and across a warm reset. */
	int clear_on_reselect;      /* re-SELECT of the JPKI AP clears verified PINs */
	int clear_on_reset;         /* a warm reset clears verified PINs */
	/* The empty retry query on a blocked PIN: 0x63C0 (default) or 0x6984. */
	uint16_t blocked_query_sw;
	/* A VERIFY with a PIN to a blocked PIN (no try counted either way):
	 * 0x6984 (default) or 0x63C0 (doc/card.md §11). */
	uint16_t blocked_verify_sw;
	/* Bytes of filler (0xFF.. / 0x00) after every certificate in its EF. */
	size_t cert_filler;
	jp_emu_no_sign no_sign;
	jp_emu_ef0008 ef0008;
	int ef0006_label_only;      /* EF 0006 is the 32-byte label alone, not the
	                               160-byte record */
	int no_extended;            /* extended-length APDUs → 6700 */
	int pss;                    /* sign P1 01..05 accepted (else 6A86) */
	/* Sign P1 values refused with 6A86 even so: bit n = P1 n (00..05), so
	 * each scheme of doc/card.md §11 can be played on or off. */
	unsigned sign_p1_off;
	/* Signing by short EF identifier, P2 = 80|SFI (97 = key 0017, 9A =
	 * key 001A, doc/card.md §11). 0 (default): accepted, the key EF
	 * becomes the current EF (as ISO 7816-4 has it). 0x6A86 or 0x6A82:
	 * refused with that, a card that answers the old way. */
	uint16_t no_sfi_sw;
	/* Faults, 1-based APDU index counted from emulator creation; 0 = off. */
	unsigned long fail_nth;     /* answer 6F00 */
	unsigned long garble_nth;   /* flip bits in the response data (and a signature) */
	unsigned long drop_nth;     /* no answer at all (front ends: transport error) */
	unsigned long remove_nth;   /* card removed before answering APDU n */
	unsigned long short_nth;    /* truncate the response data by one byte */
	int garble_signatures;      /* every signature is corrupted (host verification test) */
	/* Latency, microseconds, slept in the core (benchmarks only). */
	unsigned latency_apdu_us;
	unsigned latency_sign_us;
	/* Certificate validity relative to today (read at jp_emu_new only).
	 * With validity set, the authentication and signing certificates are
	 * re-signed at load by the test CAs (the key files in CARD_DIR/../ca), keys
	 * and everything else unchanged, with notBefore = 00:00 JST of today +
	 * valid_from_days and notAfter = 23:59:59 JST of today + expire_days
	 * (doc/card.md §7): cards that expire in 200, 60 or -1 days. */
	int validity;
	int valid_from_days;        /* usually negative: issued in the past */
	int expire_days;
} jp_emu_options;

typedef struct jp_emu jp_emu;

/* A card from a fixture directory made by tests/emu/make-test-pki.sh
 * (card-N/: auth.der auth.key.der sign.der sign.key.der auth-ca.der
 * sign-ca.der, PINs in pins.txt). opts may be NULL for defaults. state_path
 * (may be NULL) is a file where the PIN counters (and changed PINs) persist
 * across emulator restarts; it is created if missing. */
JP_EMU_API jp_emu *jp_emu_new(const char *card_dir, const jp_emu_options *opts, const char *state_path);
JP_EMU_API void jp_emu_free(jp_emu *e);
/* Options can be changed between APDUs. */
JP_EMU_API jp_emu_options *jp_emu_opts(jp_emu *e);

JP_EMU_API void jp_emu_power_off(jp_emu *e);
JP_EMU_API void jp_emu_power_on(jp_emu *e);   /* cold: clears the security state */
JP_EMU_API void jp_emu_reset(jp_emu *e);      /* warm: clears it only with clear_on_reset */
JP_EMU_API const uint8_t *jp_emu_atr(const jp_emu *e, size_t *len);

/* Processes one command APDU. Returns the response length (data + SW) in
 * rsp (needs JP_EMU_RSP_MAX bytes), or -1 when the (dropped or removed)
 * card gives no answer; jp_emu_removed() tells the two apart. */
#define JP_EMU_RSP_MAX (65536 + 2)
JP_EMU_API long jp_emu_apdu(jp_emu *e, const uint8_t *cmd, size_t cmd_len, uint8_t *rsp);
JP_EMU_API int jp_emu_removed(const jp_emu *e);
JP_EMU_API int jp_emu_powered(const jp_emu *e);
JP_EMU_API void jp_emu_reinsert(jp_emu *e);   /* undo remove_nth: card present, powered off */

/* Introspection for tests. */
JP_EMU_API int jp_emu_tries(const jp_emu *e, int key /* 0 auth, 1 sign */);
JP_EMU_API int jp_emu_verified(const jp_emu *e, int key);
JP_EMU_API unsigned long jp_emu_apdu_count(const jp_emu *e);       /* since creation */
JP_EMU_API unsigned long jp_emu_sign_count(const jp_emu *e);
JP_EMU_API unsigned long jp_emu_verify_count(const jp_emu *e);     /* VERIFY with a body */
JP_EMU_API unsigned long jp_emu_bytes_in(const jp_emu *e);         /* command bytes received */
JP_EMU_API unsigned long jp_emu_bytes_out(const jp_emu *e);        /* response bytes sent */
/* Counts of commands by INS since creation (e.g. 0xB0 READ BINARY). */
JP_EMU_API unsigned long jp_emu_ins_count(const jp_emu *e, uint8_t ins);
/* Writes every APDU to path ("> 00A4..." / "< 9000"), PIN bodies masked.
 * NULL stops. Appends. */
JP_EMU_API int jp_emu_log_to(jp_emu *e, const char *path);

/* The EF 0006 label of a kind ("JPKIAPICCTOKEN2", ...). */
JP_EMU_API const char *jp_emu_label(jp_emu_kind kind);

/* Fixtures: "$top_srcdir/tests/emu/cards/card-N" (top_srcdir from the
 * environment, as the Makefile sets it; "." when unset). card_no 1..9;
 * the string stays valid for the life of the process. */
JP_EMU_API const char *jp_emu_fixture_dir(int card_no);
/* The card's PIN from its pins.txt (key 0 auth, 1 sign) as a C string. */
JP_EMU_API int jp_emu_fixture_pin(int card_no, int key, char *out, size_t out_len);

#endif
