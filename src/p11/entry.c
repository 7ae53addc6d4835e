/* The entries of the v2.40 functions (entry.h says what an entry is):
 * each traces what it was asked (slot, session, object, mechanism; never
 * a PIN or data) and calls its implementation. C_GetInfo and
 * C_GetFunctionList are module.c's, the v3.0 functions entry30.c's. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "jpki/log.h"
#include "entry.h"

/* ---- the trace lines ---- */

void jp_trace_call(const char *fn, const char *fmt, ...)
{
	char what[160] = "";
	va_list ap;

	if (jp_log_level() < JP_LOG_TRACE)
		return;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
	}
	JP_TRACE("> %s%s%s", fn, fmt ? " " : "", what);
}

void jp_trace_return(const char *fn, CK_RV rv)
{
	JP_TRACE("< %s: 0x%08lx", fn, (unsigned long)rv);
}

/* The mechanisms a trace reader is likely to meet: those of mechanism.c,
 * and what TLS stacks also ask for. */
static const struct {
	CK_MECHANISM_TYPE type;
	const char *name;
} mech_names[] = {
	{ CKM_RSA_PKCS, " (CKM_RSA_PKCS)" },
	{ CKM_RSA_X_509, " (CKM_RSA_X_509)" },
	{ CKM_RSA_PKCS_PSS, " (CKM_RSA_PKCS_PSS)" },
	{ CKM_SHA1_RSA_PKCS, " (CKM_SHA1_RSA_PKCS)" },
	{ CKM_SHA224_RSA_PKCS, " (CKM_SHA224_RSA_PKCS)" },
	{ CKM_SHA256_RSA_PKCS, " (CKM_SHA256_RSA_PKCS)" },
	{ CKM_SHA384_RSA_PKCS, " (CKM_SHA384_RSA_PKCS)" },
	{ CKM_SHA512_RSA_PKCS, " (CKM_SHA512_RSA_PKCS)" },
	{ CKM_SHA256_RSA_PKCS_PSS, " (CKM_SHA256_RSA_PKCS_PSS)" },
	{ CKM_SHA_1, " (CKM_SHA_1)" },
	{ CKM_SHA224, " (CKM_SHA224)" },
	{ CKM_SHA256, " (CKM_SHA256)" },
	{ CKM_SHA384, " (CKM_SHA384)" },
	{ CKM_SHA512, " (CKM_SHA512)" },
};

CK_ULONG jp_trace_mech_type(const CK_MECHANISM *m)
{
	return m ? m->mechanism : CK_UNAVAILABLE_INFORMATION;
}

const char *jp_trace_mech_name(const CK_MECHANISM *m)
{
	const char *name = m ? "" : " (none)";
	size_t i;

	for (i = 0; m && i < sizeof(mech_names) / sizeof(mech_names[0]); i++)
		if (mech_names[i].type == m->mechanism)
			name = mech_names[i].name;
	return name;
}

/* ---- general purpose, slots and tokens ---- */

JP_ENTRY0(Initialize, (CK_VOID_PTR args), jp_p11_initialize(args))
JP_ENTRY0(Finalize, (CK_VOID_PTR reserved), jp_p11_finalize(reserved))
JP_ENTRY(GetSlotList, (CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count),
         ("present=%u", (unsigned)present), jp_p11_get_slot_list(present, list, count))
JP_ENTRY(GetSlotInfo, (CK_SLOT_ID id, CK_SLOT_INFO_PTR info), ("slot=%lu", id),
         jp_p11_get_slot_info(id, info))
JP_ENTRY(GetTokenInfo, (CK_SLOT_ID id, CK_TOKEN_INFO_PTR info), ("slot=%lu", id),
         jp_p11_get_token_info(id, info))
JP_ENTRY(WaitForSlotEvent, (CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved),
         ("flags=0x%lx", flags), jp_p11_wait_for_slot_event(flags, slot, reserved))
JP_ENTRY(GetMechanismList, (CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count),
         ("slot=%lu", id), jp_p11_get_mechanism_list(id, list, count))
