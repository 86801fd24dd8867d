/*
 * DownloadDialog.aspx: JavaScript assignments such as
 *   downloadInformation[0].files[3].url = 'http://...';
 * with .digest (base64 SHA-1), .fileName, .languages, .architectures and,
 * on newer replies, .sha256 (FACTS.md section 2).  Every index is read.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

/* A dialog lists the one update asked for, with a few files (FACTS.md 2):
 * these caps bound the memory a hostile page can make us take. */
#define DIALOG_MAX_UPDATES	16
#define DIALOG_MAX_FILES	64
#define DIALOG_MAX_INDEX	999999

static void
file_free(struct catalog_file *f)
{
	free(f->url);
	free(f->name);
	free(f->sha1);
	free(f->sha256);
	free(f->languages);
	free(f->architectures);
}

void
catalog_download_list_release(struct catalog_download_list *l)
{
	size_t i, j;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		for (j = 0; j < l->v[i].nfiles; j++)
			file_free(&l->v[i].files[j]);
		free(l->v[i].files);
		free(l->v[i].update_id);
		free(l->v[i].title);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* "[N]" at *pp; advances past it. */
static int
index_at(const char **pp, const char *end, size_t *out)
{
	const char *p = *pp;
	size_t v = 0;

	if (p >= end || *p != '[')
		return -1;
	for (p++; p < end && isdigit((unsigned char)*p); p++) {
		v = v * 10 + (size_t)(*p - '0');
		if (v > DIALOG_MAX_INDEX)
			return -1;
	}
	if (p >= end || *p != ']' || p == *pp + 1)
		return -1;
	*out = v;
	*pp = p + 1;
	return 0;
}

/* ".key = 'value';" at *pp: key into key[], value (JS-unescaped) out. */
static int
assign_at(const char **pp, const char *end, char key[32], char **value)
{
	const char *p = *pp;
	struct buf b;
	size_t n = 0;
	char q;

	if (p >= end || *p++ != '.')
		return -1;
	while (p < end && (isalnum((unsigned char)*p)) && n < 31)
		key[n++] = *p++;
	key[n] = '\0';
	while (p < end && *p == ' ')
		p++;
	if (p >= end || *p++ != '=')
		return -1;
	while (p < end && *p == ' ')
		p++;
	if (p >= end || (*p != '\'' && *p != '"'))
		return -1;
	q = *p++;
	buf_init(&b, 1 << 16);
	for (; p < end && *p != q && *p != '\n'; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		buf_addc(&b, *p);
	}
	if (p >= end || *p != q || b.failed) {
		buf_release(&b);
		return -1;
	}
	*value = buf_detach(&b, NULL);
	*pp = p + 1;
	return 0;
}

static struct catalog_download *
entry_at(struct catalog_download_list *l, size_t i)
{
	if (i >= l->n) {
		l->v = xreallocarray(l->v, i + 1, sizeof(*l->v));
		memset(l->v + l->n, 0, (i + 1 - l->n) * sizeof(*l->v));
		l->n = i + 1;
	}
	return &l->v[i];
}

static struct catalog_file *
file_at(struct catalog_download *d, size_t j)
{
	if (j >= d->nfiles) {
		d->files = xreallocarray(d->files, j + 1, sizeof(*d->files));
		memset(d->files + d->nfiles, 0, (j + 1 - d->nfiles) *
		    sizeof(*d->files));
		d->nfiles = j + 1;
	}
	return &d->files[j];
}

static void
set(char **field, char *value)
{
	free(*field);
	*field = value;
}

static int
file_field(struct catalog_file *f, const char *key, char *v)
{
	char hex[80];

	if (strcmp(key, "url") == 0)
		set(&f->url, v);
	else if (strcmp(key, "fileName") == 0)
		set(&f->name, v);
	else if (strcmp(key, "languages") == 0)
		set(&f->languages, v);
	else if (strcmp(key, "architectures") == 0)
		set(&f->architectures, v);
	else if (strcmp(key, "digest") == 0 || strcmp(key, "sha256") == 0) {
		int is1 = key[0] == 'd';
		if (*v != '\0' && catalog_base64_hex(v, hex, sizeof(hex)) ==
		    -1) {
			free(v);
			return -1;
		}
		set(is1 ? &f->sha1 : &f->sha256, *v ? xstrdup(hex) : NULL);
		free(v);
	} else
		free(v);
	return 0;
}

/* One "downloadInformation[...]..." assignment at p. */
static int
line_parse(const char **pp, const char *end, struct catalog_download_list *l)
{
	struct catalog_download *d;
	size_t i, j;
	char key[32], *v;

	if (index_at(pp, end, &i) == -1)
		return 0;	/* "downloadInformation.length" and the like */
	if (i >= DIALOG_MAX_UPDATES) {
		err_set("downloadInformation[%zu]: more than %d updates", i,
		    DIALOG_MAX_UPDATES);
		return -1;
	}
	d = entry_at(l, i);
	if (end - *pp > 6 && memcmp(*pp, ".files[", 7) == 0) {
		*pp += 6;
		if (index_at(pp, end, &j) == -1)
			return 0;
		if (j >= DIALOG_MAX_FILES) {
			err_set("downloadInformation[%zu].files[%zu]: more than "
			    "%d files", i, j, DIALOG_MAX_FILES);
			return -1;
		}
		if (assign_at(pp, end, key, &v) == -1)
			return 0;	/* "= new Object();" */
		return file_field(file_at(d, j), key, v);
	}
	if (assign_at(pp, end, key, &v) == -1)
		return 0;
	if (strcmp(key, "updateID") == 0)
		set(&d->update_id, v);
	else if (strcmp(key, "enTitle") == 0)
		set(&d->title, v);
	else
		free(v);
	return 0;
}

static int
list_check(const struct catalog_download_list *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		const struct catalog_download *d = &l->v[i];
		if (d->update_id == NULL ||
		    !catalog_valid_update_id(d->update_id)) {
			err_set("downloadInformation[%zu].updateID is missing "
			    "or not a GUID", i);
			return -1;
		}
		for (j = 0; j < d->nfiles; j++) {
			const struct catalog_file *f = &d->files[j];
			if (f->url == NULL || f->name == NULL) {
				err_set("downloadInformation[%zu].files[%zu]: "
				    "url or fileName missing", i, j);
				return -1;
			}
			if (!catalog_valid_file_name(f->name)) {
				err_set("downloadInformation[%zu].files[%zu]."
				    "fileName '%s' is not a plain file name",
				    i, j, f->name);
				return -1;
			}
		}
	}
	return 0;
}

