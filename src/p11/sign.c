/* C_SignInit / C_Sign / C_SignUpdate / C_SignFinal (PKCS#11 v2.40 §5.11).
 * The card does the RSA private-key operation on what we give it (PKCS#1
 * v1.5 type-01 padding, doc/card.md §4); hashing and the DigestInfo are
 * done here on the host. Every signature the card returns is verified on
 * the host against the key's modulus and exponent before it is released: a
 * mismatch (a fault, a wrong key) is wiped and reported as
 * CKR_DEVICE_ERROR (doc/design.md §3, RSA fault attacks).
 *
 * Locking: the call holds the session's reader throughout (op.c enters
 * with jp_enter_session) and the global lock except around the card I/O
 * (io.c: jp_io_begin .. jp_io_end), so a slow signature blocks no other
 * reader and no call that needs no card, and the key object it signs with
 * stays as it is for the whole call. */
#include "config.h"

#include <string.h>

#include "jpki/log.h"
#include "p11.h"

/* ---- signing ---- */

/* The card's signature checked against the key's public parts (parsed when
 * the object was built). The reader is held: the object stays as it is. */
static jp_err check_on_host(const jp_object *o, int pss, const uint8_t *msg, size_t msg_len,
                            const uint8_t *sig, size_t sig_len)
{
	if (pss && sig_len == JP_SIGNATURE_LEN)
		return jp_rsa_verify_pss_key(o->rsa_n.data, o->rsa_n.len, o->rsa_e.data,
		                             o->rsa_e.len, msg, msg_len, sig, sig_len);
	return sig_len == JP_SIGNATURE_LEN ?
		jp_rsa_verify_raw_key(o->rsa_n.data, o->rsa_n.len, o->rsa_e.data, o->rsa_e.len,
		                      msg, msg_len, sig, sig_len) :
		JP_E_SIGNATURE_INVALID;
}

/* The card signs msg with key object o; the result is checked on the host
 * before jp_io_end (the key object cannot change while the reader is
 * held). seal: the key wants its password for every signature
 * (CKA_ALWAYS_AUTHENTICATE); the card is power-cycled right after the
 * signature, so that password never stays verified beyond the one
 * signature it was given for — whatever the process does next (stays
 * open, crashes, is killed). */
static CK_RV card_sign_held(jp_reader *r, const jp_object *o, int seal, int pss,
                            const uint8_t *msg, size_t msg_len, uint8_t out[JP_SIGNATURE_LEN])
{
	CK_RV rv;
	jp_err e = JP_OK, checked = JP_E_SIGNATURE_INVALID;
	size_t out_len = JP_SIGNATURE_LEN;
	jp_io io;
	int refused;

	rv = jp_io_begin(r, &io, 0);
	if (rv != CKR_OK)
		goto out;
	/* A reset found on entering, or a power cycle owed: the card forgot
	 * the login, so no signature without a fresh one (doc/design.md §3,
	 * the module's login state). */
	refused = io.cleared;
	if (!refused)
		e = jp_card_sign_scheme(io.card, o->key, pss ? JP_SIGN_PSS_SHA256 : JP_SIGN_PKCS1,
		                        msg, msg_len, out, &out_len);
	if (e == JP_OK && !refused)
		checked = check_on_host(o, pss, msg, msg_len, out, out_len);
	if (!refused && seal && !jp_err_is_removal(e)) {
		/* Also after a failed signature: the password was verified
		 * for it. The card has one verified state: this logs out the
		 * authentication token too, here and in every other process;
		 * the signing token stays logged in (its password is asked
		 * for again before each signature anyway). */
		(void)jp_io_unverify(&io, JP_IO_LOGOUT_AUTH);
	}
	rv = jp_io_end(&io, e);
	if (pss && e == JP_E_WRONG_P1P2 && rv != CKR_DEVICE_REMOVED) {
		/* pss=yes, but this card has no P1 04 (doc/card.md §11): the
		 * mechanism does not exist here, and is no longer offered
		 * for this card. No PIN was sent for it. */
		r->no_pss = 1;
		JP_WARN("p11: the card refused RSA-PSS (6A86): option pss=yes does not "
		        "fit this card; PSS is no longer offered for it");
		rv = CKR_MECHANISM_INVALID;
	} else if (refused && rv == CKR_OK) {
		rv = CKR_USER_NOT_LOGGED_IN;
	} else if (e == JP_E_CARD_RESET) {
		/* jp_io_end logged both tokens out (the card forgot both
		 * PINs, doc/card.md §6): the caller must log in again. */
		rv = CKR_USER_NOT_LOGGED_IN;
	} else if (e == JP_E_SECURITY_STATUS && rv != CKR_DEVICE_REMOVED) {
		/* The card says no PIN is verified although this process
		 * logged in: someone cleared its state (e.g. selected another
		 * application). Both PINs are gone: log both tokens out. */
		jp_token_logout_all_held(r);
		rv = CKR_USER_NOT_LOGGED_IN;
	}
	if (rv == CKR_OK && checked != JP_OK) {
		/* Never release a signature that does not verify: it may be a
		 * fault that leaks the key. */
		JP_ERROR("p11: the card's signature failed host verification (%s); refused",
		         jp_err_str(checked));
		rv = CKR_DEVICE_ERROR;
	}
	if (rv != CKR_OK)
		jp_wipe(out, JP_SIGNATURE_LEN);
out:
	return rv;
}