JP_ENTRY(GetMechanismInfo, (CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info),
         ("slot=%lu mechanism=0x%lx", id, type), jp_p11_get_mechanism_info(id, type, info))
/* There is no security officer and nothing to initialise: the card is
 * personalised by J-LIS. */
JP_ENTRY(InitToken, (CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label),
         ("slot=%lu", id),
         jp_p11_refuse_slot(id, !label || JP_NULL_WITH_LEN(pin, len), CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(InitPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len), ("session=%lu", h),
         jp_p11_refuse(h, JP_NULL_WITH_LEN(pin, len), CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(SetPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
                  CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len),
         ("session=%lu", h), jp_p11_set_pin(h, old_pin, old_len, new_pin, new_len))

/* ---- sessions ---- */

/* The module never calls back (no surrender, no events): app and notify
 * are not kept. */
JP_ENTRY(OpenSession, (CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                       CK_SESSION_HANDLE_PTR out),
         ("slot=%lu flags=0x%lx", id, flags),
         ((void)app, (void)notify, jp_p11_open_session(id, flags, out)))
JP_ENTRY(CloseSession, (CK_SESSION_HANDLE h), ("session=%lu", h), jp_p11_close_session(h))
JP_ENTRY(CloseAllSessions, (CK_SLOT_ID id), ("slot=%lu", id), jp_p11_close_all_sessions(id))
JP_ENTRY(GetSessionInfo, (CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info), ("session=%lu", h),
         jp_p11_get_session_info(h, info))
/* The state of an operation includes what the card signs: it is not
 * handed out. */
JP_ENTRY(GetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state, CK_ULONG_PTR len),
         ("session=%lu", h), ((void)state, jp_p11_refuse(h, !len, CKR_FUNCTION_NOT_SUPPORTED)))
JP_ENTRY(SetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state, CK_ULONG len,
                             CK_OBJECT_HANDLE enc_key, CK_OBJECT_HANDLE auth_key),
         ("session=%lu", h), ((void)len, (void)enc_key, (void)auth_key,
                              jp_p11_refuse(h, !state, CKR_FUNCTION_NOT_SUPPORTED)))
/* The user type, never the PIN nor its length. */
JP_ENTRY(Login, (CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len),
         ("session=%lu user=%lu", h, user), jp_p11_login(h, user, pin, len))
JP_ENTRY(Logout, (CK_SESSION_HANDLE h), ("session=%lu", h), jp_p11_logout(h))

/* ---- objects (read-only: the card's files are J-LIS's) ---- */

JP_ENTRY(CreateObject, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                        CK_OBJECT_HANDLE_PTR out),
         ("session=%lu", h), jp_p11_create_object(h, tmpl, count, out))
JP_ENTRY(CopyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                      CK_ULONG count, CK_OBJECT_HANDLE_PTR out),
         ("session=%lu object=%lu", h, o), jp_p11_copy_object(h, o, tmpl, count, out))
JP_ENTRY(DestroyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o),
         ("session=%lu object=%lu", h, o), jp_p11_destroy_object(h, o))
JP_ENTRY(GetObjectSize, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size),
         ("session=%lu object=%lu", h, o), jp_p11_get_object_size(h, o, size))
/* The number of attributes asked for, never their values. */
JP_ENTRY(GetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                             CK_ULONG count),
         ("session=%lu object=%lu attributes=%lu", h, o, count),
         jp_p11_get_attribute_value(h, o, tmpl, count))
JP_ENTRY(SetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                             CK_ULONG count),
         ("session=%lu object=%lu", h, o), jp_p11_set_attribute_value(h, o, tmpl, count))
JP_ENTRY(FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count),
         ("session=%lu attributes=%lu", h, count), jp_p11_find_objects_init(h, tmpl, count))
JP_ENTRY(FindObjects, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                       CK_ULONG_PTR count),
         ("session=%lu max=%lu", h, max), jp_p11_find_objects(h, out, max, count))
JP_ENTRY(FindObjectsFinal, (CK_SESSION_HANDLE h), ("session=%lu", h),
         jp_p11_find_objects_final(h))

/* ---- encryption and decryption: the card cannot decrypt, and encrypting
 * with a public key is the caller's business ---- */

