/* C_Initialize / C_Finalize: argument checks, the locking choice, options,
 * the transport, and fork handling (a child forgets its parent's PC/SC
 * handles instead of closing them: closing would end the parent's
 * transactions and connections; doc/design.md §2, OpenSC's practice). */
#define _GNU_SOURCE 1
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "jpki/log.h"
#include "jpki/sleep.h"
#include "p11.h"

jp_module jp_mod;

#define JP_RESERVED_MAX 4096

/* Copies pReserved into out if it is a printable, NUL-terminated string
 * (p11-kit's x-init-reserved), reading through process_vm_readv so that a
 * pointer to anything else — or to nothing — never crashes us. Returns 1
 * when out holds the string. */
static int read_reserved(const void *p, char *out, size_t max)
{
	size_t got = 0, page = (size_t)sysconf(_SC_PAGESIZE), i;
	int found = 0;

	while (got < max - 1 && !found) {
		uintptr_t addr = (uintptr_t)p + got;
		size_t chunk = page - (addr % page);
		struct iovec local, remote;
		ssize_t n;

		if (chunk > max - 1 - got)
			chunk = max - 1 - got;
		local.iov_base = out + got;
		local.iov_len = chunk;
		remote.iov_base = (void *)addr;
		remote.iov_len = chunk;
		n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (n <= 0)
			break;
		for (i = got; i < got + (size_t)n; i++) {
			unsigned char c = (unsigned char)out[i];
			if (c == '\0') {
				found = 1;
				break;
			}
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x7F)
				goto out;   /* binary: not an options string */
		}
		got += (size_t)n;
	}
out:
	if (!found)
		out[0] = '\0';
	return found;
}

static void free_session(jp_session *s)
{
	jp_session_ops_clear(s);
	free(s);
}

/* Frees every table; with forget, touches no PC/SC handle and no lock. */
static void module_teardown(int forget)
{
	size_t i;
	int k;

	for (i = 0; i < jp_mod.nsessions; i++)
		free_session(jp_mod.sessions[i]);
	free(jp_mod.sessions);
	for (i = 0; i < jp_mod.nreaders; i++) {
		jp_reader *r = jp_mod.readers[i];

		for (k = 0; k < 2; k++)
			jp_objects_free(&r->tokens[k]);
		if (r->card) {
			if (forget)
				jp_card_forget(r->card);
			else
				jp_card_close(r->card);
		}
		if (forget)
			jp_mutex_forget(r->lock);
		else
			jp_mutex_free(r->lock);
		free(r);
	}
	if (jp_mod.transport) {
		if (forget)
			jp_mod.transport->ops->forget(jp_mod.transport);
		else
			jp_mod.transport->ops->release(jp_mod.transport);
	}
	if (forget) {
		jp_mutex_forget(jp_mod.lock);
		jp_crypto_forget();
	} else {
		jp_mutex_free(jp_mod.lock);
		jp_crypto_fini();
	}
	memset(&jp_mod, 0, sizeof(jp_mod));
}

