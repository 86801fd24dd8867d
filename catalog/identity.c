/*
 * A package's identity from the package itself (FACTS.md section 5): the
 * first <assemblyIdentity> of the update.mum inside the .msu's package
 * .cab, as DISM and CBS name the package:
 *   name~publicKeyToken~processorArchitecture~language~version
 * with language empty for "neutral":
 *   Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24168.1.5
 * Cumulative updates and monthly rollups carry no KB in that name, so
 * apply, verify, resume and rollback find the package by this identity.
 * The package .cab is read as a stream out of the .msu (libarchive, any
 * Cabinet compression), up to its update.mum.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>

#include "catalog/catalog.h"
#include "util/util.h"

#define MUM_MAX		(4 * 1024 * 1024)
/* a cumulative update's package .cab holds tens of thousands of files */
#define INNER_MEMBERS_MAX	500000

struct nest {
	struct archive	*outer;
	char		 chunk[1 << 16];
};

static la_ssize_t
nest_read(struct archive *a, void *arg, const void **p)
{
	struct nest *n = arg;

	(void)a;
	*p = n->chunk;
	return archive_read_data(n->outer, n->chunk, sizeof(n->chunk));
}

/* UTF-8 (BOM optional) or UTF-16LE with BOM, to ASCII ('?' otherwise). */
static char *
mum_text(const struct buf *b)
{
	const unsigned char *p = (const unsigned char *)b->data;
	struct buf o;
	size_t i = 0;

	buf_init(&o, 0);
	if (b->len >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		for (i = 2; i + 1 < b->len; i += 2)
			buf_addc(&o, p[i + 1] == 0 && p[i] < 0x80 && p[i] ?
			    p[i] : '?');
	} else {
		if (b->len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
			i = 3;
		for (; i < b->len; i++)
			buf_addc(&o, p[i] < 0x80 && p[i] ? p[i] : '?');
	}
	return buf_detach(&o, NULL);
}

/* The value of attribute name in the tag [tag, end), or NULL. */
static char *
attr(const char *tag, const char *end, const char *name)
{
	size_t n = strlen(name);
	const char *p, *q;
	char quote;

	for (p = tag; p + n + 2 < end; p++) {
		if (!isspace((unsigned char)p[-1]) || strncmp(p, name, n) != 0)
			continue;
		q = p + n;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || *q++ != '=')
			continue;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || (*q != '"' && *q != '\''))
			continue;
		quote = *q++;
		for (p = q; p < end && *p != quote; p++)
			;
		return p < end ? xstrndup(q, (size_t)(p - q)) : NULL;
	}
	return NULL;
}

static int
charset_ok(const char *s, const char *extra, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

static int
version_ok(const char *v)
{
	int fields = 1;

	if (!charset_ok(v, ".", 32) || *v == '.')
		return 0;
	for (; *v != '\0'; v++) {
		if (*v == '.' && (v[1] == '.' || v[1] == '\0'))
			return 0;
		if (*v == '.')
			fields++;
		else if (!isdigit((unsigned char)*v))
			return 0;
	}
	return fields == 4;
}

int
catalog_mum_identity(const char *text, char **identity)
{
	const char *tag = strstr(text, "<assemblyIdentity"), *end;
	char *name = NULL, *ver = NULL, *arch = NULL, *tok = NULL, *lang = NULL;
	int rc = -1;

	if (tag == NULL || !isspace((unsigned char)tag[17]) ||
	    (end = strchr(tag, '>')) == NULL) {
		err_set("update.mum has no <assemblyIdentity>");
		return -1;
	}
	tag += 17;
	name = attr(tag, end, "name");
	ver = attr(tag, end, "version");
	arch = attr(tag, end, "processorArchitecture");
	tok = attr(tag, end, "publicKeyToken");
	lang = attr(tag, end, "language");
	if (name == NULL || ver == NULL || arch == NULL || tok == NULL) {
		err_set("update.mum's assemblyIdentity lacks %s",
		    name == NULL ? "name" : ver == NULL ? "version" :
		    arch == NULL ? "processorArchitecture" : "publicKeyToken");
		goto out;
	}
	/* it reaches dism /packagename: and the journal: strict shapes */
	if (!charset_ok(name, "_.-", 200) || !version_ok(ver) ||
	    !charset_ok(arch, "_", 16) || strlen(tok) != 16 ||
	    !charset_ok(tok, "", 16) || (lang != NULL &&
	    strcasecmp(lang, "neutral") != 0 && !charset_ok(lang, "-", 32))) {
		err_set("update.mum's assemblyIdentity is not a package "
		    "identity (name '%.40s', version '%.20s', architecture "
		    "'%.16s', token '%.20s')", name, ver, arch, tok);
		goto out;
	}
	*identity = xasprintf("%s~%s~%s~%s~%s", name, tok, arch,
	    lang == NULL || strcasecmp(lang, "neutral") == 0 ? "" : lang, ver);
	rc = 0;
out:
	free(name);
	free(ver);
	free(arch);
	free(tok);
	free(lang);
	return rc;
}

/* Reads update.mum's bytes (at most MUM_MAX) from the inner Cabinet. */
static int
inner_mum(struct archive *in, const char *path, const char *cab,
    struct buf *b)
{
	struct archive_entry *e;
	const char *name;
	char chunk[8192];
	la_ssize_t n;
	size_t members = 0;
	int r;

	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		if (++members > INNER_MEMBERS_MAX)
			break;
		name = archive_entry_pathname(e);
		if (name == NULL || strcasecmp(name, "update.mum") != 0)
			continue;
		buf_init(b, MUM_MAX);
		while ((n = archive_read_data(in, chunk, sizeof(chunk))) > 0)
			if (buf_add(b, chunk, (size_t)n) == -1) {
				err_set("%s: %s: update.mum is larger than "
				    "%d bytes", path, cab, MUM_MAX);
				buf_release(b);
				return -1;
			}
		if (n < 0) {
			err_set("%s: %s: %s", path, cab,
			    archive_error_string(in));
			buf_release(b);
			return -1;
		}
		return 0;
	}
	if (r != ARCHIVE_EOF && members <= INNER_MEMBERS_MAX)
		err_set("%s: %s: damaged Cabinet: %s", path, cab,
		    archive_error_string(in));
	else
		err_set("%s: %s holds no update.mum", path, cab);
	return -1;
}

