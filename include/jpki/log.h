/* Logging with redaction. Configured once from JPKI_PKCS11_DEBUG =
 * "level:N[,file:PATH]" (N: 0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace).
 * Nothing here ever prints PIN bytes: jp_log_apdu() masks the bodies of
 * VERIFY (INS 20) and CHANGE REFERENCE DATA (INS 24). Callers must never pass
 * certificate contents (the signing certificate is personal data). */
#ifndef JPKI_LOG_H
#define JPKI_LOG_H

#include <stddef.h>
#include <stdint.h>

enum { JP_LOG_OFF = 0, JP_LOG_ERROR, JP_LOG_WARN, JP_LOG_INFO, JP_LOG_DEBUG, JP_LOG_TRACE };

/* Reads JPKI_PKCS11_DEBUG (idempotent; safe to call again after fork). */
void jp_log_init(void);
/* Closes the log file, if any. */
void jp_log_shutdown(void);
/* Parses a "level:N[,file:PATH]" spec without touching the environment
 * (used by jp_log_init and by tests). Returns 0 on success, -1 if malformed
 * (then logging stays off). */
int jp_log_configure(const char *spec);
int jp_log_level(void);

void jp_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hex dump of an APDU: dir is ">>" (command) or "<<" (response). Command
 * bodies of VERIFY and CHANGE REFERENCE DATA become "** redacted **". */
void jp_log_apdu(const char *dir, const uint8_t *apdu, size_t len);

/* Formats an APDU for a log line into out (always NUL-terminated), applying
 * the same redaction. Exposed for tests and for the emulator's APDU log. */
void jp_log_format_apdu(char *out, size_t outlen, const uint8_t *apdu, size_t len, int is_command);

#define JP_ERROR(...) jp_log(JP_LOG_ERROR, __VA_ARGS__)
#define JP_WARN(...)  jp_log(JP_LOG_WARN, __VA_ARGS__)
#define JP_INFO(...)  jp_log(JP_LOG_INFO, __VA_ARGS__)
#define JP_DEBUG(...) jp_log(JP_LOG_DEBUG, __VA_ARGS__)
#define JP_TRACE(...) jp_log(JP_LOG_TRACE, __VA_ARGS__)

#endif
