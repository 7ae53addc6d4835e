/* The life of a cryptographic operation, shared by signing, verification
 * and digesting (PKCS#11 v2.40 §5.10-5.12): at most one operation of each
 * kind per session, started by Init, fed by Update, ended by the
 * single-part call or Final. What differs between the kinds (the key
 * checks, what the end produces) stays in sign.c, verify.c and digest.c.
 *
 * The rules kept here:
 *  - Init on a session with an operation of that kind: CKR_OPERATION_ACTIVE.
 *  - Update, single-part or Final without one: CKR_OPERATION_NOT_INITIALIZED.
 *  - The single-part call "cannot be used to terminate a multi-part
 *    operation": after an Update (or a Final length query) it is refused
 *    with CKR_OPERATION_ACTIVE. Likewise Final or Update after a
 *    single-part length query: the caller chose the single-part call.
 *  - Every call ends the operation — a result, any error, those refusals
 *    included — except a successful length query and CKR_BUFFER_TOO_SMALL
 *    (§5.2, jp_op_length_only): "a call to C_Sign always terminates the
 *    active signing operation unless it returns CKR_BUFFER_TOO_SMALL or is
 *    a successful call ... to determine the length" (v2.40 §5.11, and the
 *    same words for C_SignFinal, C_Digest, C_DigestFinal, C_Verify...). */
#include "config.h"

#include <string.h>

#include "p11.h"

/* The mechanism flag an operation of each kind needs. */
static const CK_FLAGS kind_need[] = {
	[JP_OP_SIGN] = CKF_SIGN,
	[JP_OP_VERIFY] = CKF_VERIFY,
	[JP_OP_DIGEST] = CKF_DIGEST,
};

/* Whether the kind's result comes from the card (and is void when the card
 * went away before the call was over). */
static const int kind_on_card[] = {
	[JP_OP_SIGN] = 1,
	[JP_OP_VERIFY] = 0,
	[JP_OP_DIGEST] = 0,
};

void jp_op_clear(jp_op *op)
{
	jp_digest_free(op->digest);
	/* The buffer may hold data to be signed (a DigestInfo); the flags
	 * include the context-specific login, which ends with the operation. */
	jp_wipe(op, sizeof(*op));
}

void jp_op_end(jp_session *s, jp_op_kind k)
{
	jp_op_clear(&s->ops[k]);   /* active goes with the rest */
}

CK_RV jp_op_update(jp_op *op, const uint8_t *part, size_t len)
{
	CK_RV rv = CKR_OK;

	if (op->mech->hashed) {
		if (len)
			rv = jp_rv(jp_digest_update(op->digest, part, len));
	} else if (len > sizeof(op->buf) - op->buf_len) {
		/* CKM_RSA_PKCS: at most k - 11 = 245 bytes in all. */
		rv = CKR_DATA_LEN_RANGE;
	} else if (len) {
		memcpy(op->buf + op->buf_len, part, len);
		op->buf_len += len;
	}
	return rv;
}

/* The bytes the card signs, or verification compares (sign.c, verify.c). */
CK_RV jp_op_message(jp_op *op, uint8_t out[JP_SIGN_INPUT_MAX], size_t *out_len)
{
	CK_RV rv = CKR_OK;
	jp_err e;
	uint8_t md[JP_HASH_MAX];
	size_t md_len = sizeof(md);

	*out_len = 0;
	if (!op->mech->hashed) {
		/* The card signs 1..245 bytes; PSS a SHA-256 hash (P1 04). */
		if (op->buf_len == 0 || (op->mech->pss && op->buf_len != JP_PSS_HASH_LEN))
			rv = CKR_DATA_LEN_RANGE;
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
		if (e == JP_OK && op->mech->pss) {
			/* PSS: the card gets the bare hash (doc/card.md §11). */
			memcpy(out, md, md_len);
			*out_len = md_len;
		} else if (e == JP_OK) {
			*out_len = JP_SIGN_INPUT_MAX;
			e = jp_digestinfo(op->mech->hash, md, md_len, out, out_len);
		}
		rv = jp_rv(e);
	}
	jp_wipe(md, sizeof(md));
	return rv;
}

CK_RV jp_op_init_enter(CK_SESSION_HANDLE hs, jp_op_kind k, const CK_MECHANISM *mech,
                       jp_session **s, const jp_mech **m)
{
	CK_RV rv;

	rv = jp_enter_session_args(hs, mech != NULL, s);
	if (rv != CKR_OK)
		goto out;
	if ((*s)->ops[k].active)
		rv = CKR_OPERATION_ACTIVE;
	if (rv == CKR_OK)
		rv = jp_mech_check(mech, kind_need[k], m);
	if (rv != CKR_OK)
		jp_leave_reader((*s)->reader);
out:
	return rv;
}

