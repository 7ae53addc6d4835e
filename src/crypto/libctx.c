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

#include <string.h>
#include <strings.h>

#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "crypto-int.h"

static OSSL_LIB_CTX *jp_libctx;
static OSSL_PROVIDER *jp_default_prov;
/* The default provider's digest functions, resolved once per context.
 * Not an EVP_MD through EVP_DigestInit_ex: OpenSSL 3 looks every digest
 * init up in the process-wide ENGINE table first (by the digest's NID,
 * whatever context the EVP_MD came from), so a host that made an ENGINE
 * the default for SHA digests would get our hashing, and its code would
 * run while the module holds its lock. Calling the provider's own
 * functions leaves no table to consult. */
static jp_md_impl jp_mds[JP_HASH__COUNT];

/* One of the names the default provider gives each digest. */
static const char *const jp_md_names[JP_HASH__COUNT] = {
	[JP_HASH_SHA1] = "SHA1", [JP_HASH_SHA224] = "SHA2-224", [JP_HASH_SHA256] = "SHA2-256",
	[JP_HASH_SHA384] = "SHA2-384", [JP_HASH_SHA512] = "SHA2-512",
};

OSSL_LIB_CTX *jp_crypto_libctx(void)
{
	return jp_libctx;
}

const jp_md_impl *jp_crypto_md(jp_hash h)
{
	return (unsigned)h < JP_HASH__COUNT && jp_mds[h].newctx != NULL ? &jp_mds[h] : NULL;
}

/* Whether the ':'-separated list of an algorithm's names holds name. */
static int jp_names_hold(const char *names, const char *name)
{
	size_t n = strlen(name);
	const char *p = names;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && (p[n] == ':' || p[n] == '\0'))
			return 1;
		p = strchr(p, ':');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* Takes the five functions every provider digest has from its dispatch
 * table; 0 if one is missing. */
static int jp_md_from_dispatch(const OSSL_DISPATCH *d, void *provctx, jp_md_impl *m)
{
	for (; d->function_id != 0; d++) {
		switch (d->function_id) {
		case OSSL_FUNC_DIGEST_NEWCTX: m->newctx = OSSL_FUNC_digest_newctx(d); break;
		case OSSL_FUNC_DIGEST_INIT: m->init = OSSL_FUNC_digest_init(d); break;
		case OSSL_FUNC_DIGEST_UPDATE: m->update = OSSL_FUNC_digest_update(d); break;
		case OSSL_FUNC_DIGEST_FINAL: m->final = OSSL_FUNC_digest_final(d); break;
		case OSSL_FUNC_DIGEST_FREECTX: m->freectx = OSSL_FUNC_digest_freectx(d); break;
		default: break;
		}
	}
	m->provctx = provctx;
	return m->newctx != NULL && m->init != NULL && m->update != NULL && m->final != NULL &&
	       m->freectx != NULL;
}

static jp_err jp_resolve_mds(void)
{
	jp_err rv = JP_OK;
	const OSSL_ALGORITHM *algs, *a;
	void *provctx = OSSL_PROVIDER_get0_provider_ctx(jp_default_prov);
	int no_cache = 0, i;

	algs = OSSL_PROVIDER_query_operation(jp_default_prov, OSSL_OP_DIGEST, &no_cache);
	if (algs == NULL || provctx == NULL) {
		rv = JP_E_CRYPTO;
		goto out;
	}
	for (i = 0; i < JP_HASH__COUNT; i++) {
		for (a = algs; a->algorithm_names != NULL; a++)
			if (jp_names_hold(a->algorithm_names, jp_md_names[i]))
				break;
		if (a->algorithm_names == NULL ||
		    !jp_md_from_dispatch(a->implementation, provctx, &jp_mds[i])) {
			rv = JP_E_CRYPTO;
			goto out;
		}
	}
out:
	if (algs != NULL)
		OSSL_PROVIDER_unquery_operation(jp_default_prov, OSSL_OP_DIGEST, algs);
	return rv;
}

jp_err jp_crypto_init(void)
{
	jp_err rv = JP_OK;

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
	rv = jp_resolve_mds();
out:
	if (rv != JP_OK) {
		ERR_clear_error();
		jp_crypto_fini();
	}
	return rv;
}

void jp_crypto_fini(void)
{
	/* The functions belong to the provider: gone with it. */
	memset(jp_mds, 0, sizeof(jp_mds));
	if (jp_default_prov != NULL)
		(void)OSSL_PROVIDER_unload(jp_default_prov);
	jp_default_prov = NULL;
	OSSL_LIB_CTX_free(jp_libctx);
	jp_libctx = NULL;
}

void jp_crypto_forget(void)
{
	/* A forked child drops its parent's context without freeing it: a
	 * lock inside may have been held by a parent thread at fork time.
	 * The child's next C_Initialize creates its own. */
	memset(jp_mds, 0, sizeof(jp_mds));
	jp_default_prov = NULL;
	jp_libctx = NULL;
}
