/* Shared by the files of src/crypto only. */
#ifndef JPKI_CRYPTO_INT_H
#define JPKI_CRYPTO_INT_H

#include <openssl/core_dispatch.h>
#include <openssl/evp.h>

#include "jpki/crypto.h"

/* The module's private library context (libctx.c); NULL before
 * jp_crypto_init. Every OpenSSL call that takes a context gets this one. */
OSSL_LIB_CTX *jp_crypto_libctx(void);

/* A digest of that context's default provider, called directly (libctx.c
 * says why not through EVP): provctx goes to newctx, the rest take the
 * context newctx made. */
typedef struct jp_md_impl {
	OSSL_FUNC_digest_newctx_fn *newctx;
	OSSL_FUNC_digest_init_fn *init;
	OSSL_FUNC_digest_update_fn *update;
	OSSL_FUNC_digest_final_fn *final;
	OSSL_FUNC_digest_freectx_fn *freectx;
	void *provctx;
} jp_md_impl;

/* The digest for h, NULL when h is out of range or the context does not
 * exist. */
const jp_md_impl *jp_crypto_md(jp_hash h);

#endif
