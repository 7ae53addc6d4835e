/* The module against the card variants of doc/card.md §11: a card without a
 * signing certificate (EF 0008 says so, or EF 0001/0002 are missing while
 * the key and PIN EFs exist) shows no signature token and never asks for
 * its password; the smartphone tokens say "Smartphone" and show their
 * authentication certificate only after the PIN. */
#include "config.h"

#include "tests/p11/p11-test.h"

#define CARD 1

static CK_ULONG count_objects(CK_SESSION_HANDLE h)
{
	CK_OBJECT_HANDLE all[16];
	CK_ULONG n = 0;

	if (F->C_FindObjectsInit(h, NULL, 0) == CKR_OK) {
		if (F->C_FindObjects(h, all, 16, &n) != CKR_OK)
			n = 0;
		F->C_FindObjectsFinal(h);
	}
	return n;
}

static int label_is(const CK_UTF8CHAR *field, const char *want)
{
	size_t n = strlen(want), i;

	if (memcmp(field, want, n) != 0)
		return 0;
	for (i = n; i < 32; i++)
		if (field[i] != ' ')
			return 0;
	return 1;
}

/* No signing certificate: what the signature slot shows. */
static void no_sign_cert(jp_emu_ef0008 ef0008, const char *what)
{
	pt_card t;
	jp_emu_options o;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE, ha;
	CK_SLOT_ID ids[8];
	CK_ULONG n = 8, i;
	int listed = 0;

	memset(&o, 0, sizeof(o));
	o.no_sign = JP_EMU_SIGN_CERTS_ABSENT;
	o.ef0008 = ef0008;
	pt_start(&t, CARD, &o);
	is_int(F->C_GetSlotInfo(t.slot[PT_SIGN], &si), CKR_OK, "[%s] signature slot info", what);
	is_int(si.flags & CKF_TOKEN_PRESENT, 0, "[%s] CKF_TOKEN_PRESENT clear", what);
	is_int(F->C_GetTokenInfo(t.slot[PT_SIGN], &ti), CKR_TOKEN_NOT_PRESENT,
	       "[%s] no token info", what);
	is_int(F->C_OpenSession(t.slot[PT_SIGN], CKF_SERIAL_SESSION, NULL, NULL, &h),
	       CKR_TOKEN_NOT_PRESENT, "[%s] no session on it", what);
	is_int(F->C_GetSlotList(CK_TRUE, ids, &n), CKR_OK, "[%s] slots with a token", what);
	for (i = 0; i < n; i++)
		listed += ids[i] == t.slot[PT_SIGN];
	is_int(listed, 0, "[%s] the signature slot is not among them", what);
	/* The authentication token is unchanged. */
	is_int(F->C_GetSlotInfo(t.slot[PT_AUTH], &si), CKR_OK, "[%s] auth slot info", what);
	ok(si.flags & CKF_TOKEN_PRESENT, "[%s] the authentication token is there", what);
	ha = pt_open(&t, PT_AUTH);
	is_int(pt_login(ha, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "[%s] auth login", what);
	is_int(count_objects(ha), 5, "[%s] auth token: its 5 objects", what);
	/* Nobody asked the card about the signing password at all. */
	is_int(jp_emu_verify_count(t.e), 1, "[%s] one VERIFY in all (the auth PIN)", what);
	is_int(jp_emu_tries(t.e, 1), 5, "[%s] the signing password has all its tries", what);
	pt_stop(&t);
}

/* The smartphone tokens (doc/card.md §11). */
static void smartphone(jp_emu_kind kind, const char *what)
{
	pt_card t;
	jp_emu_options o;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	pt_start(&t, CARD, &o);
	is_int(F->C_GetTokenInfo(t.slot[PT_AUTH], &ti), CKR_OK, "[%s] auth token info", what);
	ok(label_is(ti.label, "Smartphone JPKI (Authentication)"), "[%s] label %.32s", what,
	   ti.label);
	is_int(F->C_GetTokenInfo(t.slot[PT_SIGN], &ti), CKR_OK, "[%s] sign token info", what);
	ok(label_is(ti.label, "Smartphone JPKI (Signature)"), "[%s] label %.32s", what, ti.label);
	ok(pt_padded_eq(ti.model, sizeof(ti.model), "Smartphone"), "[%s] model %.16s", what,
	   ti.model);
	h = pt_open(&t, PT_AUTH);
	is_int(count_objects(h), 1, "[%s] before the PIN: the CA certificate only", what);
	ok(pt_find1(h, CKO_CERTIFICATE, 1) == CK_INVALID_HANDLE, "[%s] no holder certificate",
	   what);
	is_int(jp_emu_verify_count(t.e), 0, "[%s] no VERIFY for it", what);
	is_int(pt_login(h, CKU_USER, fixture_pin(CARD, PT_AUTH)), CKR_OK, "[%s] auth login", what);
	is_int(count_objects(h), 4, "[%s] after it: certificate, CA, public and private key",
	       what);
	ok(pt_find1(h, CKO_CERTIFICATE, 1) != CK_INVALID_HANDLE, "[%s] the holder certificate",
	   what);
	is_int(F->C_Logout(h), CKR_OK, "[%s] logout", what);
	is_int(count_objects(h), 1, "[%s] after logout: the CA certificate only", what);
	pt_stop(&t);
}

int main(void)
{
	no_sign_cert(JP_EMU_EF0008_AUTO, "EF 0008 00 8F 00");
	no_sign_cert(JP_EMU_EF0008_ABSENT, "no EF 0008, EF 0001 missing");
	smartphone(JP_EMU_ANDROID, "Android");
	smartphone(JP_EMU_IPHONE, "iPhone");
	done_testing();
}
