/*
 * Choosing the Catalog entry for a plan package.  Windows 7 and Server
 * 2008 R2 are separate entries sharing one file, and WSUS needs the id of
 * the product the host runs (FACTS.md section 2), so the product must be
 * one of the row's products exactly.  The architecture comes from the
 * title; Delta, Express and Dynamic variants never match by accident.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

static const char *const variants[] = { "delta", "express", "dynamic" };

/* Whether the comma-separated list holds product exactly. */
int
catalog_products_have(const char *list, const char *product)
{
	size_t n = strlen(product);
	const char *p = list, *e;

	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		while (e > p && e[-1] == ' ')
			e--;
		if ((size_t)(e - p) == n && strncasecmp(p, product, n) == 0)
			return 1;
		p = e;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

int
catalog_title_has_kb(const char *title, const char *kb)
{
	const char *p = title;
	size_t n = strlen(kb);

	while ((p = strcasestr(p, kb)) != NULL) {
		if (p[n] < '0' || p[n] > '9')
			return 1;
		p += n;
	}
	return 0;
}

static int
is_variant(const char *title)
{
	size_t i;

	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		if (strcasestr(title, variants[i]) != NULL)
			return 1;
	return 0;
}

static void
list_rows(struct buf *b, const struct catalog_update_list *l, const char *kb)
{
	size_t i, shown = 0;

	for (i = 0; i < l->n; i++) {
		if (!catalog_title_has_kb(l->v[i].title, kb))
			continue;
		buf_addf(b, "\n  %s  %s  [%s]", l->v[i].update_id,
		    l->v[i].title, l->v[i].products);
		if (++shown == 20)
			break;
	}
	if (shown == 0)
		buf_adds(b, " none");
}

int
catalog_select(const struct catalog_update_list *l, const char *kb,
    const char *product, const char *arch, size_t *index)
{
	size_t i, n = 0, *hits = xcalloc(l->n + 1, sizeof(*hits));
	const char *a;
	struct buf b;

	for (i = 0; i < l->n; i++) {
		const struct catalog_update *u = &l->v[i];
		if (!catalog_title_has_kb(u->title, kb) || is_variant(u->title) ||
		    !catalog_products_have(u->products, product))
			continue;
		if ((a = catalog_title_arch(u->title)) == NULL ||
		    strcasecmp(a, arch) != 0)
			continue;
		hits[n++] = i;
	}
	if (n == 1) {
		*index = hits[0];
		free(hits);
		return 0;
	}
	buf_init(&b, 1 << 16);
	if (n == 0) {
		buf_addf(&b, "%s for %s %s: no Catalog entry matches; entries "
		    "for %s:", kb, product, arch, kb);
		list_rows(&b, l, kb);
	} else {
		buf_addf(&b, "%s for %s %s: %zu Catalog entries match, "
		    "choose one:", kb, product, arch, n);
		for (i = 0; i < n; i++)
			buf_addf(&b, "\n  %s  %s", l->v[hits[i]].update_id,
			    l->v[hits[i]].title);
	}
	err_set("%s", buf_str(&b));
	buf_release(&b);
	free(hits);
	return -1;
}
