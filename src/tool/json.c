/* JSON string output (RFC 8259 §7): quotes, backslashes and control
 * characters escaped; UTF-8 passes through (reader names may hold any
 * byte the PC/SC driver chose). */
#include "config.h"

#include "tool.h"

void jp_json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7F)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}
