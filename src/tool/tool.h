/* jpki(1), the citizen's companion: what the card is, how long its
 * certificates last, how many PIN tries are left, PIN change, export,
 * diagnosis. Built on the card layer (include/jpki/card.h), not on
 * PKCS#11, so it can ask what Cryptoki cannot express (exact tries left).
 *   main.c        the command line, gettext, dispatch
 *   validity.c    JST calendar days, states, renewal window (pure)
 *   readers.c     the readers and the cards in them
 *   open-card.c   the one card a command works on
 *   run.c         subcommand dispatch, the catalogue, shared messages
 *   report.c      what a card says about itself (status's facts)
 *   json.c        a small JSON writer
 *   pin-input.c   PINs from the terminal without echo, or from stdin
 *   status.c      jpki status        change-pin.c  jpki change-pin
 *   export.c      jpki export        diagnose.c    jpki diagnose
 *   probe.c       jpki probe (the card's signing schemes)
 *   register.c    jpki register (NSS databases of Firefox, Thunderbird, Chromium)
 * Every command takes a jp_tool, so the card tier runs them in-process
 * against the emulator with a chosen "now" and captured output. */
#ifndef JPKI_TOOL_H
#define JPKI_TOOL_H

#include <stdint.h>
#include <stdio.h>
#include <libintl.h>

#include "jpki/card.h"
#include "jpki/transport.h"

#define _(s) gettext(s)
#define N_(s) (s)

/* Exit statuses (jpki(1) EXIT STATUS). */
#define JP_EXIT_OK 0
#define JP_EXIT_ACTION 1   /* something needs the holder's action */
#define JP_EXIT_ERROR 2    /* no reader, no card, bad arguments, card errors */

typedef struct jp_tool {
	FILE *out;             /* results */
	FILE *err;             /* messages and prompts */
	FILE *pin_in;          /* --pin-stdin: PINs one per line; NULL: the terminal */
	int64_t now;           /* seconds since the epoch; tests choose it */
	const char *tty;       /* the terminal for PINs ("/dev/tty") */
} jp_tool;

/* ---- validity.c: dates in Japan's calendar (doc/card.md §8) ---- */
typedef enum jp_state {
	JP_STATE_VALID = 0,
	JP_STATE_RENEWAL,       /* within the renewal window: renew at the municipal office */
	JP_STATE_EXPIRED,
	JP_STATE_NOT_YET_VALID,
	JP_STATE_ABSENT,        /* no such certificate on the card */
	JP_STATE_UNKNOWN        /* present, dates not read (signing cert without the password) */
} jp_state;

typedef struct jp_validity {
	jp_state state;
	int64_t not_before_day;   /* JST calendar days since 1970-01-01 */
	int64_t not_after_day;
	int64_t renewal_from_day; /* 3 months before the expiry day */
	int64_t days_left;        /* not_after_day - today; negative once expired */
} jp_validity;

#define JP_RENEWAL_MONTHS 3
#define JP_DATE_LEN 11         /* "YYYY-MM-DD" + NUL */

/* The JST calendar day of an instant (seconds since the epoch). */
int64_t jp_jst_day(int64_t t);
/* "YYYY-MM-DD" of a day number. */
void jp_day_format(int64_t day, char out[JP_DATE_LEN]);
/* The same day of the month `months` months earlier, clamped to the end of
 * a shorter month (2031-05-31 minus 3 months is 2031-02-28). */
int64_t jp_day_minus_months(int64_t day, int months);
/* State, calendar days and renewal window of a certificate valid from
 * nb to na (seconds, inclusive) at the instant now. */
void jp_validity_eval(int64_t nb, int64_t na, int64_t now, jp_validity *out);
/* "valid", "renewal", "expired", "not-yet-valid", "absent", "unknown". */
const char *jp_state_name(jp_state s);

/* ---- readers.c ---- */
typedef struct jp_readers {
	jp_transport *t;
	jp_reader_status *list;
	size_t count;
} jp_readers;

/* Opens the transport and lists the readers. JP_OK with count 0 when
 * there are none (or no PC/SC service). */
jp_err jp_readers_open(jp_readers *r);
void jp_readers_close(jp_readers *r);
/* Connects to reader i and opens the card (jp_card_open's errors). */
jp_err jp_readers_card(jp_readers *r, size_t i, jp_card **card);
/* The index of the reader named name (exact, or the only one containing
 * it), or the first reader with a card when name is NULL; -1 if none. */
