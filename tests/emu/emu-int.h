/* Internals shared by the emulator core's files (emu-core.c: the command
 * interpreter, emu-files.c: the card's files and keys, emu-state.c: PIN
 * counters persisted in the state file). Not for tests. */
#ifndef JPKI_EMU_INT_H
#define JPKI_EMU_INT_H

#include <stdio.h>
#include <openssl/evp.h>
#include "emu.h"

#define EMU_PIN_MAX 16
#define JP_EMU_ATR_LEN 15
#define EMU_AUTH 0
#define EMU_SIGN 1

/* doc/card.md §3 */
#define EF_SIGN_CERT    0x0001
#define EF_SIGN_CA      0x0002
#define EF_TOKEN_INFO   0x0006
#define EF_CERT_AVAIL   0x0008
#define EF_AUTH_CERT    0x000A
#define EF_AUTH_CA      0x000B
#define EF_AUTH_KEY     0x0017
#define EF_AUTH_PIN     0x0018
#define EF_SIGN_KEY     0x001A
#define EF_SIGN_PIN     0x001B
#define EF_NONE         (-1)

typedef struct emu_buf {
	uint8_t *data;
	size_t len;
} emu_buf;

typedef struct emu_pin {
	uint8_t value[EMU_PIN_MAX];
	size_t len;
	int tries;
	int max_tries;
} emu_pin;

typedef enum emu_app {
	EMU_APP_NONE = 0,   /* after power-on: MF */
	EMU_APP_JPKI,
	EMU_APP_OTHER,      /* another application of the card (券面AP, 住基AP) */
} emu_app;

struct jp_emu {
	jp_emu_options opts;
	char *state_path;

	/* Fixtures, loaded once. */
	emu_buf auth_cert, sign_cert, auth_ca, sign_ca;
	/* The emulator's own OpenSSL context: the card is not the host, and
	 * tests that watch the process's default context (test-host-openssl)
	 * must see only what the module does there. */
	OSSL_LIB_CTX *libctx;
	EVP_PKEY *key[2];
	emu_pin pin[2];

	/* Card state. */
	int powered;
	int removed;
	emu_app app;
	int cur_ef;
	int verified[2];

	/* Counters. */
	unsigned long apdus, signs, verifies, bytes_in, bytes_out;
	unsigned long by_ins[256];

	FILE *log;
	uint8_t atr[JP_EMU_ATR_LEN];
};

/* A parsed command APDU (ISO 7816-4 §5.1: cases 1-4, short or extended). */
typedef struct emu_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	size_t ne;          /* expected response length; 0 when no Le field */
	int has_le;
	int extended;
} emu_apdu;

/* emu-cmd.c: runs one parsed command on the card. Writes the response data
 * to rsp (JP_EMU_RSP_MAX bytes), sets *sw, returns the data length. */
size_t emu_cmd_run(jp_emu *e, const emu_apdu *a, uint8_t *rsp, uint16_t *sw);
void emu_clear_security(jp_emu *e);

/* emu-files.c */
int emu_files_load(jp_emu *e, const char *card_dir);
/* emu-validity.c: re-dates the certificates when opts.validity is set. */
int emu_validity_apply(jp_emu *e, const char *card_dir);
void emu_files_free(jp_emu *e);
/* The content of an EF as the card shows it now (honours no_sign, filler,
 * kind). Returns 0 and a malloc'd copy, or -1 when the EF does not exist
 * (SELECT answers 6A82). Key and PIN EFs exist with no content. */
int emu_file_exists(const jp_emu *e, int fid);
int emu_file_content(const jp_emu *e, int fid, emu_buf *out);

/* emu-state.c */
int emu_state_load(jp_emu *e);
int emu_state_save(const jp_emu *e);

#endif
