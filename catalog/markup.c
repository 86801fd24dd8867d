/*
 * HTML helpers for the Catalog page parsers: find an element by its id,
 * take its content and its text.  The Catalog's markup changed over the
 * years but its ids did not (FACTS.md section 2), so nothing here depends
 * on layout.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

/* How far back from an attribute its tag may start, and how long an
 * element may be: bounds that keep a hostile page's cost linear. */
#define HTML_TAG_MAX	4096
#define HTML_ELEMENT_MAX	(1 << 20)

const char *
catalog_html_strstr(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return p;
	while (p && (size_t)(end - p) >= n) {
		p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, n) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* Whether the attribute at a (just after id=) is exactly the id. */
static const char *
id_attr(const struct html *h, const char *id, char quote)
{
	char needle[256];
	const char *p = h->p;

	if (snprintf(needle, sizeof(needle), "id=%c%s%c", quote, id, quote) >=
	    (int)sizeof(needle))
		return NULL;
	while ((p = catalog_html_strstr(p, h->end, needle)) != NULL) {
		if (p > h->p && isspace((unsigned char)p[-1]))
			return p;
		p++;
	}
	return NULL;
}

/* The start tag holding the attribute at a, or NULL (a is in text). */
static const char *
tag_of(const struct html *h, const char *a)
{
	const char *p, *stop = a - h->p > HTML_TAG_MAX ? a - HTML_TAG_MAX : h->p;

	for (p = a; p > stop && *p != '<'; p--)
		if (*p == '>')
			return NULL;
	return *p == '<' ? p : NULL;
}

static const char *
find_id_scan(const struct html *h, const char *id)
{
	const char *a = id_attr(h, id, '"'), *b = id_attr(h, id, '\'');

	if (a == NULL || (b != NULL && b < a))
		a = b;
	return a == NULL ? NULL : tag_of(h, a);
}

static int
id_cmp(const void *x, const void *y)
{
	const struct html_id *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->id, b->id, n);

	if (c != 0)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return ((uintptr_t)a->tag > (uintptr_t)b->tag) -
	    ((uintptr_t)a->tag < (uintptr_t)b->tag);
}

/* The id attribute at p ("id=" just found), when it is one. */
static int
id_at(const struct html *h, const char *p, struct html_id *out)
{
	const char *v = p + 3, *q;

	if (p == h->p || !isspace((unsigned char)p[-1]) || v >= h->end ||
	    (*v != '"' && *v != '\''))
		return 0;
	q = memchr(v + 1, *v, (size_t)(h->end - v - 1));
	if (q == NULL || q - v - 1 > 255 || (out->tag = tag_of(h, p)) == NULL)
		return 0;
	out->id = v + 1;
	out->len = (size_t)(q - v - 1);
	return 1;
}

void
catalog_html_index(struct html *h)
{
	const char *p = h->p;
	size_t cap = 0;
	struct html_id e;

	while ((p = catalog_html_strstr(p, h->end, "id=")) != NULL) {
		if (id_at(h, p, &e)) {
			if (h->nids == cap)
				h->ids = xreallocarray(h->ids,
				    cap = cap ? cap * 2 : 256, sizeof(e));
			h->ids[h->nids++] = e;
		}
		p += 3;
	}
	if (h->nids > 0)
		qsort(h->ids, h->nids, sizeof(e), id_cmp);
}

void
catalog_html_release(struct html *h)
{
	free(h->ids);
	h->ids = NULL;
	h->nids = 0;
}

