/* A host program that exports every C_* name itself (linked -rdynamic, so
 * its symbols are in the global scope) loads the SHIPPED module with
 * dlopen, RTLD_LOCAL and RTLD_GLOBAL. Every call through the module's
 * v2.40 list, its v3.0 list and dlsym must reach the module, never the
 * host: the host's functions count their calls and answer a sentinel no
 * module function returns. Before the lists held hidden functions, the
 * dynamic linker filled them with the host's C_* (the first definition
 * in the global scope). */
#include "config.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/pkcs11-3.h"
#include "tests/tap.h"

#define SENTINEL (CKR_VENDOR_DEFINED | 0x7e57UL)
static unsigned long host_calls;

/* Counts a call to one of the host's C_*. It takes that call's arguments
 * (HOST_CALLED args) so that the parameters, which fn-table.h fixes, are
 * used. */
static void host_called(int none, ...)
{
	(void)none;
	host_calls++;
}
#define HOST_CALLED(...) host_called(0, __VA_ARGS__)

/* The host's own C_*: exported (the build hides symbols by default). */
#define JP_FN(name, params, args) \
	__attribute__((visibility("default"))) CK_RV C_##name params; \
	__attribute__((visibility("default"))) CK_RV C_##name params \
	{ \
		HOST_CALLED args; \
		return SENTINEL; \
	}
#include "src/p11/fn-table.h"

/* The names and the host's addresses, in list order. */
static const struct {
	const char *name;
	void (*host)(void);
} fns[] = {
#define JP_FN(name, params, args) { "C_" #name, (void (*)(void))C_##name },
#include "src/p11/fn-table.h"
};
#define N_FNS (sizeof(fns) / sizeof(fns[0]))
#define N_240 68

/* Calls f with every argument 0/NULL: on x86-64 and the other ABIs Debian
 * runs on, integers and pointers travel alike and a callee ignores extra
 * arguments. The module answers every such call before touching an
 * argument (not initialised, a NULL output pointer, no such session). */
typedef CK_RV (*any_fn)(CK_ULONG, CK_ULONG, CK_ULONG, CK_ULONG, CK_ULONG, CK_ULONG, CK_ULONG,
                        CK_ULONG, CK_ULONG);