int
catalog_msu_identity(const char *path, const char *package_cab,
    char **identity)
{
	struct archive *out = archive_read_new(), *in = NULL;
	struct archive_entry *e;
	struct nest *n = NULL;
	const char *name;
	struct buf b;
	char *text;
	int r, rc = -1;

	*identity = NULL;
	archive_read_support_format_cab(out);
	if (archive_read_open_filename(out, path, 1 << 16) != ARCHIVE_OK) {
		err_set("%s: %s", path, archive_error_string(out));
		goto out;
	}
	while ((r = archive_read_next_header(out, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		if (name != NULL && strcasecmp(name, package_cab) == 0)
			break;
	}
	if (r != ARCHIVE_OK) {
		err_set("%s: %s: %s", path, package_cab, r == ARCHIVE_EOF ?
		    "not inside" : archive_error_string(out));
		goto out;
	}
	n = xcalloc(1, sizeof(*n));
	n->outer = out;
	in = archive_read_new();
	archive_read_support_format_cab(in);
	if (archive_read_open(in, n, NULL, nest_read, NULL) != ARCHIVE_OK) {
		err_set("%s: %s is not a Cabinet: %s", path, package_cab,
		    archive_error_string(in));
		goto out;
	}
	if (inner_mum(in, path, package_cab, &b) == -1)
		goto out;
	text = mum_text(&b);
	buf_release(&b);
	rc = catalog_mum_identity(text, identity);
	free(text);
	if (rc == -1)
		err_prefix("%s: %s: ", path, package_cab);
out:
	if (in != NULL)
		archive_read_free(in);
	archive_read_free(out);
	free(n);
	return rc;
}

int
catalog_valid_identity(const char *id)
{
	const char *t[5], *p;
	char *part[5];
	size_t k = 1, i;
	int ok;

	t[0] = id;
	for (p = id; *p != '\0'; p++)
		if (*p == '~' && k < 5)
			t[k++] = p + 1;
		else if (*p == '~')
			return 0;
	if (k != 5)
		return 0;
	for (i = 0; i < 5; i++)
		part[i] = xstrndup(t[i], (size_t)((i < 4 ? t[i + 1] - 1 :
		    id + strlen(id)) - t[i]));
	ok = charset_ok(part[0], "_.-", 200) && strlen(part[1]) == 16 &&
	    charset_ok(part[1], "", 16) && charset_ok(part[2], "_", 16) &&
	    (part[3][0] == '\0' || charset_ok(part[3], "-", 32)) &&
	    version_ok(part[4]);
	for (i = 0; i < 5; i++)
		free(part[i]);
	return ok;
}
