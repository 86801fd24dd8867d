/*
 * Scheduling rules: waves, canary, failure threshold, maintenance window,
 * reboot groups.  Pure functions, tested in tests/unit/test_deploy.c.
 */
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"
#include "util/util.h"

#define WAVE_UNSET	(-2)	/* not assigned yet; -1 is manual */

/* Plan order, lowest plan wave first (0 = none sorts last). */
static int
slot_before(const struct deploy_slot *a, const struct deploy_slot *b)
{
	int wa = a->plan_wave ? a->plan_wave : 0x7fffffff;
	int wb = b->plan_wave ? b->plan_wave : 0x7fffffff;

	return wa < wb;
}

static void
pick_canaries(const struct deploy_slot *s, size_t n, int canary, int *wave)
{
	size_t i, best;
	int k;

	for (k = 0; k < canary; k++) {
		best = n;
		for (i = 0; i < n; i++) {
			if (s[i].manual || wave[i] != WAVE_UNSET)
				continue;
			if (best == n || slot_before(&s[i], &s[best]))
				best = i;
		}
		if (best == n)
			return;
		wave[best] = 0;
	}
}

static int
has_plan_waves(const struct deploy_slot *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i].manual && s[i].plan_wave > 0)
			return 1;
	return 0;
}

/* Plan waves ascending, renumbered after the canary wave. */
static int
assign_plan_waves(const struct deploy_slot *s, size_t n, int *wave, int next)
{
	size_t i;
	int cur, lo, last = 0, rest = 0;

	for (;;) {
		lo = 0;
		for (i = 0; i < n; i++)
			if (wave[i] == WAVE_UNSET && s[i].plan_wave > last &&
			    (lo == 0 || s[i].plan_wave < lo))
				lo = s[i].plan_wave;
		if (lo == 0)
			break;
		cur = next++;
		for (i = 0; i < n; i++)
			if (wave[i] == WAVE_UNSET && s[i].plan_wave == lo)
				wave[i] = cur;
		last = lo;
	}
	for (i = 0; i < n; i++)
		if (wave[i] == WAVE_UNSET) {
			wave[i] = next;
			rest = 1;
		}
	return next + rest;
}

int
deploy_waves(const struct deploy_slot *s, size_t n, int canary, int parallel,
    int *wave)
{
	size_t i, inwave = 0;
	int next, any_canary = 0;

	if (parallel < 1)
		parallel = 1;
	for (i = 0; i < n; i++)
		wave[i] = s[i].manual ? -1 : WAVE_UNSET;
	pick_canaries(s, n, canary, wave);
	for (i = 0; i < n; i++)
		if (wave[i] == 0)
			any_canary = 1;
	next = any_canary;
	if (has_plan_waves(s, n))
		return assign_plan_waves(s, n, wave, next);
	for (i = 0; i < n; i++) {
		if (wave[i] != WAVE_UNSET)
			continue;
		if (inwave == (size_t)parallel) {
			next++;
			inwave = 0;
		}
		wave[i] = next;
		inwave++;
	}
	return next + (inwave > 0);
}

/*
 * Share of a host's estimate still ahead at each phase: connect to install
 * about 40 %, reboot and wait 50 %, verify and cleanup 10 %.
 */
int64_t
deploy_remaining_s(int estimate_s, enum deploy_phase from)
{
	static const int pct[] = { 100, 80, 60, 10, 0 };	/* by phase */

	if (from > DEPLOY_PHASE_DONE)
		from = DEPLOY_PHASE_DONE;
	return ((int64_t)estimate_s * pct[from] + 99) / 100;
}

int
deploy_window_fits(int64_t now, int64_t start, int64_t duration_s,
    int64_t remaining_s)
{
	if (duration_s <= 0)
		return 1;
	return now >= start && now + remaining_s <= start + duration_s;
}

char *
deploy_window_abs(int64_t start, int64_t duration_s)
{
	char ts[21];

	time_iso8601(start, ts);
	return xasprintf("%s/%llds", ts, (long long)duration_s);
}

int
deploy_max_fail_exceeded(size_t failed, size_t finished, int pct)
{
	if (failed == 0 || finished == 0)
		return 0;
	return failed * 100 > finished * (size_t)pct;
}

static struct deploy_group *
group_get(struct deploy_grouplock *l, const char *group, int create)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->g[i].name, group) == 0)
			return &l->g[i];
	if (!create)
		return NULL;
	l->g = xreallocarray(l->g, l->n + 1, sizeof(*l->g));
	memset(&l->g[l->n], 0, sizeof(*l->g));
	l->g[l->n].name = group;
	l->g[l->n].max = 1;
	return &l->g[l->n++];
}

void
deploy_group_budget(struct deploy_grouplock *l, const char *group, int max)
{
	if (group != NULL && *group != '\0')
		group_get(l, group, 1)->max = max < 1 ? 1 : max;
}

static int
holds(const struct deploy_group *g, const char *host)
{
	size_t i;

	for (i = 0; i < g->nholder; i++)
		if (strcmp(g->holder[i], host) == 0)
			return 1;
	return 0;
}

static int
group_hold(struct deploy_grouplock *l, const char *group, const char *host,
    int force)
{
	struct deploy_group *g;

	if (group == NULL || *group == '\0')
		return 1;
	g = group_get(l, group, 1);
	if (holds(g, host))
		return 1;
	if (!force && g->nholder >= (size_t)g->max)
		return 0;
	g->holder = xreallocarray(g->holder, g->nholder + 1,
	    sizeof(*g->holder));
	g->holder[g->nholder++] = host;
	return 1;
}

int
deploy_group_acquire(struct deploy_grouplock *l, const char *group,
    const char *host)
{
	return group_hold(l, group, host, 0);
}

void
deploy_group_take(struct deploy_grouplock *l, const char *group,
    const char *host)
{
	group_hold(l, group, host, 1);
}

void
deploy_group_release(struct deploy_grouplock *l, const char *group,
    const char *host)
{
	struct deploy_group *g;
	size_t i;

	if (group == NULL || (g = group_get(l, group, 0)) == NULL)
		return;
	for (i = 0; i < g->nholder; i++)
		if (strcmp(g->holder[i], host) == 0) {
			g->holder[i] = g->holder[--g->nholder];
			return;
		}
}

int
deploy_group_held(const struct deploy_grouplock *l, const char *group)
{
	size_t i;

	for (i = 0; group != NULL && i < l->n; i++)
		if (strcmp(l->g[i].name, group) == 0)
			return (int)l->g[i].nholder;
	return 0;
}

void
deploy_grouplock_release(struct deploy_grouplock *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->g[i].holder);
	free(l->g);
	memset(l, 0, sizeof(*l));
}
