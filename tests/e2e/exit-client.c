/* exit-client: a PKCS#11 application that ends the way some browsers do,
 * without C_Logout or C_Finalize, for tests/e2e/test-exit-pcsc.sh.
 *
 *   exit-client MODULE auth|sign MODE [OPTIONS]
 *     MODE login-sign  log in (PIN from $JP_PIN), sign once (with the
 *                      context-specific login when the key asks for it),
 *                      exit()
 *          login       log in, exit()
 *          nologin     list the slots and read the token info, exit()
 *          wait        log in, sign, print "signed", then wait for a line
 *                      on stdin before exit() (the caller looks at the
 *                      card meanwhile)
 *          hold        like nologin, then wait for a line on stdin: a
 *                      client that keeps the card connected (pcscd powers
 *                      a card down a few seconds after its last client)
 *     OPTIONS          the C_Initialize options string (pReserved)
 *   Prints what it did; exit status 0 when every call succeeded. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR F;

static int fail(const char *what, CK_RV rv)
{
	printf("%s: 0x%lx\n", what, (unsigned long)rv);
	fflush(stdout);
	exit(1);
}

/* The slot whose token label starts with "My Number Card (<which>)". */
static CK_SLOT_ID find_slot(const char *which)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;
	char want[64];
	CK_RV rv;

	snprintf(want, sizeof(want), "My Number Card (%s)", which);
	rv = F->C_GetSlotList(CK_TRUE, ids, &n);
	if (rv != CKR_OK)
		fail("C_GetSlotList", rv);
	for (i = 0; i < n; i++)
		if (F->C_GetTokenInfo(ids[i], &ti) == CKR_OK &&
		    memcmp(ti.label, want, strlen(want)) == 0)
			return ids[i];
	fail("no such token", CKR_TOKEN_NOT_PRESENT);
	return 0;
}

static void sign_once(CK_SESSION_HANDLE h, const char *pin)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_BBOOL always = CK_FALSE;
	CK_ATTRIBUTE a = { CKA_ALWAYS_AUTHENTICATE, &always, sizeof(always) };
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE key;
	CK_ULONG n = 0, len;
	CK_BYTE sig[512];
	CK_RV rv;

	rv = F->C_FindObjectsInit(h, &t, 1);
	if (rv == CKR_OK)
		rv = F->C_FindObjects(h, &key, 1, &n);
	F->C_FindObjectsFinal(h);
	if (rv != CKR_OK || n != 1)
		fail("no private key", rv);
	(void)F->C_GetAttributeValue(h, key, &a, 1);
	rv = F->C_SignInit(h, &m, key);
	if (rv != CKR_OK)
		fail("C_SignInit", rv);
	if (always) {
		rv = F->C_Login(h, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		if (rv != CKR_OK)
			fail("C_Login(CKU_CONTEXT_SPECIFIC)", rv);
	}
	len = sizeof(sig);
	rv = F->C_Sign(h, (CK_BYTE_PTR)"exit-client", 11, sig, &len);
	if (rv != CKR_OK || len != 256)
		fail("C_Sign", rv);
	printf("signed%s\n", always ? " (with the context-specific login)" : "");
}

int main(int argc, char **argv)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_SESSION_HANDLE h;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	const char *pin = getenv("JP_PIN"), *mode;
	char line[16];
	void *lib;
	CK_RV rv;

	if (argc < 4) {
		fprintf(stderr, "usage: exit-client MODULE auth|sign MODE [OPTIONS]\n");
		return 2;
	}
	mode = argv[3];
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	get = lib ? (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(lib, "C_GetFunctionList") : NULL;
	if (!get || get(&F) != CKR_OK) {
		fprintf(stderr, "exit-client: cannot load %s\n", argv[1]);
		return 1;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	args.pReserved = argc > 4 ? argv[4] : NULL;
	rv = F->C_Initialize(&args);
	if (rv != CKR_OK)
		fail("C_Initialize", rv);
	slot = find_slot(strcmp(argv[2], "sign") == 0 ? "Signature" : "Authentication");
	rv = F->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h);
	if (rv != CKR_OK)
		fail("C_OpenSession", rv);
	if (strcmp(mode, "nologin") == 0 || strcmp(mode, "hold") == 0) {
		rv = F->C_GetTokenInfo(slot, &ti);
		if (rv != CKR_OK)
			fail("C_GetTokenInfo", rv);
		printf("looked, no login\n");
	} else {
		if (!pin)
			fail("JP_PIN unset", CKR_ARGUMENTS_BAD);
		rv = F->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		if (rv != CKR_OK)
			fail("C_Login", rv);
		printf("logged in\n");
		if (strcmp(mode, "login") != 0)
			sign_once(h, pin);
	}
	fflush(stdout);
	if ((strcmp(mode, "wait") == 0 || strcmp(mode, "hold") == 0) &&
	    !fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	/* No C_Logout, no C_CloseSession, no C_Finalize: like Chromium. */
	exit(0);
}
