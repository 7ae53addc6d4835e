/* The SCARD_* → jp_err table (src/transport/pcsc-error.c): the results the
 * module's behaviour depends on map to the right error, and unknown values
 * fall back safely. */
#include "config.h"

#include <string.h>
#include <winscard.h>

#include "src/transport/pcsc-error.h"
#include "tests/tap.h"

int main(void)
{
	static const struct {
		LONG rv;
		jp_err want;
		const char *name;
	} cases[] = {
		{ SCARD_S_SUCCESS, JP_OK, "SCARD_S_SUCCESS" },
		{ SCARD_E_NO_SERVICE, JP_E_NO_SERVICE, "SCARD_E_NO_SERVICE" },
		{ SCARD_E_SERVICE_STOPPED, JP_E_NO_SERVICE, "SCARD_E_SERVICE_STOPPED" },
		{ SCARD_E_NO_READERS_AVAILABLE, JP_E_NO_READER, "SCARD_E_NO_READERS_AVAILABLE" },
		{ SCARD_E_UNKNOWN_READER, JP_E_NO_READER, "SCARD_E_UNKNOWN_READER" },
		{ SCARD_E_READER_UNAVAILABLE, JP_E_NO_READER, "SCARD_E_READER_UNAVAILABLE" },
		{ SCARD_E_NO_SMARTCARD, JP_E_NO_CARD, "SCARD_E_NO_SMARTCARD" },
		{ SCARD_W_REMOVED_CARD, JP_E_NO_CARD, "SCARD_W_REMOVED_CARD" },
		{ SCARD_W_RESET_CARD, JP_E_CARD_RESET, "SCARD_W_RESET_CARD" },
		{ SCARD_W_UNPOWERED_CARD, JP_E_CARD_RESET, "SCARD_W_UNPOWERED_CARD" },
		{ SCARD_E_SHARING_VIOLATION, JP_E_SHARING, "SCARD_E_SHARING_VIOLATION" },
		{ SCARD_E_TIMEOUT, JP_E_TIMEOUT, "SCARD_E_TIMEOUT" },
		{ SCARD_E_CANCELLED, JP_E_CANCELLED, "SCARD_E_CANCELLED" },
		{ SCARD_E_NO_MEMORY, JP_E_NO_MEMORY, "SCARD_E_NO_MEMORY" },
		{ SCARD_E_INSUFFICIENT_BUFFER, JP_E_BAD_RESPONSE, "SCARD_E_INSUFFICIENT_BUFFER" },
		{ SCARD_E_PROTO_MISMATCH, JP_E_UNSUPPORTED, "SCARD_E_PROTO_MISMATCH" },
		{ SCARD_F_COMM_ERROR, JP_E_TRANSPORT, "SCARD_F_COMM_ERROR" },
		{ SCARD_W_UNRESPONSIVE_CARD, JP_E_TRANSPORT, "SCARD_W_UNRESPONSIVE_CARD" },
		{ SCARD_E_INVALID_PARAMETER, JP_E_ARGS, "SCARD_E_INVALID_PARAMETER" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(jp_pcsc_err(cases[i].rv), cases[i].want, "%s -> %s", cases[i].name,
		       jp_err_str(cases[i].want));
		ok(strcmp(jp_pcsc_str(cases[i].rv), cases[i].name) == 0, "%s has its name",
		   cases[i].name);
	}
	is_int(jp_pcsc_err(0x12345678L), JP_E_TRANSPORT, "unknown result -> JP_E_TRANSPORT");
	ok(strcmp(jp_pcsc_str(0x12345678L), "SCARD_?") == 0, "unknown result has a placeholder name");
	done_testing();
}
