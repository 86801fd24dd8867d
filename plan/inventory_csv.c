/*
 * The CSV inventory reader: the JSON field names as columns (lists
 * separated by ';'), or an Active Directory export recognised by its
 * header.  Every cell is text, so each field is parsed here before it goes
 * through the shared helpers of inventory.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/plan.h"
#include "plan/inventory_int.h"

#define CSV_MAX_FIELDS	64

static char **
split_list(const char *s, size_t *n)
{
	char **v = NULL, *copy = xstrdup(s), *p = copy, *e, *t;

	*n = 0;
	for (;;) {
		e = strchr(p, ';');
		if (e)
			*e = '\0';
		t = str_trim(p);
		if (*t) {
			v = xreallocarray(v, *n + 2, sizeof(*v));
			v[(*n)++] = xstrdup(t);
			v[*n] = NULL;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	free(copy);
	return v;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "1", "enabled", "on" };
	static const char *const no[] = { "false", "no", "0", "disabled", "off" };
	size_t i;

	for (i = 0; i < 5; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
set_csv_list(const struct ird *r, struct plan_inv_host *h, const char *field,
    const char *v)
{
	char **items, *eq;
	size_t n, i;
	int rc = 0;

	/* "-": collected, none (an empty cell is "not collected") */
	items = strcmp(v, "-") == 0 ? NULL : split_list(v, &n);
	if (items == NULL)
		n = 0;
	inv_list_given(h, field);
	if (strcmp(field, "files") == 0)
		h->has_files = 1;
	else if (strcmp(field, "registry") == 0)
		h->has_registry = 1;
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = inv_add_item(r, h, field, items[i])) != 1)
			continue;
		rc = 0;
		if ((eq = strrchr(items[i], '=')) == NULL) {
			rc = inv_fail(r, field, "'%s' is not NAME=VALUE", items[i]);
			continue;
		}
		*eq++ = '\0';
		if (strcmp(field, "files") == 0)
			rc = inv_add_file(r, h, str_trim(items[i]), str_trim(eq));
		else
			rc = inv_add_reg_text(r, h, str_trim(items[i]), str_trim(eq));
	}
	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
	return rc;
}

/* A CSV cell: every field as text. */
static int
set_csv_field(const struct ird *r, struct plan_inv_host *h, const char *field,
    const char *v)
{
	int rc;

	if (*v == '\0')
		return 0;		/* an empty cell: the fact is absent */
	if ((rc = inv_set_str(r, h, field, v)) != 1)
		return rc;
	if (strcmp(field, "port") == 0)
		return parse_int(v, 1, 65535, &h->port) == -1 ?
		    inv_fail(r, field, "'%s' is not a port 1-65535", v) : 0;
	if (strcmp(field, "wave") == 0)
		return parse_int(v, 1, 1000000, &h->wave) == -1 ?
		    inv_fail(r, field, "'%s' is not a wave number 1-1000000", v) : 0;
	if (strcmp(field, "wfp_callout_drivers") == 0)
		return parse_int(v, 0, 1000, &h->wfp_drivers) == -1 ?
		    inv_fail(r, field, "'%s' is not a count 0-1000", v) : 0;
	if (strcmp(field, "multicast_forwarding") == 0)
		return parse_bool(v, &h->multicast) == -1 ?
		    inv_fail(r, field, "'%s' is not true or false", v) : 0;
	if (strcmp(field, "pending_reboot") == 0)
		return parse_bool(v, &h->pending_reboot) == -1 ?
		    inv_fail(r, field, "'%s' is not true or false", v) : 0;
	if (strcmp(field, "shared_address") == 0)
		return parse_bool(v, &h->shared_address) == -1 ?
		    inv_fail(r, field, "'%s' is not true or false", v) : 0;
	if (inv_is_list(field) || strcmp(field, "files") == 0 ||
	    strcmp(field, "registry") == 0)
		return set_csv_list(r, h, field, v);
	return 0;			/* unknown fields are ignored */
}

/* CSV (RFC 4180: quotes, "" escapes, CRLF or LF, newlines in quotes). */

struct csv {
	const char	*p, *end;
	int		 line;		/* line of the next byte */
	int		 rec_line;	/* first line of the last record */
	char		*f[CSV_MAX_FIELDS];
	int		 nf;
	struct buf	 cell;
};

static void
csv_clear(struct csv *c)
{
	while (c->nf > 0)
		free(c->f[--c->nf]);
}

static int
csv_quoted(struct csv *c, const char *name)
{
	for (c->p++;; c->p++) {
		if (c->p >= c->end) {
			err_set("%s: line %d: unterminated quoted field",
			    name, c->rec_line);
			return -1;
		}
		if (*c->p == '"') {
			if (c->p + 1 < c->end && c->p[1] == '"') {
				buf_addc(&c->cell, '"');
				c->p++;
				continue;
			}
			c->p++;
			break;
		}
		if (*c->p == '\n')
			c->line++;
		buf_addc(&c->cell, *c->p);
	}
	if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
		err_set("%s: line %d: text after a closing quote", name, c->line);
		return -1;
	}
	return 0;
}

