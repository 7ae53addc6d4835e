/* Sessions: open/close/close-all, RO/RW, session info states before and
 * after login, CKF_SERIAL_SESSION missing, NULL and invalid arguments and
 * handles, sessions after C_Finalize. */
#include "config.h"

#include "tests/p11/p11-test.h"

static CK_STATE state_of(CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;

	if (F->C_GetSessionInfo(h, &si) != CKR_OK)
		return (CK_STATE)-1;
	return si.state;
}

int main(void)
{
	jp_emu *e;
	CK_SLOT_ID s[4];
	CK_SESSION_HANDLE ro, rw, sg, h;
	CK_SESSION_INFO si;

	pt_load();
	pt_reader_with_card("Session Reader", 1, NULL, &e);
	is_int(pt_init(), CKR_OK, "initialize");
	is_int(pt_slots(CK_FALSE, s, 4), 2, "two slots");

	is_int(F->C_OpenSession(s[0], CKF_RW_SESSION, NULL, NULL, &h),
	       CKR_SESSION_PARALLEL_NOT_SUPPORTED, "no CKF_SERIAL_SESSION");
	is_int(F->C_OpenSession(s[0], 0, NULL, NULL, &h), CKR_SESSION_PARALLEL_NOT_SUPPORTED,
	       "no flags at all");
	is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD,
	       "NULL handle pointer");
	is_int(F->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_SLOT_ID_INVALID,
	       "slot 0");
	is_int(F->C_OpenSession(s[1] + 40, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_SLOT_ID_INVALID,
	       "unknown slot");

	is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK, "RO session");
	is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw), CKR_OK,
	       "RW session");
	is_int(F->C_OpenSession(s[1], CKF_SERIAL_SESSION, NULL, NULL, &sg), CKR_OK,
	       "session on the signature token");
	ok(ro != CK_INVALID_HANDLE && rw != CK_INVALID_HANDLE && ro != rw && rw != sg && ro != sg,
	   "distinct non-zero handles");

	is_int(F->C_GetSessionInfo(ro, &si), CKR_OK, "session info RO");
	is_int(si.slotID, s[0], "RO: slot");
	is_int(si.state, CKS_RO_PUBLIC_SESSION, "RO: public state");
	is_int(si.flags, CKF_SERIAL_SESSION, "RO: flags");
	is_int(si.ulDeviceError, 0, "RO: device error");
	is_int(F->C_GetSessionInfo(rw, &si), CKR_OK, "session info RW");
	is_int(si.state, CKS_RW_PUBLIC_SESSION, "RW: public state");
	is_int(si.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION, "RW: flags");
	is_int(F->C_GetSessionInfo(sg, &si), CKR_OK, "session info sign");
	is_int(si.slotID, s[1], "sign: slot");
	is_int(F->C_GetSessionInfo(rw, NULL), CKR_ARGUMENTS_BAD, "NULL session info");
	is_int(F->C_GetSessionInfo(0, &si), CKR_SESSION_HANDLE_INVALID, "handle 0");
	is_int(F->C_GetSessionInfo(12345, &si), CKR_SESSION_HANDLE_INVALID, "unknown handle");

	/* Login moves every session of that token to the user states, and
	 * only that token's. */
	is_int(pt_login(ro, CKU_USER, fixture_pin(1, 0)), CKR_OK, "login on the RO session");
	is_int(state_of(ro), CKS_RO_USER_FUNCTIONS, "RO user functions");
	is_int(state_of(rw), CKS_RW_USER_FUNCTIONS, "RW user functions (same token)");
	is_int(state_of(sg), CKS_RO_PUBLIC_SESSION, "the other token stays public");
	is_int(F->C_Logout(rw), CKR_OK, "logout through the other session");
	is_int(state_of(ro), CKS_RO_PUBLIC_SESSION, "RO public again");

	is_int(F->C_CloseSession(12345), CKR_SESSION_HANDLE_INVALID, "close an unknown handle");
	is_int(F->C_CloseSession(ro), CKR_OK, "close RO");
	is_int(F->C_CloseSession(ro), CKR_SESSION_HANDLE_INVALID, "close RO again");
	is_int(F->C_GetSessionInfo(ro, &si), CKR_SESSION_HANDLE_INVALID, "closed handle is invalid");
	is_int(state_of(rw), CKS_RW_PUBLIC_SESSION, "the RW session lives on");

	is_int(F->C_CloseAllSessions(0), CKR_SLOT_ID_INVALID, "close all: slot 0");
	is_int(F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK, "RO again");
	is_int(F->C_CloseAllSessions(s[0]), CKR_OK, "close all on the auth slot");
	is_int(F->C_GetSessionInfo(ro, &si), CKR_SESSION_HANDLE_INVALID, "RO closed by close-all");
	is_int(F->C_GetSessionInfo(rw, &si), CKR_SESSION_HANDLE_INVALID, "RW closed by close-all");
	is_int(state_of(sg), CKS_RO_PUBLIC_SESSION, "the signature token's session survives");
	{
		CK_TOKEN_INFO ti;
		F->C_GetTokenInfo(s[0], &ti);
		is_int(ti.ulSessionCount, 0, "auth token: no session counted");
		F->C_GetTokenInfo(s[1], &ti);
		is_int(ti.ulSessionCount, 1, "sign token: one session counted");
	}
	is_int(F->C_CloseAllSessions(s[0]), CKR_OK, "close all with none open");

	/* Many sessions. */
	{
		CK_SESSION_HANDLE many[100];
		int i, good = 0;
		for (i = 0; i < 100; i++)
			good += F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &many[i]) == CKR_OK;
		is_int(good, 100, "100 sessions");
		for (i = 0, good = 0; i < 100; i += 2)
			good += F->C_CloseSession(many[i]) == CKR_OK;
		is_int(good, 50, "half closed");
		for (i = 1, good = 0; i < 100; i += 2)
			good += state_of(many[i]) == CKS_RO_PUBLIC_SESSION;
		is_int(good, 50, "the other half still valid");
	}

	is_int(F->C_Finalize(NULL), CKR_OK, "finalize with sessions open");
	is_int(F->C_GetSessionInfo(sg, &si), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "session calls after finalize");
	is_int(pt_init(), CKR_OK, "initialize again");
	is_int(F->C_GetSessionInfo(sg, &si), CKR_SESSION_HANDLE_INVALID,
	       "old handles are invalid in the new life");
	F->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(e);
	done_testing();
}
