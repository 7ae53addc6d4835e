/* The PKCS#11 v3.0 interface (v3.0 §5.4.5-6): C_GetInterfaceList and
 * C_GetInterface hand out "PKCS 11" 3.0 (the default) and 2.40, no
 * fork-safe flag; C_GetInfo says which list it was reached through;
 * C_LoginUser without a name is C_Login, with one refused before the card
 * sees the PIN; C_SessionCancel ends the named operations only. */
#include "config.h"

#include "jpki/pkcs11-3.h"
#include "tests/p11/p11-test.h"

static CK_FUNCTION_LIST_3_0_PTR F3;

static void test_interfaces(void)
{
	CK_INTERFACE list[3];
	CK_INTERFACE_PTR i = NULL;
	CK_ULONG n = 0;
	CK_VERSION v240 = { 2, 40 }, v30 = { 3, 0 }, v99 = { 9, 9 };
	const CK_VERSION *v;

	is_int(C_GetInterfaceList(NULL, NULL), CKR_ARGUMENTS_BAD, "GetInterfaceList(NULL count)");
	is_int(C_GetInterfaceList(NULL, &n), CKR_OK, "GetInterfaceList: the count");
	is_int(n, 2, "two interfaces");
	n = 1;
	is_int(C_GetInterfaceList(list, &n), CKR_BUFFER_TOO_SMALL, "a list of 1: too small");
	is_int(n, 2, "and the count");
	n = 3;
	is_int(C_GetInterfaceList(list, &n), CKR_OK, "GetInterfaceList");
	ok(n == 2 && strcmp((char *)list[0].pInterfaceName, "PKCS 11") == 0 &&
	   strcmp((char *)list[1].pInterfaceName, "PKCS 11") == 0, "both are \"PKCS 11\"");
	v = list[0].pFunctionList;
	ok(v->major == 3 && v->minor == 0, "the first is 3.0");
	v = list[1].pFunctionList;
	ok(v->major == 2 && v->minor == 40, "the second is 2.40");
	ok(list[1].pFunctionList == (void *)F, "2.40 is C_GetFunctionList's list");
	/* v3.0 §3.6: fork-safe means a child keeps sessions and logins; a child
	 * of this module starts uninitialised (test-fork). */
	ok(list[0].flags == 0 && list[1].flags == 0, "no CKF_INTERFACE_FORK_SAFE");

	is_int(C_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD, "GetInterface(NULL out)");
	is_int(C_GetInterface(NULL, NULL, &i, 0), CKR_OK, "GetInterface(NULL, NULL): the default");
	ok(i && i->pFunctionList == list[0].pFunctionList, "the default is 3.0");
	i = NULL;
	is_int(C_GetInterface((CK_UTF8CHAR_PTR)"PKCS 11", &v240, &i, 0), CKR_OK, "\"PKCS 11\" 2.40");
	ok(i && i->pFunctionList == (void *)F, "is the 2.40 list");
	i = NULL;
	is_int(C_GetInterface((CK_UTF8CHAR_PTR)"PKCS 11", &v30, &i, 0), CKR_OK, "\"PKCS 11\" 3.0");
	ok(i && i->pFunctionList == list[0].pFunctionList, "is the 3.0 list");
	is_int(C_GetInterface((CK_UTF8CHAR_PTR)"PKCS 11", &v99, &i, 0), CKR_ARGUMENTS_BAD,
	       "no version 9.9");
	is_int(C_GetInterface((CK_UTF8CHAR_PTR)"Vendor ACME", NULL, &i, 0), CKR_ARGUMENTS_BAD,
	       "no vendor interface");
	is_int(C_GetInterface(NULL, NULL, &i, CKF_INTERFACE_FORK_SAFE), CKR_ARGUMENTS_BAD,
	       "no fork-safe interface");
	F3 = list[0].pFunctionList;
}

