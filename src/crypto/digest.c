/* SHA-1/224/256/384/512, one-shot and streaming, with the functions of
 * the module's own default provider called directly (libctx.c says why
 * not EVP_DigestInit_ex: the process-wide ENGINE table).
 * Output buffers follow the project's convention: *out_len is the buffer
 * size on entry and the digest length on return. */
#include "config.h"

#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto-int.h"

struct jp_digest_ctx {
	const jp_md_impl *md;
	void *pctx;   /* the provider's digest context */
	jp_hash hash;
};

static const size_t jp_hash_lens[JP_HASH__COUNT] = {
	[JP_HASH_SHA1] = 20, [JP_HASH_SHA224] = 28, [JP_HASH_SHA256] = 32,
	[JP_HASH_SHA384] = 48, [JP_HASH_SHA512] = 64,
};

size_t jp_hash_len(jp_hash h)
{
	return (unsigned)h < JP_HASH__COUNT ? jp_hash_lens[h] : 0;
}

/* The one-shot digest is the streaming one: the default provider has no
 * separate one-shot function for these digests. */
jp_err jp_digest(jp_hash h, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	jp_err rv = JP_OK;
	jp_digest_ctx *c = NULL;

	if (jp_hash_len(h) == 0 || (in == NULL && len > 0) || out == NULL || out_len == NULL ||
	    *out_len < jp_hash_len(h)) {
		rv = JP_E_ARGS;
		goto out;
	}
	rv = jp_digest_new(h, &c);
	if (rv == JP_OK)
		rv = jp_digest_update(c, in, len);
	if (rv == JP_OK)
		rv = jp_digest_final(c, out, out_len);
out:
	jp_digest_free(c);
	return rv;
}

jp_err jp_digest_new(jp_hash h, jp_digest_ctx **out)
{
	jp_err rv = JP_OK;
	const jp_md_impl *md = jp_crypto_md(h);
	jp_digest_ctx *c = NULL;

	if (jp_hash_len(h) == 0 || out == NULL) {
		rv = JP_E_ARGS;
		goto out;
	}
	if (md == NULL) {   /* no context: never fall back to the default one */
		rv = JP_E_CRYPTO;
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rv = JP_E_NO_MEMORY;
		goto out;
	}
	c->hash = h;
	c->md = md;
	c->pctx = md->newctx(md->provctx);
	if (c->pctx == NULL) {
		rv = JP_E_NO_MEMORY;
		goto out;
	}
	if (md->init(c->pctx, NULL) != 1) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	*out = c;
	c = NULL;
out:
	ERR_clear_error();
	jp_digest_free(c);
	return rv;
}

jp_err jp_digest_update(jp_digest_ctx *c, const uint8_t *in, size_t len)
{
	jp_err rv = JP_OK;

	if (c == NULL || (in == NULL && len > 0)) {
		rv = JP_E_ARGS;
		goto out;
	}
	if (len > 0 && c->md->update(c->pctx, in, len) != 1) {
		ERR_clear_error();
		rv = JP_E_CRYPTO;
	}
out:
	return rv;
}

jp_err jp_digest_final(jp_digest_ctx *c, uint8_t *out, size_t *out_len)
{
	jp_err rv = JP_OK;
	size_t n = 0;

	if (c == NULL || out == NULL || out_len == NULL || *out_len < jp_hash_len(c->hash)) {
		rv = JP_E_ARGS;
		goto out;
	}
	if (c->md->final(c->pctx, out, &n, *out_len) != 1 || n != jp_hash_len(c->hash)) {
		ERR_clear_error();
		rv = JP_E_CRYPTO;
		goto out;
	}
	*out_len = n;
out:
	return rv;
}

void jp_digest_free(jp_digest_ctx *c)
{
	if (c != NULL) {
		/* The provider's context holds the hash state of the data:
		 * its freectx wipes it. */
		if (c->pctx != NULL)
			c->md->freectx(c->pctx);
		free(c);
	}
}
