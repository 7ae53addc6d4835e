/* What the card cannot do, table-driven: every such function still answers
 * in the order every function does (PKCS#11 v2.40 §5.1, §11.1): not
 * initialised, then the session handle (or slot ID), then NULL pointer
 * arguments, and only then "not supported" (or CKR_RANDOM_NO_RNG,
 * CKR_FUNCTION_NOT_PARALLEL). The v3.0 message-based functions are called
 * through the 3.0 interface. */
#include "config.h"

#include "jpki/pkcs11-3.h"
#include "tests/p11/p11-test.h"

static CK_FUNCTION_LIST_3_0_PTR F3;
static CK_BYTE buf[256];
static CK_ULONG len;
static CK_MECHANISM mech = { CKM_RSA_PKCS, NULL, 0 };
static CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
static CK_ATTRIBUTE tmpl[1] = { { CKA_CLASS, &cls, sizeof(cls) } };
static CK_OBJECT_HANDLE oh, oh2;

/* One row: the call with well-formed arguments (bad = 0) or with a NULL
 * where a pointer is required (bad = 1; functions without pointer
 * arguments have no such form: has_bad = 0, never called so). */
typedef struct row {
	const char *name;
	CK_RV (*call)(CK_SESSION_HANDLE h, int bad);
	int has_bad;
	CK_RV answer;
} row;

#define NS CKR_FUNCTION_NOT_SUPPORTED
#define CALL(name, good, badc) \
	static CK_RV c_##name(CK_SESSION_HANDLE h, int bad) \
	{ \
		len = sizeof(buf); \
		return bad ? (badc) : (good); \
	}

CALL(InitPIN, F->C_InitPIN(h, buf, 4), F->C_InitPIN(h, NULL, 4))
CALL(GetOperationState, F->C_GetOperationState(h, buf, &len),
     F->C_GetOperationState(h, buf, NULL))
CALL(SetOperationState, F->C_SetOperationState(h, buf, 4, 0, 0),
     F->C_SetOperationState(h, NULL, 4, 0, 0))
CALL(EncryptInit, F->C_EncryptInit(h, &mech, 1), F->C_EncryptInit(h, NULL, 1))
CALL(Encrypt, F->C_Encrypt(h, buf, 4, buf, &len), F->C_Encrypt(h, buf, 4, buf, NULL))
CALL(EncryptUpdate, F->C_EncryptUpdate(h, buf, 4, buf, &len),
     F->C_EncryptUpdate(h, NULL, 4, buf, &len))
CALL(EncryptFinal, F->C_EncryptFinal(h, buf, &len), F->C_EncryptFinal(h, buf, NULL))
CALL(DecryptInit, F->C_DecryptInit(h, &mech, 1), F->C_DecryptInit(h, NULL, 1))
CALL(Decrypt, F->C_Decrypt(h, buf, 4, buf, &len), F->C_Decrypt(h, NULL, 4, buf, &len))
CALL(DecryptUpdate, F->C_DecryptUpdate(h, buf, 4, buf, &len),
     F->C_DecryptUpdate(h, buf, 4, buf, NULL))
CALL(DecryptFinal, F->C_DecryptFinal(h, buf, &len), F->C_DecryptFinal(h, buf, NULL))
CALL(DigestKey, F->C_DigestKey(h, 1), 0)
CALL(SignRecoverInit, F->C_SignRecoverInit(h, &mech, 1), F->C_SignRecoverInit(h, NULL, 1))
CALL(SignRecover, F->C_SignRecover(h, buf, 4, buf, &len), F->C_SignRecover(h, buf, 4, buf, NULL))
CALL(VerifyRecoverInit, F->C_VerifyRecoverInit(h, &mech, 1),
     F->C_VerifyRecoverInit(h, NULL, 1))
CALL(VerifyRecover, F->C_VerifyRecover(h, buf, 4, buf, &len),
     F->C_VerifyRecover(h, NULL, 4, buf, &len))
CALL(DigestEncryptUpdate, F->C_DigestEncryptUpdate(h, buf, 4, buf, &len),
     F->C_DigestEncryptUpdate(h, buf, 4, buf, NULL))
CALL(DecryptDigestUpdate, F->C_DecryptDigestUpdate(h, buf, 4, buf, &len),
     F->C_DecryptDigestUpdate(h, NULL, 4, buf, &len))
CALL(SignEncryptUpdate, F->C_SignEncryptUpdate(h, buf, 4, buf, &len),
     F->C_SignEncryptUpdate(h, buf, 4, buf, NULL))
CALL(DecryptVerifyUpdate, F->C_DecryptVerifyUpdate(h, buf, 4, buf, &len),
     F->C_DecryptVerifyUpdate(h, buf, 4, buf, NULL))
CALL(GenerateKey, F->C_GenerateKey(h, &mech, tmpl, 1, &oh),
     F->C_GenerateKey(h, &mech, NULL, 1, &oh))