const char *
catalog_html_find_id(const struct html *h, const char *id)
{
	struct html_id key = { id, strlen(id), NULL };
	size_t lo = 0, hi = h->nids, mid;

	if (h->ids == NULL)
		return find_id_scan(h, id);
	/* the first entry not below (id, NULL): the earliest with that id */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (id_cmp(&h->ids[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->nids && h->ids[lo].len == key.len &&
	    memcmp(h->ids[lo].id, id, key.len) == 0)
		return h->ids[lo].tag;
	return NULL;
}

/* Length of the tag name at tag + 1. */
static size_t
tag_name_len(const char *tag, const char *end)
{
	size_t n = 0;

	while (tag + 1 + n < end && isalnum((unsigned char)tag[1 + n]))
		n++;
	return n;
}

/* Whether p starts "<name" or "</name" followed by a non-name character. */
static int
tag_at(const char *p, const char *end, const char *name, size_t n, int close)
{
	size_t off = close ? 2 : 1;

	if ((size_t)(end - p) <= off + n || p[0] != '<' ||
	    (close && p[1] != '/'))
		return 0;
	return strncasecmp(p + off, name, n) == 0 &&
	    !isalnum((unsigned char)p[off + n]);
}

int
catalog_html_inner(const struct html *h, const char *tag, struct html *out)
{
	size_t n = tag_name_len(tag, h->end);
	const char *p, *gt, *end = h->end;
	int depth = 1;

	if (end - tag > HTML_ELEMENT_MAX)
		end = tag + HTML_ELEMENT_MAX;
	if (n == 0 || (gt = memchr(tag, '>', (size_t)(end - tag))) == NULL)
		return -1;
	out->p = gt + 1;
	out->ids = NULL;
	out->nids = 0;
	if (gt[-1] == '/') {		/* <span ... /> */
		out->end = out->p;
		return 0;
	}
	for (p = gt + 1; p < end; p++) {
		if (*p != '<')
			continue;
		if (tag_at(p, end, tag + 1, n, 1) && --depth == 0) {
			out->end = p;
			return 0;
		}
		if (tag_at(p, end, tag + 1, n, 0))
			depth++;
	}
	return -1;
}

static const struct {
	const char	*name;
	const char	*text;
} entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
	{ "apos", "'" }, { "nbsp", " " },
};

int
catalog_scan_uint(const char **p, unsigned *out)
{
	char num[10];
	size_t n = 0;
	uint32_t v;

	while (n < sizeof(num) && isdigit((unsigned char)(*p)[n]))
		n++;
	if (n == 0 || n == sizeof(num))
		return -1;
	memcpy(num, *p, n);
	num[n] = '\0';
	if (parse_u32(num, &v) == -1)
		return -1;
	*p += n;
	*out = v;
	return 0;
}

int
catalog_scan_lit(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n) != 0)
		return -1;
	*p += n;
	return 0;
}

/* The code point of "#NNN" or "#xHHHH" (strict), or 0. */
static unsigned long
char_ref(const char *num)
{
	unsigned long v = 0;
	unsigned d;
	int hex = num[1] == 'x' || num[1] == 'X';
	const char *q = num + 1 + hex;

	if (*q == '\0')
		return 0;
	for (; *q; q++) {
		if (!(hex ? isxdigit((unsigned char)*q) :
		    isdigit((unsigned char)*q)))
			return 0;
		d = isdigit((unsigned char)*q) ? (unsigned)(*q - '0') :
		    (unsigned)(tolower((unsigned char)*q) - 'a' + 10);
		v = v * (hex ? 16 : 10) + d;
		if (v > 0x10ffff)
			return 0;
	}
	return v;
}

/* Decodes the entity at p ("&...;") into b; returns its length or 0. */
static size_t
entity(const char *p, const char *end, struct buf *b)
{
	const char *semi = memchr(p, ';', (size_t)(end - p) < 12 ?
	    (size_t)(end - p) : 12);
	char num[12];
	unsigned long v;
	size_t i, n;

	if (semi == NULL)
		return 0;
	n = (size_t)(semi - p - 1);
	if (n >= 2 && p[1] == '#') {
		memcpy(num, p + 1, n);
		num[n] = '\0';
		if ((v = char_ref(num)) == 0)
			return 0;
		if (v < 0x80)
			buf_addc(b, (int)v);
		else if (v < 0x800)
			buf_addf(b, "%c%c", (int)(0xc0 | v >> 6),
			    (int)(0x80 | (v & 0x3f)));
		else if (v < 0x10000)
			buf_addf(b, "%c%c%c", (int)(0xe0 | v >> 12),
			    (int)(0x80 | ((v >> 6) & 0x3f)),
			    (int)(0x80 | (v & 0x3f)));
		else
			buf_addf(b, "%c%c%c%c", (int)(0xf0 | v >> 18),
			    (int)(0x80 | ((v >> 12) & 0x3f)),
			    (int)(0x80 | ((v >> 6) & 0x3f)),
			    (int)(0x80 | (v & 0x3f)));
		return n + 2;
	}
	for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
		if (strlen(entities[i].name) == n &&
		    strncmp(p + 1, entities[i].name, n) == 0) {
			buf_adds(b, entities[i].text);
			return n + 2;
		}
	return 0;
}

char *
catalog_html_text(const struct html *h)
{
	struct buf b;
	const char *p;
	size_t n;
	int space = 0;

	buf_init(&b, 0);
	for (p = h->p; p < h->end; p++) {
		if (*p == '<') {
			const char *gt = memchr(p, '>', (size_t)(h->end - p));
			if (gt == NULL)
				break;
			p = gt;
			space = 1;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			space = 1;
			continue;
		}
		if (space && b.len > 0)
			buf_addc(&b, ' ');
		space = 0;
		if (*p == '&' && (n = entity(p, h->end, &b)) > 0) {
			p += n - 1;
			continue;
		}
		buf_addc(&b, *p);
	}
	n = b.len;
	while (n > 0 && b.data[n - 1] == ' ')	/* &nbsp; at the end */
		b.data[--n] = '\0';
	b.len = n;
	return buf_detach(&b, NULL);
}

