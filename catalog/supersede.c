/*
 * kbfix supersede --refresh: the Catalog's "superseded by" links walked
 * from every fix the update-table advisories name, per product, into the
 * supersedence data the planner reads offline (plan/supersede.c defines
 * the format and writes it; plan never calls the Catalog).
 *
 * For each row, each product of the row and each fix KB of the row (fix,
 * minimal, latest): Search.aspx for the KB, the rows naming the KB for
 * that product (every architecture), then ScopedViewInline.aspx of each,
 * following supersededbyInfo breadth first.  Every update reached is
 * recorded once per (advisory, fix) with its KB, date, title and id.
 * Bounded: at most CATALOG_SUPERSEDE_MAX pages per product.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"
#include "plan/plan.h"

/* What one product's walk collects. */
struct walk {
	struct catalog_client	*c;
	struct plan_supersede_file *f;
	char			**seen;		/* update ids visited */
	size_t			 nseen;
	size_t			 pages;
	void			(*progress)(const char *, void *);
	void			*arg;
};

static int
seen(struct walk *w, const char *id)
{
	size_t i;

	for (i = 0; i < w->nseen; i++)
		if (strcmp(w->seen[i], id) == 0)
			return 1;
	w->seen = xreallocarray(w->seen, w->nseen + 1, sizeof(*w->seen));
	w->seen[w->nseen++] = xstrdup(id);
	return 0;
}

static void
say(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct walk *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (w->progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->progress(msg, w->arg);
}

/* Adds (advisory, fix, kb) once. */
static void
record(struct walk *w, const char *advisory, const char *fix,
    const struct catalog_details *d)
{
	struct plan_supersede_file *f = w->f;
	struct plan_supersede_entry *e;
	size_t i;

	if (d->kb == NULL || !str_is_kb(d->kb))
		return;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].advisory, advisory) == 0 &&
		    strcmp(f->v[i].fix, fix) == 0 &&
		    strcmp(f->v[i].kb, d->kb) == 0)
			return;
	f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
	e = &f->v[f->n++];
	memset(e, 0, sizeof(*e));
	e->file = f;
	e->advisory = xstrdup(advisory);
	e->fix = xstrdup(fix);
	e->kb = xstrdup(d->kb);
	e->date = d->date && strlen(d->date) == 10 ? xstrdup(d->date) : NULL;
	e->title = d->title ? xstrndup(d->title, 512) : NULL;
	e->update_id = d->update_id ? xstrdup(d->update_id) : NULL;
}

/*
 * Breadth first from the nroots ids in queue (the fix's own entries):
 * every update reached through "superseded by" contains the fix.
 */
static int
walk_from(struct walk *w, const char *advisory, const char *fix,
    char **queue, size_t nq)
{
	struct catalog_details d;
	size_t head = 0, i, nroots = nq;
	int rc = 0;

	while (head < nq) {
		const char *id = queue[head++];

		if (w->pages++ >= CATALOG_SUPERSEDE_MAX) {
			err_set("%s: more than %d Catalog pages: the "
			    "supersedence chain does not end", w->f->product,
			    CATALOG_SUPERSEDE_MAX);
			rc = -1;
			break;
		}
		memset(&d, 0, sizeof(d));
		if (catalog_details_get(w->c, id, &d) == -1) {
			err_prefix("%s: %s: ", fix, id);
			rc = -1;
			break;
		}
		if (d.found && head > nroots)
			record(w, advisory, fix, &d);
		for (i = 0; d.found && i < d.nsuperseded_by; i++) {
			const char *next = d.superseded_by[i].update_id;

			if (next == NULL || !catalog_valid_update_id(next) ||
			    seen(w, next))
				continue;
			queue = xreallocarray(queue, nq + 1, sizeof(*queue));
			queue[nq++] = xstrdup(next);
		}
		catalog_details_release(&d);
	}
	strv_free(queue, nq);
	return rc;
}

