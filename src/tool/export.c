/* jpki export: the certificates into files, DER or PEM. The CA
 * certificates and the authentication certificate are free to read; the
 * signing certificate (the holder's name, address, birth date and sex:
 * doc/card.md §7) only after the signing password, and its file is
 * readable by its owner only. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "jpki/mem.h"
#include "tool.h"

#define WANT_AUTH 1
#define WANT_SIGN 2
#define WANT_CA 4

static int write_cert(jp_tool *t, const char *dir, const char *base, int pem,
                      const uint8_t *der, size_t len, mode_t mode)
{
	char path[4096];
	FILE *f = NULL;
	int fd, rc = -1;

	if (snprintf(path, sizeof(path), "%s/%s.%s", dir, base, pem ? "pem" : "der") >=
	    (int)sizeof(path))
		goto out;
	(void)unlink(path);   /* a fresh file gets the mode below */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 || (f = fdopen(fd, "wb")) == NULL) {
		if (fd >= 0)
			close(fd);
		fprintf(t->err, _("jpki: cannot write %s\n"), path);
		goto out;
	}
	if (pem) {
		if (PEM_write(f, "CERTIFICATE", "", der, (long)len) <= 0)
			goto out;
	} else if (fwrite(der, 1, len, f) != len) {
		goto out;
	}
	rc = 0;
out:
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	if (rc == 0)
		fprintf(t->out, "%s\n", path);
	return rc;
}

static int export_one(jp_tool *t, jp_card *card, jp_cert_id id, const char *dir,
                      const char *base, int pem, mode_t mode)
{
	const uint8_t *der = NULL;
	size_t len = 0;
	jp_err e;

	e = jp_card_read_cert(card, id, &der, &len);
	if (e != JP_OK) {
		fprintf(t->err, "jpki: %s: %s\n", base, jp_err_message(e));
		return -1;
	}
	return write_cert(t, dir, base, pem, der, len, mode);
}

static int unlock_sign(jp_tool *t, jp_card *card)
{
	char pin[JP_PIN_BUF];
	size_t len = 0;
	int tries = -1, ok = 0;
	jp_err e;

	e = jp_card_pin_tries(card, JP_KEY_SIGN, &tries);
	if (e != JP_OK) {
		fprintf(t->err, "jpki: %s\n", jp_err_message(e));
		goto out;
	}
	if (tries == 0) {
		fprintf(t->err, "jpki: %s\n", jp_err_message(JP_E_PIN_LOCKED));
		goto out;
	}
	if (tries == 1 && !jp_ask_yes(t, _("Only ONE try is left for the signing password: a "
	                                   "mistake blocks it. Continue? [y/N] ")))
		goto out;
	if (jp_pin_read(t, _("Signing password: "), pin, &len) != 0)
		goto out;
	e = jp_card_verify(card, JP_KEY_SIGN, (const uint8_t *)pin, len, &tries);
	if (e == JP_E_PIN_INCORRECT)
		fprintf(t->err, _("jpki: wrong signing password; %d tries left\n"), tries);
	else if (e != JP_OK)
		fprintf(t->err, "jpki: %s\n", jp_err_message(e));
	ok = e == JP_OK;
out:
	jp_wipe(pin, sizeof(pin));
	return ok;
}

int jp_cmd_export(jp_tool *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "auth", no_argument, NULL, 'a' },
		{ "sign", no_argument, NULL, 's' },
		{ "ca", no_argument, NULL, 'c' },
		{ "der", no_argument, NULL, 'd' },
		{ "pem", no_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "reader", required_argument, NULL, 'r' },
		{ "pin-stdin", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reader = NULL, *dir = ".";
	jp_readers rd;
	jp_card *card = NULL;
	size_t idx = 0;
	int c, want = 0, pem = 1, rc = JP_EXIT_ERROR, failed = 0;

	memset(&rd, 0, sizeof(rd));
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:r:", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': want |= WANT_AUTH; break;
		case 's': want |= WANT_SIGN; break;
		case 'c': want |= WANT_CA; break;
		case 'd': pem = 0; break;
		case 'p': pem = 1; break;
		case 'o': dir = optarg; break;
		case 'r': reader = optarg; break;
		case 'i': if (t->pin_in == NULL) t->pin_in = stdin; break;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (want == 0)
		want = WANT_AUTH;
	if (jp_open_one(t, &rd, reader, &card, &idx) != JP_OK)
		goto out;
	if (want & WANT_AUTH)
		failed |= export_one(t, card, JP_CERT_AUTH, dir, "auth", pem, 0644);
	if (want & WANT_CA) {
		failed |= export_one(t, card, JP_CERT_AUTH_CA, dir, "auth-ca", pem, 0644);
		failed |= export_one(t, card, JP_CERT_SIGN_CA, dir, "sign-ca", pem, 0644);
	}
	if (want & WANT_SIGN) {
		if (unlock_sign(t, card))
			failed |= export_one(t, card, JP_CERT_SIGN, dir, "sign", pem, 0600);
		else
			failed = 1;
		(void)jp_card_unverify(card);
	}
	rc = failed ? JP_EXIT_ERROR : JP_EXIT_OK;
	goto out;
usage:
	fputs(_("usage: jpki export [--auth|--sign|--ca] [--der|--pem] [-o DIR] [--reader NAME]\n"),
	      t->err);
out:
	jp_card_close(card);
	jp_readers_close(&rd);
	return rc;
}