char *
catalog_html_id_text(const struct html *h, const char *id)
{
	const char *tag = catalog_html_find_id(h, id);
	struct html in;

	if (tag == NULL || catalog_html_inner(h, tag, &in) == -1)
		return NULL;
	return catalog_html_text(&in);
}

char *
catalog_html_id_value(const struct html *h, const char *id)
{
	const char *tag = catalog_html_find_id(h, id), *gt, *v, *q;
	struct html raw;

	if (tag == NULL || (gt = memchr(tag, '>', (size_t)(h->end - tag))) ==
	    NULL)
		return NULL;
	v = catalog_html_strstr(tag, gt, " value=");
	if (v == NULL || (v[7] != '"' && v[7] != '\''))
		return NULL;
	if ((q = memchr(v + 8, v[7], (size_t)(gt - v - 8))) == NULL)
		return NULL;
	raw.p = v + 8;
	raw.end = q;
	raw.ids = NULL;
	raw.nids = 0;
	return catalog_html_text(&raw);
}

int
catalog_valid_file_name(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || *s == '.' || strlen(s) > 200 ||
	    strstr(s, "..") != NULL)
		return 0;
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("._-+", *p) == NULL)
			return 0;
	return 1;
}

int
catalog_valid_update_id(const char *s)
{
	static const int dash[] = { 8, 13, 18, 23 };
	size_t i, d = 0;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (d < 4 && (int)i == dash[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int
catalog_name_sha1(const char *name, char hex[41])
{
	const char *us = strrchr(name, '_'), *dot;
	size_t i;

	if (us == NULL || (dot = strchr(us, '.')) == NULL || dot - us != 41) {
		err_set("%s: the name does not end in _<40 hex digits>.ext",
		    name);
		return -1;
	}
	for (i = 0; i < 40; i++) {
		if (!isxdigit((unsigned char)us[1 + i])) {
			err_set("%s: the name does not end in _<40 hex "
			    "digits>.ext", name);
			return -1;
		}
		hex[i] = (char)tolower((unsigned char)us[1 + i]);
	}
	hex[40] = '\0';
	return 0;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
catalog_base64_hex(const char *b64, char *hex, size_t hexsize)
{
	static const char digits[] = "0123456789abcdef";
	unsigned acc = 0;
	size_t out = 0;
	int bits = 0, v;

	for (; *b64 && *b64 != '='; b64++) {
		if ((v = b64val((unsigned char)*b64)) < 0) {
			err_set("'%s' is not base64", b64);
			return -1;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (out + 3 > hexsize) {
				err_set("base64 digest too long");
				return -1;
			}
			hex[out++] = digits[(acc >> (bits + 4)) & 15];
			hex[out++] = digits[(acc >> bits) & 15];
		}
	}
	if (out >= hexsize)
		return -1;
	hex[out] = '\0';
	return 0;
}

int
catalog_date_iso(const char *mdy, char out[11])
{
	const char *p = mdy;
	unsigned m, d, y;

	if (catalog_scan_uint(&p, &m) == -1 || catalog_scan_lit(&p, "/") ==
	    -1 || catalog_scan_uint(&p, &d) == -1 ||
	    catalog_scan_lit(&p, "/") == -1 || catalog_scan_uint(&p, &y) == -1 ||
	    *p != '\0' || m < 1 || m > 12 || d < 1 || d > 31 || y < 1990 ||
	    y > 9999) {
		err_set("'%s' is not a date like 7/16/2018", mdy);
		return -1;
	}
	snprintf(out, 11, "%04u-%02u-%02u", y, m, d);
	return 0;
}

static int
has_word(const char *title, const char *word)
{
	return strcasestr(title, word) != NULL;
}

const char *
catalog_title_arch(const char *title)
{
	if (has_word(title, "arm64"))
		return "arm64";
	if (has_word(title, "itanium") || has_word(title, "ia64"))
		return "ia64";
	if (has_word(title, "x64") || has_word(title, "64-bit") ||
	    has_word(title, "amd64"))
		return "x64";
	if (has_word(title, "x86") || has_word(title, "32-bit"))
		return "x86";
	if (has_word(title, "arm-based") || has_word(title, " arm "))
		return "arm";
	/* Windows 7 / Vista era x86 entries carry no architecture: "Update
	 * for Windows 7 (KB4345459)". */
	if (has_word(title, "windows"))
		return "x86";
	return NULL;
}
