/*
 * The JSON floor for tests/bench/plan.sh: parse a file with cJSON and print
 * it back, nothing else.  The planner does at least this much.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

int
main(int argc, char **argv)
{
	FILE *f;
	char *buf, *out;
	long n;
	cJSON *root;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) {
		fputs("usage: json_floor FILE.json\n", stderr);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		return 1;
	buf[n] = '\0';
	fclose(f);
	if ((root = cJSON_ParseWithLength(buf, (size_t)n)) == NULL)
		return 1;
	out = cJSON_Print(root);
	fwrite(out, 1, strlen(out), stdout);
	free(out);
	cJSON_Delete(root);
	free(buf);
	return 0;
}
