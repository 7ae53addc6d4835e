/* C_SignInit / C_Sign / C_SignUpdate / C_SignFinal (PKCS#11 v2.40 §5.11).
 * The card does the RSA private-key operation on what we give it (PKCS#1
 * v1.5 type-01 padding, doc/card.md §4); hashing and the DigestInfo are
 * done here on the host. Every signature the card returns is verified on
 * the host against the key's modulus and exponent before it is released: a
 * mismatch (a fault, a wrong key) is wiped and reported as
 * CKR_DEVICE_ERROR (doc/design.md §3, RSA fault attacks).
 *
 * Locking: the global lock is held for the call (jp_enter) except around
 * the card I/O, which runs under the reader's lock and a PC/SC transaction
 * only (io.c: jp_card_enter_inlock .. jp_card_leave), so a slow signature
 * blocks no other reader and no call that needs no card. */
#include "config.h"

#include <string.h>

#include "jpki/log.h"
#include "p11.h"

/* ---- the message, shared with verify.c ---- */

CK_RV jp_op_message(jp_op *op, uint8_t out[JP_SIGN_INPUT_MAX], size_t *out_len)
{
	CK_RV rv = CKR_OK;
	jp_err e;
	const jp_mech *m = jp_mech_find(op->mech, 0);
	uint8_t md[JP_HASH_MAX];
	size_t md_len = sizeof(md);

	*out_len = 0;
	if (!m) {
		rv = CKR_GENERAL_ERROR;
	} else if (!m->hashed) {
		if (op->buf_len == 0)
			rv = CKR_DATA_LEN_RANGE;   /* the card signs 1..245 bytes */
		else {
			memcpy(out, op->buf, op->buf_len);
			*out_len = op->buf_len;
		}
	} else {
		/* The digest can be finalized once: the operation ends here
		 * whatever happens next. */
		e = jp_digest_final(op->digest, md, &md_len);
		jp_digest_free(op->digest);
		op->digest = NULL;
		if (e == JP_OK) {
			*out_len = JP_SIGN_INPUT_MAX;
			e = jp_digestinfo(m->hash, md, md_len, out, out_len);
		}
		rv = jp_rv(e);
	}
	jp_wipe(md, sizeof(md));
	return rv;
}

/* ---- signing ---- */

/* A public key's parts, copied out of the key object before the card I/O
 * (a logout found by the card bracket may free the object). */
#define MOD_MAX 512
#define EXP_MAX 16

typedef struct pubkey {
	uint8_t n[MOD_MAX], e[EXP_MAX];
	size_t n_len, e_len;
} pubkey;

static CK_RV copy_pubkey(const jp_object *o, pubkey *pk)
{
	CK_RV rv = CKR_OK;
	const jp_buf *n = &o->rsa_n, *x = &o->rsa_e;   /* parsed at build */

	if (n->len == 0 || n->len > MOD_MAX || x->len == 0 || x->len > EXP_MAX) {
		rv = CKR_GENERAL_ERROR;
	} else {
		memcpy(pk->n, n->data, n->len);
		pk->n_len = n->len;
		memcpy(pk->e, x->data, x->len);
		pk->e_len = x->len;
	}
	return rv;
}

/* The card signs msg; the result is checked on the host. The session's
 * operation has already ended: during the card I/O the session may go
 * (removal, another thread), so it is not touched here. seal: the key
 * wants its password for every signature (CKA_ALWAYS_AUTHENTICATE); the
 * card is power-cycled right after the signature, so that password
 * never stays verified beyond the one signature it was given for —
 * whatever the process does next (stays open, crashes, is killed). */
