/* C_VerifyInit / C_Verify / C_VerifyUpdate / C_VerifyFinal (PKCS#11 v2.40
 * §5.12), on the host with OpenSSL, for the same PKCS#1 v1.5 mechanisms as
 * signing. The key is a public-key object or a certificate object (its
 * subject's key), so a CA certificate can check what it signed. The
 * operation's life is op.c's; here are the key checks and the check. */
#include "config.h"

#include <string.h>

#include "p11.h"

/* Checks sig over the operation's message with the key object's RSA key,
 * parsed when the object was built (a certificate's subject key too): no
 * parsing per verification. */
static CK_RV check_inlock(jp_session *s, const uint8_t *sig, CK_ULONG sig_len)
{
	CK_RV rv = CKR_OK;
	jp_err e;
	const jp_object *o = jp_object_lookup_inlock(s, s->ops[JP_OP_VERIFY].key);
	size_t msg_len = 0;
	uint8_t msg[JP_SIGN_INPUT_MAX];

	if (!o) {
		rv = CKR_KEY_HANDLE_INVALID;     /* gone since VerifyInit (logout) */
		goto out;
	}
	if (!o->rsa_n.len || !o->rsa_e.len) {
		rv = CKR_GENERAL_ERROR;
		goto out;
	}
	/* A PKCS#1 v1.5 signature has exactly the modulus' length
	 * (RFC 8017 §8.2.2 step 1). */
	if (sig_len != o->rsa_n.len) {
		rv = CKR_SIGNATURE_LEN_RANGE;
		goto out;
	}
	rv = jp_op_message(&s->ops[JP_OP_VERIFY], msg, &msg_len);
	if (rv != CKR_OK)
		goto out;
	e = jp_rsa_verify_raw_key(o->rsa_n.data, o->rsa_n.len, o->rsa_e.data, o->rsa_e.len, msg,
	                          msg_len, sig, sig_len);
	rv = e == JP_E_SIGNATURE_INVALID ? CKR_SIGNATURE_INVALID : jp_rv(e);
out:
	jp_wipe(msg, sizeof(msg));
	return rv;
}

/* Feeds the single-part data and checks sig (jp_op_finish_fn: sig is
 * the call's input, its length passed by address). §5.12: C_Verify and
 * C_VerifyFinal end the operation whatever the outcome. */
static CK_RV finish_inlock(jp_session *s, const uint8_t *data, CK_ULONG len, int single,
                           CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	CK_RV rv = sig ? CKR_OK : CKR_ARGUMENTS_BAD;

	if (rv == CKR_OK && single)
		rv = jp_op_update(&s->ops[JP_OP_VERIFY], data, len);
	if (rv == CKR_OK)
		rv = check_inlock(s, sig, *sig_len);
	jp_op_end(s, JP_OP_VERIFY);
	return rv;
}

CK_RV jp_p11_verify_init(CK_SESSION_HANDLE hs, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE hkey)
{
	CK_RV rv;
	jp_session *s;
	const jp_mech *m = NULL;
	jp_object *o;

	rv = jp_op_init_enter(hs, JP_OP_VERIFY, mech, &s, &m);
	if (rv != CKR_OK)
		goto out;
	o = jp_object_lookup_inlock(s, hkey);
	if (!o)
		rv = CKR_KEY_HANDLE_INVALID;
	else if (o->cls == CKO_PRIVATE_KEY)
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;   /* CKA_VERIFY is on the public key */
	else if (o->cls == CKO_PUBLIC_KEY && !jp_attr_true(o, CKA_VERIFY))
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
	else if (o->cls != CKO_PUBLIC_KEY && o->cls != CKO_CERTIFICATE)
		rv = CKR_KEY_HANDLE_INVALID;
	else
		rv = jp_object_content_held(s->reader, o);   /* a CA's key */
	if (rv == CKR_OK)
		rv = jp_op_start(s, JP_OP_VERIFY, m, hkey);
	jp_leave_reader(s->reader);
out:
	return rv;
}

CK_RV jp_p11_verify(CK_SESSION_HANDLE hs, CK_BYTE_PTR data, CK_ULONG len,
                    CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	return jp_op_single_call(hs, JP_OP_VERIFY, data, len, sig, &sig_len, finish_inlock);
}

CK_RV jp_p11_verify_update(CK_SESSION_HANDLE hs, CK_BYTE_PTR part, CK_ULONG len)
{
	return jp_op_update_call(hs, JP_OP_VERIFY, part, len);
}

CK_RV jp_p11_verify_final(CK_SESSION_HANDLE hs, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	return jp_op_final_call(hs, JP_OP_VERIFY, sig, &sig_len, finish_inlock);
}