CK_RV jp_p11_initialize(CK_VOID_PTR pargs)
{
	CK_C_INITIALIZE_ARGS *args = pargs;
	CK_RV rv = CKR_OK;
	char reserved[JP_RESERVED_MAX] = "";
	const char *opts = NULL;
	const jp_transport_ops *ops;
	jp_err e;
	int ncb;

	jp_log_init();
	if (jp_mod.initialized && jp_mod.pid != getpid()) {
		JP_DEBUG("p11: C_Initialize in a forked child: forgetting the parent's state");
		module_teardown(1);
	}
	if (jp_mod.initialized) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
		goto out;
	}
	if (args) {
		/* PKCS#11 v2.40 §5.4: all four callbacks or none. */
		ncb = !!args->CreateMutex + !!args->DestroyMutex + !!args->LockMutex +
		      !!args->UnlockMutex;
		if (ncb != 0 && ncb != 4) {
			rv = CKR_ARGUMENTS_BAD;
			goto out;
		}
		/* The spec wants NULL here (v2.40 §5.4: "must be set to
		 * NULL_PTR"); p11-kit passes its x-init-reserved string and NSS
		 * its module parameters. Take a readable string as options;
		 * refuse anything else rather than guess what the caller meant. */
		if (args->pReserved) {
			if (!read_reserved(args->pReserved, reserved, sizeof(reserved))) {
				JP_WARN("p11: pReserved is neither NULL nor an options string");
				rv = CKR_ARGUMENTS_BAD;
				goto out;
			}
			opts = reserved;
		}
	}
	/* The module's own OpenSSL context, made before any lock exists: it
	 * may run the host's OpenSSL configuration, whose PKCS#11 provider
	 * may initialise this module itself (then we are second). */
	e = jp_crypto_init();
	if (e != JP_OK) {
		rv = jp_rv(e);
		goto out;
	}
	if (jp_mod.initialized) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
		goto out;
	}
	jp_lock_setup(args);
	jp_options_load(&jp_mod.opts, opts);
	jp_mod.lock = jp_mutex_new();
	if (!jp_mod.lock) {
		jp_crypto_fini();
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	ops = jp_transport_default_ops();
	e = ops->establish(&jp_mod.transport);
	if (e != JP_OK) {
		/* Not fatal: p11-kit drops a module whose C_Initialize fails;
		 * with no transport there are simply no slots. */
		JP_WARN("p11: transport %s unavailable: %s", ops->name, jp_err_str(e));
		jp_mod.transport = NULL;
	}
	jp_mod.pid = getpid();
	jp_mod.next_session = 1;
	jp_mod.next_reader_no = 0;
	jp_mod.initialized = 1;
	jp_exit_hook_install();   /* exit.c: no card left verified without C_Finalize */
	jp_mutex_lock(jp_mod.lock);
	(void)jp_slots_refresh_inlock(1);
	jp_slots_clear_events_inlock();
	jp_mutex_unlock(jp_mod.lock);
	JP_INFO("p11: initialized (%s, always-authenticate=%s)", ops->name,
	        jp_mod.opts.always_authenticate ? "yes" : "no");
out:
	if (rv != CKR_OK && !jp_mod.initialized && jp_mod.lock) {
		jp_mutex_free(jp_mod.lock);
		jp_mod.lock = NULL;
	}
	jp_wipe(reserved, sizeof(reserved));
	return rv;
}

/* A thread holds a reader or waits for one (io.c). */
static int readers_pinned_inlock(void)
{
	size_t i;
	int pinned = 0;

	for (i = 0; i < jp_mod.nreaders; i++)
		pinned |= jp_mod.readers[i]->pins > 0;
	return pinned;
}

CK_RV jp_p11_finalize(CK_VOID_PTR reserved)
{
	CK_RV rv;
	size_t i;

	rv = reserved ? jp_refuse_args() : jp_enter();
	if (rv != CKR_OK)
		goto out;
	jp_mod.finalizing = 1;
	/* Wake C_WaitForSlotEvent callers: they return
	 * CKR_CRYPTOKI_NOT_INITIALIZED (PKCS#11 v2.40 §5.5). Cancel again
	 * until they are all out: one may not have started waiting yet. Calls
	 * holding a reader or waiting for one (io.c) finish first. */
	while (jp_mod.waiters > 0 || readers_pinned_inlock()) {
		if (jp_mod.waiters > 0 && jp_mod.transport)
			(void)jp_mod.transport->ops->cancel(jp_mod.transport);
		jp_mutex_unlock(jp_mod.lock);
		jp_sleep_ms(2);
		jp_mutex_lock(jp_mod.lock);
	}
	/* Leave no card verified behind us (doc/card.md §6). */
	for (i = 0; i < jp_mod.nreaders; i++) {
		jp_reader *r = jp_mod.readers[i];
		if (r->card && (r->tokens[0].logged_in || r->tokens[1].logged_in)) {
			jp_reader_take(r);
			(void)jp_logout_card_held(r);
			jp_reader_give(r);
		}
	}
	jp_mutex_unlock(jp_mod.lock);
	module_teardown(0);
	JP_INFO("p11: finalized");
	/* Closes the log file; the next C_Initialize reads the variable again. */
	jp_log_shutdown();
out:
	return rv;
}