/* The Catalog's entries of fix for product (any architecture). */
static int
walk_fix(struct walk *w, const char *advisory, const char *fix)
{
	struct catalog_update_list l = { NULL, 0 };
	char **queue = NULL;
	size_t i, nq = 0, before = w->f->n;
	int rc;

	/* each fix's chain on its own: an update reached from two fixes
	 * is recorded for both */
	strv_free(w->seen, w->nseen);
	w->seen = NULL;
	w->nseen = 0;
	if (catalog_search(w->c, fix, 1000, &l) == -1) {
		err_prefix("search %s: ", fix);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		const struct catalog_update *u = &l.v[i];

		if (!catalog_title_has_kb(u->title, fix) ||
		    !catalog_products_have(u->products, w->f->product) ||
		    seen(w, u->update_id))
			continue;
		queue = xreallocarray(queue, nq + 1, sizeof(*queue));
		queue[nq++] = xstrdup(u->update_id);
	}
	catalog_update_list_release(&l);
	if (nq == 0) {
		say(w, "%s: %s: not in the Catalog for this product",
		    w->f->product, fix);
		free(queue);
		return 0;
	}
	rc = walk_from(w, advisory, fix, queue, nq);
	if (rc == 0)
		say(w, "%s: %s: %zu entr%s, %zu later update%s", w->f->product,
		    fix, nq, nq == 1 ? "y" : "ies", w->f->n - before,
		    w->f->n - before == 1 ? "" : "s");
	return rc;
}

/* The products of the update-table advisories, in order, once each. */
static char **
products_of(const struct advisory_set *set, size_t *n)
{
	char **v = NULL;
	size_t i, j, k;

	*n = 0;
	for (i = 0; i < set->n; i++)
		for (j = 0; j < set->items[i]->nrows; j++) {
			const struct advisory_row *r = &set->items[i]->rows[j];

			for (k = 0; k < r->match.nos; k++) {
				if (strv_has(v, *n, r->match.os[k]))
					continue;
				v = xreallocarray(v, *n + 1, sizeof(*v));
				v[(*n)++] = xstrdup(r->match.os[k]);
			}
		}
	return v;
}

/* The fixes of one row: fix, minimal, latest, once each. */
static int
walk_row(struct walk *w, const struct advisory *a, const struct advisory_row *r,
    char ***done, size_t *ndone)
{
	const char *fixes[64];
	size_t n = 0, i;

	fixes[n++] = r->fix;
	for (i = 0; i < r->nminimal && n < 63; i++)
		fixes[n++] = r->minimal[i];
	if (r->latest && n < 64)
		fixes[n++] = r->latest;
	for (i = 0; i < n; i++) {
		if (strv_has(*done, *ndone, fixes[i]))
			continue;
		*done = xreallocarray(*done, *ndone + 1, sizeof(**done));
		(*done)[(*ndone)++] = xstrdup(fixes[i]);
		if (walk_fix(w, a->id, fixes[i]) == -1)
			return -1;
	}
	return 0;
}

int
catalog_supersede_refresh(struct catalog_client *c,
    const struct advisory_set *set, const char *refreshed,
    void (*progress)(const char *, void *), void *arg,
    struct plan_supersede_file ***out, size_t *nout)
{
	char **products, **done = NULL;
	size_t np, p, i, j, ndone;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	products = products_of(set, &np);
	for (p = 0; p < np && rc == 0; p++) {
		struct walk w = { .c = c, .progress = progress, .arg = arg };

		w.f = xcalloc(1, sizeof(*w.f));
		w.f->product = xstrdup(products[p]);
		w.f->refreshed = xstrdup(refreshed);
		w.f->source = xasprintf("%s: \"superseded by\" from the fixes "
		    "the advisories name", catalog_client_base(c));
		done = NULL;
		ndone = 0;
		for (i = 0; i < set->n && rc == 0; i++)
			for (j = 0; j < set->items[i]->nrows && rc == 0; j++) {
				const struct advisory_row *r =
				    &set->items[i]->rows[j];

				if (strv_has(r->match.os, r->match.nos,
				    products[p]))
					rc = walk_row(&w, set->items[i], r,
					    &done, &ndone);
			}
		strv_free(done, ndone);
		strv_free(w.seen, w.nseen);
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[(*nout)++] = w.f;
	}
	strv_free(products, np);
	return rc;
}
