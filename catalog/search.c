/*
 * Search.aspx: rows `<tr id="{GUID}_R{n}">`, cells `{GUID}_C{k}_R{n}`, the
 * hidden `{GUID}_originalSize`, the banner ctl00_catalogBody_searchDuration
 * "1 - 25 of 1000 (page 1 of 40)" (FACTS.md section 2).  2019 and 2023
 * pages go to the next page with an ASP.NET postback; 2025 pages with a
 * query-string index set by handlePageChange().
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

/* The Catalog shows 25 rows a page (FACTS.md 2); far more is not a page
 * of it, and each row costs a handful of look-ups. */
#define SEARCH_ROWS_MAX	200

void
catalog_update_list_release(struct catalog_update_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].update_id);
		free(l->v[i].title);
		free(l->v[i].products);
		free(l->v[i].classification);
		free(l->v[i].date);
		free(l->v[i].version);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
catalog_search_page_release(struct catalog_search_page *pg)
{
	if (pg == NULL)
		return;
	catalog_update_list_release(&pg->rows);
	free(pg->form_action);
	free(pg->viewstate);
	free(pg->viewstate_generator);
	free(pg->event_validation);
	memset(pg, 0, sizeof(*pg));
}

/* Text of cell GUID_C{col}_R{row}. */
static char *
cell(const struct html *h, const char *guid, unsigned col, const char *row)
{
	char id[96];

	snprintf(id, sizeof(id), "%s_C%u_R%s", guid, col, row);
	return catalog_html_id_text(h, id);
}

static int
row_parse(const struct html *h, const char *guid, const char *row,
    struct catalog_update *u)
{
	char id[96], iso[11], *date = NULL, *size = NULL;
	int rc = -1;

	u->update_id = xstrdup(guid);
	u->title = cell(h, guid, 1, row);
	u->products = cell(h, guid, 2, row);
	u->classification = cell(h, guid, 3, row);
	date = cell(h, guid, 4, row);
	u->version = cell(h, guid, 5, row);
	snprintf(id, sizeof(id), "%s_originalSize", guid);
	size = catalog_html_id_text(h, id);
	if (u->title == NULL || u->products == NULL ||
	    u->classification == NULL || date == NULL || u->version == NULL ||
	    size == NULL) {
		err_set("row %s: a cell is missing", guid);
		goto out;
	}
	if (catalog_date_iso(date, iso) == -1 ||
	    parse_u64(size, UINT64_MAX, &u->size) == -1) {
		err_prefix("row %s: ", guid);
		goto out;
	}
	u->date = xstrdup(iso);
	rc = 0;
out:
	free(date);
	free(size);
	return rc;
}

/* At p: `id="GUID_R<digits>"` (either quote)?  Fills guid and row. */
static int
row_id(const char *p, const char *end, char guid[37], char row[8])
{
	size_t n = 0;
	char q;

	if (end - p < 4 + 36 + 3 || (p[3] != '"' && p[3] != '\''))
		return 0;
	q = p[3];
	memcpy(guid, p + 4, 36);
	guid[36] = '\0';
	if (!catalog_valid_update_id(guid) || strncmp(p + 40, "_R", 2) != 0)
		return 0;
	for (p += 42; p < end && isdigit((unsigned char)*p) && n < 7; p++)
		row[n++] = *p;
	row[n] = '\0';
	return n > 0 && p < end && *p == q;
}

/* Rows are found by their ids wherever the attribute sits in the tag. */
static int
rows_parse(const struct html *h, struct catalog_update_list *l)
{
	const char *p = h->p;
	char guid[37], row[8];
	size_t cap = 0;

	while ((p = catalog_html_strstr(p, h->end, "id=")) != NULL) {
		if (!row_id(p, h->end, guid, row)) {
			p += 3;
			continue;
		}
		p += 3;
		if (l->n == SEARCH_ROWS_MAX) {
			err_set("Search.aspx: more than %d rows on one page",
			    SEARCH_ROWS_MAX);
			return -1;
		}
		if (l->n == cap)
			l->v = xreallocarray(l->v, cap = cap ? cap * 2 : 32,
			    sizeof(*l->v));
		memset(&l->v[l->n], 0, sizeof(l->v[0]));
		l->n++;
		if (row_parse(h, guid, row, &l->v[l->n - 1]) == -1)
			return -1;
		for (char *g = l->v[l->n - 1].update_id; *g; g++)
			*g = (char)tolower((unsigned char)*g);
	}
	return 0;
}

