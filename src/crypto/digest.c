/* SHA-1/224/256/384/512 through EVP, one-shot and streaming, with the
 * digests fetched once from the module's own context (libctx.c).
 * Output buffers follow the project's convention: *out_len is the buffer
 * size on entry and the digest length on return. */
#include "config.h"

#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto-int.h"

struct jp_digest_ctx {
	EVP_MD_CTX *md;
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

jp_err jp_digest(jp_hash h, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	jp_err rv = JP_OK;
	const EVP_MD *md = jp_crypto_md(h);
	unsigned int n = 0;

	if (jp_hash_len(h) == 0 || (in == NULL && len > 0) || out == NULL || out_len == NULL ||
	    *out_len < jp_hash_len(h)) {
		rv = JP_E_ARGS;
		goto out;
	}
	if (md == NULL) {   /* no context: never fall back to the default one */
		rv = JP_E_CRYPTO;
		goto out;
	}
	if (EVP_Digest(in != NULL ? in : (const uint8_t *)"", len, out, &n, md, NULL) != 1 ||
	    n != jp_hash_len(h)) {
		ERR_clear_error();
		rv = JP_E_CRYPTO;
		goto out;
	}
	*out_len = n;
out:
	return rv;
}

jp_err jp_digest_new(jp_hash h, jp_digest_ctx **out)
{
	jp_err rv = JP_OK;
	const EVP_MD *md = jp_crypto_md(h);
	jp_digest_ctx *c = NULL;

	if (jp_hash_len(h) == 0 || out == NULL) {
		rv = JP_E_ARGS;
		goto out;
	}
	if (md == NULL) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rv = JP_E_NO_MEMORY;
		goto out;
	}
	c->hash = h;
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL) {
		rv = JP_E_NO_MEMORY;
		goto out;
	}
	if (EVP_DigestInit_ex(c->md, md, NULL) != 1) {
		ERR_clear_error();
		rv = JP_E_CRYPTO;
		goto out;
	}
	*out = c;
	c = NULL;
out:
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
	if (len > 0 && EVP_DigestUpdate(c->md, in, len) != 1) {
		ERR_clear_error();
		rv = JP_E_CRYPTO;
	}
out:
	return rv;
}

jp_err jp_digest_final(jp_digest_ctx *c, uint8_t *out, size_t *out_len)
{
	jp_err rv = JP_OK;
	unsigned int n = 0;

	if (c == NULL || out == NULL || out_len == NULL || *out_len < jp_hash_len(c->hash)) {
		rv = JP_E_ARGS;
		goto out;
	}
	if (EVP_DigestFinal_ex(c->md, out, &n) != 1 || n != jp_hash_len(c->hash)) {
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
		EVP_MD_CTX_free(c->md);
		free(c);
	}
}
