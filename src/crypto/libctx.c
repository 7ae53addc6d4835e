/* The module's own OpenSSL library context. Every OpenSSL call of the
 * crypto layer goes through it, with the built-in "default" provider
 * loaded explicitly, and never through the application's default context:
 * that one carries the host's openssl.cnf, its providers and default
 * properties, and a provider there may be a PKCS#11 provider using this
 * very module. Fetching a digest from it while the module holds its lock
 * (parsing a certificate inside C_OpenSession) would call back into the
 * module and wait for that lock forever.
 *
 * Life: created by C_Initialize (jp_crypto_init), freed by C_Finalize
 * (jp_crypto_fini), abandoned by a forked child (jp_crypto_forget). The
 * caller serialises these: PKCS#11 lets only one thread initialise or
 * finalise, and the module calls them with its lock NOT held. */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "crypto-int.h"

static OSSL_LIB_CTX *jp_libctx;
static OSSL_PROVIDER *jp_default_prov;
/* Fetched once per context: an explicit fetch per call would cost a
 * method-store lookup (a lock and a hash) on every digest. */
static EVP_MD *jp_mds[JP_HASH__COUNT];

static const char *const jp_md_names[JP_HASH__COUNT] = {
	[JP_HASH_SHA1] = "SHA1", [JP_HASH_SHA224] = "SHA224", [JP_HASH_SHA256] = "SHA256",
	[JP_HASH_SHA384] = "SHA384", [JP_HASH_SHA512] = "SHA512",
};

OSSL_LIB_CTX *jp_crypto_libctx(void)
{
	return jp_libctx;
}

const EVP_MD *jp_crypto_md(jp_hash h)
{
	return (unsigned)h < JP_HASH__COUNT ? jp_mds[h] : NULL;
}

jp_err jp_crypto_init(void)
{
	jp_err rv = JP_OK;
	int i;

	/* Let OpenSSL finish its own process-wide start-up now, the way the
	 * host's first OpenSSL call would: it loads the host's openssl.cnf
	 * into the default context, and that may start a PKCS#11 provider
	 * that loads this module and calls C_Initialize and C_GetSlotList —
	 * which must find no lock held. Done later, the same start-up would
	 * be triggered from inside a locked call (OpenSSL consults the
	 * global ENGINE table, which initialises the library, on every
	 * digest init). The host's own config is loaded as it would have
	 * been; nothing here suppresses it. */
	(void)OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
	ERR_clear_error();
	/* A C_Initialize from such a provider, nested in the call above,
	 * may have created the context already. */
	if (jp_libctx != NULL)
		goto out;
	jp_libctx = OSSL_LIB_CTX_new();
	if (jp_libctx == NULL) {
		rv = JP_E_NO_MEMORY;
		goto out;
	}
	/* Only the built-in default provider: no config file is read into
	 * this context, so nothing else is ever loaded here. */
	jp_default_prov = OSSL_PROVIDER_load(jp_libctx, "default");
	if (jp_default_prov == NULL) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	for (i = 0; i < JP_HASH__COUNT; i++) {
		jp_mds[i] = EVP_MD_fetch(jp_libctx, jp_md_names[i], NULL);
		if (jp_mds[i] == NULL) {
			rv = JP_E_CRYPTO;
			goto out;
		}
	}
out:
	if (rv != JP_OK) {
		ERR_clear_error();
		jp_crypto_fini();
	}
	return rv;
}

void jp_crypto_fini(void)
{
	int i;

	for (i = 0; i < JP_HASH__COUNT; i++) {
		EVP_MD_free(jp_mds[i]);
		jp_mds[i] = NULL;
	}
	if (jp_default_prov != NULL)
		(void)OSSL_PROVIDER_unload(jp_default_prov);
	jp_default_prov = NULL;
	OSSL_LIB_CTX_free(jp_libctx);
	jp_libctx = NULL;
}

void jp_crypto_forget(void)
{
	int i;

	/* A forked child drops its parent's context without freeing it: a
	 * lock inside may have been held by a parent thread at fork time.
	 * The child's next C_Initialize creates its own. */
	for (i = 0; i < JP_HASH__COUNT; i++)
		jp_mds[i] = NULL;
	jp_default_prov = NULL;
	jp_libctx = NULL;
}
