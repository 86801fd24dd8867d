/*
 * reg query|add|delete as reg.exe answers them (FACTS.md section 4):
 * output on stdout with CRLF, "ERROR: ..." on stderr, exit 0 or 1.
 * Without /f, reg add and reg delete would wait at a Yes/No prompt for
 * ever; winsim fails loudly instead so a missing /f is caught in tests.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/winsim/winsim.h"

#define NOT_FOUND "ERROR: The system was unable to find the specified " \
	"registry key or value.\r\n"

struct regargs {
	const char	*op;		/* QUERY, ADD, DELETE */
	char		*key;		/* root expanded */
	const char	*name;		/* /v NAME, "" for /ve, NULL for none */
	const char	*type;
	const char	*data;
	const char	*sep;
	int		 force, recurse, all;
};

static uint32_t
syntax(struct host *h, const char *op)
{
	err_printf(h, "ERROR: Invalid syntax.\r\nType \"REG %s /?\" for "
	    "usage.\r\n", op);
	return WS_FAIL;
}

static int
parse_opt(struct regargs *a, int argc, char **argv, int *i)
{
	const char *o = argv[*i];
	int more = *i + 1 < argc;

	if (arg_is(o, "/f"))
		a->force = 1;
	else if (arg_is(o, "/s") && strcmp(a->op, "QUERY") == 0)
		a->recurse = 1;
	else if (arg_is(o, "/ve"))
		a->name = "";
	else if (arg_is(o, "/va"))
		a->all = 1;
	else if (!more)
		return -1;
	else if (arg_is(o, "/v"))
		a->name = argv[++*i];
	else if (arg_is(o, "/t"))
		a->type = argv[++*i];
	else if (arg_is(o, "/d"))
		a->data = argv[++*i];
	else if (arg_is(o, "/s"))
		a->sep = argv[++*i];
	else
		return -1;
	return 0;
}

/* 0 ok, 1 syntax error (printed), 2 bad key name (printed). */
static int
parse_args(struct host *h, struct regargs *a, int argc, char **argv)
{
	int i, ok;

	if (argc < 3) {
		syntax(h, a->op);
		return 1;
	}
	for (i = 3; i < argc; i++) {
		if (parse_opt(a, argc, argv, &i) == -1) {
			syntax(h, a->op);
			return 1;
		}
	}
	a->key = registry_root(argv[2], &ok);
	if (!ok) {
		err_printf(h, "ERROR: Invalid key name.\r\nType \"REG %s /?\" "
		    "for usage.\r\n", a->op);
		return 2;
	}
	return 0;
}

static void
print_value(struct host *h, const struct regval *v)
{
	out_printf(h, "    %s    %s    %s\r\n", *v->name ? v->name :
	    "(Default)", v->type, v->data);
}

/* Compare key paths component by component, case-insensitively. */
static int
keycmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	for (; *x && *y; x++, y++) {
		int cx = *x == '\\' ? 1 : tolower((unsigned char)*x);
		int cy = *y == '\\' ? 1 : tolower((unsigned char)*y);

		if (cx != cy)
			return cx - cy;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

static int
has_path(char **v, size_t n, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(v[i]) == len && strncasecmp(v[i], p, len) == 0)
			return 1;
	return 0;
}

/* Every key at or below base, implied parents included, sorted. */
static char **
keys_below(const struct registry *r, const char *base, size_t *np)
{
	size_t i, n = 0, blen = strlen(base);
	char **v = NULL;

	v = xreallocarray(v, 1, sizeof(char *));
	v[n++] = xstrdup(base);
	for (i = 0; i < r->nkeys; i++) {
		const char *k = r->keys[i].path, *p;

		if (strncasecmp(k, base, blen) != 0 || k[blen] != '\\')
			continue;
		for (p = k + blen + 1;; p++) {
			if (*p != '\\' && *p != '\0')
				continue;
			if (!has_path(v, n, k, (size_t)(p - k))) {
				v = xreallocarray(v, n + 1, sizeof(char *));
				v[n] = xstrndup(k, (size_t)(p - k));
				memcpy(v[n], base, blen);
				n++;
			}
			if (*p == '\0')
				break;
		}
	}
	qsort(v, n, sizeof(char *), keycmp);
	*np = n;
	return v;
}

