/* fork(): a child that has not called C_Initialize gets
 * CKR_CRYPTOKI_NOT_INITIALIZED everywhere; its own C_Initialize starts
 * afresh (the parent's handles forgotten, not closed) and sees the
 * emulated card, logged out; the parent keeps working afterwards. */
#include "config.h"

#include <sys/wait.h>
#include <unistd.h>

#include "tests/p11/p11-test.h"

static const char *const child_checks[] = {
	"child: GetSlotList before init → NOT_INITIALIZED",
	"child: GetSessionInfo of the parent's session → NOT_INITIALIZED",
	"child: C_Sign → NOT_INITIALIZED",
	"child: Finalize before init → NOT_INITIALIZED",
	"child: C_Initialize → OK",
	"child: two slots",
	"child: token info",
	"child: the parent's session handle is unknown",
	"child: new session",
	"child: logged out although the parent is logged in",
	"child: login",
	"child: C_Finalize → OK",
	"child: initialize/finalize again",
};
#define NCHECKS (sizeof(child_checks) / sizeof(child_checks[0]))

static void child(int fd, CK_SESSION_HANDLE parent_session)
{
	unsigned char res[NCHECKS];
	CK_ULONG n = 0;
	CK_SLOT_ID s[4];
	CK_SESSION_INFO si;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h = 0;
	CK_BYTE sig[256];
	CK_ULONG sl = sizeof(sig);
	size_t i = 0;

	res[i++] = F->C_GetSlotList(CK_FALSE, NULL, &n) == CKR_CRYPTOKI_NOT_INITIALIZED;
	res[i++] = F->C_GetSessionInfo(parent_session, &si) == CKR_CRYPTOKI_NOT_INITIALIZED;
	res[i++] = F->C_Sign(parent_session, sig, 1, sig, &sl) == CKR_CRYPTOKI_NOT_INITIALIZED;
	res[i++] = F->C_Finalize(NULL) == CKR_CRYPTOKI_NOT_INITIALIZED;
	res[i++] = F->C_Initialize(NULL) == CKR_OK;
	res[i++] = pt_slots(CK_FALSE, s, 4) == 2;
	res[i++] = F->C_GetTokenInfo(s[0], &ti) == CKR_OK;
	res[i++] = F->C_GetSessionInfo(parent_session, &si) == CKR_SESSION_HANDLE_INVALID;
	res[i++] = F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &h) == CKR_OK;
	res[i++] = F->C_GetSessionInfo(h, &si) == CKR_OK && si.state == CKS_RO_PUBLIC_SESSION;
	res[i++] = pt_login(h, CKU_USER, fixture_pin(1, 0)) == CKR_OK;
	res[i++] = F->C_Finalize(NULL) == CKR_OK;
	res[i++] = F->C_Initialize(NULL) == CKR_OK && F->C_Finalize(NULL) == CKR_OK;
	if (write(fd, res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(2);
	_exit(0);
}

int main(void)
{
	jp_emu *e;
	CK_SLOT_ID s[2];
	CK_SESSION_HANDLE h;
	CK_SESSION_INFO si;
	unsigned char res[NCHECKS];
	int fds[2], status = -1;
	size_t i;
	pid_t pid;

	pt_load();
	pt_reader_with_card("Fork Reader", 1, NULL, &e);
	is_int(pt_init(), CKR_OK, "parent: initialize");
	is_int(pt_slots(CK_FALSE, s, 2), 2, "parent: two slots");
	F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &h);
	is_int(pt_login(h, CKU_USER, fixture_pin(1, 0)), CKR_OK, "parent: login");

	if (pipe(fds) != 0)
		skip_all("no pipe");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], h);
	}
	close(fds[1]);
	memset(res, 0, sizeof(res));
	ok(read(fds[0], res, sizeof(res)) == (ssize_t)sizeof(res), "child reported");
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child exited cleanly");
	for (i = 0; i < NCHECKS; i++)
		ok(res[i], "%s", child_checks[i]);

	is_int(F->C_GetSessionInfo(h, &si), CKR_OK, "parent: session still valid");
	is_int(si.state, CKS_RO_USER_FUNCTIONS, "parent: still logged in");
	{
		CK_TOKEN_INFO ti;
		is_int(F->C_GetTokenInfo(s[1], &ti), CKR_OK, "parent: token info");
	}
	is_int(F->C_Logout(h), CKR_OK, "parent: logout");
	is_int(jp_emu_verified(e, 0), 0, "parent: its card is unverified");
	is_int(F->C_Finalize(NULL), CKR_OK, "parent: finalize");
	jp_emu_readers_clear();
	jp_emu_free(e);
	done_testing();
}