/* Ends the signature (jp_op_finish_fn): input checks, the output
 * conventions of §5.2, the login checks, the card, the host
 * verification. */
static CK_RV finish_held(jp_session *s, const uint8_t *data, CK_ULONG len, int single,
                           CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	CK_RV rv = CKR_OK;
	jp_op *op = &s->ops[JP_OP_SIGN];
	jp_reader *r = s->reader;
	jp_token *t = jp_session_token(s);
	const jp_mech *m = op->mech;
	const jp_object *o = NULL;
	uint8_t msg[JP_SIGN_INPUT_MAX], out[JP_SIGNATURE_LEN];
	size_t msg_len = 0;
	int seal = op->always_auth;

	/* Input too long for the card, or nothing to sign; CKM_RSA_PKCS_PSS
	 * signs a SHA-256 hash and nothing else. */
	if (!m->hashed && (single ? (len == 0 || len > JP_SIGN_INPUT_MAX ||
	                             (m->pss && len != JP_PSS_HASH_LEN)) :
	                            op->buf_len == 0)) {
		rv = CKR_DATA_LEN_RANGE;
		goto end;
	}
	/* The length query never touches the card. */
	if (jp_op_length_only(sig, sig_len, JP_SIGNATURE_LEN, &rv))
		goto out;
	/* The module's login state gates every private operation, never the
	 * card's (doc/card.md §6: another process may have left it
	 * verified). */
	o = jp_object_find_inlock(t, op->key);
	if (!t->logged_in)
		rv = CKR_USER_NOT_LOGGED_IN;
	else if (!o)
		rv = CKR_KEY_HANDLE_INVALID;
	/* CKA_ALWAYS_AUTHENTICATE: C_Login(CKU_CONTEXT_SPECIFIC) after
	 * C_SignInit, for this operation only (§4.9, §5.6 C_Login). */
	else if (op->always_auth && !op->context_login)
		rv = CKR_USER_NOT_LOGGED_IN;
	else if (!o->rsa_n.len || !o->rsa_e.len)
		rv = CKR_GENERAL_ERROR;   /* a key object always carries them */
	if (rv == CKR_OK && single)
		rv = jp_op_update(op, data, len);
	if (rv == CKR_OK)
		rv = jp_op_message(op, msg, &msg_len);
	/* From here on the operation is over, whatever the card says. */
	jp_op_end(s, JP_OP_SIGN);
	if (rv == CKR_OK)
		rv = card_sign_held(r, o, seal, m->pss, msg, msg_len, out);
	if (rv == CKR_OK) {
		memcpy(sig, out, JP_SIGNATURE_LEN);
		*sig_len = JP_SIGNATURE_LEN;
	}
	goto out;
end:
	/* §5.11: every other return ends the operation. */
	jp_op_end(s, JP_OP_SIGN);
out:
	jp_wipe(msg, sizeof(msg));
	jp_wipe(out, sizeof(out));
	return rv;
}

CK_RV jp_p11_sign_init(CK_SESSION_HANDLE hs, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE hkey)
{
	CK_RV rv;
	jp_session *s;
	jp_token *t;
	const jp_mech *m = NULL;
	const jp_object *o;
	const jp_attr *kt;

	rv = jp_op_init_enter(hs, JP_OP_SIGN, mech, &s, &m);
	if (rv != CKR_OK)
		goto out;
	t = jp_session_token(s);
	o = jp_object_find_inlock(t, hkey);
	kt = o ? jp_attr_find(o, CKA_KEY_TYPE) : NULL;
	if (!o || (o->cls != CKO_PRIVATE_KEY && o->cls != CKO_PUBLIC_KEY))
		rv = CKR_KEY_HANDLE_INVALID;
	else if (!o->can_sign || !jp_attr_true(o, CKA_SIGN))
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;     /* a public key */
	else if (!t->logged_in)
		rv = CKR_USER_NOT_LOGGED_IN;   /* §5.11: signing needs the user logged in */
	else if (!kt || kt->len != sizeof(CK_KEY_TYPE) || *(CK_KEY_TYPE *)kt->value != CKK_RSA)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	else if (m->pss && !jp_mech_pss_offered(s->reader))
		rv = CKR_MECHANISM_INVALID;   /* this card refused PSS before */
	if (rv == CKR_OK)
		rv = jp_op_start(s, JP_OP_SIGN, m, hkey);
	/* login.c accepts CKU_CONTEXT_SPECIFIC for this operation only then. */
	if (rv == CKR_OK)
		s->ops[JP_OP_SIGN].always_auth = jp_attr_true(o, CKA_ALWAYS_AUTHENTICATE);
	jp_leave_reader(s->reader);
out:
	return rv;
}

CK_RV jp_p11_sign(CK_SESSION_HANDLE hs, CK_BYTE_PTR data, CK_ULONG len,
                  CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	return jp_op_single_call(hs, JP_OP_SIGN, data, len, sig, sig_len, finish_held);
}

CK_RV jp_p11_sign_update(CK_SESSION_HANDLE hs, CK_BYTE_PTR part, CK_ULONG len)
{
	return jp_op_update_call(hs, JP_OP_SIGN, part, len);
}

CK_RV jp_p11_sign_final(CK_SESSION_HANDLE hs, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	return jp_op_final_call(hs, JP_OP_SIGN, sig, sig_len, finish_held);
}
