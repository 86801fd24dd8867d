/*
 * Reboot groups and their disruption budgets (issue 14 item 6): the
 * inventory's "groups" object, the budget each group gets (a count, or a
 * percentage of its members rounded down, at least 1; default 1), the
 * waves that keep at most that many members of a group in one wave, and
 * the plan's lookup.  Apply holds the same budget as a counted lease
 * (deploy/sched.c), the export as a throttle (export/ansible_yml.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plan/plan.h"
#include "plan/engine.h"
#include "plan/inventory_int.h"

#define GROUP_COUNT_MAX	1000000

/* One host of a group: its wave (0: none yet) and whether it is placed. */
struct gm {
	const char	*group;
	int		 wave;
	int		 place;		/* needs a wave from the packer */
	size_t		 idx;		/* in the inventory or plan */
};

static int
gm_cmp(const void *a, const void *b)
{
	const struct gm *x = a, *y = b;
	int c = strcmp(x->group, y->group);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* The end of the run of members of v[i]'s group. */
static size_t
gm_run(const struct gm *v, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && strcmp(v[j].group, v[i].group) == 0)
		j++;
	return j;
}

static const struct plan_inv_group *
spec_find(const struct plan_inv_group *g, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(g[i].name, name) == 0)
			return &g[i];
	return NULL;
}

static int
resolve(const struct plan_inv_group *g, int members)
{
	int n;

	if (g == NULL)
		return 1;
	if (g->count)
		return g->count;
	n = (int)((long long)members * g->percent / 100);
	return n < 1 ? 1 : n;
}

/* "max_unavailable": 10 or "25%". */
static int
read_budget(const struct ird *r, const cJSON *v, struct plan_inv_group *g)
{
	static const char want[] = "must be a count of at least 1 or a "
	    "percentage of the group's members from 1% to 100%, like 2 or "
	    "\"25%\"";
	const char *s, *p;
	long pct = 0;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 1 || v->valuedouble > GROUP_COUNT_MAX ||
		    v->valuedouble != (double)(int)v->valuedouble)
			return inv_fail(r, "max_unavailable", "%g %s",
			    v->valuedouble, want);
		g->count = (int)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v))
		return inv_fail(r, "max_unavailable", "%s", want);
	s = v->valuestring;
	for (p = s; *p >= '0' && *p <= '9' && p - s < 4; p++)
		pct = pct * 10 + (*p - '0');
	if (p == s || strcmp(p, "%") != 0 || pct < 1 || pct > 100)
		return inv_fail(r, "max_unavailable", "'%s' %s", s, want);
	g->percent = (int)pct;
	return 0;
}

int
inv_groups_read(struct plan_inventory *inv, const cJSON *o)
{
	struct ird r = { .name = inv->name, .arena = inv->arena };
	const cJSON *e, *k;
	struct plan_inv_group *g;

	if (!cJSON_IsObject(o))
		return inv_fail(&r, "groups", "must be an object like {\"web\": "
		    "{\"max_unavailable\": 2}}");
	cJSON_ArrayForEach(e, o) {
		if (*e->string == '\0' || strlen(e->string) > 1024)
			return inv_fail(&r, "groups", "a group name is 1 to "
			    "1024 bytes");
		snprintf(r.where, sizeof(r.where), "groups.%.100s%s.",
		    e->string, strlen(e->string) > 100 ? "..." : "");
		if (!cJSON_IsObject(e))
			return inv_fail(&r, "max_unavailable", "missing (a "
			    "group is {\"max_unavailable\": 2})");
		cJSON_ArrayForEach(k, e)
			if (strcmp(k->string, "max_unavailable") != 0)
				return inv_fail(&r, k->string, "unknown field "
				    "(a group has max_unavailable only)");
		k = cJSON_GetObjectItemCaseSensitive(e, "max_unavailable");
		if (k == NULL)
			return inv_fail(&r, "max_unavailable", "missing (a "
			    "group is {\"max_unavailable\": 2})");
		inv->groups = inv_agrow(&r, inv->groups, inv->ngroups,
		    sizeof(*inv->groups));
		g = &inv->groups[inv->ngroups++];
		g->name = inv_adup(&r, e->string);
		if (read_budget(&r, k, g) == -1)
			return -1;
	}
	return 0;
}

/*
 * An explicit wave holding more members of a group than its budget is
 * kept (the operator chose it): apply and the export let at most the
 * budget reboot at once, so the wave takes longer than planned.
 */
