/* The process ends without C_Finalize (Chromium never calls it, nor
 * C_Logout): power-cycle every card this process left verified, as
 * C_Finalize would. pcscd only warm-resets a card when its client goes
 * away, and a warm reset leaves a verified PIN verified; without this the
 * signing password stayed usable by any PC/SC client after the browser
 * had exited.
 *
 * The handler is registered at the first C_Initialize with __cxa_atexit
 * and the module's own __dso_handle, which ties it to the module: it runs
 * at exit(), or at dlclose() if the module is unloaded first, and never
 * after the code is gone. (glibc's atexit() in a shared object does the
 * same, but sanitizer runtimes intercept atexit() and drop the object it
 * came from: ThreadSanitizer then called into an unloaded module at exit.)
 * It does nothing
 *  - after C_Finalize (nothing is initialized: C_Finalize did the work),
 *  - in a forked child that did not call C_Initialize itself (the PC/SC
 *    handles are its parent's: touching them would end the parent's
 *    transactions; the parent cleans up at its own exit),
 *  - for a card this process did not log in to (another program's login
 *    is not ours to end).
 * It frees nothing: other threads may still be running, and the process
 * is ending anyway. What no handler can cover: SIGKILL, a crash, _exit(),
 * power loss; for those the always-authenticate power cycle after each
 * signature (sign.c) still keeps the signing password from staying
 * verified. */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "jpki/log.h"
#include "p11.h"

/* The C++ ABI's registration that glibc's atexit() uses underneath: the
 * object's handle makes dlclose() run (and drop) the handler. */
extern void *__dso_handle;
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

static int registered;

static void exit_unpower(void *unused)
{
	size_t i;

	(void)unused;
	/* Unlocked first look: most programs have finalized by now, and a
	 * forked child must not even take a lock it inherited. */
	if (!jp_mod.initialized || jp_mod.pid != getpid())
		return;
	jp_mutex_lock(jp_mod.lock);
	if (jp_mod.initialized && !jp_mod.finalizing) {
		for (i = 0; i < jp_mod.nreaders; i++) {
			jp_reader *r = jp_mod.readers[i];

			if (r->gone || !r->card)
				continue;
			if (r->tokens[JP_KEY_AUTH].logged_in || r->tokens[JP_KEY_SIGN].logged_in ||
			    r->unpower_pending) {
				JP_INFO("p11: exit without C_Finalize: power-cycling the card in \"%s\"",
				        r->name);
				jp_reader_take(r);
				(void)jp_logout_card_held(r);
				jp_reader_give(r);
			}
		}
	}
	jp_mutex_unlock(jp_mod.lock);
}

void jp_exit_hook_install(void)
{
	/* Once per load of the module: C_Initialize may come again after
	 * C_Finalize, and the handler copes with either state. Called under
	 * no lock by C_Initialize, which applications do not call from two
	 * threads at once (PKCS#11 v2.40 §5.4: only one may initialize). */
	if (!registered && __cxa_atexit(exit_unpower, NULL, &__dso_handle) == 0)
		registered = 1;
}
