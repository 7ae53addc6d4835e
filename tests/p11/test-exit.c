/* The card is left unverified when a program is done with it:
 *  - a program that logs in, signs and calls exit() without C_Finalize
 *    (Chromium never calls it) leaves the card unverified: another program
 *    right after cannot sign, for each token;
 *  - a program that never logged in does not power-cycle the card (another
 *    program's login stays), nor does a forked child that exits, nor one
 *    that called C_Finalize first (which did the work);
 *  - under always-authenticate the signing password serves one signature:
 *    the card is unverified right after it, the process still logged in
 *    to the signing token (the next signature asks for the password
 *    again), its authentication token logged out (one verified state).
 * Each exit scenario runs in a child process; its own atexit handler,
 * registered before C_Initialize, runs after the module's (atexit is
 * last-in first-out) and reports what the card looks like to the parent
 * through a pipe. */
#include "config.h"

#include <sys/wait.h>
#include <unistd.h>

#include "tests/p11/p11-test.h"

#define CARD 1
enum { AUTH = 0, SIGN = 1 };

typedef struct verdict {
	int verified[2];       /* the emulator's security state after the exit */
	int raw_sign_sw[2];    /* another program's signature attempt: SW */
	int steps_ok;          /* the child's calls before exit all succeeded */
} verdict;

static jp_emu *E;
static int report_fd = -1;
static verdict V;

/* Another program signs with key k without a PIN: SELECT AP, SELECT the
 * key's EF, sign (80 2A). 9000 means the card was left verified. */
static int raw_sign(int k)
{
	char cmd[600];
	int sw, i;

	sw = pt_apdu(E, "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01");
	if (sw == 0x9000)
		sw = pt_apdu(E, k == AUTH ? "00 A4 02 0C 02 00 17" : "00 A4 02 0C 02 00 1A");
	if (sw != 0x9000)
		return sw;
	/* A SHA-256 DigestInfo's worth of bytes: 51. */
	snprintf(cmd, sizeof(cmd), "80 2A 00 80 33");
	for (i = 0; i < 51; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %02X", i);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " 00");
	return pt_apdu(E, cmd);
}

static void after_exit(void)
{
	int k;

	for (k = 0; k < 2; k++)
		V.verified[k] = jp_emu_verified(E, k);
	/* Checked after the verified flags: a raw signature selects files. */
	for (k = 0; k < 2; k++)
		V.raw_sign_sw[k] = raw_sign(k);
	if (write(report_fd, &V, sizeof(V)) != (ssize_t)sizeof(V))
		_exit(3);
}

static CK_C_INITIALIZE_ARGS init_args(const char *opts)
{
	CK_C_INITIALIZE_ARGS a;

	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	a.pReserved = (void *)opts;
	return a;
}

/* A session on key k's slot (the module initialized). */
static CK_SESSION_HANDLE open_on(int k)
{
	CK_SLOT_ID ids[4];
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

	if (pt_slots(CK_TRUE, ids, 4) != 2 ||
	    F->C_OpenSession(ids[k], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h) != CKR_OK)
		return CK_INVALID_HANDLE;
	return h;
}

/* One signature with key k (the context login for an always-authenticate
 * key); 1 when the card signed it. */
static int sign_once(CK_SESSION_HANDLE h, int k, int ctx_login)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE key;
	CK_ULONG n = 0, len = 256;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_BYTE sig[256];
	unsigned long before = jp_emu_sign_count(E);
	int ok_ = F->C_FindObjectsInit(h, &t, 1) == CKR_OK &&
	          F->C_FindObjects(h, &key, 1, &n) == CKR_OK && n == 1;

	F->C_FindObjectsFinal(h);
	ok_ = ok_ && F->C_SignInit(h, &m, key) == CKR_OK;
	if (ok_ && ctx_login)
		ok_ = pt_login(h, CKU_CONTEXT_SPECIFIC, fixture_pin(CARD, k)) == CKR_OK;
	ok_ = ok_ && F->C_Sign(h, (CK_BYTE_PTR)"exit", 4, sig, &len) == CKR_OK && len == 256;
	return ok_ && jp_emu_sign_count(E) == before + 1;
}

