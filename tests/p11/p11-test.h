/* Helpers for the p11 tier: the test build of the module (libjpki-test,
 * same sources, emulator transport) over emulated cards in in-process
 * readers, and the fixture certificates parsed independently with OpenSSL.
 * Header-only, like tests/tap.h.
 *
 * Two ways to set up, one set of names:
 *  - pt_load + pt_reader_with_card + pt_init: the test places its readers
 *    and cards itself and finds the slots with pt_slots;
 *  - pt_start/pt_stop: one card in one reader, the module initialized and
 *    the card's two slots found (pt_card).
 * Either way F is the module's function list. A setup that fails bails out
 * (tests/tap.h: exit status 99); PINs come from fixture_pin
 * (tests/fixture.h). */
#ifndef JPKI_P11_TEST_H
#define JPKI_P11_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "tests/tap.h"
#include "tests/fixture.h"
#include "tests/emu/emu.h"
#include "tests/emu/emu-transport.h"

#define PT_UNUSED __attribute__((unused))

static CK_FUNCTION_LIST_PTR F;

/* Token and slot constants the module promises (token.c, slot.c). */
#define PT_LABEL_AUTH "My Number Card (Authentication)"
#define PT_LABEL_SIGN "My Number Card (Signature)"
/* The reader pt_start puts its card in. */
#define PT_READER "JPKI Ops Reader 00 00"

/* The card's two keys, as fixture_pin and pt_card.slot index them. */
enum { PT_AUTH = 0, PT_SIGN = 1 };

/* One emulated card in its reader, the module initialized (pt_start). */
typedef struct pt_card {
	jp_emu *e;
	int reader;
	CK_SLOT_ID slot[2];     /* PT_AUTH, PT_SIGN */
} pt_card;

static PT_UNUSED void pt_load(void)
{
	/* The module reads the user's config file: not the developer's. */
	setenv("XDG_CONFIG_HOME", "/nonexistent/jpki-pkcs11-test", 1);
	if (C_GetFunctionList(&F) != CKR_OK || !F)
		bail_out("no function list");
}

/* An emulated card (fixture card_no; 0: none) in a new reader named name.
 * Returns the reader index; *e receives the emulator (the caller frees it). */
static PT_UNUSED int pt_reader_with_card(const char *name, int card_no, const jp_emu_options *o,
                                         jp_emu **e)
{
	int idx = jp_emu_reader_add(name);

	*e = NULL;
	if (idx < 0)
		return -1;
	if (card_no > 0) {
		*e = jp_emu_new(jp_emu_fixture_dir(card_no), o, NULL);
		if (!*e)
			bail_out("cannot create the emulated card %d", card_no);
		jp_emu_reader_insert(idx, *e);
	}
	return idx;
}

static PT_UNUSED int pt_init(void)
{
	return (int)F->C_Initialize(NULL);
}

/* The slot list (token present or not); returns the count. */
static PT_UNUSED CK_ULONG pt_slots(CK_BBOOL present, CK_SLOT_ID *out, CK_ULONG max)
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
static PT_UNUSED int pt_padded_eq(const CK_UTF8CHAR *field, size_t len, const char *want)
{
	size_t n = strlen(want), i;

	if (n > len || memcmp(field, want, n) != 0)
		return 0;
	for (i = n; i < len; i++)
		if (field[i] != ' ')
			return 0;
	return 1;
}

static PT_UNUSED CK_RV pt_login(CK_SESSION_HANDLE h, CK_USER_TYPE u, const char *pin)
{
	return F->C_Login(h, u, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
}

static PT_UNUSED CK_FLAGS pt_token_flags(CK_SLOT_ID id)
{
	CK_TOKEN_INFO ti;

	if (F->C_GetTokenInfo(id, &ti) != CKR_OK)
		return (CK_FLAGS)-1;
	return ti.flags;
}

/* Sends a raw APDU (hex, spaces allowed) straight to the emulator, as
 * another program would; returns SW1SW2 or -1. */
static PT_UNUSED int pt_apdu(jp_emu *e, const char *hex)
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
static PT_UNUSED int pt_other_verify(jp_emu *e, int key, const char *pin)
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

/* ---- one card in one reader (pt_start) ---- */

/* Slot description = reader name + purpose (slot.c). */
static PT_UNUSED void pt_find_slots(pt_card *t)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 16, i;
	CK_SLOT_INFO si;
	char desc[65];
	int have[2] = { 0, 0 };

	if (F->C_GetSlotList(CK_FALSE, ids, &n) != CKR_OK)
		bail_out("C_GetSlotList failed");
	for (i = 0; i < n; i++) {
		if (F->C_GetSlotInfo(ids[i], &si) != CKR_OK)
			continue;
		memcpy(desc, si.slotDescription, 64);
		desc[64] = 0;
		if (!strstr(desc, "JPKI Ops Reader"))
			continue;
		if (strstr(desc, "User Authentication")) {
			t->slot[PT_AUTH] = ids[i];
			have[PT_AUTH] = 1;
		} else if (strstr(desc, "Digital Signature")) {
			t->slot[PT_SIGN] = ids[i];
			have[PT_SIGN] = 1;
		}
	}
	if (!have[PT_AUTH] || !have[PT_SIGN])
		bail_out("the emulated reader's two slots were not found");
}

