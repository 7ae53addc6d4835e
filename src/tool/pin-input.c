/* PINs from the holder: from the terminal with echo off (termios on the
 * terminal itself, so a redirected stdin cannot take the prompt's place),
 * or one line each from stdin with --pin-stdin (scripts, tests). The
 * buffers are the caller's, wiped by the caller; nothing here copies a
 * PIN anywhere else. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "jpki/mem.h"
#include "tool.h"

/* Reads up to a newline from fd into buf (size n); an overlong line is
 * consumed whole and marked too long. -1 on end of input before any byte. */
static int read_line_fd(int fd, char *buf, size_t n, size_t *len)
{
	size_t got = 0;
	int over = 0, any = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r <= 0)
			break;
		any = 1;
		if (c == '\n')
			break;
		if (got + 1 < n)
			buf[got++] = c;
		else
			over = 1;
	}
	c = 0;
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	buf[got] = '\0';
	*len = over ? JP_PIN_MAX + 1 : got;
	return any ? 0 : -1;
}

static int read_line_file(FILE *f, char *buf, size_t n, size_t *len)
{
	size_t got = 0;
	int over = 0, any = 0, c;

	while ((c = fgetc(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (got + 1 < n)
			buf[got++] = (char)c;
		else
			over = 1;
	}
	if (got > 0 && buf[got - 1] == '\r')
		got--;
	buf[got] = '\0';
	*len = over ? JP_PIN_MAX + 1 : got;
	return any ? 0 : -1;
}

int jp_pin_read(jp_tool *t, const char *prompt, char buf[JP_PIN_BUF], size_t *len)
{
	struct termios old, quiet;
	int fd = -1, rc = -1, restore = 0;

	*len = 0;
	buf[0] = '\0';
	if (t->pin_in != NULL) {
		rc = read_line_file(t->pin_in, buf, JP_PIN_BUF, len);
		goto out;
	}
	fd = open(t->tty ? t->tty : "/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = 1;
	}
	rc = read_line_fd(fd, buf, JP_PIN_BUF, len);
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* only the line end after the hidden input is lost */
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		jp_wipe(buf, JP_PIN_BUF);
	return rc;
}

int jp_ask_yes(jp_tool *t, const char *question)
{
	char ans[16];
	size_t len = 0;
	int yes = 0, fd = -1;

	if (t->pin_in != NULL) {
		fputs(question, t->err);
		fflush(t->err);
		if (read_line_file(t->pin_in, ans, sizeof(ans), &len) != 0)
			goto out;
	} else {
		fd = open(t->tty ? t->tty : "/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 || write(fd, question, strlen(question)) < 0 ||
		    read_line_fd(fd, ans, sizeof(ans), &len) != 0)
			goto out;
	}
	/* "y", "yes", or はい. */
	yes = strcmp(ans, "y") == 0 || strcmp(ans, "Y") == 0 || strcmp(ans, "yes") == 0 ||
	      strcmp(ans, "はい") == 0;
out:
	if (fd >= 0)
		close(fd);
	return yes;
}
