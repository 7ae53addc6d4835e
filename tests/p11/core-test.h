/* Helpers for p11-core's tests: the test build of the module (libjpki-test)
 * over in-process emulated readers. Header-only, like tests/tap.h. */
#ifndef JPKI_P11_CORE_TEST_H
#define JPKI_P11_CORE_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <p11-kit/pkcs11.h>

#include "tests/tap.h"
#include "tests/emu/emu.h"
#include "tests/emu/emu-transport.h"

static CK_FUNCTION_LIST_PTR F;

/* Token and slot constants the module promises (token.c, slot.c). */
#define PT_LABEL_AUTH "My Number Card (Authentication)"
#define PT_LABEL_SIGN "My Number Card (Signature)"

static void pt_load(void) __attribute__((unused));
static void pt_load(void)
{
	/* The module reads the user's config file: not the developer's. */
	setenv("XDG_CONFIG_HOME", "/nonexistent/jpki-pkcs11-test", 1);
	if (C_GetFunctionList(&F) != CKR_OK || !F) {
		printf("Bail out! no function list\n");
		exit(1);
	}
}

/* An emulated card (fixture card_no) in a new reader named name. Returns
 * the reader index; *e receives the emulator (the caller frees it). */
static int pt_reader_with_card(const char *name, int card_no, const jp_emu_options *o,
                               jp_emu **e) __attribute__((unused));
static int pt_reader_with_card(const char *name, int card_no, const jp_emu_options *o,
                               jp_emu **e)
{
	int idx = jp_emu_reader_add(name);

	*e = NULL;
	if (idx < 0)
		return -1;
	if (card_no > 0) {
		*e = jp_emu_new(jp_emu_fixture_dir(card_no), o, NULL);
		if (!*e) {
			printf("Bail out! cannot create the emulated card %d\n", card_no);
			exit(1);
		}
		jp_emu_reader_insert(idx, *e);
	}
	return idx;
}

static int pt_init(void) __attribute__((unused));
static int pt_init(void)
{
	return (int)F->C_Initialize(NULL);
}

/* The slot list (token present or not); returns the count. */
static CK_ULONG pt_slots(CK_BBOOL present, CK_SLOT_ID *out, CK_ULONG max) __attribute__((unused));
static CK_ULONG pt_slots(CK_BBOOL present, CK_SLOT_ID *out, CK_ULONG max)
{
	CK_ULONG n = 0;

	if (F->C_GetSlotList(present, NULL, &n) != CKR_OK)
		return 0;
	if (n > max)
		return n;
	if (F->C_GetSlotList(present, out, &n) != CKR_OK)
		return 0;
	return n;
}

/* Compares a blank-padded Cryptoki field with a C string. */
static int pt_padded_eq(const CK_UTF8CHAR *field, size_t len, const char *want)
	__attribute__((unused));
static int pt_padded_eq(const CK_UTF8CHAR *field, size_t len, const char *want)
{
	size_t n = strlen(want), i;

	if (n > len || memcmp(field, want, n) != 0)
		return 0;
	for (i = n; i < len; i++)
		if (field[i] != ' ')
			return 0;
	return 1;
}

static const char *pt_pin(int card_no, int key) __attribute__((unused));
static const char *pt_pin(int card_no, int key)
{
	static char buf[2][4][32];

	if (jp_emu_fixture_pin(card_no, key, buf[key][card_no & 3], sizeof(buf[0][0])) != 0) {
		printf("Bail out! no PIN for card %d\n", card_no);
		exit(1);
	}
	return buf[key][card_no & 3];
}

static CK_RV pt_login(CK_SESSION_HANDLE h, CK_USER_TYPE u, const char *pin) __attribute__((unused));
static CK_RV pt_login(CK_SESSION_HANDLE h, CK_USER_TYPE u, const char *pin)
{
	return F->C_Login(h, u, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
}

static CK_FLAGS pt_token_flags(CK_SLOT_ID id) __attribute__((unused));
static CK_FLAGS pt_token_flags(CK_SLOT_ID id)
{
	CK_TOKEN_INFO ti;

	if (F->C_GetTokenInfo(id, &ti) != CKR_OK)
		return (CK_FLAGS)-1;
	return ti.flags;
}

#endif

#ifndef JPKI_P11_CORE_TEST_APDU
#define JPKI_P11_CORE_TEST_APDU
/* Sends a raw APDU (hex, spaces allowed) straight to the emulator, as
 * another program would; returns SW1SW2 or -1. */
static int pt_apdu(jp_emu *e, const char *hex) __attribute__((unused));
static int pt_apdu(jp_emu *e, const char *hex)
{
	static uint8_t rsp[JP_EMU_RSP_MAX];
	uint8_t cmd[300];
	size_t n = 0;
	long r;
	unsigned v;

	while (*hex && n < sizeof(cmd)) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &v) != 1)
			return -1;
		cmd[n++] = (uint8_t)v;
		hex += 2;
	}
	r = jp_emu_apdu(e, cmd, n, rsp);
	if (r < 2)
		return -1;
	return (rsp[r - 2] << 8) | rsp[r - 1];
}

/* Another program verifies a PIN on the card (ASCII). key 0 auth, 1 sign. */
static int pt_other_verify(jp_emu *e, int key, const char *pin) __attribute__((unused));
static int pt_other_verify(jp_emu *e, int key, const char *pin)
{
	char hex[128];
	size_t i, n = strlen(pin);
	int sw;

	sw = pt_apdu(e, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01");
	if (sw != 0x9000)
		return sw;
	sw = pt_apdu(e, key == 0 ? "00 A4 02 0C 02 00 18" : "00 A4 02 0C 02 00 1B");
	if (sw != 0x9000)
		return sw;
	snprintf(hex, sizeof(hex), "00 20 00 80 %02X", (unsigned)n);
	for (i = 0; i < n; i++)
		snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), " %02X", (unsigned char)pin[i]);
	return pt_apdu(e, hex);
}
#endif