static void test_lists(void)
{
	void (**f2)(void) = (void (**)(void))(void *)&F->C_Initialize;
	void (**f3)(void) = (void (**)(void))(void *)&F3->C_Initialize;
	size_t i, n3 = (sizeof(*F3) - offsetof(CK_FUNCTION_LIST_3_0, C_Initialize)) /
	               sizeof(void (*)(void));
	size_t nnull = 0, differ = 0;

	is_int(n3, 92, "92 functions in the 3.0 list");
	for (i = 0; i < n3; i++)
		nnull += f3[i] == NULL;
	is_int(nnull, 0, "no NULL entry");
	/* The same functions, but C_GetInfo (it reports its list's version). */
	for (i = 0; i < 68; i++)
		differ += f2[i] != f3[i];
	ok(differ == 1 && F->C_GetInfo != F3->C_GetInfo, "the 3.0 list is the 2.40 one but C_GetInfo");
}

static void test_info(void)
{
	CK_INFO a, b;

	is_int(F3->C_GetInfo(&b), CKR_CRYPTOKI_NOT_INITIALIZED, "3.0 GetInfo before Initialize");
	is_int(F3->C_Initialize(NULL), CKR_OK, "Initialize through the 3.0 list");
	is_int(F->C_GetInfo(&a), CKR_OK, "GetInfo (2.40)");
	is_int(F3->C_GetInfo(&b), CKR_OK, "GetInfo (3.0)");
	ok(a.cryptokiVersion.major == 2 && a.cryptokiVersion.minor == 40, "2.40 through the 2.40 list");
	ok(b.cryptokiVersion.major == 3 && b.cryptokiVersion.minor == 0, "3.0 through the 3.0 list");
	ok(memcmp(a.manufacturerID, b.manufacturerID, sizeof(a.manufacturerID)) == 0 &&
	   a.libraryVersion.major == b.libraryVersion.major &&
	   a.libraryVersion.minor == b.libraryVersion.minor, "otherwise the same");
	is_int(F3->C_GetInfo(NULL), CKR_ARGUMENTS_BAD, "GetInfo(NULL)");
}

static CK_RV login_user(CK_SESSION_HANDLE h, CK_USER_TYPE u, const char *pin, const char *name,
                        CK_ULONG name_len)
{
	return F3->C_LoginUser(h, u, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin),
	                       (CK_UTF8CHAR_PTR)name, name_len);
}

static CK_ULONG session_state(CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;

	return F->C_GetSessionInfo(h, &si) == CKR_OK ? si.state : (CK_ULONG)-1;
}

static void test_login_user(CK_SLOT_ID auth, CK_SESSION_HANDLE h)
{
	const char *pin = fixture_pin(1, 0);

	/* A name: refused before the card sees the PIN, so a wrong PIN with a
	 * name costs no try (the token would say "count low" after one). */
	is_int(login_user(h, CKU_USER, "0000", "someone", 7), CKR_ARGUMENTS_BAD,
	       "LoginUser with a user name");
	is_int(login_user(h, CKU_USER, "0000", NULL, 3), CKR_ARGUMENTS_BAD,
	       "LoginUser with a NULL name of length 3");
	ok(!(pt_token_flags(auth) & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY)),
	   "no PIN try was spent");
	is_int(session_state(h), CKS_RO_PUBLIC_SESSION, "not logged in");
	is_int(login_user(h, CKU_SO, pin, NULL, 0), CKR_USER_TYPE_INVALID, "LoginUser CKU_SO");
	is_int(login_user(h, CKU_SO, pin, "so", 2), CKR_USER_TYPE_INVALID,
	       "LoginUser CKU_SO with a name: the type first");
	is_int(F3->C_LoginUser(99999, CKU_USER, (CK_UTF8CHAR_PTR)pin, 4, NULL, 0),
	       CKR_SESSION_HANDLE_INVALID, "LoginUser: unknown session");
	is_int(login_user(h, CKU_USER, pin, NULL, 0), CKR_OK, "LoginUser, no name: C_Login");
	is_int(session_state(h), CKS_RO_USER_FUNCTIONS, "logged in");
	is_int(login_user(h, CKU_USER, pin, NULL, 0), CKR_USER_ALREADY_LOGGED_IN,
	       "again: already logged in, as C_Login says");
	is_int(F->C_Logout(h), CKR_OK, "Logout");
	is_int(login_user(h, CKU_USER, pin, "", 0), CKR_OK, "LoginUser with an empty name");
	is_int(session_state(h), CKS_RO_USER_FUNCTIONS, "logged in");
}

static CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	if (F->C_FindObjectsInit(h, &t, 1) == CKR_OK) {
		F->C_FindObjects(h, &o, 1, &n);
		F->C_FindObjectsFinal(h);
	}
	return n == 1 ? o : CK_INVALID_HANDLE;
}

static void test_cancel(CK_SESSION_HANDLE h)
{
	CK_MECHANISM sha = { CKM_SHA256, NULL, 0 }, rsa = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE priv = find_one(h, CKO_PRIVATE_KEY), pub = find_one(h, CKO_PUBLIC_KEY);
	CK_OBJECT_HANDLE o;
	CK_BYTE data[4] = "abc", out[512];
	CK_ULONG n = sizeof(out);

	ok(priv && pub, "the key pair (logged in)");
	is_int(F3->C_SessionCancel(99999, CKF_SIGN), CKR_SESSION_HANDLE_INVALID,
	       "SessionCancel: unknown session");
	/* A find. */
	is_int(F->C_FindObjectsInit(h, NULL, 0), CKR_OK, "FindObjectsInit");
	is_int(F3->C_SessionCancel(h, CKF_SIGN | CKF_DIGEST), CKR_OK, "cancel sign and digest");
	is_int(F->C_FindObjects(h, &o, 1, &n), CKR_OK, "the find is untouched");
	is_int(F3->C_SessionCancel(h, CKF_FIND_OBJECTS), CKR_OK, "cancel the find");
	is_int(F->C_FindObjects(h, &o, 1, &n), CKR_OPERATION_NOT_INITIALIZED, "the find is over");
	/* No flags: nothing changes. Every kind active, then one at a time. */
	ok(F->C_DigestInit(h, &sha) == CKR_OK && F->C_SignInit(h, &rsa, priv) == CKR_OK &&
	   F->C_VerifyInit(h, &rsa, pub) == CKR_OK && F->C_FindObjectsInit(h, NULL, 0) == CKR_OK,
	   "digest, sign, verify and find active");
	is_int(F3->C_SessionCancel(h, 0), CKR_OK, "SessionCancel(0)");
	is_int(F->C_DigestInit(h, &sha), CKR_OPERATION_ACTIVE, "the digest is still active");
	is_int(F3->C_SessionCancel(h, CKF_DIGEST), CKR_OK, "cancel the digest");
	is_int(F->C_DigestUpdate(h, data, 3), CKR_OPERATION_NOT_INITIALIZED, "the digest is over");
	is_int(F->C_SignInit(h, &rsa, priv), CKR_OPERATION_ACTIVE, "the signature is still active");
	is_int(F3->C_SessionCancel(h, CKF_SIGN | CKF_ENCRYPT), CKR_OK,
	       "cancel sign (and encrypt, never active)");
	n = sizeof(out);
	is_int(F->C_Sign(h, data, 3, out, &n), CKR_OPERATION_NOT_INITIALIZED, "the signature is over");
	is_int(F->C_VerifyInit(h, &rsa, pub), CKR_OPERATION_ACTIVE, "the verification is still active");
	is_int(F3->C_SessionCancel(h, CKF_VERIFY | CKF_FIND_OBJECTS), CKR_OK,
	       "cancel verify and find");
	is_int(F->C_VerifyUpdate(h, data, 3), CKR_OPERATION_NOT_INITIALIZED, "the verification is over");
	is_int(F->C_FindObjectsFinal(h), CKR_OPERATION_NOT_INITIALIZED, "the find is over");
	is_int(F->C_DigestInit(h, &sha), CKR_OK, "a new digest can start");
	n = sizeof(out);
	is_int(F->C_Digest(h, data, 3, out, &n), CKR_OK, "and end");
}

int main(void)
{
	CK_SLOT_ID slots[8];
	CK_SESSION_HANDLE h;
	jp_emu *e;

	pt_load();
	test_interfaces();
	if (!F3)
		bail_out("no 3.0 list");
	test_lists();
	if (pt_reader_with_card("Emu Reader 0", 1, NULL, &e) < 0)
		bail_out("no reader");
	test_info();
	if (pt_slots(CK_TRUE, slots, 8) < 2 ||
	    F->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK)
		bail_out("no session");
	test_login_user(slots[0], h);
	test_cancel(h);
	is_int(F3->C_Finalize(NULL), CKR_OK, "Finalize through the 3.0 list");
	jp_emu_free(e);
	done_testing();
}
