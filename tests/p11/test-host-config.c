/* The host's OpenSSL configuration may start a provider that uses this
 * module (pkcs11-provider with pkcs11-module-load-behavior = early): when
 * the module makes its own context in C_Initialize, OpenSSL first loads
 * openssl.cnf into the default context, the provider initialises, and
 * calls C_Initialize, C_GetSlotList and C_OpenSession on the module — from
 * inside the application's C_Initialize. That must neither hang nor break
 * the module, and the host's configuration must still be loaded. The
 * program uses no OpenSSL itself before C_Initialize (like pkcs11-tool);
 * OPENSSL_CONF names a file activating the recording provider of
 * host-provider.h. */
#include "config.h"

#include <signal.h>
#include <unistd.h>

#include "host-provider.h"
#include "tests/p11/p11-test.h"

#define CARD 1

static CK_FUNCTION_LIST_PTR mod;
static jp_emu *emu;
static int nested_calls;
static CK_RV nested_init_rv = CKR_GENERAL_ERROR, nested_list_rv = CKR_GENERAL_ERROR;
static CK_RV nested_open_rv = CKR_GENERAL_ERROR;

static void on_alarm(int sig)
{
	static const char msg[] = "Bail out! hung in C_Initialize\n";

	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(99);
}

/* The provider's start-up, early-loading its PKCS#11 module. */
static void provider_uses_module(void)
{
	CK_SLOT_ID ids[8];
	CK_ULONG n = 8;
	CK_SESSION_HANDLE h;

	nested_calls++;
	/* The emulated card only now: making it is an OpenSSL call, which
	 * would load the configuration before the module's C_Initialize. */
	if (emu == NULL) {
		int reader = jp_emu_reader_add(PT_READER);

		emu = jp_emu_new(jp_emu_fixture_dir(CARD), NULL, NULL);
		if (emu == NULL || reader < 0)
			bail_out("no emulated card");
		jp_emu_reader_insert(reader, emu);
	}
	nested_init_rv = mod->C_Initialize(NULL);
	nested_list_rv = mod->C_GetSlotList(CK_TRUE, ids, &n);
	nested_open_rv = n > 0 ? mod->C_OpenSession(ids[0], CKF_SERIAL_SESSION, NULL, NULL, &h)
	                       : CKR_TOKEN_NOT_PRESENT;
	if (nested_open_rv == CKR_OK)
		mod->C_CloseSession(h);
}

static char conf_path[] = "/tmp/jpki-host-config-XXXXXX";

static void write_config(void)
{
	static const char conf[] =
		"openssl_conf = conf\n"
		"[conf]\n"
		"providers = provs\n"
		"[provs]\n"
		HP_NAME " = rec\n"
		"default = def\n"
		"[rec]\n"
		"activate = 1\n"
		"[def]\n"
		"activate = 1\n";
	int fd = mkstemp(conf_path);

	if (fd < 0 || write(fd, conf, sizeof(conf) - 1) != (ssize_t)(sizeof(conf) - 1))
		bail_out("cannot write %s", conf_path);
	close(fd);
	setenv("OPENSSL_CONF", conf_path, 1);
}

/* Slots, a session, the certificate's value: the module works. */
static void check_module(const char *what)
{
	pt_card t;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE cert;
	uint8_t value[4096];
	CK_ATTRIBUTE a = { CKA_VALUE, value, sizeof(value) };
	size_t want_len;
	uint8_t *want = fixture_file(CARD, "auth.der", &want_len);

	memset(&t, 0, sizeof(t));
	F = mod;
	pt_find_slots(&t);
	h = pt_open(&t, PT_AUTH);
	cert = pt_find1(h, CKO_CERTIFICATE, 1);
	ok(mod->C_GetAttributeValue(h, cert, &a, 1) == CKR_OK && a.ulValueLen == want_len &&
	   memcmp(value, want, want_len) == 0, "%s: the card's certificate is read and parsed",
	   what);
	mod->C_CloseSession(h);
	free(want);
}

int main(void)
{
	CK_RV rv;

	signal(SIGALRM, on_alarm);
	alarm(300);   /* only to turn a hang into a failure */
	write_config();
	if (!hp_register())
		bail_out("cannot register the recording provider");
	hp_on_init = provider_uses_module;
	if (C_GetFunctionList(&mod) != CKR_OK || mod == NULL)
		bail_out("C_GetFunctionList failed");
	is_int(hp.inits, 0, "the host's configuration is not loaded yet");

	rv = mod->C_Initialize(NULL);
	is_int(hp.inits, 1, "the host's configuration started its provider during C_Initialize");
	is_int(nested_calls, 1, "the provider used the module from inside C_Initialize");
	is_int(nested_init_rv, CKR_OK, "the provider's C_Initialize succeeded");
	is_int(nested_list_rv, CKR_OK, "the provider's C_GetSlotList succeeded");
	is_int(nested_open_rv, CKR_OK, "the provider's C_OpenSession (certificates parsed) succeeded");
	is_int(rv, CKR_CRYPTOKI_ALREADY_INITIALIZED,
	       "the application's C_Initialize: already initialised (by the provider)");
	ok(OSSL_PROVIDER_available(NULL, HP_NAME) == 1,
	   "the host's configuration is in force in its default context");

	check_module("after the nested start");
	is_int(mod->C_Finalize(NULL), CKR_OK, "C_Finalize");
	is_int(mod->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED, "finalised once");

	/* Again: the configuration is loaded already, nothing nests. */
	nested_calls = 0;
	is_int(mod->C_Initialize(NULL), CKR_OK, "C_Initialize again");
	is_int(nested_calls, 0, "no provider start-up the second time");
	check_module("second life");
	is_int(mod->C_Finalize(NULL), CKR_OK, "C_Finalize again");

	jp_emu_readers_clear();
	jp_emu_free(emu);
	unlink(conf_path);
	done_testing();
}