long jp_readers_pick(const jp_readers *r, const char *name);

/* open-card.c: opens the readers and the card in --reader NAME (or the
 * first reader with a card); says what went wrong on t->err. */
jp_err jp_open_one(jp_tool *t, jp_readers *rd, const char *reader, jp_card **card, size_t *idx);
/* open-card.c: the options of a command that acts on one card with a PIN
 * (--reader NAME, --pin-stdin). 0 with *reader set (NULL if not given) and
 * optind at the first operand; -1 on an unknown option. */
int jp_pin_command_opts(jp_tool *t, int argc, char **argv, const char **reader);

/* ---- report.c: what status shows about one reader ---- */
typedef enum jp_kind {
	JP_KIND_NONE = 0,      /* no card in the reader */
	JP_KIND_MYNUMBER,
	JP_KIND_ANDROID,
	JP_KIND_IPHONE,
	JP_KIND_JUKI,          /* the old 住基カード: its certificates expired in 2018 */
	JP_KIND_UNKNOWN        /* not a JPKI card */
} jp_kind;

/* Certificate presence: jp_avail from the card layer (card.h). */
const char *jp_avail_name(jp_avail a);

typedef struct jp_key_report {
	jp_avail cert;
	int dates;             /* v's dates are known */
	jp_validity v;
	int tries;             /* tries left; -1 when the card has no such PIN */
	int max;
} jp_key_report;

typedef struct jp_report {
	char reader[JP_READER_NAME_MAX];
	jp_kind kind;
	char serial[17];       /* the token serial the module shows */
	jp_key_report key[2];  /* JP_KEY_AUTH, JP_KEY_SIGN */
	jp_err err;            /* JP_OK, or why the card could not be read */
	/* --show-personal only: from the signing certificate's subjectAltName
	 * (doc/card.md §7); personal data, wiped with jp_report_wipe. */
	int personal;
	char name[256];
	char address[512];
} jp_report;

/* Reads a card's report without using a PIN try: kind, serial, the
 * authentication certificate's dates, both retry counters, whether there
 * is a signing certificate. */
jp_err jp_report_read(jp_card *card, int64_t now, jp_report *out);
/* With the signing password verified: the signing certificate's dates,
 * and with personal set the holder's name and address too. */
jp_err jp_report_read_sign(jp_card *card, int64_t now, int personal, jp_report *out);
/* Wipes the personal data of n reports. */
void jp_report_wipe(jp_report *r, size_t n);
/* The report of a reader whose card did not open (open_err from
 * jp_card_open / connect). */
void jp_report_unopened(jp_report *out, jp_err open_err);
/* Whether the holder must do something: renewal window, expired or not
 * yet valid, a PIN blocked or down to its last try, the old card. */
int jp_report_needs_action(const jp_report *r);
const char *jp_kind_name(jp_kind k);

/* ---- json.c ---- */
void jp_json_str(FILE *f, const char *s);

/* ---- pin-input.c ---- */
/* Reads one PIN: from t->pin_in (one line) or from the terminal without
 * echo after printing prompt. buf holds JP_PIN_MAX + 2 bytes; *len gets
 * the length (the line end removed). -1 on end of input / no terminal.
 * A line longer than the buffer is read whole and reported as too long
 * (*len = JP_PIN_MAX + 1), never cut to a shorter PIN. */
#define JP_PIN_BUF (JP_PIN_MAX + 2)
int jp_pin_read(jp_tool *t, const char *prompt, char buf[JP_PIN_BUF], size_t *len);
/* Asks a yes/no question the same way; 1 for yes. */
int jp_ask_yes(jp_tool *t, const char *question);

/* ---- the commands ---- */
int jp_cmd_status(jp_tool *t, int argc, char **argv);
int jp_cmd_change_pin(jp_tool *t, int argc, char **argv);
int jp_cmd_export(jp_tool *t, int argc, char **argv);
int jp_cmd_diagnose(jp_tool *t, int argc, char **argv);
int jp_cmd_probe(jp_tool *t, int argc, char **argv);
int jp_cmd_register(jp_tool *t, int argc, char **argv);
/* Runs "jpki ARGS..." (argv[0] is the command name). */
int jp_tool_run(jp_tool *t, int argc, char **argv);
/* The catalogue: LANG=ja_JP.* picks Japanese even where that locale is
 * not installed (then C.UTF-8 with LANGUAGE=ja). */
void jp_tool_i18n(void);

/* Messages shared by commands. */
const char *jp_err_message(jp_err e);

#endif