enum scenario {
	LOGIN_SIGN_EXIT,       /* log in to key k, sign, exit() */
	LOGIN_EXIT,            /* log in to key k, exit() (no signature) */
	NO_LOGIN_EXIT,         /* another program verified key k; we only look, exit() */
	FINALIZE_EXIT,         /* log in, sign, C_Finalize, exit() */
	FORKED_CHILD_EXIT,     /* log in, fork; the child exits: the parent's card stays verified */
};

/* The child: runs the scenario and exits; after_exit reports. */
static void child(enum scenario sc, int k, const char *opts)
{
	CK_C_INITIALIZE_ARGS a = init_args(opts);
	CK_SESSION_HANDLE h;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID ids[4];
	pid_t gc;
	int st;

	V.steps_ok = 1;
	atexit(after_exit);   /* before the module's: runs after it */
	V.steps_ok &= F->C_Initialize(&a) == CKR_OK;
	h = open_on(k);       /* the module connects (powers the card up) */
	V.steps_ok &= h != CK_INVALID_HANDLE;
	if (sc == NO_LOGIN_EXIT) {
		/* Another program logs in; we do everything short of it. */
		V.steps_ok &= pt_other_verify(E, k, fixture_pin(CARD, k)) == 0x9000;
		V.steps_ok &= pt_slots(CK_TRUE, ids, 4) == 2 && F->C_GetTokenInfo(ids[k], &ti) == CKR_OK;
		exit(0);
	}
	V.steps_ok &= pt_login(h, CKU_USER, fixture_pin(CARD, k)) == CKR_OK;
	if (sc == LOGIN_SIGN_EXIT || sc == FINALIZE_EXIT)
		V.steps_ok &= sign_once(h, k, 0);
	if (sc == FINALIZE_EXIT)
		V.steps_ok &= F->C_Finalize(NULL) == CKR_OK;
	if (sc == FORKED_CHILD_EXIT) {
		/* The grandchild inherits the module's state and its exit
		 * handler, and exits: it must touch nothing of its parent's
		 * (here: its copy of the card stays verified, so the handler did
		 * nothing). It reports; its parent just waits. */
		fflush(stdout);
		gc = fork();
		if (gc == 0)
			exit(0);
		V.steps_ok &= gc > 0 && waitpid(gc, &st, 0) == gc && WIFEXITED(st) &&
		              WEXITSTATUS(st) == 0;
		_exit(0);    /* the middle process reports nothing itself */
	}
	exit(0);
}

