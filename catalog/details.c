/*
 * ScopedViewInline.aspx?updateid=GUID: ids ScopedViewHandler_titleText,
 * _date, _desc, _rebootBehavior, _userInput, _msrcSeverity and the divs
 * archDiv, classificationDiv, productsDiv, kbDiv, securityBullitenDiv,
 * supersededbyInfo (links with GUIDs, or "n/a"), supersedesInfo (titles).
 * An unknown id lands on Thanks.aspx?id=190 (FACTS.md section 2).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

static void
refs_free(struct catalog_ref *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(r[i].update_id);
		free(r[i].title);
	}
	free(r);
}

void
catalog_details_release(struct catalog_details *d)
{
	if (d == NULL)
		return;
	free(d->update_id);
	free(d->title);
	free(d->date);
	free(d->description);
	free(d->kb);
	free(d->products);
	free(d->architecture);
	free(d->classification);
	free(d->reboot);
	free(d->user_input);
	free(d->msrc_number);
	free(d->msrc_severity);
	refs_free(d->superseded_by, d->nsuperseded_by);
	refs_free(d->supersedes, d->nsupersedes);
	memset(d, 0, sizeof(*d));
}

int
catalog_page_is_thanks(const char *buf, size_t len)
{
	const char *end = buf + len;

	return catalog_html_strstr(buf, end, "action=\"./Thanks.aspx") != NULL ||
	    catalog_html_strstr(buf, end, "id=\"thanksHeader\"") != NULL;
}

/* The value of a labelled div: its text after the label span. */
static char *
div_value(const struct html *h, const char *id)
{
	const char *tag = catalog_html_find_id(h, id), *close;
	struct html in;

	if (tag == NULL || catalog_html_inner(h, tag, &in) == -1)
		return NULL;
	close = catalog_html_strstr(in.p, in.end, "labelTitle");
	if (close && (close = catalog_html_strstr(close, in.end, "</span>")) != NULL)
		in.p = close + 7;
	return catalog_html_text(&in);
}

static void
ref_add(struct catalog_ref **v, size_t *n, char *id, char *title)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].update_id = id;
	(*v)[*n].title = title;
	(*n)++;
}

/* supersededbyInfo: <a href='ScopedViewInline.aspx?updateid=GUID'>T</a> */
static void
links_parse(const struct html *h, struct catalog_ref **v, size_t *n)
{
	const char *p = h->p, *id, *gt;
	struct html in;
	char guid[37];

	while ((p = catalog_html_strstr(p, h->end, "<a ")) != NULL) {
		gt = memchr(p, '>', (size_t)(h->end - p));
		if (gt == NULL || catalog_html_inner(h, p, &in) == -1)
			return;
		id = catalog_html_strstr(p, gt, "updateid=");
		guid[0] = '\0';
		if (id && gt - id > 9 + 36) {
			memcpy(guid, id + 9, 36);
			guid[36] = '\0';
			for (size_t i = 0; i < 36; i++)
				guid[i] = (char)tolower((unsigned char)guid[i]);
		}
		ref_add(v, n, catalog_valid_update_id(guid) ? xstrdup(guid) :
		    NULL, catalog_html_text(&in));
		p = in.end;
	}
}

/* supersedesInfo: one <div> of title text each. */
static void
titles_parse(const struct html *h, struct catalog_ref **v, size_t *n)
{
	const char *p = h->p;
	struct html in;
	char *t;

	while ((p = catalog_html_strstr(p, h->end, "<div")) != NULL) {
		if (catalog_html_inner(h, p, &in) == -1)
			return;
		t = catalog_html_text(&in);
		if (*t != '\0' && strcmp(t, "n/a") != 0)
			ref_add(v, n, NULL, t);
		else
			free(t);
		p = in.end;
	}
}

static void
refs_parse(const struct html *h, const char *id, int links,
    struct catalog_ref **v, size_t *n)
{
	const char *tag = catalog_html_find_id(h, id);
	struct html in;