/* The next record into c->f; 1 at the end of the input. */
static int
csv_record(struct csv *c, const char *name)
{
	csv_clear(c);
	if (c->p >= c->end)
		return 1;
	c->rec_line = c->line;
	for (;;) {
		buf_reset(&c->cell);
		buf_add(&c->cell, "", 0);
		if (c->p < c->end && *c->p == '"') {
			if (csv_quoted(c, name) == -1)
				return -1;
		} else {
			const char *s = c->p;

			while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
			    *c->p != '\r' && *c->p != '"')
				c->p++;
			if (c->p < c->end && *c->p == '"') {
				err_set("%s: line %d: a quote inside an "
				    "unquoted field", name, c->line);
				return -1;
			}
			buf_add(&c->cell, s, (size_t)(c->p - s));
		}
		if (c->nf == CSV_MAX_FIELDS || c->cell.failed) {
			err_set("%s: line %d: more than %d fields or a field "
			    "too long", name, c->rec_line, CSV_MAX_FIELDS);
			return -1;
		}
		c->f[c->nf++] = xstrdup(buf_str(&c->cell));
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '\r')
			c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
		c->line++;
		return 0;
	}
}

static int
csv_blank(const struct csv *c)
{
	return c->nf == 1 && c->f[0][0] == '\0';
}

/* Active Directory export columns and the inventory fields they fill. */
static const char *
ad_field(const char *col)
{
	static const char *const map[][2] = {
		{ "name", "name" }, { "dnshostname", "address" },
		{ "operatingsystem", "os" },
		{ "operatingsystemversion", "version" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(col, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static int
csv_header(struct csv *c, const char *name, char **cols, int *ad)
{
	int i, has_name = 0;

	*ad = 0;
	for (i = 0; i < c->nf; i++)
		if (strcasecmp(str_trim(c->f[i]), "operatingsystem") == 0)
			*ad = 1;
	for (i = 0; i < c->nf; i++) {
		const char *f = *ad ? ad_field(str_trim(c->f[i])) :
		    str_trim(c->f[i]);

		cols[i] = f ? xstrdup(f) : NULL;
		if (f && strcmp(f, "name") == 0)
			has_name = 1;
	}
	if (!has_name) {
		err_set("%s: line %d: the header has no 'name' column", name,
		    c->rec_line);
		return -1;
	}
	return 0;
}

static int
csv_host(struct csv *c, struct ird *r, char **cols, int ncols,
    struct plan_inv_host *h)
{
	int i;

	if (c->nf != ncols) {
		err_set("%s: line %d: %d fields, the header has %d", r->name,
		    c->rec_line, c->nf, ncols);
		return -1;
	}
	for (i = 0; i < ncols; i++)
		if (cols[i] && strcmp(cols[i], "name") == 0 && h->name == NULL)
			h->name = inv_adup(r, str_trim(c->f[i]));
	h->line = c->rec_line;
	snprintf(r->where, sizeof(r->where), "line %d: ", c->rec_line);
	if (!plan_valid_hostname(h->name))
		return inv_fail(r, "name", "'%s' is not 1-63 of [A-Za-z0-9._-]",
		    h->name);
	snprintf(r->where, sizeof(r->where), "line %d (%s): ", c->rec_line,
	    h->name);
	for (i = 0; i < ncols; i++)
		if (cols[i] && strcmp(cols[i], "name") != 0 &&
		    set_csv_field(r, h, cols[i], str_trim(c->f[i])) == -1)
			return -1;
	return inv_host_finish(r, h);
}

/* Inventories are UTF-8, CSV as JSON: other bytes would reach the plan,
 * its reports and the inventory discover writes. */
static int
csv_utf8(const char *name, const char *buf, size_t len)
{
	size_t i = 0, n;
	int line = 1;

	while (i < len) {
		if ((n = utf8_char_len(buf + i, len - i)) == 0) {
			err_set("%s: line %d: not UTF-8 (export it again with "
			    "Export-Csv -Encoding UTF8)", name, line);
			return -1;
		}
		line += buf[i] == '\n';
		i += n;
	}
	return 0;
}

int
inv_parse_csv(struct plan_inventory *inv, const char *buf, size_t len,
    unsigned flags)
{
	struct csv c = { .p = buf, .end = buf + len, .line = 1 };
	struct ird r = { .name = inv->name, .arena = inv->arena };
	char *cols[CSV_MAX_FIELDS] = { 0 };
	size_t cap = 0;
	int i, ncols = 0, ad, rc = -1, st;

	buf_init(&c.cell, 65536);
	if (csv_utf8(inv->name, buf, len) == -1)
		goto out;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	/* PowerShell's Export-Csv writes "#TYPE ..." first */
	while ((st = csv_record(&c, inv->name)) == 0 &&
	    (csv_blank(&c) || (c.f[0][0] == '#' && c.rec_line == 1)))
		;
	if (st != 0) {
		if (st == 1)
			err_set("%s: empty inventory (no header line)", inv->name);
		goto out;
	}
	ncols = c.nf;
	if (csv_header(&c, inv->name, cols, &ad) == -1)
		goto out;
	while ((st = csv_record(&c, inv->name)) == 0) {
		if (csv_blank(&c))
			continue;
		if (inv->nhosts == cap) {
			cap = cap ? cap * 2 : 64;
			inv->hosts = xreallocarray(inv->hosts, cap,
			    sizeof(*inv->hosts));
		}
		inv_host_init(&inv->hosts[inv->nhosts]);
		inv->nhosts++;
		if (csv_host(&c, &r, cols, ncols,
		    &inv->hosts[inv->nhosts - 1]) == -1 &&
		    inv_skip(inv, &inv->hosts[inv->nhosts - 1], flags) == -1)
			goto out;
	}
	if (st == -1)
		goto out;
	rc = inv_check_duplicates(inv, 1, flags);
out:
	csv_clear(&c);
	buf_release(&c.cell);
	for (i = 0; i < ncols; i++)
		free(cols[i]);
	return rc;
}