/* "1 - 25 of 1000 (page 1 of 40)", strictly. */
static int
banner_scan(const char *t, struct catalog_search_page *pg)
{
	const char *p = t;

	if (catalog_scan_uint(&p, &pg->first) == -1 ||
	    catalog_scan_lit(&p, " - ") == -1 ||
	    catalog_scan_uint(&p, &pg->last) == -1 ||
	    catalog_scan_lit(&p, " of ") == -1 ||
	    catalog_scan_uint(&p, &pg->total) == -1 ||
	    catalog_scan_lit(&p, " (page ") == -1 ||
	    catalog_scan_uint(&p, &pg->page) == -1 ||
	    catalog_scan_lit(&p, " of ") == -1 ||
	    catalog_scan_uint(&p, &pg->pages) == -1 ||
	    catalog_scan_lit(&p, ")") == -1)
		return -1;
	return 0;
}

static int
banner_parse(const struct html *h, struct catalog_search_page *pg)
{
	char *t = catalog_html_id_text(h, "ctl00_catalogBody_searchDuration");
	int rc = -1;

	if (t == NULL) {
		err_set("Search.aspx: no result banner "
		    "(ctl00_catalogBody_searchDuration)");
		return -1;
	}
	if (banner_scan(t, pg) == -1 || pg->page == 0 ||
	    pg->page > pg->pages) {
		err_set("Search.aspx: banner '%s' is not like "
		    "'1 - 25 of 1000 (page 1 of 40)'", t);
		goto out;
	}
	rc = 0;
out:
	free(t);
	return rc;
}

static void
paging_parse(const struct html *h, struct catalog_search_page *pg)
{
	const char *form, *a, *q;

	pg->has_next = pg->page < pg->pages;
	pg->query_paging = catalog_html_strstr(h->p, h->end, "handlePageChange") !=
	    NULL;
	pg->viewstate = catalog_html_id_value(h, "__VIEWSTATE");
	pg->viewstate_generator = catalog_html_id_value(h, "__VIEWSTATEGENERATOR");
	pg->event_validation = catalog_html_id_value(h, "__EVENTVALIDATION");
	form = catalog_html_find_id(h, "aspnetForm");
	if (form && (a = catalog_html_strstr(form, h->end, "action=\"")) != NULL &&
	    (q = memchr(a + 8, '"', (size_t)(h->end - a - 8))) != NULL) {
		struct html raw = { a + 8, q, NULL, 0 };
		pg->form_action = catalog_html_text(&raw);
	}
}

/* The Catalog's error page: errorPageDisplayedError with a code. */
static int
error_page(const struct html *h, int *retryable)
{
	char *t;

	if (catalog_html_find_id(h, "errorPageDisplayedError") == NULL)
		return 0;
	t = catalog_html_id_text(h, "errorPageDisplayedError");
	*retryable = t != NULL && strstr(t, "8DDD0024") == NULL;
	err_set("the Catalog answered with its error page (%s)%s",
	    t && *t ? t : "no code", *retryable ? "" : ", not retryable");
	free(t);
	return 1;
}

int
catalog_search_page_parse(const char *buf, size_t len,
    struct catalog_search_page *out, int *retryable)
{
	struct html h = { buf, buf + len, NULL, 0 };
	int dummy, rc = -1;

	if (retryable == NULL)
		retryable = &dummy;
	*retryable = 0;
	memset(out, 0, sizeof(*out));
	if (error_page(&h, retryable))
		return -1;
	catalog_html_index(&h);
	if (catalog_html_find_id(&h, "ctl00_catalogBody_noResultText") != NULL) {
		out->no_results = 1;
		rc = 0;
		goto out;
	}
	if (catalog_html_find_id(&h, "ctl00_catalogBody_updateMatches") == NULL) {
		err_set("Search.aspx: neither results "
		    "(ctl00_catalogBody_updateMatches) nor a no-result text");
		goto out;
	}
	if (banner_parse(&h, out) == -1 || rows_parse(&h, &out->rows) == -1) {
		catalog_search_page_release(out);
		goto out;
	}
	paging_parse(&h, out);
	rc = 0;
out:
	catalog_html_release(&h);
	return rc;
}

