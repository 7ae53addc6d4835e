/* The module's face: its two function lists (v2.40 and v3.0), the
 * interfaces that hand them out (C_GetInterfaceList, C_GetInterface, PKCS#11
 * v3.0 §5.4.5-6), C_GetFunctionList, C_GetInfo, and the exported C_*.
 *
 * The lists hold the module's own hidden entries (entry.h), never the
 * exported symbols: a program that exports its own C_Initialize (built
 * with -rdynamic), or a module loaded RTLD_GLOBAL before us, would
 * otherwise get its function called through our list. The exported C_*
 * are one-line calls to the same entries, and nothing in the module calls
 * them; the shipped module is also linked -Bsymbolic (local.mk). Only the
 * C_* symbols leave the shared object (-fvisibility=hidden, JP_EXPORT and
 * the -export-symbols-regex in local.mk). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "entry.h"

void jp_pad(CK_UTF8CHAR *dst, size_t dst_len, const char *s)
{
	size_t n = strlen(s);

	memset(dst, ' ', dst_len);
	memcpy(dst, s, n < dst_len ? n : dst_len);
}

/* cryptokiVersion is the version of the list the caller reached C_GetInfo
 * through: an application that got the v2.40 list must not be told it may
 * use v3.0 functions it does not have. */
static CK_RV get_info(CK_INFO_PTR info, CK_BYTE major, CK_BYTE minor)
{
	CK_RV rv = jp_check_init();
	unsigned lib_major = 0, lib_minor = 0;

	if (rv != CKR_OK)
		goto out;
	if (!info) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = major;
	info->cryptokiVersion.minor = minor;
	jp_pad(info->manufacturerID, sizeof(info->manufacturerID), "jpki-pkcs11 project");
	info->flags = 0;
	jp_pad(info->libraryDescription, sizeof(info->libraryDescription),
	         "My Number Card JPKI (J-LIS)");
	/* PACKAGE_VERSION is "major.minor.patch". */
	if (sscanf(PACKAGE_VERSION, "%u.%u", &lib_major, &lib_minor) == 2) {
		info->libraryVersion.major = (CK_BYTE)lib_major;
		info->libraryVersion.minor = (CK_BYTE)lib_minor;
	}
out:
	return rv;
}

JP_ENTRY0(GetInfo, (CK_INFO_PTR info), get_info(info, 2, 40))
JP_ENTRY0(GetInfo30, (CK_INFO_PTR info), get_info(info, 3, 0))

/* ---- the lists: read-only, as the spec allows ---- */

static const CK_FUNCTION_LIST list_240 = {
	{ 2, 40 },
#define JP_FN(name, params, args) jp_e_##name,
#define JP_FN3(name, params, args)
#include "fn-table.h"
};

static const CK_FUNCTION_LIST_3_0 list_30 = {
	{ 3, 0 },
#define JP_FN(name, params, args) jp_e_##name,
#define JP_FN_GETINFO(name, params, args) jp_e_GetInfo30,
#include "fn-table.h"
};

/* Both are the standard interface "PKCS 11", the newest first: it is what
 * C_GetInterface(NULL, NULL, ...) returns. No CKF_INTERFACE_FORK_SAFE:
 * the spec gives it to an interface whose forked child keeps its own copy
 * of the sessions, login state and operations (v3.0 §3.6). Here a child is
 * not initialised (init.c: C_Initialize in the child starts afresh, and
 * every call before that answers CKR_CRYPTOKI_NOT_INITIALIZED), and a
 * login is the card's state, which a second process cannot copy. */
static const CK_INTERFACE interfaces[] = {
	{ (CK_CHAR *)"PKCS 11", (CK_VOID_PTR)&list_30, 0 },
	{ (CK_CHAR *)"PKCS 11", (CK_VOID_PTR)&list_240, 0 },
};
#define N_INTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))

/* Allowed before C_Initialize (PKCS#11 v2.40 §5.4, v3.0 §5.4.4-6). */
static CK_RV get_function_list(CK_FUNCTION_LIST_PTR_PTR out)
{
	CK_RV rv = CKR_ARGUMENTS_BAD;

	if (out) {
		*out = (CK_FUNCTION_LIST_PTR)&list_240;
		rv = CKR_OK;
	}
	return rv;
}

static CK_RV get_interface_list(CK_INTERFACE_PTR list, CK_ULONG_PTR count)
{
	CK_RV rv = CKR_OK;

	if (!count) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (list && *count < N_INTERFACES)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (list)
		memcpy(list, interfaces, sizeof(interfaces));
	*count = N_INTERFACES;
out:
	return rv;
}

static int version_is(const CK_INTERFACE *i, const CK_VERSION *v)
{
	const CK_VERSION *has = i->pFunctionList;

	return has->major == v->major && has->minor == v->minor;
}

/* The first interface with that name, version and all those flags (each
 * NULL or 0: any). None: CKR_ARGUMENTS_BAD, the caller asked for what
 * this module does not have. */
static CK_RV get_interface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
                           CK_INTERFACE_PTR_PTR out, CK_FLAGS flags)
{
	CK_RV rv = CKR_ARGUMENTS_BAD;
	size_t i;

	for (i = 0; out && i < N_INTERFACES; i++) {
		const CK_INTERFACE *it = &interfaces[i];

		if (name && strcmp((const char *)name, (const char *)it->pInterfaceName) != 0)
			continue;
		if (version && !version_is(it, version))
			continue;
		if ((it->flags & flags) != flags)
			continue;
		*out = (CK_INTERFACE_PTR)it;
		rv = CKR_OK;
		break;
	}
	return rv;
}

JP_ENTRY0(GetFunctionList, (CK_FUNCTION_LIST_PTR_PTR out), get_function_list(out))
JP_ENTRY0(GetInterfaceList, (CK_INTERFACE_PTR list, CK_ULONG_PTR count),
          get_interface_list(list, count))
JP_ENTRY(GetInterface, (CK_UTF8CHAR_PTR name, CK_VERSION_PTR version, CK_INTERFACE_PTR_PTR out,
                        CK_FLAGS flags),
         ("version=%d.%d flags=0x%lx", version ? version->major : -1,
          version ? version->minor : -1, flags),
         get_interface(name, version, out, flags))

/* ---- the exported symbols: C_<name> calls jp_e_<name>, nothing more. The
 * exported C_GetInfo is the v2.40 one, like C_GetFunctionList's list. */
#define JP_FN(name, params, args) \
	JP_EXPORT CK_RV C_##name params \
	{ \
		return jp_e_##name args; \
	}
#include "fn-table.h"
