/* C_Initialize / C_Finalize: the function list, the init-args matrix
 * (NULL; OS locking with and without callbacks; callbacks alone, counted;
 * a partial set), pReserved (options string, binary, a wild pointer),
 * double init, finalize arguments, calls before init, unsupported
 * functions, zero readers and a reader that appears later, and the option
 * parser. */
#include "config.h"

#include <pthread.h>

#include "tests/p11/p11-test.h"
#include "src/p11/p11.h"

static int n_create, n_destroy, n_lock, n_unlock;

static CK_RV cb_create(CK_VOID_PTR_PTR m)
{
	pthread_mutex_t *p = malloc(sizeof(*p));
	pthread_mutex_init(p, NULL);
	*m = p;
	__atomic_add_fetch(&n_create, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}
static CK_RV cb_destroy(CK_VOID_PTR m)
{
	pthread_mutex_destroy(m);
	free(m);
	__atomic_add_fetch(&n_destroy, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}
static CK_RV cb_lock(CK_VOID_PTR m)
{
	pthread_mutex_lock(m);
	__atomic_add_fetch(&n_lock, 1, __ATOMIC_SEQ_CST);
	return CKR_OK;
}
static CK_RV cb_unlock(CK_VOID_PTR m)
{
	__atomic_add_fetch(&n_unlock, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(m);
	return CKR_OK;
}

static void reset_counts(void)
{
	n_create = n_destroy = n_lock = n_unlock = 0;
}

static void some_calls(void)
{
	CK_SLOT_ID s[8];
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h;
	CK_ULONG n = pt_slots(CK_FALSE, s, 8);

	if (n > 0) {
		F->C_GetTokenInfo(s[0], &ti);
		if (F->C_OpenSession(s[0], CKF_SERIAL_SESSION, NULL, NULL, &h) == CKR_OK)
			F->C_CloseSession(h);
	}
}

static void test_function_list(void)
{
	CK_FUNCTION_LIST_PTR f = NULL;
	void (**fp)(void);
	size_t i, nptr, nnull = 0;

	is_int(C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD, "C_GetFunctionList(NULL)");
	is_int(C_GetFunctionList(&f), CKR_OK, "C_GetFunctionList");
	ok(f && f->version.major == 2 && f->version.minor == 40, "function list version 2.40");
	/* Every member after the version is a function pointer. */
	nptr = (sizeof(*f) - offsetof(CK_FUNCTION_LIST, C_Initialize)) / sizeof(void (*)(void));
	fp = (void (**)(void))(void *)&f->C_Initialize;
	for (i = 0; i < nptr; i++)
		nnull += fp[i] == NULL;
	is_int(nptr, 68, "68 functions in the v2.40 list");
	is_int(nnull, 0, "no NULL entry");
	/* The list holds the module's own functions, not the exported symbols a
	 * host could interpose (module.c; tests/p11/test-interpose). */
	ok(f->C_GetFunctionList != C_GetFunctionList && f->C_Initialize != C_Initialize &&
	   f->C_WaitForSlotEvent != C_WaitForSlotEvent, "the list does not hold the exported symbols");
}

static void test_before_init(void)
{
	CK_INFO info;
	CK_ULONG n = 0;
	CK_SESSION_HANDLE h;

	is_int(F->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED, "Finalize before Initialize");
	is_int(F->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED, "GetInfo before Initialize");
	is_int(F->C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "GetSlotList before Initialize");
	is_int(F->C_GetSlotList(CK_FALSE, NULL, NULL), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "GetSlotList with a NULL count before Initialize");
	is_int(F->C_OpenSession(0x4a50, CKF_SERIAL_SESSION, NULL, NULL, &h),
	       CKR_CRYPTOKI_NOT_INITIALIZED, "OpenSession before Initialize");
	is_int(F->C_Encrypt(1, NULL, 0, NULL, NULL), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "an unsupported function before Initialize");
	is_int(F->C_GetFunctionStatus(1), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "GetFunctionStatus before Initialize");
}

static void test_plain(void)
{
	CK_INFO info;

	is_int(F->C_Initialize(NULL), CKR_OK, "Initialize(NULL)");
	is_int(F->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED, "double Initialize");
	is_int(F->C_GetInfo(NULL), CKR_ARGUMENTS_BAD, "GetInfo(NULL)");
	is_int(F->C_GetInfo(&info), CKR_OK, "GetInfo");
	ok(info.cryptokiVersion.major == 2 && info.cryptokiVersion.minor == 40, "Cryptoki 2.40");
	ok(pt_padded_eq(info.manufacturerID, sizeof(info.manufacturerID), "jpki-pkcs11 project"),
	   "library manufacturer");
	ok(pt_padded_eq(info.libraryDescription, sizeof(info.libraryDescription),
	                "My Number Card JPKI (J-LIS)"), "library description");
	is_int(info.flags, 0, "info flags");
	ok(info.libraryVersion.major == 0 && info.libraryVersion.minor == 1, "library version 0.1");

	/* What the card cannot do: tests/p11/test-unsupported (which checks the
	 * session and the arguments first). */

	{
		int dummy = 1;
		is_int(F->C_Finalize(&dummy), CKR_ARGUMENTS_BAD, "Finalize(non-NULL)");
	}
	is_int(F->C_Finalize(NULL), CKR_OK, "Finalize(NULL)");
	is_int(F->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED, "Finalize twice");
	is_int(F->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED, "GetInfo after Finalize");
}

static void test_args(void)
{
	CK_C_INITIALIZE_ARGS a;

	/* OS locking, no callbacks. */
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	is_int(F->C_Initialize(&a), CKR_OK, "OS_LOCKING_OK without callbacks");
	some_calls();
	is_int(F->C_Finalize(NULL), CKR_OK, "finalize");

	/* OS locking and callbacks (what p11-kit passes): either may be used. */
	reset_counts();
	a.CreateMutex = cb_create;
	a.DestroyMutex = cb_destroy;
	a.LockMutex = cb_lock;
	a.UnlockMutex = cb_unlock;
	is_int(F->C_Initialize(&a), CKR_OK, "OS_LOCKING_OK with the four callbacks");
	some_calls();
	is_int(n_lock, n_unlock, "balanced if used (%d locks)", n_lock);
	is_int(F->C_Finalize(NULL), CKR_OK, "finalize");

	/* Callbacks alone: they must be the ones used. */
	reset_counts();
	a.flags = 0;
	is_int(F->C_Initialize(&a), CKR_OK, "callbacks alone");
	some_calls();
	ok(n_create >= 2, "the application's CreateMutex was used (%d)", n_create);
	ok(n_lock > 0, "the application's LockMutex was used (%d)", n_lock);
	is_int(n_unlock, n_lock, "every lock unlocked");
	is_int(F->C_Finalize(NULL), CKR_OK, "finalize");
	is_int(n_destroy, n_create, "every mutex destroyed at Finalize");

	/* A partial set. */
	a.UnlockMutex = NULL;
	is_int(F->C_Initialize(&a), CKR_ARGUMENTS_BAD, "three callbacks: ARGUMENTS_BAD");
	a.flags = CKF_OS_LOCKING_OK;
	is_int(F->C_Initialize(&a), CKR_ARGUMENTS_BAD, "three callbacks with OS_LOCKING_OK");
	memset(&a, 0, sizeof(a));
	a.LockMutex = cb_lock;
	is_int(F->C_Initialize(&a), CKR_ARGUMENTS_BAD, "one callback");
	is_int(F->C_GetSlotList(CK_FALSE, NULL, &(CK_ULONG){ 0 }), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "a refused Initialize leaves the module uninitialized");
	is_int(F->C_Initialize(NULL), CKR_OK, "and a good one works afterwards");
	is_int(F->C_Finalize(NULL), CKR_OK, "finalize");

	/* No flags, no callbacks. */
	memset(&a, 0, sizeof(a));
	is_int(F->C_Initialize(&a), CKR_OK, "zeroed args");
	is_int(F->C_Finalize(NULL), CKR_OK, "finalize");
	a.flags = CKF_LIBRARY_CANT_CREATE_OS_THREADS;
	is_int(F->C_Initialize(&a), CKR_OK, "CANT_CREATE_OS_THREADS (we create none)");
	is_int(F->C_Finalize(NULL), CKR_OK, "finalize");
}

/* pReserved: NULL or a readable options string (p11-kit's x-init-reserved,
 * NSS's module parameters) is taken; anything else is CKR_ARGUMENTS_BAD
 * and leaves the module uninitialized. */
static void test_reserved(void)
{
	static unsigned char binary[64];
	static char unterminated[8192], long_ok[3000];
	struct {
		const char *what;
		void *p;
		CK_RV want;
		int always_auth;     /* the option's value after it (-1: not initialized) */
	} t[] = {
		{ "a p11-kit options string", (void *)"always-authenticate=no", CKR_OK, 0 },
		{ "NULL", NULL, CKR_OK, 1 },
		{ "an empty string", (void *)"", CKR_OK, 1 },
		{ "a multi-line string", (void *)"tokens=both\nalways-authenticate=no\n", CKR_OK, 0 },
		{ "a long string", long_ok, CKR_OK, 0 },
		{ "binary data", binary, CKR_ARGUMENTS_BAD, -1 },
		{ "an unterminated string", unterminated, CKR_ARGUMENTS_BAD, -1 },
		{ "(void *)1", (void *)(uintptr_t)1, CKR_ARGUMENTS_BAD, -1 },
		{ "a wild pointer", (void *)(uintptr_t)16, CKR_ARGUMENTS_BAD, -1 },
	};
	CK_C_INITIALIZE_ARGS a;
	CK_INFO info;
	size_t i;

	memset(binary, 0xA5, sizeof(binary));
	binary[10] = 0;
	memset(unterminated, 'x', sizeof(unterminated));
	memset(long_ok, ' ', sizeof(long_ok));
	memcpy(long_ok + sizeof(long_ok) - 30, "always-authenticate=no", 22);
	long_ok[sizeof(long_ok) - 1] = '\0';
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.flags = CKF_OS_LOCKING_OK;
		a.pReserved = t[i].p;
		is_int(F->C_Initialize(&a), t[i].want, "pReserved: %s → 0x%lx", t[i].what, t[i].want);
		if (t[i].always_auth >= 0) {
			is_int(jp_mod.opts.always_authenticate, t[i].always_auth,
			       "... always-authenticate=%s", t[i].always_auth ? "yes" : "no");
			is_int(F->C_Finalize(NULL), CKR_OK, "... finalize");
		} else {
			is_int(F->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED,
			       "... and the module stays uninitialized");
		}
	}
}

static void test_readers(void)
{
	CK_SLOT_ID s[4];
	CK_ULONG n = 99;
	jp_emu *e;

	jp_emu_readers_clear();
	is_int(F->C_Initialize(NULL), CKR_OK, "Initialize with no reader");
	is_int(F->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK, "slot list");
	is_int(n, 0, "zero slots");
	is_int(F->C_GetSlotList(CK_FALSE, NULL, NULL), CKR_ARGUMENTS_BAD, "NULL count");
	is_int(F->C_GetSlotList(CK_TRUE, s, NULL), CKR_ARGUMENTS_BAD, "NULL count with a list");
	pt_reader_with_card("Late Reader", 1, NULL, &e);
	/* The refusals went through the one exit path: the lock is free. */
	n = pt_slots(CK_FALSE, s, 4);
	is_int(n, 2, "a reader plugged in later appears");
	n = 1;
	is_int(F->C_GetSlotList(CK_FALSE, s, &n), CKR_BUFFER_TOO_SMALL, "short buffer");
	is_int(n, 2, "the count says how many");
	F->C_Finalize(NULL);
	jp_emu_readers_clear();
	jp_emu_free(e);
}

static void test_options_parser(void)
{
	jp_options o;

	o.always_authenticate = 1;
	is_int(jp_options_parse(&o, "always-authenticate=no"), 1, "parse: one option");
	is_int(o.always_authenticate, 0, "parse: no");
	is_int(jp_options_parse(&o, "# comment\nalways-authenticate = yes\n"), 1,
	       "parse: blanks around '=', comment line");
	is_int(o.always_authenticate, 1, "parse: yes");
	is_int(jp_options_parse(&o, "foo=bar, always-authenticate=off; bogus"), 1,
	       "parse: unknown keys ignored");
	is_int(o.always_authenticate, 0, "parse: off");
	is_int(jp_options_parse(&o, "always-authenticate=maybe"), 0, "parse: bad value refused");
	is_int(o.always_authenticate, 0, "parse: unchanged");
	is_int(jp_options_parse(&o, ""), 0, "parse: empty");
}

int main(void)
{
	pt_load();
	test_function_list();
	test_before_init();
	test_plain();
	{
		jp_emu *e;
		pt_reader_with_card("Args Reader", 1, NULL, &e);
		test_args();
		jp_emu_readers_clear();
		jp_emu_free(e);
	}
	test_reserved();
	test_readers();
	test_options_parser();
	done_testing();
}
