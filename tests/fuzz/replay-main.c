/* Runs LLVMFuzzerTestOneInput over files and directories of files (a
 * corpus), without libFuzzer, so `make check` replays every corpus in every
 * build. Usage: replay-<target> PATH...   Exit 0 when every input ran; the
 * count goes to stdout as "replayed N inputs". A crash is a crash. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Inputs larger than this are not corpus material. */
#define REPLAY_MAX (1024 * 1024)

static int replay_file(const char *path, unsigned long *count)
{
	int rc = -1;
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		goto out;
	}
	buf = malloc(REPLAY_MAX);
	if (buf == NULL)
		goto out;
	n = fread(buf, 1, REPLAY_MAX, f);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		goto out;
	}
	/* An exact-size copy, so ASan catches a read one byte past the end. */
	{
		uint8_t *exact = malloc(n > 0 ? n : 1);
		if (exact == NULL)
			goto out;
		memcpy(exact, buf, n);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	(*count)++;
	rc = 0;
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int replay_path(const char *path, unsigned long *count)
{
	int rc = 0;
	struct stat st;
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL, *full;
	size_t n = 0, cap = 0, i;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		rc = -1;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = replay_file(path, count);
		goto out;
	}
	d = opendir(path);
	if (d == NULL) {
		rc = -1;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **tmp = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));
			if (tmp == NULL) {
				rc = -1;
				goto out;
			}
			names = tmp;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			rc = -1;
			goto out;
		}
		n++;
	}
	/* A stable order makes a failure reproducible from the log. */
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && rc == 0; i++) {
		full = malloc(strlen(path) + strlen(names[i]) + 2);
		if (full == NULL) {
			rc = -1;
			break;
		}
		sprintf(full, "%s/%s", path, names[i]);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
			rc = replay_file(full, count);
		free(full);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc && rc == 0; i++)
		rc = replay_path(argv[i], &count);
	printf("replayed %lu inputs\n", count);
	return rc == 0 ? 0 : 1;
}