CALL(GenerateKeyPair, F->C_GenerateKeyPair(h, &mech, tmpl, 1, tmpl, 1, &oh, &oh2),
     F->C_GenerateKeyPair(h, &mech, tmpl, 1, tmpl, 1, &oh, NULL))
CALL(WrapKey, F->C_WrapKey(h, &mech, 1, 2, buf, &len), F->C_WrapKey(h, NULL, 1, 2, buf, &len))
CALL(UnwrapKey, F->C_UnwrapKey(h, &mech, 1, buf, 4, tmpl, 1, &oh),
     F->C_UnwrapKey(h, &mech, 1, NULL, 4, tmpl, 1, &oh))
CALL(DeriveKey, F->C_DeriveKey(h, &mech, 1, tmpl, 1, &oh),
     F->C_DeriveKey(h, &mech, 1, tmpl, 1, NULL))
CALL(SeedRandom, F->C_SeedRandom(h, buf, 4), F->C_SeedRandom(h, NULL, 4))
CALL(GenerateRandom, F->C_GenerateRandom(h, buf, 4), F->C_GenerateRandom(h, NULL, 4))
CALL(GetFunctionStatus, F->C_GetFunctionStatus(h), 0)
CALL(CancelFunction, F->C_CancelFunction(h), 0)
/* v3.0 message-based functions */
CALL(MessageEncryptInit, F3->C_MessageEncryptInit(h, &mech, 1),
     F3->C_MessageEncryptInit(h, NULL, 1))
CALL(EncryptMessage, F3->C_EncryptMessage(h, buf, 4, buf, 4, buf, 4, buf, &len),
     F3->C_EncryptMessage(h, buf, 4, buf, 4, buf, 4, buf, NULL))
CALL(EncryptMessageBegin, F3->C_EncryptMessageBegin(h, buf, 4, buf, 4),
     F3->C_EncryptMessageBegin(h, NULL, 4, buf, 4))
CALL(EncryptMessageNext, F3->C_EncryptMessageNext(h, buf, 4, buf, 4, buf, &len, 0),
     F3->C_EncryptMessageNext(h, buf, 4, NULL, 4, buf, &len, 0))
CALL(MessageEncryptFinal, F3->C_MessageEncryptFinal(h), 0)
CALL(MessageDecryptInit, F3->C_MessageDecryptInit(h, &mech, 1),
     F3->C_MessageDecryptInit(h, NULL, 1))
CALL(DecryptMessage, F3->C_DecryptMessage(h, buf, 4, buf, 4, buf, 4, buf, &len),
     F3->C_DecryptMessage(h, buf, 4, NULL, 4, buf, 4, buf, &len))
CALL(DecryptMessageBegin, F3->C_DecryptMessageBegin(h, buf, 4, buf, 4),
     F3->C_DecryptMessageBegin(h, buf, 4, NULL, 4))
CALL(DecryptMessageNext, F3->C_DecryptMessageNext(h, buf, 4, buf, 4, buf, &len, 0),
     F3->C_DecryptMessageNext(h, buf, 4, buf, 4, buf, NULL, 0))
CALL(MessageDecryptFinal, F3->C_MessageDecryptFinal(h), 0)
CALL(MessageSignInit, F3->C_MessageSignInit(h, &mech, 1), F3->C_MessageSignInit(h, NULL, 1))
CALL(SignMessage, F3->C_SignMessage(h, buf, 4, buf, 4, buf, &len),
     F3->C_SignMessage(h, buf, 4, buf, 4, buf, NULL))
CALL(SignMessageBegin, F3->C_SignMessageBegin(h, buf, 4), F3->C_SignMessageBegin(h, NULL, 4))
CALL(SignMessageNext, F3->C_SignMessageNext(h, buf, 4, buf, 4, NULL, NULL),
     F3->C_SignMessageNext(h, buf, 4, NULL, 4, NULL, NULL))
CALL(MessageSignFinal, F3->C_MessageSignFinal(h), 0)
CALL(MessageVerifyInit, F3->C_MessageVerifyInit(h, &mech, 1),
     F3->C_MessageVerifyInit(h, NULL, 1))
CALL(VerifyMessage, F3->C_VerifyMessage(h, buf, 4, buf, 4, buf, 4),
     F3->C_VerifyMessage(h, buf, 4, buf, 4, NULL, 4))
CALL(VerifyMessageBegin, F3->C_VerifyMessageBegin(h, buf, 4),
     F3->C_VerifyMessageBegin(h, NULL, 4))
CALL(VerifyMessageNext, F3->C_VerifyMessageNext(h, buf, 4, buf, 4, buf, 4),
     F3->C_VerifyMessageNext(h, buf, 4, NULL, 4, buf, 4))
CALL(MessageVerifyFinal, F3->C_MessageVerifyFinal(h), 0)

