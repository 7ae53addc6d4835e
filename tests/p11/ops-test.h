/* Helpers for p11-ops' tests (objects, attributes, find, mechanisms, sign,
 * verify, digest): the test module over an emulated card in an in-process
 * reader, and the fixture certificates parsed independently with OpenSSL.
 * Header-only, like tests/tap.h. */
#ifndef JPKI_OPS_TEST_H
#define JPKI_OPS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "tests/emu/emu.h"
#include "tests/emu/emu-transport.h"
#include "tests/tap.h"

#define OT_READER "JPKI Ops Reader 00 00"
#define OT_UNUSED __attribute__((unused))

enum { OT_AUTH = 0, OT_SIGN = 1 };

typedef struct ot {
	CK_FUNCTION_LIST_PTR f;
	jp_emu *e;
	int reader;
	CK_SLOT_ID slot[2];     /* OT_AUTH, OT_SIGN */
	int have_slot[2];
} ot;

#define OT_BAIL(...) do { printf("Bail out! "); printf(__VA_ARGS__); printf("\n"); exit(99); } while (0)

/* Slot description = reader name + purpose (p11-core's slot.c). */
static void ot_find_slots(ot *t)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 16, i;
	CK_SLOT_INFO si;
	char desc[65];

	t->have_slot[0] = t->have_slot[1] = 0;
	if (t->f->C_GetSlotList(CK_FALSE, ids, &n) != CKR_OK)
		OT_BAIL("C_GetSlotList failed");
	for (i = 0; i < n; i++) {
		if (t->f->C_GetSlotInfo(ids[i], &si) != CKR_OK)
			continue;
		memcpy(desc, si.slotDescription, 64);
		desc[64] = 0;
		if (!strstr(desc, "JPKI Ops Reader"))
			continue;
		if (strstr(desc, "User Authentication")) {
			t->slot[OT_AUTH] = ids[i];
			t->have_slot[OT_AUTH] = 1;
		} else if (strstr(desc, "Digital Signature")) {
			t->slot[OT_SIGN] = ids[i];
			t->have_slot[OT_SIGN] = 1;
		}
	}
	if (!t->have_slot[0] || !t->have_slot[1])
		OT_BAIL("the emulated reader's two slots were not found");
}

/* Emulated card card_no (opts may be NULL) in a fresh reader, the module
 * initialized with init_args (NULL: none). */
static OT_UNUSED void ot_start_args(ot *t, int card_no, const jp_emu_options *opts,
                                    CK_C_INITIALIZE_ARGS *init_args)
{
	memset(t, 0, sizeof(*t));
	/* The module reads the user's config file: not the developer's. */
	setenv("XDG_CONFIG_HOME", "/nonexistent/jpki-pkcs11-test", 1);
	t->e = jp_emu_new(jp_emu_fixture_dir(card_no), opts, NULL);
	if (!t->e)
		OT_BAIL("no emulator for card %d", card_no);
	t->reader = jp_emu_reader_add(OT_READER);
	if (t->reader < 0)
		OT_BAIL("no emulated reader");
	jp_emu_reader_insert(t->reader, t->e);
	if (C_GetFunctionList(&t->f) != CKR_OK || !t->f)
		OT_BAIL("C_GetFunctionList failed");
	if (t->f->C_Initialize(init_args) != CKR_OK)
		OT_BAIL("C_Initialize failed");
	ot_find_slots(t);
}

static OT_UNUSED void ot_start(ot *t, int card_no, const jp_emu_options *opts)
{
	ot_start_args(t, card_no, opts, NULL);
}

static OT_UNUSED void ot_stop(ot *t)
{
	t->f->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(t->e);
	t->e = NULL;
}

static OT_UNUSED CK_SESSION_HANDLE ot_open(ot *t, int which)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	if (t->f->C_OpenSession(t->slot[which], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                        &h) != CKR_OK)
		OT_BAIL("C_OpenSession failed");
	return h;
}

static OT_UNUSED const char *ot_pin(int card_no, int which)
{
	static char pins[2][32];

	if (jp_emu_fixture_pin(card_no, which, pins[which], sizeof(pins[which])) != 0)
		OT_BAIL("no PIN for card %d key %d", card_no, which);
	return pins[which];
}

static OT_UNUSED CK_RV ot_login(ot *t, CK_SESSION_HANDLE h, CK_USER_TYPE user, int card_no,
                                int which)
{
	const char *pin = ot_pin(card_no, which);

	return t->f->C_Login(h, user, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

/* Handles of the objects matching (class, category or -1) visible to h. */
static OT_UNUSED CK_ULONG ot_find(ot *t, CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls, long category,
                                  CK_OBJECT_HANDLE *out, CK_ULONG max)
{
	CK_ULONG cat = (CK_ULONG)category, n = 0;
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat) },
	};

	if (t->f->C_FindObjectsInit(h, tmpl, category >= 0 ? 2 : 1) != CKR_OK)
		return 0;
	if (t->f->C_FindObjects(h, out, max, &n) != CKR_OK)
		n = 0;
	t->f->C_FindObjectsFinal(h);
	return n;
}

/* The one object of (class, category), or CK_INVALID_HANDLE. */
static OT_UNUSED CK_OBJECT_HANDLE ot_find1(ot *t, CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
                                           long category)
{
	CK_OBJECT_HANDLE o[4];

	return ot_find(t, h, cls, category, o, 4) == 1 ? o[0] : CK_INVALID_HANDLE;
}

/* ---- fixtures, parsed with OpenSSL ---- */

static OT_UNUSED uint8_t *ot_file(int card_no, const char *name, size_t *len)
{
	char path[4300];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", jp_emu_fixture_dir(card_no), name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
		OT_BAIL("cannot read %s", path);
	buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		OT_BAIL("cannot read %s", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static OT_UNUSED X509 *ot_cert(int card_no, const char *name)
{
	size_t len;
	uint8_t *der = ot_file(card_no, name, &len);
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (!x)
		OT_BAIL("%s does not parse", name);
	free(der);
	return x;
}

static OT_UNUSED EVP_PKEY *ot_cert_key(int card_no, const char *name)
{
	X509 *x = ot_cert(card_no, name);
	EVP_PKEY *k = X509_get_pubkey(x);

	X509_free(x);
	return k;
}

/* The private key of the fixture (for signatures made without the card). */
static OT_UNUSED EVP_PKEY *ot_priv_key(int card_no, const char *name)
{
	size_t len;
	uint8_t *der = ot_file(card_no, name, &len);
	const uint8_t *p = der;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)len);

	if (!k)
		OT_BAIL("%s does not parse", name);
	free(der);
	return k;
}

/* SHA-1 of the subjectPublicKey BIT STRING's value: the expected CKA_ID. */
static OT_UNUSED void ot_key_id(X509 *x, uint8_t id[20])
{
	ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(x);

	SHA1(bits->data, (size_t)bits->length, id);
}

static OT_UNUSED const EVP_MD *ot_md(CK_MECHANISM_TYPE m)
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
static OT_UNUSED int ot_log_count(const char *path, const char *prefix)
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