CK_RV jp_op_start(jp_session *s, jp_op_kind k, const jp_mech *m, CK_OBJECT_HANDLE key)
{
	CK_RV rv = CKR_OK;
	jp_digest_ctx *ctx = NULL;
	jp_op *op = &s->ops[k];

	if (m->hashed)
		rv = jp_rv(jp_digest_new(m->hash, &ctx));
	if (rv == CKR_OK) {
		jp_op_clear(op);
		op->mech = m;
		op->key = key;
		op->digest = ctx;
		op->active = 1;
	}
	return rv;
}

int jp_op_length_only(const CK_BYTE *out, CK_ULONG_PTR out_len, CK_ULONG need, CK_RV *rv)
{
	int answered = 1;

	/* §5.2: a NULL buffer asks for the length (CKR_OK); a short one gets
	 * the length and CKR_BUFFER_TOO_SMALL. Neither ends the operation
	 * (§5.11 C_Sign: "a call ... to determine the length of the buffer
	 * needed" does not terminate it). */
	if (!out)
		*rv = CKR_OK;
	else if (*out_len < need)
		*rv = CKR_BUFFER_TOO_SMALL;
	else
		answered = 0;
	if (answered)
		*out_len = need;
	return answered;
}

/* Enters with the session and its active operation of kind k: the start
 * of Update, single-part and Final. Like jp_enter_session, the reader and
 * the global lock are held on CKR_OK only. */
static CK_RV enter_active(CK_SESSION_HANDLE hs, jp_op_kind k, jp_session **s, jp_op **op)
{
	CK_RV rv = jp_enter_session(hs, s);

	if (rv != CKR_OK)
		goto out;
	*op = &(*s)->ops[k];
	if (!(*op)->active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		jp_leave_reader((*s)->reader);
	}
out:
	return rv;
}

CK_RV jp_op_update_call(CK_SESSION_HANDLE hs, jp_op_kind k, const uint8_t *part, CK_ULONG len)
{
	CK_RV rv;
	jp_session *s;
	jp_op *op;

	rv = enter_active(hs, k, &s, &op);
	if (rv != CKR_OK)
		goto out;
	if (op->mode == JP_OP_MODE_SINGLE)
		rv = CKR_OPERATION_ACTIVE;   /* a single-part length query came first */
	else if (!part && len)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = jp_op_update(op, part, len);
	if (rv == CKR_OK)
		op->mode = JP_OP_MODE_MULTI;
	else
		jp_op_end(s, k);     /* an error ends the operation */
	jp_leave_reader(s->reader);
out:
	return rv;
}

/* The single-part call (single) or Final: the checks common to both, then
 * the kind's finish. */
static CK_RV end_call(CK_SESSION_HANDLE hs, jp_op_kind k, int single, const uint8_t *data,
                      CK_ULONG len, CK_BYTE_PTR out, CK_ULONG_PTR out_len, jp_op_finish_fn finish)
{
	CK_RV rv;
	jp_session *s;
	jp_reader *r;
	jp_op *op;
	unsigned long gen;
	CK_ULONG room = out_len ? *out_len : 0;
	int mode = single ? JP_OP_MODE_SINGLE : JP_OP_MODE_MULTI;

	rv = enter_active(hs, k, &s, &op);
	if (rv != CKR_OK)
		goto out;
	r = s->reader;
	gen = s->card_gen;
	if (op->mode != JP_OP_MODE_OPEN && op->mode != mode) {
		/* The single-part call after an Update, Final after a
		 * single-part length query: refused, and like every answer
		 * but a length, it ends the operation. */
		rv = CKR_OPERATION_ACTIVE;
		jp_op_end(s, k);
	} else if (!out_len || (!data && len)) {
		rv = CKR_ARGUMENTS_BAD;
		jp_op_end(s, k);
	} else {
		/* Set before finish: a length answer keeps the operation in
		 * this mode; anything else ends it. */
		op->mode = mode;
		rv = finish(s, data, len, single, out, out_len);
	}
	jp_reader_give(r);
	if (rv == CKR_OK && out && kind_on_card[k] && (r->gone || r->card_gen != gen)) {
		/* The card went away before the call let go of its reader (a
		 * call that needs no reader saw it): what the card produced
		 * is not released. */
		jp_wipe(out, *out_len);
		*out_len = room;   /* as a refusal before the card leaves it */
		rv = CKR_DEVICE_REMOVED;
	}
	jp_leave();
out:
	return rv;
}

CK_RV jp_op_single_call(CK_SESSION_HANDLE hs, jp_op_kind k, const uint8_t *data, CK_ULONG len,
                        CK_BYTE_PTR out, CK_ULONG_PTR out_len, jp_op_finish_fn finish)
{
	return end_call(hs, k, 1, data, len, out, out_len, finish);
}

CK_RV jp_op_final_call(CK_SESSION_HANDLE hs, jp_op_kind k, CK_BYTE_PTR out, CK_ULONG_PTR out_len,
                       jp_op_finish_fn finish)
{
	return end_call(hs, k, 0, NULL, 0, out, out_len, finish);
}
