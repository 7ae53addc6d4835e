/* The entry layer: one hidden function jp_e_<Name> per Cryptoki function
 * (fn-table.h). The function lists hold these, and the exported C_* are
 * one-line calls to them (module.c), so a C_Initialize exported by the
 * host program or by another module can never be reached through our
 * list, and nothing inside the module calls an exported symbol.
 *
 * Each entry traces (level 5) the call with what it was asked about: the
 * slot, session, object, mechanism, flags; never a PIN, a user name, data
 * to sign or digest, an attribute value (the signing certificate is
 * personal data). Then it calls the implementation (jp_p11_*) and traces
 * the result. */
#ifndef JPKI_P11_ENTRY_H
#define JPKI_P11_ENTRY_H

#include "jpki/log.h"
#include "jpki/pkcs11-3.h"
#include "p11.h"

#define JP_FN(name, params, args) CK_RV jp_e_##name params;
#include "fn-table.h"
/* C_GetInfo of the v3.0 list (reports 3.0). */
CK_RV jp_e_GetInfo30(CK_INFO_PTR info);

/* entry.c: the trace lines. jp_trace_call's fmt says what was asked
 * (may be NULL); nothing is formatted unless level 5 is on. */
void jp_trace_call(const char *fn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void jp_trace_return(const char *fn, CK_RV rv);
/* For "mechanism=0x%lx%s": the type (CK_UNAVAILABLE_INFORMATION for a
 * NULL mechanism) and " (CKM_NAME)" for those this module knows. */
CK_ULONG jp_trace_mech_type(const CK_MECHANISM *m);
const char *jp_trace_mech_name(const CK_MECHANISM *m);
#define JP_MECH_FMT "mechanism=0x%lx%s"
#define JP_MECH_ARGS(m) jp_trace_mech_type(m), jp_trace_mech_name(m)

#define JP_UNPAREN(...) __VA_ARGS__
/* Defines jp_e_<name>: what is "(format, arguments...)" for the trace,
 * evaluated only when tracing (so a mechanism pointer is not read
 * before the implementation has checked the call). */
#define JP_ENTRY(name, params, what, call) \
	CK_RV jp_e_##name params \
	{ \
		CK_RV rv_; \
		if (jp_log_level() >= JP_LOG_TRACE) \
			jp_trace_call("C_" #name, JP_UNPAREN what); \
		rv_ = call; \
		jp_trace_return("C_" #name, rv_); \
		return rv_; \
	}
/* The same for a call with nothing to say (no slot, no session). */
#define JP_ENTRY0(name, params, call) JP_ENTRY(name, params, (NULL), call)

/* An argument pointer that must be there when its length is not 0. */
#define JP_NULL_WITH_LEN(p, len) (!(p) && (len))

/* unsupported.c: what the card cannot do still answers in the order of
 * PKCS#11 v2.40 §5.1 and §11: CKR_CRYPTOKI_NOT_INITIALIZED, then the
 * session (CKR_SESSION_HANDLE_INVALID) or slot (CKR_SLOT_ID_INVALID),
 * then CKR_ARGUMENTS_BAD when args_bad, and only then answer. */
CK_RV jp_p11_refuse(CK_SESSION_HANDLE h, int args_bad, CK_RV answer);
CK_RV jp_p11_refuse_slot(CK_SLOT_ID id, int args_bad, CK_RV answer);

#endif