/* Emulated card card_no (opts may be NULL) in a fresh reader, the module
 * initialized with init_args (NULL: none). */
static PT_UNUSED void pt_start_args(pt_card *t, int card_no, const jp_emu_options *opts,
                                    CK_C_INITIALIZE_ARGS *init_args)
{
	memset(t, 0, sizeof(*t));
	t->e = jp_emu_new(jp_emu_fixture_dir(card_no), opts, NULL);
	if (!t->e)
		bail_out("no emulator for card %d", card_no);
	t->reader = jp_emu_reader_add(PT_READER);
	if (t->reader < 0)
		bail_out("no emulated reader");
	jp_emu_reader_insert(t->reader, t->e);
	pt_load();
	if (F->C_Initialize(init_args) != CKR_OK)
		bail_out("C_Initialize failed");
	pt_find_slots(t);
}

static PT_UNUSED void pt_start(pt_card *t, int card_no, const jp_emu_options *opts)
{
	pt_start_args(t, card_no, opts, NULL);
}

static PT_UNUSED void pt_stop(pt_card *t)
{
	F->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(t->e);
	t->e = NULL;
}

static PT_UNUSED CK_SESSION_HANDLE pt_open(pt_card *t, int key)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	if (F->C_OpenSession(t->slot[key], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h) !=
	    CKR_OK)
		bail_out("C_OpenSession failed");
	return h;
}

/* Handles of the objects matching (class, category or -1) visible to h. */
static PT_UNUSED CK_ULONG pt_find(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls, long category,
                                  CK_OBJECT_HANDLE *out, CK_ULONG max)
{
	CK_ULONG cat = (CK_ULONG)category, n = 0;
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat) },
	};

	if (F->C_FindObjectsInit(h, tmpl, category >= 0 ? 2 : 1) != CKR_OK)
		return 0;
	if (F->C_FindObjects(h, out, max, &n) != CKR_OK)
		n = 0;
	F->C_FindObjectsFinal(h);
	return n;
}

/* The one object of (class, category), or CK_INVALID_HANDLE. */
static PT_UNUSED CK_OBJECT_HANDLE pt_find1(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
                                           long category)
{
	CK_OBJECT_HANDLE o[4];

	return pt_find(h, cls, category, o, 4) == 1 ? o[0] : CK_INVALID_HANDLE;
}

/* ---- fixtures, parsed with OpenSSL ---- */

static PT_UNUSED X509 *pt_cert(int card_no, const char *name)
{
	size_t len;
	uint8_t *der = fixture_file(card_no, name, &len);
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (!x)
		bail_out("%s does not parse", name);
	free(der);
	return x;
}

static PT_UNUSED EVP_PKEY *pt_cert_key(int card_no, const char *name)
{
	X509 *x = pt_cert(card_no, name);
	EVP_PKEY *k = X509_get_pubkey(x);

	X509_free(x);
	return k;
}

/* The private key of the fixture (for signatures made without the card). */
static PT_UNUSED EVP_PKEY *pt_priv_key(int card_no, const char *name)
{
	size_t len;
	uint8_t *der = fixture_file(card_no, name, &len);
	const uint8_t *p = der;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)len);

	if (!k)
		bail_out("%s does not parse", name);
	free(der);
	return k;
}

/* SHA-1 of the subjectPublicKey BIT STRING's value: the expected CKA_ID. */
static PT_UNUSED void pt_key_id(X509 *x, uint8_t id[20])
{
	ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);

	SHA1(bits->data, (size_t)bits->length, id);
}

static PT_UNUSED const EVP_MD *pt_md(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_SHA_1: case CKM_SHA1_RSA_PKCS: return EVP_sha1();
	case CKM_SHA224: case CKM_SHA224_RSA_PKCS: return EVP_sha224();
	case CKM_SHA256: case CKM_SHA256_RSA_PKCS: return EVP_sha256();
	case CKM_SHA384: case CKM_SHA384_RSA_PKCS: return EVP_sha384();
	case CKM_SHA512: case CKM_SHA512_RSA_PKCS: return EVP_sha512();
	default: return NULL;
	}
}

/* Counts lines of the emulator's APDU log at path that start with
 * prefix (e.g. "> 00A4020C020001": SELECT EF 0001). */
static PT_UNUSED int pt_log_count(const char *path, const char *prefix)
{
	char line[8192];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	fclose(f);
	return n;
}

#endif