void
inv_groups_check(struct plan_inventory *inv)
{
	struct gm *v = xcalloc(inv->nhosts + 1, sizeof(*v));
	size_t i, j, k, n = 0, run;
	int *waves, max;

	for (i = 0; i < inv->nhosts; i++)
		if (inv->hosts[i].name && inv->hosts[i].group)
			v[n++] = (struct gm){ inv->hosts[i].group,
			    inv->hosts[i].wave, 0, i };
	qsort(v, n, sizeof(*v), gm_cmp);
	waves = xcalloc(n + 1, sizeof(*waves));
	for (i = 0; i < n; i = j) {
		j = gm_run(v, n, i);
		max = resolve(spec_find(inv->groups, inv->ngroups, v[i].group),
		    (int)(j - i));
		for (run = 0, k = i; k < j; k++)
			if (v[k].wave)
				waves[run++] = v[k].wave;
		qsort(waves, run, sizeof(*waves), int_cmp);
		for (k = 0; k < run; ) {
			size_t e = k;

			while (e < run && waves[e] == waves[k])
				e++;
			if ((int)(e - k) > max) {
				char *m = xasprintf("%s: wave %d holds %zu members "
				    "of reboot group %s, over its "
				    "max_unavailable %d: apply reboots at most "
				    "%d of them at once (the wave takes longer "
				    "than planned)", inv->name, waves[k],
				    e - k, v[i].group, max, max);

				inv_warn(inv, m);
				free(m);
			}
			k = e;
		}
	}
	free(waves);
	free(v);
}

/*
 * The plan's groups (by name) and the waves: a host with actions and no
 * wave of its own goes to wave 1, or when it has a group to the first
 * wave that holds fewer than the group's budget of its members (explicit
 * waves count).  With the default budget of 1 that is "members of a
 * group never share a wave".
 */
void
plan_groups_assign(const struct plan_inventory *inv, struct plan *p)
{
	struct gm *v = xcalloc(p->nhosts + 1, sizeof(*v));
	size_t i, j, k, n = 0, ng = 0, nexp, e;
	int *exp, w, placed, max;

	for (i = 0; i < p->nhosts; i++) {
		struct plan_host *h = &p->hosts[i];
		int place = h->wave == 0 && h->status == PLAN_NEEDS_ACTION;

		if (h->group)
			v[n++] = (struct gm){ h->group, h->wave, place, i };
		else if (place)
			h->wave = 1;
	}
	qsort(v, n, sizeof(*v), gm_cmp);
	for (i = 0; i < n; i = gm_run(v, n, i))
		ng++;
	p->groups = plan_arena_alloc(p->arena, (ng + 1) * sizeof(*p->groups));
	exp = xcalloc(n + 1, sizeof(*exp));
	for (i = 0; i < n; i = j) {
		struct plan_group *g = &p->groups[p->ngroups++];
		const struct plan_inv_group *s;

		j = gm_run(v, n, i);
		s = spec_find(inv->groups, inv->ngroups, v[i].group);
		g->name = plan_arena_intern(p->arena, v[i].group);
		g->members = (int)(j - i);
		g->percent = s ? s->percent : 0;
		g->max_unavailable = max = resolve(s, g->members);
		for (nexp = 0, k = i; k < j; k++)
			if (v[k].wave)
				exp[nexp++] = v[k].wave;
		qsort(exp, nexp, sizeof(*exp), int_cmp);
		w = 1;
		placed = 0;
		e = 0;
		for (k = i; k < j; k++) {
			if (!v[k].place)
				continue;
			for (;;) {
				int taken = placed;
				size_t x;

				while (e < nexp && exp[e] < w)
					e++;
				for (x = e; x < nexp && exp[x] == w; x++)
					taken++;
				if (taken < max)
					break;
				w++;
				placed = 0;
			}
			p->hosts[v[k].idx].wave = w;
			placed++;
		}
	}
	free(exp);
	free(v);
}

static int
group_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct plan_group *)elem)->name);
}

const struct plan_group *
plan_group_find(const struct plan *p, const char *name)
{
	if (name == NULL || p->ngroups == 0)
		return NULL;
	return bsearch(name, p->groups, p->ngroups, sizeof(*p->groups),
	    group_cmp);
}

int
plan_group_budget(const struct plan *p, const char *name)
{
	const struct plan_group *g = plan_group_find(p, name);

	return g ? g->max_unavailable : 1;
}