static char *
next_url(const struct catalog_client *c, const char *query,
    const struct catalog_search_page *pg, char **post)
{
	const char *base = catalog_client_base(c), *act = pg->form_action;
	char *q = catalog_http_escape(query), *url, *vs, *vg, *ev;

	*post = NULL;
	if (pg->query_paging || act == NULL || pg->viewstate == NULL) {
		/* 2025: handlePageChange() loads Search.aspx?q=..&p=INDEX,
		 * INDEX counting pages from 0, so the next one is `page`. */
		url = xasprintf("%s/Search.aspx?q=%s&p=%u", base, q,
		    pg->page);
		free(q);
		return url;
	}
	free(q);
	while (*act == '.' || *act == '/')
		act++;
	vs = catalog_http_escape(pg->viewstate);
	vg = catalog_http_escape(pg->viewstate_generator ? pg->viewstate_generator :
	    "");
	ev = catalog_http_escape(pg->event_validation ? pg->event_validation : "");
	*post = xasprintf("__EVENTTARGET=ctl00%%24catalogBody%%24"
	    "nextPageLinkText&__EVENTARGUMENT=&__VIEWSTATE=%s"
	    "&__VIEWSTATEGENERATOR=%s&__EVENTVALIDATION=%s", vs, vg, ev);
	free(vs);
	free(vg);
	free(ev);
	return xasprintf("%s/%s", base, act);
}

static void
rows_take(struct catalog_update_list *to, struct catalog_update_list *from,
    size_t limit)
{
	size_t i;

	to->v = xreallocarray(to->v, to->n + from->n, sizeof(*to->v));
	for (i = 0; i < from->n; i++) {
		if (to->n < limit) {
			to->v[to->n++] = from->v[i];
			memset(&from->v[i], 0, sizeof(from->v[i]));
		}
	}
}

struct search_op {
	struct catalog_op op;		/* first: catalog_op_free frees it */
	const struct catalog_client *c;
	char		*query;
	size_t		 limit;
	unsigned	 last_page;
	struct catalog_update_list *out;
};

/* One page: its rows are taken, then the next page is asked for. */
static int
search_answer(struct catalog_op *op, const struct buf *body,
    const char *redirect)
{
	struct search_op *s = (struct search_op *)op;
	struct catalog_search_page pg;
	int rc = -1;

	if (redirect != NULL) {
		err_set("%s: redirected to %s", op->url, redirect);
		return -1;
	}
	if (catalog_search_page_parse(body->data, body->len, &pg, NULL) == -1) {
		err_prefix("%s: ", op->url);
		return -1;
	}
	if (pg.no_results) {
		rc = 0;
		goto out;
	}
	if (pg.page <= s->last_page) {
		err_set("%s: the Catalog returned page %u again", op->url,
		    pg.page);
		goto out;
	}
	s->last_page = pg.page;
	rows_take(s->out, &pg.rows, s->limit);
	rc = 0;
	if (!pg.has_next || s->out->n >= s->limit || pg.rows.n == 0)
		goto out;
	free(op->url);
	free(op->post);
	op->url = next_url(s->c, s->query, &pg, &op->post);
	rc = 1;
out:
	catalog_search_page_release(&pg);
	return rc;
}

static void
search_release(struct catalog_op *op)
{
	struct search_op *s = (struct search_op *)op;

	if (op->rc != 0)
		catalog_update_list_release(s->out);
	free(s->query);
}

struct catalog_op *
catalog_search_op(const struct catalog_client *c, const char *query,
    size_t limit, struct catalog_update_list *out)
{
	struct search_op *s = xcalloc(1, sizeof(*s));
	char *q = catalog_http_escape(query);

	memset(out, 0, sizeof(*out));
	s->c = c;
	s->query = xstrdup(query);
	s->limit = limit == 0 || limit > CATALOG_MAX_RESULTS ?
	    CATALOG_MAX_RESULTS : limit;
	s->out = out;
	s->op.url = xasprintf("%s/Search.aspx?q=%s", catalog_client_base(c), q);
	s->op.answer = search_answer;
	s->op.release = search_release;
	s->op.rc = -1;
	free(q);
	return &s->op;
}

int
catalog_search(struct catalog_client *c, const char *query, size_t limit,
    struct catalog_update_list *out)
{
	struct catalog_op *op = catalog_search_op(c, query, limit, out);
	int rc = catalog_http_run(c, &op, 1, 1);

	catalog_op_free(op);
	return rc;
}