	if (tag == NULL || catalog_html_inner(h, tag, &in) == -1)
		return;
	if (links)
		links_parse(&in, v, n);
	else
		titles_parse(&in, v, n);
}

static char *
na_null(char *s)
{
	if (s != NULL && (*s == '\0' || strcmp(s, "n/a") == 0)) {
		free(s);
		return NULL;
	}
	return s;
}

static void
kb_parse(const struct html *h, struct catalog_details *d)
{
	char *v = na_null(div_value(h, "kbDiv"));

	if (v == NULL)
		return;
	d->kb = str_casecmp_prefix(v, "KB") == 0 ? xstrdup(v) :
	    xasprintf("KB%s", v);
	free(v);
}

int
catalog_details_parse(const char *buf, size_t len, struct catalog_details *d)
{
	struct html h = { buf, buf + len, NULL, 0 };
	char iso[11], *date;

	memset(d, 0, sizeof(*d));
	if (catalog_page_is_thanks(buf, len))
		return 0;
	if ((d->title = catalog_html_id_text(&h, "ScopedViewHandler_titleText")) ==
	    NULL) {
		err_set("ScopedViewInline.aspx: no ScopedViewHandler_titleText");
		return -1;
	}
	d->found = 1;
	if ((date = catalog_html_id_text(&h, "ScopedViewHandler_date")) != NULL &&
	    catalog_date_iso(date, iso) == 0)
		d->date = xstrdup(iso);
	free(date);
	d->description = catalog_html_id_text(&h, "ScopedViewHandler_desc");
	d->reboot = catalog_html_id_text(&h, "ScopedViewHandler_rebootBehavior");
	d->user_input = catalog_html_id_text(&h, "ScopedViewHandler_userInput");
	d->msrc_severity = catalog_html_id_text(&h, "ScopedViewHandler_msrcSeverity");
	d->architecture = div_value(&h, "archDiv");
	d->classification = div_value(&h, "classificationDiv");
	d->products = div_value(&h, "productsDiv");
	d->msrc_number = div_value(&h, "securityBullitenDiv");
	kb_parse(&h, d);
	refs_parse(&h, "supersededbyInfo", 1, &d->superseded_by,
	    &d->nsuperseded_by);
	refs_parse(&h, "supersedesInfo", 0, &d->supersedes, &d->nsupersedes);
	return 0;
}

struct details_op {
	struct catalog_op op;		/* first: catalog_op_free frees it */
	const char	*update_id;
	struct catalog_details *out;
};

static int
details_answer(struct catalog_op *op, const struct buf *body,
    const char *redirect)
{
	struct details_op *d = (struct details_op *)op;

	if (redirect != NULL) {
		if (strstr(redirect, "Thanks.aspx") != NULL)
			return 0;	/* unknown id: found stays 0 */
		err_set("%s: redirected to %s", op->url, redirect);
		return -1;
	}
	if (catalog_details_parse(body->data, body->len, d->out) == -1) {
		err_prefix("%s: ", op->url);
		return -1;
	}
	if (d->out->found)
		d->out->update_id = xstrdup(d->update_id);
	return 0;
}

int
catalog_details_get(struct catalog_client *c, const char *update_id,
    struct catalog_details *d)
{
	struct details_op *op;
	struct catalog_op *o;
	int rc;

	memset(d, 0, sizeof(*d));
	if (!catalog_valid_update_id(update_id)) {
		err_set("'%s' is not an update id (a GUID like "
		    "0b97c243-5833-4bf3-bcf8-77063e53c42a)", update_id);
		return -1;
	}
	op = xcalloc(1, sizeof(*op));
	op->update_id = update_id;
	op->out = d;
	op->op.url = xasprintf("%s/ScopedViewInline.aspx?updateid=%s",
	    catalog_client_base(c), update_id);
	op->op.answer = details_answer;
	o = &op->op;
	rc = catalog_http_run(c, &o, 1, 1);
	if (rc == -1)
		catalog_details_release(d);
	catalog_op_free(o);
	return rc;
}
