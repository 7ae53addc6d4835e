/* The function list and the exported C_* entry points. Every entry point
 * is a trampoline to a hidden jp_p11_* implementation: this is the one
 * place every call passes through, so the trace log shows each call and
 * its result (never its arguments: C_Login's would be a PIN). Only the
 * C_* symbols leave the shared object (-fvisibility=hidden, JP_EXPORT, and
 * the -export-symbols-regex in local.mk). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "jpki/log.h"
#include "p11.h"

#define JP_TRAMP(name, params, call) \
	JP_EXPORT CK_RV name params \
	{ \
		CK_RV rv_; \
		JP_TRACE("> %s", #name); \
		rv_ = call; \
		JP_TRACE("< %s: 0x%08lx", #name, (unsigned long)rv_); \
		return rv_; \
	}

/* Functions the card cannot do: one line each. */
#define JP_UNSUP(name, params) \
	JP_EXPORT CK_RV name params \
	{ \
		return jp_p11_unsupported(); \
	}

/* Writes s into a blank-padded, unterminated Cryptoki string field. */
static void pad_copy(CK_UTF8CHAR *dst, size_t dst_len, const char *s)
{
	size_t n = strlen(s);

	memset(dst, ' ', dst_len);
	memcpy(dst, s, n < dst_len ? n : dst_len);
}

static CK_RV get_info(CK_INFO_PTR info)
{
	CK_RV rv = jp_check_init();
	unsigned major = 0, minor = 0;

	if (rv != CKR_OK)
		goto out;
	if (!info) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	pad_copy(info->manufacturerID, sizeof(info->manufacturerID), "jpki-pkcs11 project");
	info->flags = 0;
	pad_copy(info->libraryDescription, sizeof(info->libraryDescription),
	         "My Number Card JPKI (J-LIS)");
	/* PACKAGE_VERSION is "major.minor.patch". */
	if (sscanf(PACKAGE_VERSION, "%u.%u", &major, &minor) == 2) {
		info->libraryVersion.major = (CK_BYTE)major;
		info->libraryVersion.minor = (CK_BYTE)minor;
	}
out:
	return rv;
}

JP_TRAMP(C_Initialize, (CK_VOID_PTR args), jp_p11_initialize(args))
JP_TRAMP(C_Finalize, (CK_VOID_PTR reserved), jp_p11_finalize(reserved))
JP_TRAMP(C_GetInfo, (CK_INFO_PTR info), get_info(info))

JP_TRAMP(C_GetSlotList, (CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count),
         jp_p11_get_slot_list(present, list, count))
JP_TRAMP(C_GetSlotInfo, (CK_SLOT_ID id, CK_SLOT_INFO_PTR info), jp_p11_get_slot_info(id, info))
JP_TRAMP(C_GetTokenInfo, (CK_SLOT_ID id, CK_TOKEN_INFO_PTR info), jp_p11_get_token_info(id, info))
JP_TRAMP(C_WaitForSlotEvent, (CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved),
         jp_p11_wait_for_slot_event(flags, slot, reserved))
JP_TRAMP(C_GetMechanismList, (CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count),
         jp_p11_get_mechanism_list(id, list, count))
JP_TRAMP(C_GetMechanismInfo, (CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info),
         jp_p11_get_mechanism_info(id, type, info))
/* There is no security officer and nothing to initialise: the card is
 * personalised by J-LIS. */
JP_UNSUP(C_InitToken, (CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label))
JP_UNSUP(C_InitPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len))
JP_TRAMP(C_SetPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old_pin, CK_ULONG old_len,
                    CK_UTF8CHAR_PTR new_pin, CK_ULONG new_len),
         jp_p11_set_pin(h, old_pin, old_len, new_pin, new_len))

JP_TRAMP(C_OpenSession, (CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                         CK_SESSION_HANDLE_PTR out),
         jp_p11_open_session(id, flags, app, notify, out))
JP_TRAMP(C_CloseSession, (CK_SESSION_HANDLE h), jp_p11_close_session(h))
JP_TRAMP(C_CloseAllSessions, (CK_SLOT_ID id), jp_p11_close_all_sessions(id))
JP_TRAMP(C_GetSessionInfo, (CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info),
         jp_p11_get_session_info(h, info))
JP_UNSUP(C_GetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state, CK_ULONG_PTR len))
JP_UNSUP(C_SetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state, CK_ULONG len,
                               CK_OBJECT_HANDLE enc_key, CK_OBJECT_HANDLE auth_key))