static CK_RV call_zero(void (*f)(void))
{
	return ((any_fn)f)(0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/* Every function of a list (n entries after the version) except
 * C_Initialize, called with zeros: the module answers, not the host. */
static void check_list(const char *what, const CK_VERSION *list, size_t n)
{
	/* The version is followed by the pointers (after any padding). */
	void (*const *fp)(void) = (void (*const *)(void))(const void *)(
		(const char *)list + offsetof(CK_FUNCTION_LIST, C_Initialize));
	size_t i, to_host = 0, sentinel = 0, is_host = 0;
	unsigned long before = host_calls;

	for (i = 0; i < n; i++) {
		if (fp[i] == fns[i].host)
			is_host++;
		if (i == 0)
			continue;          /* C_Initialize: called on its own */
		if (call_zero(fp[i]) == SENTINEL)
			sentinel++;
	}
	to_host = host_calls - before;
	is_int(is_host, 0, "%s: no entry is the host's function", what);
	is_int(sentinel, 0, "%s: no call answered with the host's sentinel", what);
	is_int(to_host, 0, "%s: the host's functions were never called", what);
}

static void check_dlsym(void *h)
{
	size_t i, same = 0, sentinel = 0, missing = 0;
	unsigned long before = host_calls;

	for (i = 0; i < N_FNS; i++) {
		void (*f)(void);
		*(void **)&f = dlsym(h, fns[i].name);
		if (!f) {
			missing++;
			continue;
		}
		if (f == fns[i].host)
			same++;
		if (i != 0 && call_zero(f) == SENTINEL)
			sentinel++;
	}
	is_int(missing, 0, "dlsym: all %zu C_* found in the module", N_FNS);
	is_int(same, 0, "dlsym: none resolves to the host's");
	is_int(sentinel, 0, "dlsym: no call answered with the host's sentinel");
	is_int(host_calls - before, 0, "dlsym: the host's functions were never called");
}

static void run(const char *path, int mode, const char *mode_name)
{
	void *h = dlopen(path, RTLD_NOW | mode);
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	CK_RV (*get_iface)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS);
	CK_FUNCTION_LIST_PTR f2 = NULL;
	CK_INTERFACE_PTR iface = NULL;
	CK_FUNCTION_LIST_3_0_PTR f3 = NULL;
	CK_INFO info;
	CK_SESSION_INFO si;
	CK_RV rv;
	unsigned long before = host_calls;

	diag("dlopen %s", mode_name);
	if (!ok(h != NULL, "%s: dlopen %s", mode_name, h ? "" : dlerror()))
		goto out;
	*(void **)&get_list = dlsym(h, "C_GetFunctionList");
	*(void **)&get_iface = dlsym(h, "C_GetInterface");
	ok(get_list && get_list != C_GetFunctionList, "%s: the module's C_GetFunctionList",
	   mode_name);
	ok(get_iface && get_iface != C_GetInterface, "%s: the module's C_GetInterface", mode_name);
	if (get_list)
		is_int(get_list(&f2), CKR_OK, "%s: C_GetFunctionList", mode_name);
	if (get_iface)
		is_int(get_iface(NULL, NULL, &iface, 0), CKR_OK, "%s: C_GetInterface(NULL)",
		       mode_name);
	if (iface)
		f3 = iface->pFunctionList;
	ok(f2 && f2->version.major == 2 && f2->version.minor == 40, "%s: list 2.40", mode_name);
	ok(f3 && f3->version.major == 3 && f3->version.minor == 0, "%s: interface 3.0", mode_name);

	/* Not initialised: every function answers, none is the host's. */
	if (f2)
		check_list("v2.40 list", &f2->version, N_240);
	if (f3)
		check_list("v3.0 list", &f3->version, N_FNS);
	check_dlsym(h);

	/* Initialised, the version C_GetInfo reports says whose it is. */
	rv = f2 ? f2->C_Initialize(NULL) : CKR_GENERAL_ERROR;
	ok(rv != SENTINEL, "%s: C_Initialize through the list (0x%lx)", mode_name, rv);
	if (rv == CKR_OK) {
		is_int(f2->C_GetInfo(&info), CKR_OK, "%s: C_GetInfo (2.40 list)", mode_name);
		ok(info.cryptokiVersion.major == 2 && info.cryptokiVersion.minor == 40,
		   "%s: it reports 2.40", mode_name);
		if (f3) {
			is_int(f3->C_GetInfo(&info), CKR_OK, "%s: C_GetInfo (3.0 list)", mode_name);
			ok(info.cryptokiVersion.major == 3 && info.cryptokiVersion.minor == 0,
			   "%s: it reports 3.0", mode_name);
		}
		is_int(f2->C_GetSessionInfo(99999, &si), CKR_SESSION_HANDLE_INVALID,
		       "%s: C_GetSessionInfo(bad session) answered by the module", mode_name);
		is_int(f2->C_Finalize(NULL), CKR_OK, "%s: C_Finalize", mode_name);
	}
	is_int(host_calls - before, 0, "%s: no call reached the host", mode_name);
	dlclose(h);
out:
	return;
}

int main(void)
{
	const char *top = getenv("top_builddir");
	char path[4096];

	snprintf(path, sizeof(path), "%s/src/p11/.libs/jpki-pkcs11.so", top ? top : ".");
	/* The host's own names really are there: this program's C_GetInfo
	 * answers with the sentinel, and the dynamic linker sees it. */
	is_int(C_GetInfo(NULL), SENTINEL, "the host's C_GetInfo answers the sentinel");
	ok(dlsym(RTLD_DEFAULT, "C_Initialize") == (void *)C_Initialize,
	   "the host exports C_Initialize (-rdynamic)");
	host_calls = 0;
	run(path, RTLD_LOCAL, "RTLD_LOCAL");
	run(path, RTLD_GLOBAL, "RTLD_GLOBAL");
	done_testing();
}
