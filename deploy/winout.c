/*
 * The few facts the engine reads from Windows command output (FACTS.md
 * section 4).  wmic may answer in UTF-16LE with a BOM; lines end in CRLF
 * or CR CR LF.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

/* ASCII copy: UTF-16LE (BOM or NULs) narrowed, CRs dropped. */
char *
wo_text(const char *out, size_t len)
{
	char *s = xmalloc(len + 1), *p = s;
	size_t i = 0;

	if (len >= 2 && (unsigned char)out[0] == 0xff &&
	    (unsigned char)out[1] == 0xfe)
		i = 2;
	for (; i < len; i++)
		if (out[i] != '\0' && out[i] != '\r')
			*p++ = out[i];
	*p = '\0';
	return s;
}

/* Next line of s into [*b, *e); returns NULL at the end. */
static const char *
next_line(const char *s, const char **b, const char **e)
{
	const char *nl;

	if (*s == '\0')
		return NULL;
	nl = strchr(s, '\n');
	*b = s;
	*e = nl ? nl : s + strlen(s);
	return nl ? nl + 1 : *e;
}

static char *
trimmed(const char *b, const char *e)
{
	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	return xstrndup(b, (size_t)(e - b));
}

/* "Name=value" lines of wmic /value. */
int
wo_value(const char *out, const char *name, char **val)
{
	const char *s = out, *b, *e;
	size_t n = strlen(name);

	while ((s = next_line(s, &b, &e)) != NULL) {
		while (b < e && isspace((unsigned char)*b))
			b++;
		if ((size_t)(e - b) > n && strncasecmp(b, name, n) == 0 &&
		    b[n] == '=') {
			*val = trimmed(b + n + 1, e);
			return 0;
		}
	}
	err_set("no '%s=' line in the output", name);
	return -1;
}

/* "    NAME    REG_TYPE    DATA" (reg query; fields split by 4 spaces). */
int
wo_reg_value(const char *out, const char *name, char **type, char **data)
{
	const char *s = out, *b, *e, *t, *d;
	size_t n = strlen(name);

	while ((s = next_line(s, &b, &e)) != NULL) {
		while (b < e && *b == ' ')
			b++;
		if ((size_t)(e - b) < n + 4 || strncasecmp(b, name, n) != 0 ||
		    strncmp(b + n, "    ", 4) != 0)
			continue;
		t = b + n;
		while (t < e && *t == ' ')
			t++;
		if (strncmp(t, "REG_", 4) != 0)
			continue;
		d = t;
		while (d < e && *d != ' ')
			d++;
		*type = xstrndup(t, (size_t)(d - t));
		while (d < e && *d == ' ')
			d++;
		*data = xstrndup(d, (size_t)(e - d));
		while (**data && isspace((unsigned char)(*data)[strlen(*data) - 1]))
			(*data)[strlen(*data) - 1] = '\0';
		return 0;
	}
	err_set("value %s not in the reg query output", name);
	return -1;
}

static int
field(const char *b, const char *e, const char *label, char **val)
{
	size_t n = strlen(label);
	const char *c;

	while (b < e && isspace((unsigned char)*b))
		b++;
	if ((size_t)(e - b) < n || strncasecmp(b, label, n) != 0)
		return 0;
	c = memchr(b, ':', (size_t)(e - b));
	if (c == NULL)
		return 0;
	*val = trimmed(c + 1, e);
	return 1;
}

/*
 * dism /get-packages: "Package Identity : X" then "State : Y".  match() is
 * applied to each identity.
 */
static int
dism_find(const char *out, int (*match)(const char *, const void *),
    const void *arg, char **identity, char **state)
{
	const char *s = out, *b, *e;
	char *id = NULL, *v;

	while ((s = next_line(s, &b, &e)) != NULL) {
		if (field(b, e, "Package Identity", &v)) {
			free(id);
			id = v;
		} else if (id != NULL && field(b, e, "State", &v)) {
			if (match(id, arg)) {
				*identity = id;
				*state = v;
				return 0;
			}
			free(v);
			free(id);
			id = NULL;
		}
	}
	free(id);
	return -1;
}

static int
match_kb(const char *id, const void *arg)
{
	const char *kb = arg, *p;
	size_t n = strlen(kb);

	/* Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1 */
	for (p = id; (p = strcasestr(p, kb)) != NULL; p += n)
		if (!isdigit((unsigned char)p[n]))
			return 1;
	return 0;
}

static int
match_id(const char *id, const void *arg)
{
	return strcasecmp(id, (const char *)arg) == 0;
}

int
wo_dism_package(const char *out, const char *kb, char **identity,
    char **state)
{
	if (dism_find(out, match_kb, kb, identity, state) == 0)
		return 0;
	err_set("%s not in dism /get-packages", kb);
	return -1;
}

int
wo_dism_state_of(const char *out, const char *identity, char **state)
{
	char *id;

	if (dism_find(out, match_id, identity, &id, state) == 0) {
		free(id);
		return 0;
	}
	err_set("%s not in dism /get-packages", identity);
	return -1;
}

/* netsh interface ipv4 show global: "Multicast Forwarding   : enabled" */
int
wo_multicast(const char *out, int *enabled)
{
	const char *s = out, *b, *e;
	char *v;

	while ((s = next_line(s, &b, &e)) != NULL) {
		if (!field(b, e, "Multicast Forwarding", &v))
			continue;
		*enabled = strcasecmp(v, "enabled") == 0 ? 1 :
		    strcasecmp(v, "disabled") == 0 ? 0 : -1;
		free(v);
		if (*enabled == -1)
			break;
		return 0;
	}
	err_set("no 'Multicast Forwarding' line in netsh show global");
	return -1;
}

/* Dotted versions compared field by field: <0, 0, >0. */
int
wo_version_cmp(const char *a, const char *b)
{
	unsigned long x, y;
	char *ea, *eb;

	for (;;) {
		x = strtoul(a, &ea, 10);
		y = strtoul(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		if (*ea != '.' || *eb != '.')
			return (*ea == '.') - (*eb == '.');
		a = ea + 1;
		b = eb + 1;
	}
}