static CK_RV card_sign_inlock(jp_reader *r, jp_key key, int seal, const uint8_t *msg,
                              size_t msg_len, const pubkey *pk, uint8_t out[JP_SIGNATURE_LEN])
{
	CK_RV rv;
	jp_err e = JP_OK;
	size_t out_len = JP_SIGNATURE_LEN;
	jp_io io;
	int refused;

	rv = jp_card_enter_inlock(r, &io, 0);
	if (rv != CKR_OK)
		goto out;
	/* A reset found on entering, or a logout while we waited for the
	 * reader: no signature without a fresh login (doc/design.md §3, the
	 * module's login state). */
	refused = io.cleared || !io.logged_in[key];
	if (!refused)
		e = jp_card_sign(io.card, key, msg, msg_len, out, &out_len);
	if (!refused && seal && !jp_err_is_removal(e)) {
		/* Also after a failed signature: the password was verified
		 * for it. The card has one verified state: this logs out the
		 * authentication token too, here and in every other process
		 * (io.c keeps this token's login: its password is asked for
		 * again before each signature anyway). */
		io.seal = 1;
		(void)jp_io_unverify(&io);
	}
	rv = jp_card_leave(&io, e);
	if (refused && rv == CKR_OK) {
		rv = CKR_USER_NOT_LOGGED_IN;
	} else if (e == JP_E_CARD_RESET) {
		/* The bracket logged both tokens out (the card forgot both
		 * PINs, doc/card.md §6): the caller must log in again. */
		rv = CKR_USER_NOT_LOGGED_IN;
	} else if (e == JP_E_SECURITY_STATUS && rv != CKR_DEVICE_REMOVED) {
		/* The card says no PIN is verified although this process
		 * logged in: someone cleared its state (e.g. selected another
		 * application). Both PINs are gone: log both tokens out. */
		jp_token_logout_all_inlock(r);
		rv = CKR_USER_NOT_LOGGED_IN;
	}
	if (rv != CKR_OK)
		goto out;
	e = out_len == JP_SIGNATURE_LEN ?
		jp_rsa_verify_raw_key(pk->n, pk->n_len, pk->e, pk->e_len, msg, msg_len, out, out_len) :
		JP_E_SIGNATURE_INVALID;
	if (e != JP_OK) {
		/* Never release a signature that does not verify: it may be a
		 * fault that leaks the key. */
		JP_ERROR("p11: the card's signature failed host verification (%s); refused",
		         jp_err_str(e));
		jp_wipe(out, JP_SIGNATURE_LEN);
		rv = CKR_DEVICE_ERROR;
	}
out:
	return rv;
}

/* Ends the signature (jp_op_finish_fn): input checks, the output
 * conventions of §5.2, the login checks, the card, the host
 * verification. */
static CK_RV finish_inlock(jp_session *s, const uint8_t *data, CK_ULONG len, int single,
                           CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	CK_RV rv = CKR_OK;
	jp_op *op = &s->sign;
	jp_reader *r = s->reader;
	jp_key key = s->key;
	jp_token *t = jp_session_token(s);
	const jp_mech *m = jp_mech_find(op->mech, CKF_SIGN);
	const jp_object *o;
	uint8_t msg[JP_SIGN_INPUT_MAX], out[JP_SIGNATURE_LEN];
	size_t msg_len = 0;
	pubkey pk = { .n_len = 0 };
	int seal = op->always_auth;

	if (!m) {
		rv = CKR_GENERAL_ERROR;
		goto end;
	}
	/* Input too long for the card, or nothing to sign. */
	if (!m->hashed && (single ? (len == 0 || len > JP_SIGN_INPUT_MAX) : op->buf_len == 0)) {
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
	else
		rv = copy_pubkey(o, &pk);
	if (rv == CKR_OK && single)
		rv = jp_op_update(op, data, len);
	if (rv == CKR_OK)
		rv = jp_op_message(op, msg, &msg_len);
	/* From here on the operation is over, whatever the card says. */
	jp_op_end(s, JP_OP_SIGN);
	if (rv == CKR_OK)
		rv = card_sign_inlock(r, key, seal, msg, msg_len, &pk, out);
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

	rv = jp_enter();
	if (rv != CKR_OK)
		goto out;
	rv = jp_op_init_check_inlock(hs, JP_OP_SIGN, mech, &s, &m);
	if (rv != CKR_OK)
		goto leave;
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
	if (rv == CKR_OK)
		rv = jp_op_start(s, JP_OP_SIGN, m, hkey);
	/* login.c accepts CKU_CONTEXT_SPECIFIC for this operation only then. */
	if (rv == CKR_OK)
		s->sign.always_auth = jp_attr_true(o, CKA_ALWAYS_AUTHENTICATE);
leave:
	jp_leave();
out:
	return rv;
}

CK_RV jp_p11_sign(CK_SESSION_HANDLE hs, CK_BYTE_PTR data, CK_ULONG len,
                  CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	return jp_op_single_call(hs, JP_OP_SIGN, data, len, sig, sig_len, finish_inlock);
}

CK_RV jp_p11_sign_update(CK_SESSION_HANDLE hs, CK_BYTE_PTR part, CK_ULONG len)
{
	return jp_op_update_call(hs, JP_OP_SIGN, part, len);
}

CK_RV jp_p11_sign_final(CK_SESSION_HANDLE hs, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	return jp_op_final_call(hs, JP_OP_SIGN, sig, sig_len, finish_inlock);
}