JP_ENTRY(EncryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), k),
         jp_p11_refuse(h, !m, CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(Encrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                   CK_ULONG_PTR out_len),
         ("session=%lu", h),
         ((void)out,
          jp_p11_refuse(h, JP_NULL_WITH_LEN(in, in_len) || !out_len, CKR_FUNCTION_NOT_SUPPORTED)))
JP_ENTRY(EncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                         CK_ULONG_PTR out_len),
         ("session=%lu", h),
         ((void)out,
          jp_p11_refuse(h, JP_NULL_WITH_LEN(in, in_len) || !out_len, CKR_FUNCTION_NOT_SUPPORTED)))
JP_ENTRY(EncryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
         ("session=%lu", h), ((void)out, jp_p11_refuse(h, !out_len, CKR_FUNCTION_NOT_SUPPORTED)))
JP_ENTRY(DecryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), k),
         jp_p11_refuse(h, !m, CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(Decrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                   CK_ULONG_PTR out_len),
         ("session=%lu", h),
         ((void)out,
          jp_p11_refuse(h, JP_NULL_WITH_LEN(in, in_len) || !out_len, CKR_FUNCTION_NOT_SUPPORTED)))
JP_ENTRY(DecryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                         CK_ULONG_PTR out_len),
         ("session=%lu", h),
         ((void)out,
          jp_p11_refuse(h, JP_NULL_WITH_LEN(in, in_len) || !out_len, CKR_FUNCTION_NOT_SUPPORTED)))
JP_ENTRY(DecryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
         ("session=%lu", h), ((void)out, jp_p11_refuse(h, !out_len, CKR_FUNCTION_NOT_SUPPORTED)))

/* ---- digests, signatures, verification ---- */

JP_ENTRY(DigestInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m),
         ("session=%lu " JP_MECH_FMT, h, JP_MECH_ARGS(m)), jp_p11_digest_init(h, m))
JP_ENTRY(Digest, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                  CK_ULONG_PTR out_len),
         ("session=%lu", h), jp_p11_digest(h, in, in_len, out, out_len))
JP_ENTRY(DigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len),
         ("session=%lu", h), jp_p11_digest_update(h, in, in_len))
/* Digesting a key's secret value: the card's keys never leave it. */
JP_ENTRY(DigestKey, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k), ("session=%lu key=%lu", h, k),
         jp_p11_refuse(h, 0, CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(DigestFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
         ("session=%lu", h), jp_p11_digest_final(h, out, out_len))
JP_ENTRY(SignInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), k),
         jp_p11_sign_init(h, m, k))
JP_ENTRY(Sign, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                CK_ULONG_PTR sig_len),
         ("session=%lu", h), jp_p11_sign(h, in, in_len, sig, sig_len))
JP_ENTRY(SignUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len), ("session=%lu", h),
         jp_p11_sign_update(h, in, in_len))
JP_ENTRY(SignFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len),
         ("session=%lu", h), jp_p11_sign_final(h, sig, sig_len))
/* Signature with message recovery needs raw RSA, which the card lacks. */
JP_ENTRY(SignRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), k),
         jp_p11_refuse(h, !m, CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(SignRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                       CK_ULONG_PTR sig_len),
         ("session=%lu", h),
         ((void)sig,
          jp_p11_refuse(h, JP_NULL_WITH_LEN(in, in_len) || !sig_len, CKR_FUNCTION_NOT_SUPPORTED)))
JP_ENTRY(VerifyInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), k),
         jp_p11_verify_init(h, m, k))
JP_ENTRY(Verify, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                  CK_ULONG sig_len),
         ("session=%lu", h), jp_p11_verify(h, in, in_len, sig, sig_len))
JP_ENTRY(VerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len),
         ("session=%lu", h), jp_p11_verify_update(h, in, in_len))
JP_ENTRY(VerifyFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len),
         ("session=%lu", h), jp_p11_verify_final(h, sig, sig_len))
