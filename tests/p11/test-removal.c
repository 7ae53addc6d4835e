/* Card removal mid-session: the operation fails with CKR_DEVICE_REMOVED,
 * the token's sessions become invalid, the other token's too (same card),
 * the login state is gone, and reinsertion gives a fresh token that works.
 * Also a card pulled in the middle of a command (emulator remove_nth). */
#include "config.h"

#include "tests/p11/p11-test.h"

static jp_emu *e;
static int idx;
static CK_SLOT_ID s[2];

static CK_OBJECT_HANDLE priv_key(CK_SESSION_HANDLE h)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	F->C_FindObjectsInit(h, &t, 1);
	F->C_FindObjects(h, &o, 1, &n);
	F->C_FindObjectsFinal(h);
	return n == 1 ? o : CK_INVALID_HANDLE;
}

static CK_RV sign(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE sig[256];
	CK_ULONG len = sizeof(sig);
	CK_RV rv = F->C_SignInit(h, &m, k);

	if (rv == CKR_OK)
		rv = F->C_Sign(h, (CK_BYTE_PTR)"data", 4, sig, &len);
	return rv;
}

int main(void)
{
	CK_SESSION_HANDLE a, b, a2;
	CK_SESSION_INFO si;
	CK_SLOT_INFO sl;
	CK_TOKEN_INFO ti;
	CK_OBJECT_HANDLE k;
	CK_RV rv;

	pt_load();
	idx = pt_reader_with_card("Removal Reader", 1, NULL, &e);
	pt_init();
	pt_slots(CK_FALSE, s, 2);
	F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &a);
	F->C_OpenSession(s[1], CKF_SERIAL_SESSION, NULL, NULL, &b);
	is_int(pt_login(a, CKU_USER, fixture_pin(1, 0)), CKR_OK, "login");
	k = priv_key(a);
	ok(k != CK_INVALID_HANDLE, "private key found");
	is_int(sign(a, k), CKR_OK, "signature with the card in");

	/* Pulled out between calls. */
	jp_emu_reader_eject(idx);
	rv = sign(a, k);
	ok(rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_HANDLE_INVALID,
	   "signature after removal: DEVICE_REMOVED (got 0x%lx)", (unsigned long)rv);
	is_int(F->C_GetSessionInfo(a, &si), CKR_SESSION_HANDLE_INVALID, "the session is gone");
	is_int(F->C_GetSessionInfo(b, &si), CKR_SESSION_HANDLE_INVALID,
	       "the other token's session too");
	is_int(F->C_CloseSession(a), CKR_SESSION_HANDLE_INVALID, "closing it: invalid handle");
	F->C_GetSlotInfo(s[0], &sl);
	is_int(sl.flags & CKF_TOKEN_PRESENT, 0, "no token");
	is_int(F->C_GetTokenInfo(s[0], &ti), CKR_TOKEN_NOT_PRESENT, "no token info");
	is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &a2), CKR_TOKEN_NOT_PRESENT,
	       "no new session");

	/* Back in: a fresh token, logged out. */
	jp_emu_reader_insert(idx, e);
	is_int(F->C_GetTokenInfo(s[0], &ti), CKR_OK, "token info after reinsertion");
	is_int(ti.ulSessionCount, 0, "no session counted");
	is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &a2), CKR_OK, "new session");
	F->C_GetSessionInfo(a2, &si);
	is_int(si.state, CKS_RO_PUBLIC_SESSION, "logged out");
	is_int(jp_emu_verified(e, 0), 0, "the card is unverified");
	is_int(pt_login(a2, CKU_USER, fixture_pin(1, 0)), CKR_OK, "login again");
	k = priv_key(a2);
	is_int(sign(a2, k), CKR_OK, "signature on the fresh token");

	/* Pulled out in the middle of the next command. */
	/* The sign command is the next APDU (by short EF identifier,
	 * doc/card.md §11). */
	jp_emu_opts(e)->remove_nth = jp_emu_apdu_count(e) + 1;
	rv = sign(a2, k);
	is_int(rv, CKR_DEVICE_REMOVED, "removed mid-signature: DEVICE_REMOVED");
	is_int(F->C_GetSessionInfo(a2, &si), CKR_SESSION_HANDLE_INVALID, "session invalid after it");
	jp_emu_opts(e)->remove_nth = 0;
	jp_emu_reinsert(e);
	{
		CK_SLOT_ID tmp[4];
		pt_slots(CK_TRUE, tmp, 4);
	}
	is_int(F->C_GetTokenInfo(s[0], &ti), CKR_OK, "the token is back after reinsertion");
	is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &a2), CKR_OK, "session");
	is_int(pt_login(a2, CKU_USER, fixture_pin(1, 0)), CKR_OK, "login");
	is_int(sign(a2, priv_key(a2)), CKR_OK, "and a signature");

	F->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(e);
	done_testing();
}
