/* Logging: configuration from JPKI_PKCS11_DEBUG and whole-line writes.
 * The APDU formatting and its redaction live in log-apdu.c. */
#define _GNU_SOURCE 1 /* secure_getenv */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jpki/log.h"

#define JP_LOG_LINE_MAX 4096
#define JP_LOG_LEVEL_DIGITS 3

/* The level is read without the lock on every call (the fast "off" path);
 * the descriptor and the init flag are only touched under the lock. */
static atomic_int jp_log_cur = JP_LOG_OFF;
static pthread_mutex_t jp_log_lock = PTHREAD_MUTEX_INITIALIZER;
static int jp_log_fd = -1;     /* -1: stderr */
static int jp_log_inited;
static pthread_once_t jp_log_atfork_once = PTHREAD_ONCE_INIT;

/* A fork while another thread writes a line would leave the child with a
 * locked mutex: take it across fork() so both sides start unlocked. */
static void jp_log_prefork(void) { pthread_mutex_lock(&jp_log_lock); }
static void jp_log_postfork(void) { pthread_mutex_unlock(&jp_log_lock); }

static void jp_log_register_atfork(void)
{
	(void)pthread_atfork(jp_log_prefork, jp_log_postfork, jp_log_postfork);
}

static void jp_log_close_inlock(void)
{
	if (jp_log_fd >= 0 && jp_log_fd != STDERR_FILENO)
		close(jp_log_fd);
	jp_log_fd = -1;
}

/* "level:N" or "level:N,file:PATH" (PATH is the rest of the string, so it
 * may contain commas). N is clamped to JP_LOG_TRACE. */
static int jp_log_parse(const char *spec, int *level, const char **path)
{
	int rc = -1;
	int n = 0;
	size_t digits = 0;
	const char *p = spec;

	*path = NULL;
	if (strncmp(p, "level:", 6) != 0)
		goto out;
	p += 6;
	while (*p >= '0' && *p <= '9' && digits < JP_LOG_LEVEL_DIGITS) {
		n = n * 10 + (*p - '0');
		p++;
		digits++;
	}
	if (digits == 0)
		goto out;
	if (*p == ',') {
		if (strncmp(p, ",file:", 6) != 0 || p[6] == '\0')
			goto out;
		*path = p + 6;
	} else if (*p != '\0') {
		goto out;
	}
	*level = n > JP_LOG_TRACE ? JP_LOG_TRACE : n;
	rc = 0;
out:
	return rc;
}

static int jp_log_configure_inlock(const char *spec)
{
	int rc = 0;
	int level = JP_LOG_OFF;
	const char *path = NULL;

	jp_log_close_inlock();
	atomic_store(&jp_log_cur, JP_LOG_OFF);
	if (spec == NULL || spec[0] == '\0')
		goto out;
	if (jp_log_parse(spec, &level, &path) != 0) {
		rc = -1;
		goto out;
	}
	if (level > JP_LOG_OFF && path != NULL) {
		/* 0600: the log holds APDU traces of a personal card.
		 * O_CLOEXEC: a program we run must not inherit it.
		 * On failure we fall back to stderr (the caller asked for logs). */
		jp_log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
		                 0600);
	}
	atomic_store(&jp_log_cur, level);
out:
	return rc;
}

int jp_log_configure(const char *spec)
{
	int rc;

	pthread_once(&jp_log_atfork_once, jp_log_register_atfork);
	pthread_mutex_lock(&jp_log_lock);
	jp_log_inited = 1;
	rc = jp_log_configure_inlock(spec);
	pthread_mutex_unlock(&jp_log_lock);
	return rc;
}

void jp_log_init(void)
{
	const char *spec;

	pthread_once(&jp_log_atfork_once, jp_log_register_atfork);
	pthread_mutex_lock(&jp_log_lock);
	if (!jp_log_inited) {
		jp_log_inited = 1;
		/* secure_getenv: a set-uid program must not let its caller
		 * choose a file to append to. */
		spec = secure_getenv("JPKI_PKCS11_DEBUG");
		(void)jp_log_configure_inlock(spec);
	}
	pthread_mutex_unlock(&jp_log_lock);
}

void jp_log_shutdown(void)
{
	pthread_mutex_lock(&jp_log_lock);
	jp_log_close_inlock();
	atomic_store(&jp_log_cur, JP_LOG_OFF);
	/* The next jp_log_init (a new C_Initialize) reads the variable again. */
	jp_log_inited = 0;
	pthread_mutex_unlock(&jp_log_lock);
}

int jp_log_level(void)
{
	return atomic_load(&jp_log_cur);
}

static const char *jp_log_level_name(int level)
{
	static const char *const names[] = { "OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE" };
	return (level >= 0 && level <= JP_LOG_TRACE) ? names[level] : "?";
}

static void jp_log_write_inlock(const char *buf, size_t len)
{
	int fd = jp_log_fd >= 0 ? jp_log_fd : STDERR_FILENO;
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf += n;
		len -= (size_t)n;
	}
}

void jp_log(int level, const char *fmt, ...)
{
	char line[JP_LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t pos = 0, i;
	int n;
	int saved_errno = errno;

	if (level <= JP_LOG_OFF || level > atomic_load(&jp_log_cur) || fmt == NULL)
		goto out;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	pos = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + pos, sizeof(line) - pos, ".%03ldZ [%ld] %s: ",
	             ts.tv_nsec / 1000000L, (long)getpid(), jp_log_level_name(level));
	if (n > 0)
		pos += (size_t)n;

	va_start(ap, fmt);
	n = vsnprintf(line + pos, sizeof(line) - pos - 1, fmt, ap);
	va_end(ap);
	if (n > 0) {
		if ((size_t)n >= sizeof(line) - pos - 1) {
			/* Truncated: say so rather than cut silently. */
			memcpy(line + sizeof(line) - 5, "...", 3);
			n = (int)(sizeof(line) - pos - 2);
		}
		/* One record per line, whatever the message contains. */
		for (i = pos; i < pos + (size_t)n; i++)
			if (line[i] == '\n' || line[i] == '\r')
				line[i] = ' ';
		pos += (size_t)n;
	}
	line[pos++] = '\n';

	pthread_mutex_lock(&jp_log_lock);
	jp_log_write_inlock(line, pos);
	pthread_mutex_unlock(&jp_log_lock);
out:
	errno = saved_errno;
}
