/* jpki register: adds (or with --remove, removes) the module to the NSS
 * databases of the current user: every Firefox and Thunderbird profile
 * listed in their profiles.ini, and Chromium's ~/.pki/nssdb (created if
 * missing). Browsers get the parameter "tokens=auth", so they never ask for
 * the signing password while looking for client certificates; Thunderbird
 * gets both tokens (it signs mail). Idempotent. A profile in use (its
 * program running: the "lock" symlink names a live process, or .parentlock
 * is locked) is refused and named: NSS databases must not be changed under
 * a running program. NSS's modutil does the work (fork/exec). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

#define MODULE_NAME "My Number Card"
#define PATH_LEN 4096

typedef struct reg {
	jp_tool *t;
	const char *module;
	int remove;
	int done, refused, failed;
} reg;

/* Runs modutil with args (NULL-terminated); its output is discarded.
 * Returns its exit status, or -1 when it could not run. */
static int modutil(const char *const *args)
{
	const char *argv[16];
	pid_t pid;
	int st, i, fd;

	argv[0] = "modutil";
	for (i = 0; args[i] != NULL && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp("modutil", (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? (WEXITSTATUS(st) == 127 ? -1 : WEXITSTATUS(st)) : -1;
}

/* Whether the profile's program is running (Firefox and Thunderbird). */
static int in_use(const char *dir)
{
	char path[PATH_LEN], target[256];
	ssize_t n;
	struct flock fl;
	const char *plus;
	int fd, busy = 0;
	long pid;

	snprintf(path, sizeof(path), "%s/lock", dir);
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		/* "IP:+PID": that process alive means in use. */
		target[n] = '\0';
		plus = strrchr(target, '+');
		pid = plus != NULL ? strtol(plus + 1, NULL, 10) : 0;
		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno == EPERM)
			busy = 1;
	}
	snprintf(path, sizeof(path), "%s/.parentlock", dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			busy = 1;
		close(fd);
	}
	return busy;
}

/* One NSS database directory. what: "Firefox", ... for messages. */
static void one_db(reg *r, const char *what, const char *dir, int auth_only, int check_lock)
{
	char db[PATH_LEN + 8];
	struct stat st;
	int present, rc;

	if (check_lock && in_use(dir)) {
		fprintf(r->t->err, _("jpki: %s profile %s is in use: close the program and run "
		                     "jpki register again\n"), what, dir);
		r->refused++;
		return;
	}
	snprintf(db, sizeof(db), "sql:%s", dir);
	if (!r->remove && stat(dir, &st) == 0) {
		char cert9[PATH_LEN + 16];
		snprintf(cert9, sizeof(cert9), "%s/cert9.db", dir);
		if (stat(cert9, &st) != 0) {
			const char *a[] = { "-create", "-force", "-dbdir", db, NULL };
			(void)modutil(a);
		}
	}
	{
		const char *a[] = { "-force", "-dbdir", db, "-list", MODULE_NAME, NULL };
		rc = modutil(a);
	}
	if (rc < 0) {
		fputs(_("jpki: modutil not found (apt-get install libnss3-tools)\n"), r->t->err);
		r->failed++;
		return;
	}
	present = rc == 0;
	rc = 0;
	if (r->remove) {
		if (present) {
			const char *a[] = { "-force", "-dbdir", db, "-delete", MODULE_NAME, NULL };
			rc = modutil(a);
		}
	} else if (!present) {
		/* Thunderbird: the NULL ends the list before the parameter. */
		const char *a[] = { "-force", "-dbdir", db, "-add", MODULE_NAME, "-libfile",
		                    r->module, auth_only ? "-string" : NULL, "tokens=auth", NULL };
		rc = modutil(a);
	}
	if (rc != 0) {
		fprintf(r->t->err, _("jpki: %s: modutil failed on %s\n"), what, dir);
		r->failed++;
		return;
	}
	fprintf(r->t->out, r->remove ? (present ? _("%s: removed from %s\n")
	                                        : _("%s: not registered in %s\n"))
	                             : (present ? _("%s: already registered in %s\n")
	                                        : _("%s: registered in %s\n")), what, dir);
	r->done++;
}

/* Every profile of a profiles.ini (Path=, IsRelative=). */
static void profiles(reg *r, const char *what, const char *base, int auth_only)
{
	char ini[PATH_LEN], line[PATH_LEN], path[PATH_LEN], dir[2 * PATH_LEN + 2];
	FILE *f;
	int relative = 1, in_profile = 0, have_path = 0;

	snprintf(ini, sizeof(ini), "%s/profiles.ini", base);
	f = fopen(ini, "r");
	if (f == NULL)
		return;   /* the program was never run: nothing to do */
	for (;;) {
		char *ok = fgets(line, sizeof(line), f);
		size_t n = ok ? strlen(line) : 0;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		/* A section ends: register the profile it described. */
		if (ok == NULL || line[0] == '[') {
			if (in_profile && have_path) {
				if (relative)
					snprintf(dir, sizeof(dir), "%s/%s", base, path);
				else
					snprintf(dir, sizeof(dir), "%s", path);
				one_db(r, what, dir, auth_only, 1);
			}
			if (ok == NULL)
				break;
			in_profile = strncmp(line, "[Profile", 8) == 0;
			relative = 1;
			have_path = 0;
		} else if (in_profile && strncmp(line, "Path=", 5) == 0) {
			snprintf(path, sizeof(path), "%s", line + 5);
			have_path = 1;
		} else if (in_profile && strncmp(line, "IsRelative=", 11) == 0) {
			relative = strcmp(line + 11, "0") != 0;
		}
	}
	fclose(f);
}

int jp_cmd_register(jp_tool *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "firefox", no_argument, NULL, 'f' },
		{ "thunderbird", no_argument, NULL, 't' },
		{ "chromium", no_argument, NULL, 'c' },
		{ "remove", no_argument, NULL, 'r' },
		{ "module", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	char base[PATH_LEN], nssdb[PATH_LEN];
	const char *home = getenv("HOME");
	int c, which = 0, rc = JP_EXIT_ERROR;
	reg r;

	memset(&r, 0, sizeof(r));
	r.t = t;
	r.module = JP_MODULE_PATH;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': which |= 1; break;
		case 't': which |= 2; break;
		case 'c': which |= 4; break;
		case 'r': r.remove = 1; break;
		case 'm': r.module = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc || home == NULL || *home == '\0')
		goto usage;
	if (which == 0)
		which = 7;
	if (which & 1) {
		snprintf(base, sizeof(base), "%s/.mozilla/firefox", home);
		profiles(&r, "Firefox", base, 1);
	}
	if (which & 2) {
		snprintf(base, sizeof(base), "%s/.thunderbird", home);
		profiles(&r, "Thunderbird", base, 0);
	}
	if (which & 4) {
		snprintf(nssdb, sizeof(nssdb), "%s/.pki/nssdb", home);
		if (!r.remove) {
			snprintf(base, sizeof(base), "%s/.pki", home);
			(void)mkdir(base, 0700);
			(void)mkdir(nssdb, 0700);
		}
		if (access(nssdb, F_OK) == 0)
			one_db(&r, "Chromium", nssdb, 1, 0);
	}
	rc = r.failed ? JP_EXIT_ERROR : r.refused ? JP_EXIT_ACTION : JP_EXIT_OK;
	goto out;
usage:
	fputs(_("usage: jpki register [--firefox] [--thunderbird] [--chromium] [--remove]\n"),
	      t->err);
out:
	return rc;
}
