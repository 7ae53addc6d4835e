/* The subcommands, the catalogue, and the messages shared by commands. */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static void usage(FILE *f)
{
	fputs(_("usage: jpki COMMAND [OPTIONS]\n"
	        "  status [--reader NAME] [--json] [--sign [--show-personal]]\n"
	        "                          the card, its certificates and PIN tries left\n"
	        "  change-pin auth|sign [--reader NAME] [--pin-stdin]\n"
	        "                          change a PIN (the card's rules checked first)\n"
	        "  export [--auth|--sign|--ca] [--der|--pem] [-o DIR] [--reader NAME]\n"
	        "                          write the certificates to files\n"
	        "  diagnose [--reader NAME]\n"
	        "                          a report for a bug report, safe to paste\n"
	        "  probe [--reader NAME] [--pin-stdin]\n"
	        "                          which ways of signing the card supports (PIN)\n"
	        "  register [--firefox] [--thunderbird] [--chromium] [--remove]\n"
	        "                          add the module to the browsers' and mail's NSS databases\n"
	        "  --version, --help\n"
	        "See jpki(1).\n"), f);
}

int jp_tool_run(jp_tool *t, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(jp_tool *, int, char **);
	} cmds[] = {
		{ "status", jp_cmd_status },
		{ "change-pin", jp_cmd_change_pin },
		{ "export", jp_cmd_export },
		{ "diagnose", jp_cmd_diagnose },
		{ "probe", jp_cmd_probe },
		{ "register", jp_cmd_register },
	};
	size_t i;
	int rc = JP_EXIT_ERROR;

	if (argc < 1) {
		usage(t->err);
		goto out;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "help") == 0) {
		usage(t->out);
		rc = JP_EXIT_OK;
		goto out;
	}
	if (strcmp(argv[0], "--version") == 0) {
		fprintf(t->out, "jpki (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		rc = JP_EXIT_OK;
		goto out;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name) == 0) {
			rc = cmds[i].run(t, argc, argv);
			goto out;
		}
	}
	fprintf(t->err, _("jpki: unknown command \"%s\"\n"), argv[0]);
	usage(t->err);
out:
	fflush(t->out);
	return rc;
}

/* The language of LC_ALL, LC_MESSAGES or LANG, in POSIX's order. */
static const char *message_locale(void)
{
	static const char *vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		v = getenv(vars[i]);
		if (v != NULL && *v != '\0')
			return v;
	}
	return "";
}

void jp_tool_i18n(void)
{
	const char *dir = getenv("JPKI_LOCALEDIR");

	/* Many systems have no ja_JP locale generated. The messages are
	 * UTF-8 either way, so C.UTF-8 with LANGUAGE=ja shows them. */
	if (setlocale(LC_ALL, "") == NULL) {
		if (strncmp(message_locale(), "ja", 2) == 0)
			setenv("LANGUAGE", "ja", 1);
		if (setlocale(LC_ALL, "C.UTF-8") == NULL)
			setlocale(LC_ALL, "C");
	}
	/* JPKI_LOCALEDIR: the build tree's catalogue (tests). */
	bindtextdomain(PACKAGE, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
	bind_textdomain_codeset(PACKAGE, "UTF-8");
	textdomain(PACKAGE);
}

const char *jp_err_message(jp_err e)
{
	switch (e) {
	case JP_E_NO_SERVICE: return _("the smart card service (pcscd) is not running");
	case JP_E_NO_READER: return _("the card reader is gone");
	case JP_E_NO_CARD: return _("no card in the reader, or the card was removed");
	case JP_E_SHARING: return _("another program is using the card exclusively");
	case JP_E_TRANSPORT: return _("communication with the card failed");
	case JP_E_NOT_JPKI: return _("this card is not a My Number Card");
	case JP_E_JUKI_CARD:
		return _("this is the old Basic Resident Registration card (住基カード): "
		         "its certificates expired in 2018");
	case JP_E_PIN_INCORRECT: return _("wrong PIN");
	case JP_E_PIN_LOCKED: return _("the PIN is blocked");
	case JP_E_PIN_LEN_RANGE: return _("the PIN does not have the right length");
	case JP_E_PIN_INVALID: return _("the PIN contains characters it may not contain");
	case JP_E_NO_KEY: return _("the card has no such certificate");
	case JP_E_CANCELLED: return _("cancelled");
	default: break;
	}
	return jp_err_str(e);
}