static void
free_keys(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/*
 * One key as reg.exe prints it: its path, its values, a blank line.  The
 * key queried itself is left out when it has no values ("always" is 0);
 * its subkeys under /s are not (Wine's tests of reg.exe, run on Windows).
 */
static size_t
print_key(struct host *h, struct registry *r, const char *path,
    const char *name, int always)
{
	struct regkey *k = registry_key(r, path, 0);
	struct regval *v;
	size_t i, found = 0;

	if (name != NULL) {
		v = k ? registry_value(k, name) : NULL;
		if (v == NULL)
			return 0;
		out_printf(h, "%s\r\n", path);
		print_value(h, v);
		out_printf(h, "\r\n");
		return 1;
	}
	if (!always && (k == NULL || k->nvals == 0))
		return 0;
	out_printf(h, "%s\r\n", path);
	for (i = 0; k != NULL && i < k->nvals; i++, found++)
		print_value(h, &k->vals[i]);
	out_printf(h, "\r\n");
	return found;
}

static uint32_t
query_one(struct host *h, struct registry *r, const struct regargs *a)
{
	struct regkey *k = registry_key(r, a->key, 0);
	struct regval *v = NULL;
	size_t i, n, blen = strlen(a->key);
	char **sub;

	if (a->name != NULL) {
		if (k != NULL)
			v = registry_value(k, a->name);
		if (v == NULL && *a->name != '\0') {
			err_printf(h, NOT_FOUND);
			return WS_FAIL;
		}
		out_printf(h, "\r\n%s\r\n", a->key);
		if (v != NULL)
			print_value(h, v);
		else
			out_printf(h, "    (Default)    REG_SZ    "
			    "(value not set)\r\n");
		out_printf(h, "\r\n");
		return WS_OK;
	}
	out_printf(h, "\r\n");
	print_key(h, r, a->key, NULL, 0);
	sub = keys_below(r, a->key, &n);
	for (i = 1; i < n; i++)
		if (strchr(sub[i] + blen + 1, '\\') == NULL)
			out_printf(h, "%s\r\n", sub[i]);
	free_keys(sub, n);
	return WS_OK;
}

static uint32_t
query_recursive(struct host *h, struct registry *r, const struct regargs *a)
{
	size_t i, n, found = 0;
	char **all = keys_below(r, a->key, &n);

	out_printf(h, "\r\n");
	for (i = 0; i < n; i++)
		found += print_key(h, r, all[i], a->name, i > 0);
	free_keys(all, n);
	if (a->name == NULL)
		return WS_OK;
	out_printf(h, "End of search: %zu match(es) found.\r\n", found);
	return found > 0 ? WS_OK : WS_FAIL;
}

static uint32_t
reg_query(struct host *h, struct registry *r, const struct regargs *a)
{
	if (!registry_exists(r, a->key)) {
		err_printf(h, NOT_FOUND);
		return WS_FAIL;
	}
	return a->recurse ? query_recursive(h, r, a) : query_one(h, r, a);
}

/* Hex digits of even count -> upper case; DWORD/QWORD -> 0x%x. */
static int
data_number(const char *d, uint64_t max, char **out)
{
	uint64_t v = 0;
	const char *p = d;

	if (*d == '\0')
		p = "0";
	if (strncasecmp(p, "0x", 2) == 0) {
		for (p += 2; *p; p++) {
			if (!isxdigit((unsigned char)*p) || v > max >> 4)
				return -1;
			v = v * 16 + (uint64_t)(isdigit((unsigned char)*p) ?
			    *p - '0' : tolower((unsigned char)*p) - 'a' + 10);
		}
		if (p == d + 2)
			return -1;
	} else if (parse_u64(p, max, &v) == -1) {
		return -1;
	}
	*out = xasprintf("0x%" PRIx64, v);
	return 0;
}

static int
data_binary(const char *d, char **out)
{
	size_t i, n = strlen(d);

	if (n % 2 != 0)
		return -1;
	*out = xstrdup(d);
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)d[i])) {
			free(*out);
			return -1;
		}
		(*out)[i] = (char)toupper((unsigned char)d[i]);
	}
	return 0;
}

/* reg add /s SEP for REG_MULTI_SZ: stored with \0 as reg query shows. */
static char *
data_multi(const char *d, const char *sep)
{
	struct buf b;
	size_t sl = strlen(sep);
	const char *p;

	if (strcmp(sep, "\\0") == 0 || sl == 0)
		return xstrdup(d);
	buf_init(&b, 1 << 20);
	buf_add(&b, "", 0);
	for (p = d; *p;) {
		if (strncmp(p, sep, sl) == 0) {
			buf_adds(&b, "\\0");
			p += sl;
		} else {
			buf_addc(&b, *p++);
		}
	}
	return buf_detach(&b, NULL);
}

