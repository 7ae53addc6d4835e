/* The one table from PC/SC results to jp_err (include/jpki/error.h says the
 * transport maps SCARD_* here and nowhere else). Values from pcsc-lite's
 * pcsclite.h; several exist only for Windows' smart card subsystem and never
 * come from pcsc-lite, but are mapped anyway so nothing is left to chance. */
#include "config.h"

#include <stddef.h>
#include <winscard.h>

#include "pcsc-error.h"

typedef struct pcsc_err_entry {
	LONG rv;
	jp_err err;
	const char *name;
} pcsc_err_entry;

#define E(rv, err) { rv, err, #rv }

static const pcsc_err_entry pcsc_errs[] = {
	E(SCARD_S_SUCCESS,                 JP_OK),
	E(SCARD_F_INTERNAL_ERROR,          JP_E_TRANSPORT),
	E(SCARD_E_CANCELLED,               JP_E_CANCELLED),
	/* A handle or context the daemon no longer knows (e.g. it restarted). */
	E(SCARD_E_INVALID_HANDLE,          JP_E_TRANSPORT),
	E(SCARD_E_INVALID_PARAMETER,       JP_E_ARGS),
	E(SCARD_E_INVALID_TARGET,          JP_E_ARGS),
	E(SCARD_E_NO_MEMORY,               JP_E_NO_MEMORY),
	E(SCARD_F_WAITED_TOO_LONG,         JP_E_TIMEOUT),
	/* The response did not fit the caller's buffer: the card sent more
	 * than any command of ours can legitimately get back. */
	E(SCARD_E_INSUFFICIENT_BUFFER,     JP_E_BAD_RESPONSE),
	E(SCARD_E_UNKNOWN_READER,          JP_E_NO_READER),
	E(SCARD_E_TIMEOUT,                 JP_E_TIMEOUT),
	E(SCARD_E_SHARING_VIOLATION,       JP_E_SHARING),
	E(SCARD_E_NO_SMARTCARD,            JP_E_NO_CARD),
	E(SCARD_E_UNKNOWN_CARD,            JP_E_TRANSPORT),
	E(SCARD_E_CANT_DISPOSE,            JP_E_TRANSPORT),
	E(SCARD_E_PROTO_MISMATCH,          JP_E_UNSUPPORTED),
	E(SCARD_E_NOT_READY,               JP_E_TRANSPORT),
	E(SCARD_E_INVALID_VALUE,           JP_E_ARGS),
	E(SCARD_E_SYSTEM_CANCELLED,        JP_E_CANCELLED),
	E(SCARD_F_COMM_ERROR,              JP_E_TRANSPORT),
	E(SCARD_F_UNKNOWN_ERROR,           JP_E_TRANSPORT),
	E(SCARD_E_INVALID_ATR,             JP_E_TRANSPORT),
	E(SCARD_E_NOT_TRANSACTED,          JP_E_TRANSPORT),
	E(SCARD_E_READER_UNAVAILABLE,      JP_E_NO_READER),
	E(SCARD_P_SHUTDOWN,                JP_E_NO_SERVICE),
	E(SCARD_E_PCI_TOO_SMALL,           JP_E_TRANSPORT),
	E(SCARD_E_READER_UNSUPPORTED,      JP_E_UNSUPPORTED),
	E(SCARD_E_DUPLICATE_READER,        JP_E_TRANSPORT),
	E(SCARD_E_CARD_UNSUPPORTED,        JP_E_UNSUPPORTED),
	E(SCARD_E_NO_SERVICE,              JP_E_NO_SERVICE),
	E(SCARD_E_SERVICE_STOPPED,         JP_E_NO_SERVICE),
	/* Same value as SCARD_E_UNSUPPORTED_FEATURE in pcsc-lite. */
	E(SCARD_E_UNEXPECTED,              JP_E_UNSUPPORTED),
	E(SCARD_E_ICC_INSTALLATION,        JP_E_TRANSPORT),
	E(SCARD_E_ICC_CREATEORDER,         JP_E_TRANSPORT),
	E(SCARD_E_DIR_NOT_FOUND,           JP_E_TRANSPORT),
	E(SCARD_E_FILE_NOT_FOUND,          JP_E_TRANSPORT),
	E(SCARD_E_NO_DIR,                  JP_E_TRANSPORT),
	E(SCARD_E_NO_FILE,                 JP_E_TRANSPORT),
	E(SCARD_E_NO_ACCESS,               JP_E_TRANSPORT),
	E(SCARD_E_WRITE_TOO_MANY,          JP_E_TRANSPORT),
	E(SCARD_E_BAD_SEEK,                JP_E_TRANSPORT),
	E(SCARD_E_INVALID_CHV,             JP_E_TRANSPORT),
	E(SCARD_E_UNKNOWN_RES_MNG,         JP_E_TRANSPORT),
	E(SCARD_E_NO_SUCH_CERTIFICATE,     JP_E_TRANSPORT),
	E(SCARD_E_CERTIFICATE_UNAVAILABLE, JP_E_TRANSPORT),
	E(SCARD_E_NO_READERS_AVAILABLE,    JP_E_NO_READER),
	E(SCARD_E_COMM_DATA_LOST,          JP_E_TRANSPORT),
	E(SCARD_E_NO_KEY_CONTAINER,        JP_E_TRANSPORT),
	E(SCARD_E_SERVER_TOO_BUSY,         JP_E_TRANSPORT),
	E(SCARD_W_UNSUPPORTED_CARD,        JP_E_UNSUPPORTED),
	/* A mute card: present, but nothing can be done with it. */
	E(SCARD_W_UNRESPONSIVE_CARD,       JP_E_TRANSPORT),
	/* Power went away under us: like a reset, the card's state is gone. */
	E(SCARD_W_UNPOWERED_CARD,          JP_E_CARD_RESET),
	E(SCARD_W_RESET_CARD,              JP_E_CARD_RESET),
	E(SCARD_W_REMOVED_CARD,            JP_E_NO_CARD),
	E(SCARD_W_SECURITY_VIOLATION,      JP_E_TRANSPORT),
	E(SCARD_W_WRONG_CHV,               JP_E_TRANSPORT),
	E(SCARD_W_CHV_BLOCKED,             JP_E_TRANSPORT),
	E(SCARD_W_EOF,                     JP_E_TRANSPORT),
	E(SCARD_W_CANCELLED_BY_USER,       JP_E_CANCELLED),
	E(SCARD_W_CARD_NOT_AUTHENTICATED,  JP_E_TRANSPORT),
};

#undef E

static const pcsc_err_entry *pcsc_err_find(long rv)
{
	const pcsc_err_entry *found = NULL;
	size_t i;

	for (i = 0; i < sizeof(pcsc_errs) / sizeof(pcsc_errs[0]); i++) {
		if (pcsc_errs[i].rv == (LONG)rv) {
			found = &pcsc_errs[i];
			break;
		}
	}
	return found;
}

jp_err jp_pcsc_err(long rv)
{
	const pcsc_err_entry *e = pcsc_err_find(rv);

	return e ? e->err : JP_E_TRANSPORT;
}

const char *jp_pcsc_str(long rv)
{
	const pcsc_err_entry *e = pcsc_err_find(rv);

	return e ? e->name : "SCARD_?";
}
