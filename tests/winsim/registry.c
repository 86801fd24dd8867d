/*
 * The simulated registry, STATE/registry: one entry a line,
 *   K<TAB>KEY                          the key exists (and its parents)
 *   V<TAB>KEY<TAB>NAME<TAB>TYPE<TAB>DATA   a value
 * KEY is the full path with the root spelled out (HKEY_LOCAL_MACHINE\...),
 * NAME is empty for the default value, DATA is what reg query prints
 * (REG_DWORD 0x1, REG_MULTI_SZ a\0b, REG_BINARY 01AB).  Key and value names
 * compare case-insensitively and keep the case they were created with.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/winsim/winsim.h"

static const struct {
	const char	*abbr;
	const char	*full;
} roots[] = {
	{"HKLM", "HKEY_LOCAL_MACHINE"},
	{"HKCU", "HKEY_CURRENT_USER"},
	{"HKCR", "HKEY_CLASSES_ROOT"},
	{"HKU", "HKEY_USERS"},
	{"HKCC", "HKEY_CURRENT_CONFIG"},
};

/*
 * "HKLM\Software\x\" -> "HKEY_LOCAL_MACHINE\Software\x"; *ok is 0 when the
 * root is not one reg.exe knows (or the name is remote, \\host\...).
 */
char *
registry_root(const char *path, int *ok)
{
	const char *rest = strchr(path, '\\');
	size_t rootlen = rest ? (size_t)(rest - path) : strlen(path), i, n;
	char *s;

	*ok = 0;
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if ((strlen(roots[i].abbr) == rootlen &&
		    strncasecmp(path, roots[i].abbr, rootlen) == 0) ||
		    (strlen(roots[i].full) == rootlen &&
		    strncasecmp(path, roots[i].full, rootlen) == 0))
			break;
	}
	if (i == sizeof(roots) / sizeof(roots[0]))
		return NULL;
	s = xasprintf("%s%s", roots[i].full, rest ? rest : "");
	n = strlen(s);
	while (n > 0 && s[n - 1] == '\\')
		s[--n] = '\0';
	if (strstr(s, "\\\\") != NULL) {
		free(s);
		return NULL;
	}
	*ok = 1;
	return s;
}

static struct regkey *
find_key(const struct registry *r, const char *path)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (strcasecmp(r->keys[i].path, path) == 0)
			return &r->keys[i];
	return NULL;
}

/* Exists when stored, or when a stored key lies below it. */
int
registry_exists(const struct registry *r, const char *path)
{
	size_t i, n = strlen(path);

	if (strchr(path, '\\') == NULL)
		return 1;
	for (i = 0; i < r->nkeys; i++) {
		const char *k = r->keys[i].path;

		if (strncasecmp(k, path, n) == 0 &&
		    (k[n] == '\0' || k[n] == '\\'))
			return 1;
	}
	return 0;
}

struct regkey *
registry_key(struct registry *r, const char *path, int create)
{
	struct regkey *k = find_key(r, path);

	if (k != NULL || !create)
		return k;
	r->keys = xreallocarray(r->keys, r->nkeys + 1, sizeof(*r->keys));
	k = &r->keys[r->nkeys++];
	k->path = xstrdup(path);
	k->vals = NULL;
	k->nvals = 0;
	return k;
}

struct regval *
registry_value(struct regkey *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->nvals; i++)
		if (strcasecmp(k->vals[i].name, name) == 0)
			return &k->vals[i];
	return NULL;
}

void
registry_set(struct regkey *k, const char *name, const char *type,
    const char *data)
{
	struct regval *v = registry_value(k, name);

	if (v == NULL) {
		k->vals = xreallocarray(k->vals, k->nvals + 1,
		    sizeof(*k->vals));
		v = &k->vals[k->nvals++];
		v->name = xstrdup(name);
	} else {
		free(v->type);
		free(v->data);
	}
	v->type = xstrdup(type);
	v->data = xstrdup(data);
}

static void
value_free(struct regval *v)
{
	free(v->name);
	free(v->type);
	free(v->data);
}

int
registry_delete_value(struct regkey *k, const char *name)
{
	struct regval *v = registry_value(k, name);
	size_t i;

	if (v == NULL)
		return -1;
	i = (size_t)(v - k->vals);
	value_free(v);
	memmove(&k->vals[i], &k->vals[i + 1],
	    (k->nvals - i - 1) * sizeof(*k->vals));
	k->nvals--;
	return 0;
}

static void
key_free(struct regkey *k)
{
	size_t i;

	for (i = 0; i < k->nvals; i++)
		value_free(&k->vals[i]);
	free(k->vals);
	free(k->path);
}

/* Deletes the key and everything below it; -1 if nothing was there. */
int
registry_delete_key(struct registry *r, const char *path)
{
	size_t i = 0, n = strlen(path);
	int found = 0;

	while (i < r->nkeys) {
		const char *k = r->keys[i].path;

		if (strncasecmp(k, path, n) == 0 &&
		    (k[n] == '\0' || k[n] == '\\')) {
			key_free(&r->keys[i]);
			memmove(&r->keys[i], &r->keys[i + 1],
			    (r->nkeys - i - 1) * sizeof(*r->keys));
			r->nkeys--;
			found = 1;
			continue;
		}
		i++;
	}
	return found ? 0 : -1;
}

void
registry_free(struct registry *r)
{
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		key_free(&r->keys[i]);
	free(r->keys);
	r->keys = NULL;
	r->nkeys = 0;
}

static void
load_line(struct registry *r, char *line)
{
	char *f[5];
	int n = 1;

	f[0] = line;
	while (n < 5 && (f[n] = strchr(f[n - 1], '\t')) != NULL)
		*f[n++]++ = '\0';
	if (n >= 2 && strcmp(f[0], "K") == 0)
		registry_key(r, f[1], 1);
	else if (n == 5 && strcmp(f[0], "V") == 0)
		registry_set(registry_key(r, f[1], 1), f[2], f[3], f[4]);
}

int
registry_load(struct host *h, struct registry *r)
{
	return registry_read(h, "registry", r);
}

int
registry_read(struct host *h, const char *name, struct registry *r)
{
	char *line, *next;
	struct buf b;

	memset(r, 0, sizeof(*r));
	if (state_read(h, name, &b) == -1)
		return -1;
	for (line = b.data; line != NULL && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		load_line(r, line);
	}
	buf_release(&b);
	return 0;
}

int
registry_save(struct host *h, const struct registry *r)
{
	struct buf b;
	size_t i, j;
	int rc;

	buf_init(&b, (size_t)64 << 20);
	for (i = 0; i < r->nkeys; i++) {
		const struct regkey *k = &r->keys[i];

		if (k->nvals == 0)
			buf_addf(&b, "K\t%s\n", k->path);
		for (j = 0; j < k->nvals; j++)
			buf_addf(&b, "V\t%s\t%s\t%s\t%s\n", k->path,
			    k->vals[j].name, k->vals[j].type, k->vals[j].data);
	}
	rc = state_write(h, "registry", buf_str(&b), b.len);
	buf_release(&b);
	return rc;
}
