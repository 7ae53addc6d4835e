/* The entries of the functions new in PKCS#11 v3.0 (reached through the
 * "PKCS 11" 3.0 interface, module.c): C_LoginUser, C_SessionCancel and the
 * message-based functions. C_GetInterfaceList / C_GetInterface are
 * module.c's. */
#include "config.h"

#include "entry.h"

/* PKCS#11 v3.0 §5.6.9. The token has one user and no user names: with no
 * name (NULL or empty) this is C_Login, for every user type (so
 * CKU_CONTEXT_SPECIFIC works, and CKU_SO gets C_Login's
 * CKR_USER_TYPE_INVALID). A name is refused before the PIN reaches the
 * card, so it never costs a try: the spec's return values have none for
 * "no such user", and CKR_ARGUMENTS_BAD is the one that says the call's
 * arguments do not fit this token (CKR_PIN_INCORRECT would be a lie, and
 * would make the user doubt a correct PIN). */
static CK_RV login_user(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                        CK_ULONG len, CK_UTF8CHAR_PTR username, CK_ULONG username_len)
{
	CK_RV rv;

	if (username_len == 0)
		rv = jp_p11_login(h, user, pin, len);
	else if (user != CKU_USER && user != CKU_CONTEXT_SPECIFIC)
		rv = jp_p11_login(h, user, NULL, 0);   /* its own answer: the type */
	else
		rv = jp_p11_refuse(h, 1, CKR_OK);
	(void)username;
	return rv;
}

/* PKCS#11 v3.0 §5.6.5: ends the active operations named by flags (the
 * CK_MECHANISM_INFO operation flags, CKF_FIND_OBJECTS for a search); a
 * flag for an operation that is not active is ignored. The operations this
 * module has (find, sign, verify, digest) live in the session only (a
 * signature's card I/O starts after the operation has ended, sign.c), so
 * each can always be cancelled: never CKR_OPERATION_CANCEL_FAILED. */
static CK_RV session_cancel(CK_SESSION_HANDLE h, CK_FLAGS flags)
{
	jp_session *s;
	CK_RV rv = jp_enter_session(h, &s);

	if (rv != CKR_OK)
		goto out;
	if ((flags & CKF_FIND_OBJECTS) && s->find_active)
		jp_find_clear(s);
	if (flags & CKF_SIGN)
		jp_op_end(s, JP_OP_SIGN);       /* nothing to end when not active */
	if (flags & CKF_VERIFY)
		jp_op_end(s, JP_OP_VERIFY);
	if (flags & CKF_DIGEST)
		jp_op_end(s, JP_OP_DIGEST);
	jp_leave_reader(s->reader);
out:
	return rv;
}

/* The user type and whether a name was given; never the PIN, nor the
 * name (it could be personal). */
JP_ENTRY(LoginUser, (CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len,
                     CK_UTF8CHAR_PTR username, CK_ULONG username_len),
         ("session=%lu user=%lu named=%d", h, user, username_len != 0),
         login_user(h, user, pin, len, username, username_len))
JP_ENTRY(SessionCancel, (CK_SESSION_HANDLE h, CK_FLAGS flags),
         ("session=%lu flags=0x%lx", h, flags), session_cancel(h, flags))

/* ---- message-based encryption, decryption, signatures, verification
 * (§5.9-5.15): the card signs one hash at a time and decrypts nothing; no
 * mechanism here has a CKF_MESSAGE_* flag ---- */

#define JP_MSG_INIT(name) \
	JP_ENTRY(name, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), \
	         ("session=%lu " JP_MECH_FMT " key=%lu", h, JP_MECH_ARGS(m), k), \
	         jp_p11_refuse(h, !m, CKR_FUNCTION_NOT_SUPPORTED))
#define JP_MSG_FINAL(name) \
	JP_ENTRY(name, (CK_SESSION_HANDLE h), ("session=%lu", h), \
	         jp_p11_refuse(h, 0, CKR_FUNCTION_NOT_SUPPORTED))
/* The parameter and associated data of a Begin. */
#define JP_MSG_BEGIN_AD(name) \
	JP_ENTRY(name, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len, \
	                CK_BYTE_PTR ad, CK_ULONG ad_len), \
	         ("session=%lu", h), \
	         jp_p11_refuse(h, JP_NULL_WITH_LEN(param, param_len) || JP_NULL_WITH_LEN(ad, ad_len), \
	                       CKR_FUNCTION_NOT_SUPPORTED))
