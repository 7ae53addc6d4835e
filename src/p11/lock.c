/* Mutexes for the module: the application's four callbacks when it gave
 * them without CKF_OS_LOCKING_OK, pthreads otherwise (PKCS#11 v2.40 §5.4,
 * C_Initialize: with OS_LOCKING_OK and callbacks we may use either; with
 * neither, the application promises not to share the library between
 * threads, and pthreads cost nothing). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "jpki/log.h"
#include "p11.h"

struct jp_mutex {
	int app;                   /* made by the application's CreateMutex */
	void *app_mutex;
	pthread_mutex_t pm;
};

static struct {
	int use_app;
	CK_CREATEMUTEX create;
	CK_DESTROYMUTEX destroy;
	CK_LOCKMUTEX lock;
	CK_UNLOCKMUTEX unlock;
} lk;

void jp_lock_setup(const CK_C_INITIALIZE_ARGS *args)
{
	lk.use_app = 0;
	lk.create = NULL;
	lk.destroy = NULL;
	lk.lock = NULL;
	lk.unlock = NULL;
	if (args && args->CreateMutex && !(args->flags & CKF_OS_LOCKING_OK)) {
		lk.use_app = 1;
		lk.create = args->CreateMutex;
		lk.destroy = args->DestroyMutex;
		lk.lock = args->LockMutex;
		lk.unlock = args->UnlockMutex;
	}
	JP_DEBUG("p11: locking with %s", lk.use_app ? "the application's callbacks" : "pthreads");
}

jp_mutex *jp_mutex_new(void)
{
	jp_mutex *m = calloc(1, sizeof(*m));

	if (!m)
		goto out;
	if (lk.use_app) {
		m->app = 1;
		if (lk.create(&m->app_mutex) != CKR_OK) {
			free(m);
			m = NULL;
		}
	} else if (pthread_mutex_init(&m->pm, NULL) != 0) {
		free(m);
		m = NULL;
	}
out:
	return m;
}

void jp_mutex_free(jp_mutex *m)
{
	if (m) {
		if (m->app)
			(void)lk.destroy(m->app_mutex);
		else
			pthread_mutex_destroy(&m->pm);
		free(m);
	}
}

void jp_mutex_forget(jp_mutex *m)
{
	/* Destroying a mutex another (vanished) thread held is undefined;
	 * the application's mutex belongs to the parent's bookkeeping. */
	free(m);
}

void jp_mutex_lock(jp_mutex *m)
{
	if (m && m->app)
		(void)lk.lock(m->app_mutex);
	else if (m)
		pthread_mutex_lock(&m->pm);
}

void jp_mutex_unlock(jp_mutex *m)
{
	if (m && m->app)
		(void)lk.unlock(m->app_mutex);
	else if (m)
		pthread_mutex_unlock(&m->pm);
}

/* ---- the global lock around a call ---- */

CK_RV jp_check_init(void)
{
	/* A forked child inherits jp_mod but did not initialize: PKCS#11
	 * v2.40 §6.7.1 wants it to call C_Initialize itself. */
	return (jp_mod.initialized && jp_mod.pid == getpid()) ? CKR_OK
	                                                      : CKR_CRYPTOKI_NOT_INITIALIZED;
}

CK_RV jp_refuse_args(void)
{
	CK_RV rv = jp_check_init();

	return rv == CKR_OK ? CKR_ARGUMENTS_BAD : rv;
}

CK_RV jp_enter(void)
{
	CK_RV rv = jp_check_init();

	if (rv != CKR_OK)
		goto out;
	jp_mutex_lock(jp_mod.lock);
	if (!jp_mod.initialized || jp_mod.finalizing) {
		jp_mutex_unlock(jp_mod.lock);
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	}
out:
	return rv;
}

void jp_leave(void)
{
	jp_mutex_unlock(jp_mod.lock);
}