/* Runs the scenario in a child; returns what its exit left. */
static verdict run(enum scenario sc, int k, const char *opts)
{
	int fds[2], st;
	pid_t pid;
	verdict v;

	memset(&v, 0xFF, sizeof(v));
	if (pipe(fds) != 0)
		bail_out("pipe");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		child(sc, k, opts);
		_exit(2);
	}
	close(fds[1]);
	if (read(fds[0], &v, sizeof(v)) != (ssize_t)sizeof(v))
		memset(&v, 0xFF, sizeof(v));
	close(fds[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		v.steps_ok = 0;
	return v;
}

static void check_exits(void)
{
	static const char *const name[2] = { "authentication", "signature" };
	/* The signing key without always-authenticate: otherwise its
	 * signature power-cycles the card by itself (checked below). */
	static const char *const opts[2] = { "", "always-authenticate=no" };
	verdict v;
	int k;

	for (k = 0; k < 2; k++) {
		v = run(LOGIN_SIGN_EXIT, k, opts[k]);
		ok(v.steps_ok == 1, "%s: logged in and signed, then exit()", name[k]);
		ok(v.verified[AUTH] == 0 && v.verified[SIGN] == 0,
		   "%s: exit without C_Finalize left the card unverified (%d %d)", name[k],
		   v.verified[AUTH], v.verified[SIGN]);
		is_int(v.raw_sign_sw[k], 0x6982, "%s: another program cannot sign afterwards",
		       name[k]);

		v = run(LOGIN_EXIT, k, "");
		ok(v.steps_ok == 1 && v.verified[k] == 0 && v.raw_sign_sw[k] == 0x6982,
		   "%s: logged in, no signature, exit(): unverified", name[k]);

		v = run(FINALIZE_EXIT, k, opts[k]);
		ok(v.steps_ok == 1 && v.verified[k] == 0 && v.raw_sign_sw[k] == 0x6982,
		   "%s: C_Finalize then exit(): unverified, and the handler did no harm", name[k]);

		v = run(NO_LOGIN_EXIT, k, "");
		ok(v.steps_ok == 1, "%s: another program verified the PIN; we never logged in",
		   name[k]);
		is_int(v.verified[k], 1, "%s: our exit did not power-cycle the card", name[k]);
		is_int(v.raw_sign_sw[k], 0x9000, "%s: ... the other program's login stands", name[k]);

		v = run(FORKED_CHILD_EXIT, k, opts[k]);
		ok(v.steps_ok == 1, "%s: a forked child exited (status 0)", name[k]);
		is_int(v.verified[k], 1, "%s: ... and left its parent's card alone", name[k]);
	}
}

static int session_state(CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;

	return F->C_GetSessionInfo(h, &si) == CKR_OK ? (int)si.state : -1;
}

/* always-authenticate: one password, one signature, then unverified. */
static void check_seal(void)
{
	CK_C_INITIALIZE_ARGS a = init_args("");
	CK_SESSION_HANDLE ha, hs;

	is_int(F->C_Initialize(&a), CKR_OK, "seal: C_Initialize");
	ha = open_on(AUTH);
	hs = open_on(SIGN);
	is_int(pt_login(ha, CKU_USER, fixture_pin(CARD, AUTH)), CKR_OK, "seal: authentication login");
	is_int(pt_login(hs, CKU_USER, fixture_pin(CARD, SIGN)), CKR_OK, "seal: signature login");
	ok(jp_emu_verified(E, AUTH) && jp_emu_verified(E, SIGN), "seal: both PINs verified");
	ok(sign_once(ha, AUTH, 0), "seal: an authentication signature");
	ok(jp_emu_verified(E, AUTH) && jp_emu_verified(E, SIGN),
	   "seal: ... leaves the card as it was (no power cycle)");
	ok(sign_once(hs, SIGN, 1), "seal: a signature with its context login");
	ok(!jp_emu_verified(E, AUTH) && !jp_emu_verified(E, SIGN),
	   "seal: the card is unverified right after it");
	is_int(raw_sign(SIGN), 0x6982, "seal: another program cannot sign with the key");
	is_int(session_state(hs), CKS_RW_USER_FUNCTIONS,
	       "seal: still logged in to the signing token");
	is_int(session_state(ha), CKS_RW_PUBLIC_SESSION,
	       "seal: the authentication token was logged out (one verified state)");
	ok(sign_once(hs, SIGN, 1), "seal: the next signature, with its own context login");
	ok(!sign_once(hs, SIGN, 0), "seal: none without one");
	ok(!jp_emu_verified(E, SIGN), "seal: unverified again");
	F->C_Finalize(NULL);

	/* always-authenticate=no: the card stays verified for the next one. */
	a = init_args("always-authenticate=no");
	is_int(F->C_Initialize(&a), CKR_OK, "no seal: C_Initialize");
	hs = open_on(SIGN);
	is_int(pt_login(hs, CKU_USER, fixture_pin(CARD, SIGN)), CKR_OK, "no seal: login");
	ok(sign_once(hs, SIGN, 0), "no seal: a signature without a context login");
	ok(jp_emu_verified(E, SIGN), "no seal: the card stays verified (batch signing)");
	F->C_Finalize(NULL);
	ok(!jp_emu_verified(E, SIGN), "no seal: ... until C_Finalize");
}

int main(void)
{
	pt_load();
	pt_reader_with_card("Exit Reader 00 00", CARD, NULL, &E);
	check_exits();
	check_seal();
	jp_emu_readers_clear();
	jp_emu_free(E);
	done_testing();
}
