/* C_VerifyInit / C_Verify / C_VerifyUpdate / C_VerifyFinal (PKCS#11 v2.40
 * §5.12), on the host with OpenSSL, for the same PKCS#1 v1.5 mechanisms as
 * signing. The key is a public-key object or a certificate object (its
 * subject's key), so a CA certificate can check what it signed. */
#include "config.h"

#include <string.h>

#include "p11.h"

static void verify_end(jp_session *s)
{
	jp_op_clear(&s->verify);
	s->verify_active = 0;
}

static CK_RV active_inlock(CK_SESSION_HANDLE hs, jp_session **s)
{
	CK_RV rv = jp_session_lookup_inlock(hs, s);

	if (rv == CKR_OK && !(*s)->verify_active)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	return rv;
}

/* Checks sig over the operation's message with the key object. */
static CK_RV check_inlock(jp_session *s, const uint8_t *sig, CK_ULONG sig_len)
{
	CK_RV rv = CKR_OK;
	jp_err e;
	const jp_object *o = jp_object_lookup_inlock(s, s->verify.key);
	const jp_attr *n = NULL, *x = NULL, *der = NULL;
	jp_cert_info ci;
	const uint8_t *np = NULL, *xp = NULL;
	size_t nl = 0, xl = 0, msg_len = 0;
	uint8_t msg[JP_SIGN_INPUT_MAX];

	memset(&ci, 0, sizeof(ci));
	if (!o) {
		rv = CKR_KEY_HANDLE_INVALID;     /* gone since VerifyInit (logout) */
		goto out;
	}
	if (o->cls == CKO_CERTIFICATE) {
		der = jp_attr_find(o, CKA_VALUE);
		e = der ? jp_cert_parse(der->value, der->len, &ci) : JP_E_BAD_CERT;
		if (e != JP_OK) {
			rv = jp_rv(e);
			goto out;
		}
		np = ci.modulus.data, nl = ci.modulus.len;
		xp = ci.exponent.data, xl = ci.exponent.len;
	} else {
		n = jp_attr_find(o, CKA_MODULUS);
		x = jp_attr_find(o, CKA_PUBLIC_EXPONENT);
		if (!n || !x) {
			rv = CKR_GENERAL_ERROR;
			goto out;
		}
		np = n->value, nl = n->len;
		xp = x->value, xl = x->len;
	}
	/* A PKCS#1 v1.5 signature has exactly the modulus' length
	 * (RFC 8017 §8.2.2 step 1). */
	if (sig_len != nl) {
		rv = CKR_SIGNATURE_LEN_RANGE;
		goto out;
	}
	rv = jp_op_message(&s->verify, msg, &msg_len);
	if (rv != CKR_OK)
		goto out;
	e = jp_rsa_verify_raw_key(np, nl, xp, xl, msg, msg_len, sig, sig_len);
	rv = e == JP_E_SIGNATURE_INVALID ? CKR_SIGNATURE_INVALID : jp_rv(e);
out:
	jp_cert_info_free(&ci);
	jp_wipe(msg, sizeof(msg));
	return rv;
}

CK_RV jp_p11_verify_init(CK_SESSION_HANDLE hs, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE hkey)
{
	CK_RV rv;
	jp_session *s;
	const jp_mech *m = NULL;
	const jp_object *o;
	jp_digest_ctx *ctx = NULL;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	if (!mech)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = jp_session_lookup_inlock(hs, &s);
	if (rv == CKR_OK && s->verify_active)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK)
		rv = jp_mech_check(mech, CKF_VERIFY, &m);
	if (rv != CKR_OK)
		goto leave;
	o = jp_object_lookup_inlock(s, hkey);
	if (!o)
		rv = CKR_KEY_HANDLE_INVALID;
	else if (o->cls == CKO_PRIVATE_KEY)
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;   /* CKA_VERIFY is on the public key */
	else if (o->cls == CKO_PUBLIC_KEY && !jp_attr_true(o, CKA_VERIFY))
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
	else if (o->cls != CKO_PUBLIC_KEY && o->cls != CKO_CERTIFICATE)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv == CKR_OK && m->hashed)
		rv = jp_rv(jp_digest_new(m->hash, &ctx));
	if (rv != CKR_OK)
		goto leave;
	jp_op_clear(&s->verify);
	s->verify.mech = m->type;
	s->verify.key = hkey;
	s->verify.digest = ctx;
	s->verify_active = 1;
leave:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_verify(CK_SESSION_HANDLE hs, CK_BYTE_PTR data, CK_ULONG len,
                    CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	CK_RV rv;
	jp_session *s;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = active_inlock(hs, &s);
	if (rv != CKR_OK)
		goto leave;
	if (s->verify.multipart) {
		/* Like C_Sign (§5.12): not a way to end a multi-part
		 * operation; it stays for C_VerifyFinal. */
		rv = CKR_OPERATION_ACTIVE;
		goto leave;
	}
	/* §5.12: C_Verify always ends the operation. */
	if ((!data && len) || !sig)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = jp_op_update(&s->verify, data, len);
	if (rv == CKR_OK)
		rv = check_inlock(s, sig, sig_len);
	verify_end(s);
leave:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_verify_update(CK_SESSION_HANDLE hs, CK_BYTE_PTR part, CK_ULONG len)
{
	CK_RV rv;
	jp_session *s;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = active_inlock(hs, &s);
	if (rv != CKR_OK)
		goto leave;
	rv = (!part && len) ? CKR_ARGUMENTS_BAD : jp_op_update(&s->verify, part, len);
	if (rv == CKR_OK)
		s->verify.multipart = 1;
	else
		verify_end(s);
leave:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_verify_final(CK_SESSION_HANDLE hs, CK_BYTE_PTR sig, CK_ULONG sig_len)
{
	CK_RV rv;
	jp_session *s;

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = active_inlock(hs, &s);
	if (rv != CKR_OK)
		goto leave;
	rv = sig ? check_inlock(s, sig, sig_len) : CKR_ARGUMENTS_BAD;
	verify_end(s);
leave:
	jp_leave();
out:
	return rv;
}