JP_TRAMP(C_Login, (CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len),
         jp_p11_login(h, user, pin, len))
JP_TRAMP(C_Logout, (CK_SESSION_HANDLE h), jp_p11_logout(h))

/* The tokens are write-protected: the card's files are J-LIS's (attr.c). */
JP_TRAMP(C_CreateObject, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                          CK_OBJECT_HANDLE_PTR out),
         jp_p11_create_object(h, tmpl, count, out))
JP_TRAMP(C_CopyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                        CK_ULONG count, CK_OBJECT_HANDLE_PTR out),
         jp_p11_copy_object(h, o, tmpl, count, out))
JP_TRAMP(C_DestroyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o), jp_p11_destroy_object(h, o))
JP_TRAMP(C_GetObjectSize, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size),
         jp_p11_get_object_size(h, o, size))
JP_TRAMP(C_GetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                               CK_ULONG count),
         jp_p11_get_attribute_value(h, o, tmpl, count))
JP_TRAMP(C_SetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR tmpl,
                               CK_ULONG count),
         jp_p11_set_attribute_value(h, o, tmpl, count))
JP_TRAMP(C_FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count),
         jp_p11_find_objects_init(h, tmpl, count))
JP_TRAMP(C_FindObjects, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                         CK_ULONG_PTR count),
         jp_p11_find_objects(h, out, max, count))
JP_TRAMP(C_FindObjectsFinal, (CK_SESSION_HANDLE h), jp_p11_find_objects_final(h))

/* No decryption on this card (jpki-card.md §4). */
JP_UNSUP(C_EncryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))
JP_UNSUP(C_Encrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                     CK_ULONG_PTR out_len))
JP_UNSUP(C_EncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                           CK_ULONG_PTR out_len))
JP_UNSUP(C_EncryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len))
JP_UNSUP(C_DecryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))
JP_UNSUP(C_Decrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                     CK_ULONG_PTR out_len))
JP_UNSUP(C_DecryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                           CK_ULONG_PTR out_len))
JP_UNSUP(C_DecryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len))

JP_TRAMP(C_DigestInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m), jp_p11_digest_init(h, m))
JP_TRAMP(C_Digest, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                    CK_ULONG_PTR out_len),
         jp_p11_digest(h, in, in_len, out, out_len))
JP_TRAMP(C_DigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len),
         jp_p11_digest_update(h, in, in_len))
/* Digesting a key's secret value: the card's keys never leave it. */
JP_UNSUP(C_DigestKey, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k))
JP_TRAMP(C_DigestFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
         jp_p11_digest_final(h, out, out_len))

JP_TRAMP(C_SignInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
         jp_p11_sign_init(h, m, k))
JP_TRAMP(C_Sign, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                  CK_ULONG_PTR sig_len),
         jp_p11_sign(h, in, in_len, sig, sig_len))
JP_TRAMP(C_SignUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len),
         jp_p11_sign_update(h, in, in_len))
JP_TRAMP(C_SignFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len),
         jp_p11_sign_final(h, sig, sig_len))
/* Signature with message recovery needs raw RSA, which the card lacks. */
JP_UNSUP(C_SignRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))
JP_UNSUP(C_SignRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                         CK_ULONG_PTR sig_len))

JP_TRAMP(C_VerifyInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
         jp_p11_verify_init(h, m, k))
JP_TRAMP(C_Verify, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                    CK_ULONG sig_len),
         jp_p11_verify(h, in, in_len, sig, sig_len))
JP_TRAMP(C_VerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len),
         jp_p11_verify_update(h, in, in_len))
JP_TRAMP(C_VerifyFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len),
         jp_p11_verify_final(h, sig, sig_len))
JP_UNSUP(C_VerifyRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))
JP_UNSUP(C_VerifyRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len,
                           CK_BYTE_PTR out, CK_ULONG_PTR out_len))

JP_UNSUP(C_DigestEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                                 CK_BYTE_PTR out, CK_ULONG_PTR out_len))
JP_UNSUP(C_DecryptDigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                                 CK_BYTE_PTR out, CK_ULONG_PTR out_len))
JP_UNSUP(C_SignEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                               CK_BYTE_PTR out, CK_ULONG_PTR out_len))
JP_UNSUP(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
                                 CK_BYTE_PTR out, CK_ULONG_PTR out_len))