#define ROW(name, has_bad, answer) { "C_" #name, c_##name, has_bad, answer }
static const row rows[] = {
	ROW(InitPIN, 1, NS),
	ROW(GetOperationState, 1, NS),
	ROW(SetOperationState, 1, NS),
	ROW(EncryptInit, 1, NS),
	ROW(Encrypt, 1, NS),
	ROW(EncryptUpdate, 1, NS),
	ROW(EncryptFinal, 1, NS),
	ROW(DecryptInit, 1, NS),
	ROW(Decrypt, 1, NS),
	ROW(DecryptUpdate, 1, NS),
	ROW(DecryptFinal, 1, NS),
	ROW(DigestKey, 0, NS),
	ROW(SignRecoverInit, 1, NS),
	ROW(SignRecover, 1, NS),
	ROW(VerifyRecoverInit, 1, NS),
	ROW(VerifyRecover, 1, NS),
	ROW(DigestEncryptUpdate, 1, NS),
	ROW(DecryptDigestUpdate, 1, NS),
	ROW(SignEncryptUpdate, 1, NS),
	ROW(DecryptVerifyUpdate, 1, NS),
	ROW(GenerateKey, 1, NS),
	ROW(GenerateKeyPair, 1, NS),
	ROW(WrapKey, 1, NS),
	ROW(UnwrapKey, 1, NS),
	ROW(DeriveKey, 1, NS),
	ROW(SeedRandom, 1, CKR_RANDOM_NO_RNG),
	ROW(GenerateRandom, 1, CKR_RANDOM_NO_RNG),
	ROW(GetFunctionStatus, 0, CKR_FUNCTION_NOT_PARALLEL),
	ROW(CancelFunction, 0, CKR_FUNCTION_NOT_PARALLEL),
	ROW(MessageEncryptInit, 1, NS),
	ROW(EncryptMessage, 1, NS),
	ROW(EncryptMessageBegin, 1, NS),
	ROW(EncryptMessageNext, 1, NS),
	ROW(MessageEncryptFinal, 0, NS),
	ROW(MessageDecryptInit, 1, NS),
	ROW(DecryptMessage, 1, NS),
	ROW(DecryptMessageBegin, 1, NS),
	ROW(DecryptMessageNext, 1, NS),
	ROW(MessageDecryptFinal, 0, NS),
	ROW(MessageSignInit, 1, NS),
	ROW(SignMessage, 1, NS),
	ROW(SignMessageBegin, 1, NS),
	ROW(SignMessageNext, 1, NS),
	ROW(MessageSignFinal, 0, NS),
	ROW(MessageVerifyInit, 1, NS),
	ROW(VerifyMessage, 1, NS),
	ROW(VerifyMessageBegin, 1, NS),
	ROW(VerifyMessageNext, 1, NS),
	ROW(MessageVerifyFinal, 0, NS),
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

int main(void)
{
	CK_INTERFACE_PTR iface = NULL;
	CK_SESSION_HANDLE h;
	CK_SLOT_ID slots[8];
	jp_emu *e;
	size_t i;

	pt_load();
	if (C_GetInterface(NULL, NULL, &iface, 0) != CKR_OK || !iface)
		bail_out("no 3.0 interface");
	F3 = iface->pFunctionList;
	if (pt_reader_with_card("Emu Reader 0", 1, NULL, &e) < 0)
		bail_out("no reader");

	/* Not initialised: that comes first, whatever the arguments. */
	for (i = 0; i < N_ROWS; i++)
		is_int(rows[i].call(1, rows[i].has_bad), CKR_CRYPTOKI_NOT_INITIALIZED, "%s before C_Initialize",
		       rows[i].name);
	is_int(F->C_InitToken(0x4a50, NULL, 0, NULL), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "C_InitToken before C_Initialize");

	is_int(pt_init(), CKR_OK, "C_Initialize");
	if (pt_slots(CK_TRUE, slots, 8) < 2 ||
	    F->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK)
		bail_out("no session");
	for (i = 0; i < N_ROWS; i++) {
		const row *r = &rows[i];

		/* The session before the arguments. */
		is_int(r->call(99999, r->has_bad), CKR_SESSION_HANDLE_INVALID, "%s: unknown session",
		       r->name);
		if (r->has_bad)
			is_int(r->call(h, 1), CKR_ARGUMENTS_BAD, "%s: a NULL argument", r->name);
		is_int(r->call(h, 0), r->answer, "%s: well-formed, answered 0x%lx", r->name,
		       r->answer);
	}
	/* C_InitToken takes a slot, not a session. */
	is_int(F->C_InitToken(99999, buf, 4, buf), CKR_SLOT_ID_INVALID, "C_InitToken: unknown slot");
	is_int(F->C_InitToken(slots[0], buf, 4, NULL), CKR_ARGUMENTS_BAD,
	       "C_InitToken: NULL label");
	memset(buf, ' ', 32);
	is_int(F->C_InitToken(slots[0], buf, 4, buf), NS, "C_InitToken: not supported");
	/* None of it disturbed the session. */
	{
		CK_SESSION_INFO si;
		is_int(F->C_GetSessionInfo(h, &si), CKR_OK, "the session is still there");
	}
	F->C_Finalize(NULL);
	jp_emu_free(e);
	done_testing();
}