static int
data_convert(const struct regargs *a, const char *type, char **out)
{
	const char *d = a->data ? a->data : "";

	if (strchr(d, '\t') != NULL)
		return -1;
	if (strcmp(type, "REG_DWORD") == 0 ||
	    strcmp(type, "REG_DWORD_BIG_ENDIAN") == 0)
		return data_number(d, UINT32_MAX, out);
	if (strcmp(type, "REG_QWORD") == 0)
		return data_number(d, UINT64_MAX, out);
	if (strcmp(type, "REG_BINARY") == 0 || strcmp(type, "REG_NONE") == 0)
		return data_binary(d, out);
	if (strcmp(type, "REG_MULTI_SZ") == 0) {
		*out = data_multi(d, a->sep ? a->sep : "\\0");
		return 0;
	}
	if (strcmp(type, "REG_SZ") == 0 || strcmp(type, "REG_EXPAND_SZ") == 0) {
		*out = xstrdup(d);
		return 0;
	}
	return -1;
}

static uint32_t
refuse_prompt(struct host *h, const char *prompt)
{
	err_printf(h, "ERROR: winsim: without /f reg.exe would wait at the "
	    "prompt \"%s\" for ever; pass /f.\r\n", prompt);
	return WS_FAIL;
}

static uint32_t
reg_add(struct host *h, struct registry *r, const struct regargs *a)
{
	char type[32], *data = NULL, *prompt;
	struct regkey *k;
	size_t i;

	snprintf(type, sizeof(type), "%s", a->type ? a->type : "REG_SZ");
	for (i = 0; type[i]; i++)
		type[i] = (char)toupper((unsigned char)type[i]);
	if (strchr(a->key, '\\') == NULL || a->all || a->recurse ||
	    (a->name != NULL && data_convert(a, type, &data) == -1))
		return syntax(h, "ADD");
	if (!a->force) {
		prompt = xasprintf("Value %s exists, overwrite(Yes/No)?",
		    a->name && *a->name ? a->name : "(Default)");
		refuse_prompt(h, prompt);
		free(prompt);
		free(data);
		return WS_FAIL;
	}
	k = registry_key(r, a->key, 1);
	if (a->name != NULL)
		registry_set(k, a->name, type, data);
	free(data);
	if (registry_save(h, r) == -1) {
		err_printf(h, "ERROR: %s\r\n", err_msg());
		return WS_FAIL;
	}
	out_printf(h, "The operation completed successfully.\r\n");
	return WS_OK;
}

static uint32_t
reg_delete(struct host *h, struct registry *r, const struct regargs *a)
{
	struct regkey *k = registry_key(r, a->key, 0);
	int rc;

	if (strchr(a->key, '\\') == NULL)
		return syntax(h, "DELETE");
	if (!a->force)
		return refuse_prompt(h, a->name ? "Delete the registry value "
		    "(Yes/No)?" : "Permanently delete the registry key (Yes/No)?");
	if (a->all) {
		rc = registry_exists(r, a->key) ? 0 : -1;
		while (k != NULL && k->nvals > 0)
			registry_delete_value(k, k->vals[0].name);
	} else if (a->name != NULL) {
		rc = k ? registry_delete_value(k, a->name) : -1;
	} else {
		rc = registry_delete_key(r, a->key);
	}
	if (rc == -1) {
		err_printf(h, NOT_FOUND);
		return WS_FAIL;
	}
	if (registry_save(h, r) == -1) {
		err_printf(h, "ERROR: %s\r\n", err_msg());
		return WS_FAIL;
	}
	out_printf(h, "The operation completed successfully.\r\n");
	return WS_OK;
}

uint32_t
cmd_reg(struct host *h, int argc, char **argv)
{
	struct regargs a;
	struct registry r;
	uint32_t rc;

	memset(&a, 0, sizeof(a));
	if (argc < 2)
		return syntax(h, "");
	if (strcasecmp(argv[1], "query") == 0)
		a.op = "QUERY";
	else if (strcasecmp(argv[1], "add") == 0)
		a.op = "ADD";
	else if (strcasecmp(argv[1], "delete") == 0)
		a.op = "DELETE";
	else
		return syntax(h, "");
	if (parse_args(h, &a, argc, argv) != 0) {
		free(a.key);
		return WS_FAIL;
	}
	if (registry_load(h, &r) == -1) {
		err_printf(h, "ERROR: %s\r\n", err_msg());
		free(a.key);
		return WS_FAIL;
	}
	if (strcmp(a.op, "QUERY") == 0)
		rc = reg_query(h, &r, &a);
	else if (strcmp(a.op, "ADD") == 0)
		rc = reg_add(h, &r, &a);
	else
		rc = reg_delete(h, &r, &a);
	registry_free(&r);
	free(a.key);
	return rc;
}
