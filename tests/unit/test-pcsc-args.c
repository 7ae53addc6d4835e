/* The PC/SC backend's argument checks leave its locks as they found them
 * (one exit path per function, doc/design.md): a list or a wait refused for a
 * bad argument, then the same call done right, must return — a lock left
 * held would hang it (the alarm turns a hang into a failure). No daemon is
 * reached: PCSCLITE_CSOCK_NAME points nowhere, so the backend sees "no
 * PC/SC service yet" (zero readers, not an error). */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/tap.h"
#include "jpki/transport.h"

static void hung(int sig)
{
	static const char msg[] = "Bail out! a call hung: a lock was left held\n";

	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	const jp_transport_ops *ops = jp_transport_default_ops();
	jp_transport *t = NULL;
	jp_reader_status *st = NULL;
	size_t n = 99;
	int i;

	setenv("PCSCLITE_CSOCK_NAME", "/nonexistent/jpki-test/pcscd.comm", 1);
	signal(SIGALRM, hung);
	alarm(30);
	is_int(ops->establish(&t), JP_OK, "establish without a daemon");
	ok(t != NULL, "... gives a context");

	is_int(ops->list_readers(NULL, &st, &n), JP_E_ARGS, "list: no context");
	is_int(ops->list_readers(t, NULL, &n), JP_E_ARGS, "list: no output");
	is_int(ops->list_readers(t, &st, NULL), JP_E_ARGS, "list: no count");
	for (i = 0; i < 2; i++) {
		n = 99;
		is_int(ops->list_readers(t, &st, &n), JP_OK, "list after the refusals (%d)", i);
		is_int(n, 0, "... zero readers");
		free(st);
		st = NULL;
	}

	is_int(ops->wait_change(NULL, NULL, 0, 0), JP_E_ARGS, "wait: no context");
	is_int(ops->wait_change(t, NULL, 1, 0), JP_E_ARGS, "wait: a count without a list");
	for (i = 0; i < 2; i++)
		is_int(ops->wait_change(t, NULL, 0, 0), JP_E_TIMEOUT,
		       "wait after the refusals returns (%d)", i);
	ops->release(t);
	alarm(0);
	done_testing();
}
