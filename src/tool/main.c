/* jpki: the command line. Sets up the catalogue and OpenSSL, then runs one
 * subcommand (tool.h lists them). */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jpki/crypto.h"
#include "jpki/log.h"
#include "tool.h"

int main(int argc, char **argv)
{
	jp_tool t;
	int rc;

	jp_tool_i18n();
	jp_log_init();
	memset(&t, 0, sizeof(t));
	t.out = stdout;
	t.err = stderr;
	t.now = (int64_t)time(NULL);
	t.tty = "/dev/tty";
	if (jp_crypto_init() != JP_OK) {
		fputs("jpki: cannot initialise OpenSSL\n", stderr);
		return JP_EXIT_ERROR;
	}
	rc = jp_tool_run(&t, argc - 1, argv + 1);
	jp_crypto_fini();
	jp_log_shutdown();
	if (fflush(stdout) != 0 && rc == JP_EXIT_OK)
		rc = JP_EXIT_ERROR;
	return rc;
}