/* Keys are made by J-LIS, on the card, once. */
JP_UNSUP(C_GenerateKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR tmpl,
                         CK_ULONG count, CK_OBJECT_HANDLE_PTR out))
JP_UNSUP(C_GenerateKeyPair, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub_tmpl,
                             CK_ULONG pub_count, CK_ATTRIBUTE_PTR priv_tmpl, CK_ULONG priv_count,
                             CK_OBJECT_HANDLE_PTR pub, CK_OBJECT_HANDLE_PTR priv))
JP_UNSUP(C_WrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wrapping,
                     CK_OBJECT_HANDLE k, CK_BYTE_PTR out, CK_ULONG_PTR out_len))
JP_UNSUP(C_UnwrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE unwrapping,
                       CK_BYTE_PTR in, CK_ULONG in_len, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                       CK_OBJECT_HANDLE_PTR out))
JP_UNSUP(C_DeriveKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
                       CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR out))
/* The JPKI application exposes no random generator: PKCS#11 v2.40 §5.15
 * has CKR_RANDOM_NO_RNG for that (pkcs11-tool then says "not implemented"). */
static CK_RV no_rng(void)
{
	CK_RV rv = jp_check_init();

	return rv == CKR_OK ? CKR_RANDOM_NO_RNG : rv;
}
JP_TRAMP(C_SeedRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len), no_rng())
JP_TRAMP(C_GenerateRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len), no_rng())

/* Legacy parallel functions: PKCS#11 v2.40 §5.16 says they always return
 * CKR_FUNCTION_NOT_PARALLEL (after the usual init check). */
static CK_RV not_parallel(void)
{
	CK_RV rv = jp_check_init();

	return rv == CKR_OK ? CKR_FUNCTION_NOT_PARALLEL : rv;
}
JP_TRAMP(C_GetFunctionStatus, (CK_SESSION_HANDLE h), not_parallel())
JP_TRAMP(C_CancelFunction, (CK_SESSION_HANDLE h), not_parallel())

static CK_FUNCTION_LIST jp_function_list = {
	{ 2, 40 },
	C_Initialize,
	C_Finalize,
	C_GetInfo,
	C_GetFunctionList,
	C_GetSlotList,
	C_GetSlotInfo,
	C_GetTokenInfo,
	C_GetMechanismList,
	C_GetMechanismInfo,
	C_InitToken,
	C_InitPIN,
	C_SetPIN,
	C_OpenSession,
	C_CloseSession,
	C_CloseAllSessions,
	C_GetSessionInfo,
	C_GetOperationState,
	C_SetOperationState,
	C_Login,
	C_Logout,
	C_CreateObject,
	C_CopyObject,
	C_DestroyObject,
	C_GetObjectSize,
	C_GetAttributeValue,
	C_SetAttributeValue,
	C_FindObjectsInit,
	C_FindObjects,
	C_FindObjectsFinal,
	C_EncryptInit,
	C_Encrypt,
	C_EncryptUpdate,
	C_EncryptFinal,
	C_DecryptInit,
	C_Decrypt,
	C_DecryptUpdate,
	C_DecryptFinal,
	C_DigestInit,
	C_Digest,
	C_DigestUpdate,
	C_DigestKey,
	C_DigestFinal,
	C_SignInit,
	C_Sign,
	C_SignUpdate,
	C_SignFinal,
	C_SignRecoverInit,
	C_SignRecover,
	C_VerifyInit,
	C_Verify,
	C_VerifyUpdate,
	C_VerifyFinal,
	C_VerifyRecoverInit,
	C_VerifyRecover,
	C_DigestEncryptUpdate,
	C_DecryptDigestUpdate,
	C_SignEncryptUpdate,
	C_DecryptVerifyUpdate,
	C_GenerateKey,
	C_GenerateKeyPair,
	C_WrapKey,
	C_UnwrapKey,
	C_DeriveKey,
	C_SeedRandom,
	C_GenerateRandom,
	C_GetFunctionStatus,
	C_CancelFunction,
	C_WaitForSlotEvent,
};

/* Allowed before C_Initialize (PKCS#11 v2.40 §5.4). */
JP_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	CK_RV rv = CKR_ARGUMENTS_BAD;

	if (out) {
		*out = &jp_function_list;
		rv = CKR_OK;
	}
	return rv;
}