#define JP_MSG_BEGIN(name) \
	JP_ENTRY(name, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len), \
	         ("session=%lu", h), \
	         jp_p11_refuse(h, JP_NULL_WITH_LEN(param, param_len), CKR_FUNCTION_NOT_SUPPORTED))

/* C_EncryptMessage / C_DecryptMessage and their ...Next share their
 * parameters (PKCS#11 v3.0, message-based encryption and decryption):
 * one macro each. */
#define JP_MSG_CRYPT(name) \
	JP_ENTRY(name, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len, \
	                CK_BYTE_PTR ad, CK_ULONG ad_len, CK_BYTE_PTR in, CK_ULONG in_len, \
	                CK_BYTE_PTR out, CK_ULONG_PTR out_len), \
	         ("session=%lu", h), \
	         jp_p11_refuse(h, JP_NULL_WITH_LEN(param, param_len) || \
	                          JP_NULL_WITH_LEN(ad, ad_len) || JP_NULL_WITH_LEN(in, in_len) || \
	                          !out_len, \
	                       CKR_FUNCTION_NOT_SUPPORTED))
#define JP_MSG_CRYPT_NEXT(name) \
	JP_ENTRY(name, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len, \
	                CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out, CK_ULONG_PTR out_len, \
	                CK_FLAGS flags), \
	         ("session=%lu flags=0x%lx", h, flags), \
	         jp_p11_refuse(h, JP_NULL_WITH_LEN(param, param_len) || \
	                          JP_NULL_WITH_LEN(in, in_len) || !out_len, \
	                       CKR_FUNCTION_NOT_SUPPORTED))

JP_MSG_INIT(MessageEncryptInit)
JP_MSG_CRYPT(EncryptMessage)
JP_MSG_BEGIN_AD(EncryptMessageBegin)
JP_MSG_CRYPT_NEXT(EncryptMessageNext)
JP_MSG_FINAL(MessageEncryptFinal)

JP_MSG_INIT(MessageDecryptInit)
JP_MSG_CRYPT(DecryptMessage)
JP_MSG_BEGIN_AD(DecryptMessageBegin)
JP_MSG_CRYPT_NEXT(DecryptMessageNext)
JP_MSG_FINAL(MessageDecryptFinal)

JP_MSG_INIT(MessageSignInit)
JP_ENTRY(SignMessage, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                       CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len),
         ("session=%lu", h),
         jp_p11_refuse(h, JP_NULL_WITH_LEN(param, param_len) || JP_NULL_WITH_LEN(in, in_len) ||
                          !sig_len,
                       CKR_FUNCTION_NOT_SUPPORTED))
JP_MSG_BEGIN(SignMessageBegin)
/* Next without a signature buffer is legal (more parts follow). */
JP_ENTRY(SignMessageNext, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                           CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                           CK_ULONG_PTR sig_len),
         ("session=%lu", h),
         jp_p11_refuse(h, JP_NULL_WITH_LEN(param, param_len) || JP_NULL_WITH_LEN(in, in_len),
                       CKR_FUNCTION_NOT_SUPPORTED))
JP_MSG_FINAL(MessageSignFinal)

JP_MSG_INIT(MessageVerifyInit)
JP_ENTRY(VerifyMessage, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                         CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig, CK_ULONG sig_len),
         ("session=%lu", h),
         jp_p11_refuse(h, JP_NULL_WITH_LEN(param, param_len) || JP_NULL_WITH_LEN(in, in_len) ||
                          JP_NULL_WITH_LEN(sig, sig_len),
                       CKR_FUNCTION_NOT_SUPPORTED))
JP_MSG_BEGIN(VerifyMessageBegin)
JP_ENTRY(VerifyMessageNext, (CK_SESSION_HANDLE h, CK_VOID_PTR param, CK_ULONG param_len,
                             CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
                             CK_ULONG sig_len),
         ("session=%lu", h),
         jp_p11_refuse(h, JP_NULL_WITH_LEN(param, param_len) || JP_NULL_WITH_LEN(in, in_len) ||
                          JP_NULL_WITH_LEN(sig, sig_len),
                       CKR_FUNCTION_NOT_SUPPORTED))
JP_MSG_FINAL(MessageVerifyFinal)