int
catalog_dialog_parse(const char *buf, size_t len,
    struct catalog_download_list *out)
{
	static const char key[] = "downloadInformation";
	const char *p = buf, *end = buf + len;

	memset(out, 0, sizeof(*out));
	while ((p = catalog_html_strstr(p, end, key)) != NULL) {
		p += sizeof(key) - 1;
		if (line_parse(&p, end, out) == -1) {
			err_prefix("DownloadDialog.aspx: ");
			goto fail;
		}
	}
	if (list_check(out) == -1) {
		err_prefix("DownloadDialog.aspx: ");
		goto fail;
	}
	return 0;
fail:
	catalog_download_list_release(out);
	return -1;
}

struct dialog_op {
	struct catalog_op op;		/* first: catalog_op_free frees it */
	struct catalog_download_list *out;
};

static int
dialog_answer(struct catalog_op *op, const struct buf *body,
    const char *redirect)
{
	struct dialog_op *d = (struct dialog_op *)op;

	if (redirect != NULL) {
		err_set("%s: redirected to %s", op->url, redirect);
		return -1;
	}
	if (catalog_dialog_parse(body->data, body->len, d->out) == -1) {
		err_prefix("%s: ", op->url);
		return -1;
	}
	return 0;
}

static void
dialog_release(struct catalog_op *op)
{
	struct dialog_op *d = (struct dialog_op *)op;

	if (op->rc != 0)
		catalog_download_list_release(d->out);
}

struct catalog_op *
catalog_dialog_op(const struct catalog_client *c, const char *update_id,
    struct catalog_download_list *out)
{
	struct dialog_op *d = xcalloc(1, sizeof(*d));
	char *json, *esc;

	memset(out, 0, sizeof(*out));
	d->out = out;
	json = xasprintf("[{\"size\":0,\"languages\":\"\",\"uidInfo\":\"%s\","
	    "\"updateID\":\"%s\"}]", update_id, update_id);
	esc = catalog_http_escape(json);
	d->op.url = xasprintf("%s/DownloadDialog.aspx", catalog_client_base(c));
	d->op.post = xasprintf("updateIDs=%s", esc);
	d->op.answer = dialog_answer;
	d->op.release = dialog_release;
	d->op.rc = -1;
	free(esc);
	free(json);
	return &d->op;
}

int
catalog_dialog_get(struct catalog_client *c, const char *update_id,
    struct catalog_download_list *out)
{
	struct catalog_op *op;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!catalog_valid_update_id(update_id)) {
		err_set("'%s' is not an update id", update_id);
		return -1;
	}
	op = catalog_dialog_op(c, update_id, out);
	rc = catalog_http_run(c, &op, 1, 1);
	catalog_op_free(op);
	return rc;
}
