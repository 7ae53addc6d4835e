/* Shared by the files of src/crypto only. */
#ifndef JPKI_CRYPTO_INT_H
#define JPKI_CRYPTO_INT_H

#include <openssl/evp.h>

#include "jpki/crypto.h"

/* The module's private library context (libctx.c); NULL before
 * jp_crypto_init. Every OpenSSL call that takes a context gets this one. */
OSSL_LIB_CTX *jp_crypto_libctx(void);

/* The digest for h fetched from that context, NULL when h is out of range
 * or the context does not exist. */
const EVP_MD *jp_crypto_md(jp_hash h);

#endif