JP_ENTRY(VerifyRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), k),
         jp_p11_refuse(h, !m, CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(VerifyRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len,
                         CK_BYTE_PTR out, CK_ULONG_PTR out_len),
         ("session=%lu", h),
         ((void)out,
          jp_p11_refuse(h, JP_NULL_WITH_LEN(sig, sig_len) || !out_len,
                        CKR_FUNCTION_NOT_SUPPORTED)))

/* ---- dual-function operations: each needs encryption or decryption ---- */

#define JP_DUAL(name) \
	JP_ENTRY(name, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, \
	                CK_ULONG_PTR out_len), \
	         ("session=%lu", h), \
	         ((void)out, \
	          jp_p11_refuse(h, JP_NULL_WITH_LEN(in, in_len) || !out_len, \
	                        CKR_FUNCTION_NOT_SUPPORTED)))
JP_DUAL(DigestEncryptUpdate)
JP_DUAL(DecryptDigestUpdate)
JP_DUAL(SignEncryptUpdate)
JP_DUAL(DecryptVerifyUpdate)

/* ---- key management: the keys are made by J-LIS, on the card, once ---- */

JP_ENTRY(GenerateKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR tmpl,
                       CK_ULONG count, CK_OBJECT_HANDLE_PTR out),
         ("session=%lu " JP_MECH_FMT, h, JP_MECH_ARGS(m)),
         jp_p11_refuse(h, !m || JP_NULL_WITH_LEN(tmpl, count) || !out,
                       CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(GenerateKeyPair, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub_tmpl,
                           CK_ULONG pub_count, CK_ATTRIBUTE_PTR priv_tmpl, CK_ULONG priv_count,
                           CK_OBJECT_HANDLE_PTR pub, CK_OBJECT_HANDLE_PTR priv),
         ("session=%lu " JP_MECH_FMT, h, JP_MECH_ARGS(m)),
         jp_p11_refuse(h, !m || JP_NULL_WITH_LEN(pub_tmpl, pub_count) ||
                          JP_NULL_WITH_LEN(priv_tmpl, priv_count) || !pub || !priv,
                       CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(WrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wrapping,
                   CK_OBJECT_HANDLE k, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), k),
         ((void)wrapping, (void)out,
          jp_p11_refuse(h, !m || !out_len, CKR_FUNCTION_NOT_SUPPORTED)))
JP_ENTRY(UnwrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE unwrapping,
                     CK_BYTE_PTR in, CK_ULONG in_len, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                     CK_OBJECT_HANDLE_PTR out),
         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), unwrapping),
         jp_p11_refuse(h, !m || JP_NULL_WITH_LEN(in, in_len) || JP_NULL_WITH_LEN(tmpl, count) ||
                          !out,
                       CKR_FUNCTION_NOT_SUPPORTED))
JP_ENTRY(DeriveKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
                     CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR out),
         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), base),
         jp_p11_refuse(h, !m || JP_NULL_WITH_LEN(tmpl, count) || !out,
                       CKR_FUNCTION_NOT_SUPPORTED))

/* ---- random numbers: the JPKI application exposes no generator; PKCS#11
 * v2.40 §5.15 has CKR_RANDOM_NO_RNG for that (pkcs11-tool then says "not
 * implemented") ---- */

JP_ENTRY(SeedRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len), ("session=%lu", h),
         jp_p11_refuse(h, JP_NULL_WITH_LEN(seed, len), CKR_RANDOM_NO_RNG))
JP_ENTRY(GenerateRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len),
         ("session=%lu", h), jp_p11_refuse(h, JP_NULL_WITH_LEN(out, len), CKR_RANDOM_NO_RNG))

/* ---- legacy parallel functions: PKCS#11 v2.40 §5.16, always
 * CKR_FUNCTION_NOT_PARALLEL ---- */

JP_ENTRY(GetFunctionStatus, (CK_SESSION_HANDLE h), ("session=%lu", h),
         jp_p11_refuse(h, 0, CKR_FUNCTION_NOT_PARALLEL))
JP_ENTRY(CancelFunction, (CK_SESSION_HANDLE h), ("session=%lu", h),
         jp_p11_refuse(h, 0, CKR_FUNCTION_NOT_PARALLEL))
