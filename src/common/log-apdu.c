/* APDU traces with redaction (include/jpki/log.h).
 *
 * These rules keep secrets and personal data out of the log:
 *  - the command body of VERIFY (INS 20) and CHANGE REFERENCE DATA (INS 24)
 *    is the PIN (doc/card.md §4): only the header and the Lc field are
 *    shown, for any CLA, whatever the length fields claim;
 *  - so is the body of COMPUTE DIGITAL SIGNATURE (INS 2A): it is the data
 *    to be signed (a DigestInfo, or whatever a CKM_RSA_PKCS caller gave),
 *    which says what the holder signed;
 *  - jp_log_apdu() does not print the data of READ BINARY responses (and of
 *    the GET RESPONSE that may continue them): that data is certificate
 *    content, and the signing certificate holds the holder's name, address
 *    and birth date. Only its length and the status word are logged.
 *  - nor the data of COMPUTE DIGITAL SIGNATURE (INS 2A) responses: the
 *    signature is logged before the host has verified it, and a faulty one
 *    (next to the signed DigestInfo in the command) can give the private
 *    key away; such a signature is never released (doc/design.md §3), so it
 *    must not reach a log either. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "jpki/log.h"

#define INS_VERIFY 0x20
#define INS_CHANGE_REFERENCE_DATA 0x24
#define INS_READ_BINARY 0xB0
#define INS_READ_BINARY_ODD 0xB1
#define INS_GET_RESPONSE 0xC0
#define INS_COMPUTE_SIGNATURE 0x2A

#define REDACTED " ** redacted **"
#define ELLIPSIS " ..."

/* Whether the responses to the last command this thread logged carry
 * file data or a signature (see above). Commands and responses of one exchange are logged
 * by the same thread, so thread-local state needs no lock. */
static _Thread_local int jp_log_hide_rsp;

/* Bytes of a command up to and including its Lc field (or the Le field of a
 * command without body): CLA INS P1 P2, then one byte (short), or 00 + two
 * bytes (extended). Anything after that may be PIN bytes or data to sign. */
static size_t jp_log_apdu_header_len(const uint8_t *apdu, size_t len)
{
	size_t h = len;

	if (len > 5) {
		if (apdu[4] != 0)
			h = 5;
		else
			h = len >= 7 ? 7 : 5;
	}
	return h;
}

static void jp_log_put(char *out, size_t outlen, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + 1 < outlen) {
		if (n > outlen - 1 - *pos)
			n = outlen - 1 - *pos;
		memcpy(out + *pos, s, n);
		*pos += n;
		out[*pos] = '\0';
	}
}

static int jp_log_hides_body(const uint8_t *apdu, size_t len)
{
	return len >= 2 && (apdu[1] == INS_VERIFY || apdu[1] == INS_CHANGE_REFERENCE_DATA ||
	                    apdu[1] == INS_COMPUTE_SIGNATURE);
}

void jp_log_format_apdu(char *out, size_t outlen, const uint8_t *apdu, size_t len, int is_command)
{
	size_t pos = 0, shown, i, tail;
	int redact = 0;
	char hex[4];

	if (out == NULL || outlen == 0)
		goto out;
	out[0] = '\0';
	if (apdu == NULL)
		len = 0;
	shown = len;
	if (is_command && jp_log_hides_body(apdu, len)) {
		shown = jp_log_apdu_header_len(apdu, len);
		redact = shown < len;
	}
	tail = redact ? strlen(REDACTED) : 0;
	for (i = 0; i < shown; i++) {
		/* Each byte takes 3 characters; if the rest no longer fits,
		 * end with an ellipsis (and still the redaction mark). */
		if (pos + 3 * (shown - i) + tail >= outlen &&
		    pos + 3 + strlen(ELLIPSIS) + tail >= outlen) {
			jp_log_put(out, outlen, &pos, ELLIPSIS);
			break;
		}
		snprintf(hex, sizeof(hex), i == 0 ? "%02X" : " %02X", apdu[i]);
		jp_log_put(out, outlen, &pos, hex);
	}
	if (redact)
		jp_log_put(out, outlen, &pos, pos == 0 ? &REDACTED[1] : REDACTED);
out:
	return;
}

void jp_log_apdu(const char *dir, const uint8_t *apdu, size_t len)
{
	/* Three characters per byte of the largest command (JP_CMD_MAX);
	 * longer responses end in an ellipsis. */
	char text[1600];
	int is_command = dir != NULL && dir[0] == '>';

	if (jp_log_level() < JP_LOG_TRACE)
		goto out;
	if (apdu == NULL)
		len = 0;
	if (is_command) {
		if (len >= 2 && (apdu[1] == INS_READ_BINARY || apdu[1] == INS_READ_BINARY_ODD ||
		                 apdu[1] == INS_COMPUTE_SIGNATURE))
			jp_log_hide_rsp = 1;
		else if (!(len >= 2 && apdu[1] == INS_GET_RESPONSE))
			jp_log_hide_rsp = 0;
	}
	if (!is_command && jp_log_hide_rsp && len > 2)
		snprintf(text, sizeof(text), "** %zu data bytes not logged ** %02X %02X",
		         len - 2, apdu[len - 2], apdu[len - 1]);
	else
		jp_log_format_apdu(text, sizeof(text), apdu, len, is_command);
	jp_log(JP_LOG_TRACE, "%s [%zu] %s", dir != NULL ? dir : "??", len, text);
out:
	return;
}
