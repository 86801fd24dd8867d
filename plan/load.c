/*
 * Data files of the planner (advisories, supersedence data): the ones
 * embedded at build time and the *.json files of a directory (--advisories
 * DIR, --supersede DIR), each handed to the reader's add function.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "plan/engine.h"

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files of dir (not dot files), sorted by name. */
static int
list_json(const char *dir, char ***out, size_t *n)
{
	DIR *d;
	struct dirent *de;

	*out = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		err_setx_errno("%s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !str_endswith(de->d_name, ".json"))
			continue;
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_names);
	return 0;
}

int
plan_load_dir(const char *dir, size_t max, const char *what,
    plan_load_fn *add, void *ctx)
{
	struct buf b;
	char **files;
	size_t n, i;
	int rc = -1, added;

	if (list_json(dir, &files, &n) == -1)
		return -1;
	if (n == 0) {
		err_set("%s: no *.json %s files", dir, what);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (file_read(files[i], max, &b) == -1)
			goto out;
		added = add(ctx, files[i], b.data, b.len);
		buf_release(&b);
		if (added == -1)
			goto out;
	}
	rc = 0;
out:
	strv_free(files, n);
	return rc;
}

int
plan_load_embedded(const struct plan_embedded *v, size_t n, const char *what,
    plan_load_fn *add, void *ctx)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (add(ctx, v[i].name, v[i].data, v[i].len) == -1) {
			err_prefix("built-in %s ", what);
			return -1;
		}
	return 0;
}
