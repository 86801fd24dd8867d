/*
 * The applicability engine: one finding per advisory and host, and the
 * remedy it needs (an install, a workaround), from the facts of
 * FACTS.md section 1.  build.c turns the results into the plan.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/engine.h"

/* Facts. */

static int
has_kb(const struct plan_inv_host *h, const char *kb)
{
	size_t i;

	for (i = 0; i < h->ninstalled; i++)
		if (strcmp(h->installed[i], kb) == 0)
			return 1;
	return 0;
}

static const char *
file_version(const struct plan_inv_host *h, const char *file)
{
	size_t i;

	for (i = 0; i < h->nfiles; i++)
		if (strcasecmp(h->files[i].name, file) == 0)
			return h->files[i].version;
	return NULL;
}

static const struct plan_inv_reg *
reg_value(const struct plan_inv_host *h, const char *path)
{
	size_t i;

	for (i = 0; i < h->nregistry; i++)
		if (plan_regpath_eq(h->registry[i].path, path))
			return &h->registry[i];
	return NULL;
}

static int
reg_same(const struct plan_inv_reg *a, const struct plan_inv_reg *b)
{
	return a->is_num == b->is_num && (a->is_num ? a->num == b->num :
	    strcmp(a->str, b->str) == 0);
}

/* The value under path given again (another spelling) with other data. */
static const struct plan_inv_reg *
reg_conflict(const struct plan_inv_host *h, const char *path,
    const struct plan_inv_reg **first)
{
	size_t i;

	*first = NULL;
	for (i = 0; i < h->nregistry; i++) {
		if (!plan_regpath_eq(h->registry[i].path, path))
			continue;
		if (*first == NULL)
			*first = &h->registry[i];
		else if (!reg_same(*first, &h->registry[i]))
			return &h->registry[i];
	}
	return NULL;
}

static int
match_host(const struct advisory_match *m, const struct plan_inv_host *h)
{
	return h->product && h->version &&
	    plan_version_same_build(m->build, h->version) &&
	    strv_has(m->os, m->nos, h->product);
}


static const char *
adv_name(const struct advisory *a)
{
	return a->kb ? a->kb : a->id;
}

static void
set_result(struct plan_eval *e, enum plan_state st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_result(struct plan_eval *e, enum plan_state st, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	e->state = st;
	e->reason = plan_arena_intern(e->arena, tmp);
}

/* A bounded text buffer on the stack: reasons are one sentence. */
struct sbuf {
	char	d[1536];
	size_t	n;
};

static void
sb_addf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_addf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (s->n + 1 >= sizeof(s->d))
		return;
	va_start(ap, fmt);
	r = vsnprintf(s->d + s->n, sizeof(s->d) - s->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		s->n += (size_t)r < sizeof(s->d) - s->n ? (size_t)r :
		    sizeof(s->d) - s->n - 1;
}

static void
join_list(struct sbuf *b, char *const *v, size_t n, const char *last)
{
	size_t i;

	for (i = 0; i < n; i++)
		sb_addf(b, "%s%s", i == 0 ? "" : i + 1 == n ? last : ", ",
		    v[i]);
}

/* Checks shared by every model; 1 when the finding is decided. */
static int
common_checks(struct plan_eval *e, const struct plan_inv_host *h)
{
	const struct advisory *a = e->adv;
	struct sbuf b = { .n = 0 };

	if (h->product == NULL && h->os_raw != NULL) {
		set_result(e, FINDING_UNKNOWN, "The os '%s' is not a Windows "
		    "product kbfix knows (Windows Vista to 11, Server 2008 to "
		    "2025): check the inventory's os to decide %s.", h->os_raw,
		    adv_name(a));
		return 1;
	}
	if (h->product == NULL) {
		set_result(e, FINDING_UNKNOWN, "The inventory does not give "
		    "the host's os: collect os (product name) to decide %s.",
		    adv_name(a));
		return 1;
	}
	if (h->fact_error != NULL) {
		set_result(e, FINDING_UNKNOWN, "The facts disagree: %s; check "
		    "the inventory's os, version and arch to decide %s.",
		    h->fact_error, adv_name(a));
		return 1;
	}
	if (!strv_has(a->os, a->nos, h->product)) {
		join_list(&b, a->os, a->nos, " and ");
		set_result(e, FINDING_NOT_AFFECTED, "%s applies to %s only.",
		    adv_name(a), b.d);
		return 1;
	}
	/* the registry model decides from the registry alone */
	if (h->version == NULL && a->model != ADVISORY_REGISTRY) {
		set_result(e, FINDING_UNKNOWN, "The inventory does not give "
		    "the build: collect version (e.g. 6.1.7601) to decide %s.",
		    adv_name(a));
		return 1;
	}
	return 0;
}

/* Servicing channel: given, or inferred from the updates installed. */

static const char *
row_channel_kb(const struct advisory_row *r, const struct plan_inv_host *h)
{
	size_t i;

	for (i = 0; i < r->nproblem; i++)
		if (has_kb(h, r->problem[i]))
			return r->problem[i];
	if (has_kb(h, r->fix))
		return r->fix;
	if (r->latest && has_kb(h, r->latest))
		return r->latest;
	return NULL;
}

/*
 * A monthly rollup is cumulative and never on a security-only host, so any
 * rollup-channel update means monthly-rollup (seed 001: KB4338818 is the
 * July rollup, KB4338823 the July security-only update).
 */
const char *
plan_channel_infer(const struct advisory_set *set,
    const struct plan_inv_host *h, const char **why_kb)
{
	static const char *const order[] = { "monthly-rollup", "security-only" };
	const char *kb;
	size_t o, i, j;

	*why_kb = NULL;
	if (h->channel)
		return h->channel;
	for (o = 0; o < 2; o++)
		for (i = 0; i < set->n; i++)
			for (j = 0; j < set->items[i]->nrows; j++) {
				const struct advisory_row *r =
				    &set->items[i]->rows[j];

				/* only the host's own product and build: a
				 * Windows 8.1 rollup says nothing of a
				 * Windows 7 host */
				if (strcmp(r->channel, order[o]) != 0 ||
				    !match_host(&r->match, h) ||
				    (kb = row_channel_kb(r, h)) == NULL)
					continue;
				*why_kb = kb;
				return order[o];
			}
	return NULL;
}

static int
row_fixed(const struct advisory_row *r, const struct plan_inv_host *h,
    const char **kb)
{
	size_t i;
	int all = r->nminimal > 0;

	if (has_kb(h, r->fix))
		return *kb = r->fix, 1;
	if (r->latest && has_kb(h, r->latest))
		return *kb = r->latest, 1;
	for (i = 0; i < r->nsuperseded; i++)
		if (has_kb(h, r->superseded_by[i]))
			return *kb = r->superseded_by[i], 1;
	for (i = 0; i < r->nminimal; i++)
		all = all && has_kb(h, r->minimal[i]);
	if (all)
		*kb = r->minimal[r->nminimal - 1];
	return all;
}

static const char *
row_pick(const struct advisory_row *r, const struct plan_inv_host *h,
    enum plan_prefer prefer)
{
	const char *missing = NULL;
	size_t i, n = 0;

	if (prefer == PLAN_PREFER_LATEST && r->latest)
		return r->latest;
	if (prefer == PLAN_PREFER_MINIMAL) {
		for (i = 0; i < r->nminimal; i++)
			if (!has_kb(h, r->minimal[i])) {
				missing = r->minimal[i];
				n++;
			}
		if (n == 1)
			return missing;
	}
	return r->fix;
}

/* Says where the channel of the row that applies comes from. */
static void
channel_note(struct sbuf *b, const char *channel, const char *why_kb,
    const struct plan_inv_host *h)
{
	if (channel == NULL)
		return;
	if (h->channel && strcmp(h->channel, channel) == 0)
		sb_addf(b, " (channel %s from the inventory)", channel);
	else if (h->channel)
		sb_addf(b, " (the installed %s is a %s update although the "
		    "inventory says %s)", why_kb, channel, h->channel);
	else
		sb_addf(b, " (channel %s inferred from installed %s)",
		    channel, why_kb);
}

/*
 * Not affected: say what to deploy instead of the July update, as --prefer
 * picks it; the rows of the host's channel, or every row when no row has
 * that channel ("cumulative" on Windows 7).
 */
static void
table_not_installed(struct plan_eval *e, const struct advisory_row **rows,
    size_t n, const char *channel, const struct plan_inv_host *h,
    enum plan_prefer prefer)
{
	struct sbuf b = { .n = 0 };
	size_t i, k = 0, fit = 0;

	for (i = 0; i < n && channel; i++)
		fit += strcmp(rows[i]->channel, "any") == 0 ||
		    strcmp(rows[i]->channel, channel) == 0;
	sb_addf(&b, "%s", "No problem update (");
	for (i = 0; i < n; i++)
		sb_addf(&b, "%s%s", i ? " or " : "", rows[i]->problem[0]);
	sb_addf(&b, ") is installed, so the host is not affected; when "
	    "rolling out the %s updates, deploy ", e->adv->problem_text);
	for (i = 0; i < n; i++) {
		if (fit && strcmp(rows[i]->channel, "any") != 0 &&
		    strcmp(rows[i]->channel, channel) != 0)
			continue;
		sb_addf(&b, "%s%s instead of %s", k++ ? ", or " : "",
		    row_pick(rows[i], h, prefer), rows[i]->problem[0]);
		if (strcmp(rows[i]->channel, "any") != 0)
			sb_addf(&b, " (%s)", rows[i]->channel);
	}
	sb_addf(&b, "%s", ".");
	if (channel && !fit)
		sb_addf(&b, " (No row of the table is for channel %s.)",
		    channel);
	set_result(e, FINDING_NOT_AFFECTED, "%s", b.d);
}

static const struct advisory_row *
table_affected_row(const struct advisory_row **rows, size_t n,
    const struct plan_inv_host *h, const char *channel, const char **kb)
{
	const struct advisory_row *found = NULL;
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < rows[i]->nproblem; j++) {
			if (!has_kb(h, rows[i]->problem[j]))
				continue;
			if (found == NULL || (channel &&
			    strcmp(rows[i]->channel, channel) == 0)) {
				found = rows[i];
				*kb = rows[i]->problem[j];
			}
		}
	return found;
}

/*
 * Windows 10 / Server 2016 without a revision in version: the cumulative
 * update's Package_for_RollupFix version is "BUILD.REVISION.x.y"
 * ("17134.228.1.7"), so the rollup level gives the revision; NULL when
 * it is absent or of another build.
 */
static const char *
rollup_build(const struct advisory_row *row, const struct plan_inv_host *h,
    char *out, size_t outlen)
{
	struct plan_version b, r;

	if (h->rollup == NULL || plan_version_parse(row->match.build, &b) == -1 ||
	    plan_version_parse(h->rollup, &r) == -1 || r.n < 2 ||
	    r.f[0] != b.f[2])
		return NULL;
	snprintf(out, outlen, "%u.%u.%u.%u", b.f[0], b.f[1], b.f[2], r.f[1]);
	return out;
}

/*
 * Windows 10 / Server 2016: the build revision decides (seed 001's OS
 * builds), whatever the installed list says; 1 when decided.
 */
static int
table_by_build(struct plan_eval *e, const struct advisory_row *row,
    const struct plan_inv_host *h, enum plan_prefer prefer)
{
	const struct advisory *a = e->adv;
	const char *v = h->version;
	char eff[48], what[128];

	if (row->fix_build == NULL)
		return 0;
	if (plan_version_revision(v) < 0 &&
	    (v = rollup_build(row, h, eff, sizeof(eff))) == NULL)
		return 0;
	if (v == eff)
		snprintf(what, sizeof(what), "The rollup level %s makes build "
		    "%s, which", h->rollup, v);
	else
		snprintf(what, sizeof(what), "Build %s", v);
	if (plan_version_cmp(v, row->fix_build) >= 0) {
		set_result(e, FINDING_FIXED, "%s is at or after %s, the "
		    "build %s brings: the fix for the %s regression is "
		    "installed (%s).", what, row->fix_build, row->fix,
		    a->problem_text, a->id);
		return 1;
	}
	if (plan_version_cmp(v, row->problem_build) < 0) {
		set_result(e, FINDING_NOT_AFFECTED, "%s is before %s, the "
		    "build of the %s update %s: not affected; when rolling out "
		    "the %s updates, deploy %s instead of %s.", what,
		    row->problem_build, a->problem_text, row->problem[0],
		    a->problem_text, row_pick(row, h, prefer), row->problem[0]);
		return 1;
	}
	if (has_kb(h, row->fix)) {
		set_result(e, FINDING_UNKNOWN, "The inventory lists %s, but "
		    "build %s is before %s, the build it brings (a restart "
		    "pending?): restart the host and collect version again to "
		    "decide %s.", row->fix, v, row->fix_build, a->id);
		return 1;
	}
	e->kb = row_pick(row, h, prefer);
	set_result(e, FINDING_AFFECTED, "%s is at or after %s (the %s "
	    "update %s) and before %s (%s): affected; install %s.", what,
	    row->problem_build, a->problem_text, row->problem[0],
	    row->fix_build, row->fix, e->kb);
	return 1;
}

static int
in_superseded(const struct plan_inv_host *h, const char *kb)
{
	return strv_has(h->superseded, h->nsuperseded, kb);
}

/*
 * DISM's Superseded state is evidence of the level reached (seed 001:
 * every update that replaces the July update or its fix contains the
 * fix), never an update to install; 1 when decided.
 */
static int
table_superseded(struct plan_eval *e, const struct advisory_row *r,
    const struct plan_inv_host *h)
{
	const char *kb = NULL;
	size_t i;

	for (i = 0; i < r->nproblem && kb == NULL; i++)
		if (in_superseded(h, r->problem[i]))
			kb = r->problem[i];
	if (kb == NULL && in_superseded(h, r->fix))
		kb = r->fix;
	for (i = 0; i < r->nminimal && kb == NULL; i++)
		if (in_superseded(h, r->minimal[i]))
			kb = r->minimal[i];
	if (kb == NULL)
		return 0;
	set_result(e, FINDING_FIXED, "%s is Superseded on the host (DISM): a "
	    "later update replaced it, and every update that replaces the %s "
	    "update or its fix contains the fix (%s).", kb,
	    e->adv->problem_text, e->adv->id);
	return 1;
}

/* Whether fix is one the row installs ("fix", "latest", "minimal"). */
static int
row_has_fix(const struct advisory_row *r, const char *fix)
{
	return strcmp(r->fix, fix) == 0 || (r->latest &&
	    strcmp(r->latest, fix) == 0) || strv_has(r->minimal, r->nminimal,
	    fix);
}

/* One KB of the host against the supersedence data; 1 when decided. */
static int
data_says_fixed(struct plan_eval *e, const struct advisory_row *r,
    const struct plan_inv_host *h, const struct plan_supersede *sup,
    const char *kb, const char *how)
{
	const struct plan_supersede_entry *m[8];
	size_t n, i;

	n = plan_supersede_find(sup, h->product, e->adv->id, kb, m, 8);
	for (i = 0; i < n; i++) {
		if (!row_has_fix(r, m[i]->fix))
			continue;
		set_result(e, FINDING_FIXED, "%s (%s%s%s) is %s and contains "
		    "the fix %s: the host is past the %s regression (%s; "
		    "supersedence data for %s, refreshed %s).", kb,
		    m[i]->title ? m[i]->title : "",
		    m[i]->title && m[i]->date ? ", " : "",
		    m[i]->date ? m[i]->date : "", how, m[i]->fix,
		    e->adv->problem_text, e->adv->id, m[i]->file->product,
		    m[i]->file->refreshed);
		return 1;
	}
	return 0;
}

static int
table_by_data(struct plan_eval *e, const struct advisory_row *r,
    const struct plan_inv_host *h, const struct plan_supersede *sup)
{
	size_t i;

	if (sup == NULL)
		return 0;
	for (i = 0; i < h->ninstalled; i++)
		if (data_says_fixed(e, r, h, sup, h->installed[i], "installed"))
			return 1;
	for (i = 0; i < h->nsuperseded; i++)
		if (data_says_fixed(e, r, h, sup, h->superseded[i],
		    "Superseded on the host"))
			return 1;
	return 0;
}

static void
eval_table(struct plan_eval *e, const struct plan_inv_host *h,
    const struct advisory_set *set, const struct plan_options *o)
{
	enum plan_prefer prefer = o->prefer;
	const struct advisory *a = e->adv;
	const struct advisory_row *rows[16], *row;
	const char *channel, *why = NULL, *kb = NULL;
	struct sbuf b = { .n = 0 };
	size_t i, n = 0;

	for (i = 0; i < a->nrows && n < 16; i++)
		if (match_host(&a->rows[i].match, h))
			rows[n++] = &a->rows[i];
	if (n == 0) {
		set_result(e, FINDING_NOT_AFFECTED, "%s has no row for %s %s: "
		    "no problem update exists for this build, not affected.",
		    a->id, h->product, h->version);
		return;
	}
	for (i = 0; i < n; i++)
		if (table_by_build(e, rows[i], h, prefer))
			return;
	for (i = 0; i < n; i++)
		if (row_fixed(rows[i], h, &kb)) {
			set_result(e, FINDING_FIXED, "%s is installed and "
			    "contains the fix for the %s regression (%s).", kb,
			    a->problem_text, a->id);
			return;
		}
	for (i = 0; i < n; i++)
		if (table_superseded(e, rows[i], h) ||
		    table_by_data(e, rows[i], h, o->supersede))
			return;
	if (!h->has_installed) {
		set_result(e, FINDING_UNKNOWN, "The inventory does not list "
		    "installed updates: collect installed (e.g. %s)%s to "
		    "decide %s.", rows[0]->problem[0], rows[0]->fix_build ?
		    " or version with its build revision (UBR, e.g. "
		    "10.0.17134.165)" : "", a->id);
		return;
	}
	channel = plan_channel_infer(set, h, &why);
	if ((row = table_affected_row(rows, n, h, channel, &kb)) == NULL) {
		table_not_installed(e, rows, n, channel, h, prefer);
		return;
	}
	e->kb = row_pick(row, h, prefer);
	sb_addf(&b, "%s, the %s update for %s, is installed without the "
	    "fix; install %s", kb, e->adv->problem_text, row->label, e->kb);
	channel_note(&b, strcmp(row->channel, "any") ? row->channel : NULL,
	    h->channel || why == NULL ? kb : why, h);
	sb_addf(&b, "%s", ".");
	set_result(e, FINDING_AFFECTED, "%s", b.d);
}

/* Hotfix model. */

static const struct advisory_branch *
branch_of(const struct advisory_target *t, const char *version)
{
	const char *last = strrchr(version, '.');
	uint64_t v;
	size_t i;

	if (last == NULL || strncmp(version, t->match.build,
	    strlen(t->match.build)) != 0 ||
	    version[strlen(t->match.build)] != '.' ||
	    parse_u64(last + 1, UINT64_MAX, &v) == -1)
		return NULL;
	for (i = 0; i < t->nbranches; i++)
		if (v >= t->branches[i].lo && v <= t->branches[i].hi)
			return &t->branches[i];
	return NULL;
}

/* The branch a host ends on: its own, or the first with a fix (LDR-only). */
static const struct advisory_branch *
branch_result(const struct advisory_target *t, const struct advisory_branch *own)
{
	size_t i;

	if (own && own->fixed)
		return own;
	for (i = 0; i < t->nbranches; i++)
		if (t->branches[i].fixed)
			return &t->branches[i];
	return NULL;
}

/* -1: fact absent; 0/1: trigger off/on. */
static int
trigger_on(const struct advisory_trigger *t, const struct plan_inv_host *h)
{
	if (strcmp(t->fact, "multicast_forwarding") == 0)
		return h->multicast < 0 ? -1 : h->multicast == t->equals;
	if (h->wfp_drivers < 0)
		return -1;
	return h->wfp_drivers >= t->min;
}

static int
trigger_checks(struct plan_eval *e, const struct plan_inv_host *h)
{
	const struct advisory *a = e->adv;
	int on = trigger_on(&a->trigger, h);

	if (on == -1) {
		set_result(e, FINDING_UNKNOWN, "The inventory does not give "
		    "%s: collect %s to decide %s (it needs %s).",
		    a->trigger.fact, a->trigger.fact, a->kb, a->trigger.text);
		return 1;
	}
	if (on == 0) {
		if (a->trigger.is_bool)
			set_result(e, FINDING_NOT_AFFECTED, "Not affected: the "
			    "crash needs %s and the inventory says %s is %s.",
			    a->trigger.text, a->trigger.fact,
			    h->multicast ? "true" : "false");
		else
			set_result(e, FINDING_NOT_AFFECTED, "Not affected: the "
			    "crash needs %s and the inventory says %s is %d.",
			    a->trigger.text, a->trigger.fact, h->wfp_drivers);
		return 1;
	}
	return 0;
}

static int
hotfix_notes(struct plan_eval *e, const struct plan_inv_host *h)
{
	const struct advisory *a = e->adv;
	size_t i;

	for (i = 0; i < a->nincluded; i++)
		if (match_host(&a->included[i].match, h)) {
			set_result(e, FINDING_NOT_AFFECTED, "Later service "
			    "pack: %s (%s) includes the %s fix.",
			    a->included[i].text, h->version, a->kb);
			return 1;
		}
	for (i = 0; i < a->nprerequisites; i++) {
		if (!match_host(&a->prerequisites[i].match, h))
			continue;
		if (trigger_checks(e, h))
			return 1;
		set_result(e, FINDING_BLOCKED, "Affected (%s), but %s needs "
		    "%s, which this host (%s) lacks: install %s first%s.",
		    a->trigger.text, a->kb, a->prerequisites[i].text,
		    h->version, a->prerequisites[i].text,
		    a->workaround.present && h->pending_reboot != 1 ?
		    "; the workaround is planned meanwhile" : "");
		e->workaround = a->workaround.present;
		return 1;
	}
	return 0;
}

int
plan_host_experiences(const struct plan_inv_host *h, const char *advisory,
    const char **source)
{
	*source = NULL;
	if (strv_has(h->experiencing, h->nexperiencing, advisory)) {
		*source = "experiencing";
		return 1;
	}
	if (plan_evidence_count(&h->evidence, advisory) > 0) {
		*source = "evidence";
		return 1;
	}
	return 0;
}

/* The service pack that includes the fix for the host's product. */
static const char *
included_for(const struct advisory *a, const struct plan_inv_host *h)
{
	size_t i;

	for (i = 0; i < a->nincluded; i++)
		if (strv_has(a->included[i].match.os, a->included[i].match.nos,
		    h->product))
			return a->included[i].text;
	return NULL;
}

/*
 * --hotfix-policy evidence: exposed, the hotfix withheld (seeds 000, 003,
 * 004: apply it only to systems experiencing the problem, else wait for
 * the next service pack that contains it).
 */
static void
hotfix_exposed(struct plan_eval *e, const struct plan_inv_host *h,
    const char *v, const struct advisory_branch *br,
    const struct advisory_branch *res)
{
	const struct advisory *a = e->adv;
	const char *sp = included_for(a, h);
	struct sbuf b = { .n = 0 };

	sb_addf(&b, "Exposed: %s %s (%s) lacks the fix and the host has %s, "
	    "but nothing says it experiences the problem (no experiencing "
	    "entry names %s), so %s (%s %s, %s) is not planned. ", a->file,
	    v, br->name, a->trigger.text, a->id, a->kb, a->file, res->fixed,
	    res->name);
	if (a->guidance)
		sb_addf(&b, "Microsoft's guidance for %s: %s ", a->kb,
		    a->guidance);
	if (sp)
		sb_addf(&b, "%s includes the fix. ", sp);
	else
		sb_addf(&b, "No later service pack of %s lists the fix. ",
		    h->product);
	sb_addf(&b, "To install it now: add \"%s\" to the host's "
	    "experiencing, or plan with --hotfix-policy exposed.", a->id);
	set_result(e, FINDING_EXPOSED, "%s", b.d);
}

static void
eval_hotfix(struct plan_eval *e, const struct plan_inv_host *h,
    const struct plan_options *o)
{
	const struct advisory *a = e->adv;
	const struct advisory_target *t = NULL;
	const struct advisory_branch *br = NULL, *res;
	const char *v, *src = NULL;
	size_t i;

	if (hotfix_notes(e, h))
		return;
	for (i = 0; i < a->ntargets && t == NULL; i++)
		if (match_host(&a->targets[i].match, h))
			t = &a->targets[i];
	if (t == NULL) {
		set_result(e, FINDING_NOT_AFFECTED, "%s has no fix for %s %s, "
		    "which it does not list as affected.", a->kb, h->product,
		    h->version);
		return;
	}
	v = file_version(h, a->file);
	if (v && !plan_version_same_build(v, t->match.build) &&
	    plan_version_cmp(v, t->match.build) > 0) {
		set_result(e, FINDING_UNKNOWN, "%s %s is of build %.*s, later "
		    "than the inventory's version %s (a service pack installed "
		    "since?): the version is stale; collect version again to "
		    "decide %s.", a->file, v, (int)(strrchr(v, '.') - v), v,
		    h->version, a->kb);
		return;
	}
	if (v && (br = branch_of(t, v)) == NULL) {
		set_result(e, FINDING_UNKNOWN, "%s %s is in no known service "
		    "branch of build %s: collect files.%s again.", a->file, v,
		    t->match.build, a->file);
		return;
	}
	if (br && br->fixed && plan_version_cmp(v, br->fixed) >= 0) {
		set_result(e, FINDING_FIXED, "%s %s (%s) is at least %s: the "
		    "%s fix is installed.", a->file, v, br->name, br->fixed,
		    a->kb);
		return;
	}
	if (trigger_checks(e, h))
		return;
	if (v == NULL) {
		set_result(e, FINDING_UNKNOWN, "The inventory does not give "
		    "the %s version: collect files.%s to decide %s.", a->file,
		    a->file, a->kb);
		return;
	}
	res = branch_result(t, br);
	if (o->hotfix_policy == PLAN_HOTFIX_EVIDENCE &&
	    !plan_host_experiences(h, a->id, &src)) {
		/* what it would bring, for plan_eval_cover() */
		e->target = t;
		e->tcpip_min = plan_arena_intern(e->arena, res->fixed);
		e->result_branch = res->name;
		hotfix_exposed(e, h, v, br, res);
		return;
	}
	e->kb = a->kb;
	e->target = t;
	e->tcpip_min = plan_arena_intern(e->arena, res->fixed);
	e->result_branch = res->name;
	e->workaround = a->workaround.present && !a->workaround.only_blocked;
	set_result(e, FINDING_AFFECTED, "%s %s (%s) lacks the fix and the "
	    "host has %s%s; install %s (%s %s, %s%s).", a->file, v, br->name,
	    a->trigger.text, src == NULL ? "" : strcmp(src, "evidence") == 0 ?
	    " and experiences the problem (events of its evidence point to "
	    "it)" : " and experiences the problem (the inventory's "
	    "experiencing names it)", a->kb, a->file,
	    res->fixed, res->name,
	    res == br ? "" : ", moves the file to that branch");
}

/* Registry model (KB2979267, FACTS.md 1 notes). */

static int
reg_num(const struct plan_inv_reg *r, uint32_t *out)
{
	if (r == NULL || !r->is_num)
		return 0;
	*out = r->num;
	return 1;
}

/* 1 at risk, 0 not, -1 undecided; the reason is set when not 1. */
static int
ceip_at_risk(struct plan_eval *e, const struct plan_inv_host *h,
    struct sbuf *why)
{
	const struct advisory_registry *g = &e->adv->registry;
	const struct plan_inv_reg *sampled = reg_value(h, g->sampled_in);
	uint32_t v, lo = g->low.dflt, hi = g->high.dflt, n;

	if (reg_num(sampled, &v) && v == 1) {
		sb_addf(why, "CEIPEnable=1 and CEIPSampledIn=1");
		return 1;
	}
	reg_num(reg_value(h, g->low.path), &lo);
	reg_num(reg_value(h, g->high.path), &hi);
	if (!reg_num(reg_value(h, g->sample_number), &n)) {
		set_result(e, FINDING_UNKNOWN, "CEIPEnable=1 and CEIPSampledIn "
		    "is not 1 today, but wsqmcons.exe recomputes it every 19 "
		    "hours: collect registry %s to decide %s.",
		    g->sample_number, e->adv->kb);
		return -1;
	}
	if (n < lo || n > hi) {
		set_result(e, FINDING_NOT_AFFECTED, "CEIPEnable=1 but "
		    "RacSampleNumber %u is outside the sampling range %u-%u, "
		    "so CEIPSampledIn stays 0: not affected.", n, lo, hi);
		return 0;
	}
	sb_addf(why, "CEIPEnable=1 and RacSampleNumber %u is inside the "
	    "sampling range %u-%u (CEIPSampledIn becomes 1 within 19 hours)",
	    n, lo, hi);
	return 1;
}

static void
reg_data(struct sbuf *b, const struct plan_inv_reg *r)
{
	if (r->is_num)
		sb_addf(b, "%u", r->num);
	else
		sb_addf(b, "\"%s\"", r->str);
}

/* Conflicting facts: one value given twice with different data. */
static int
registry_conflicts(struct plan_eval *e, const struct plan_inv_host *h)
{
	const struct advisory_registry *g = &e->adv->registry;
	const char *paths[] = { g->policy, g->enable, g->sampled_in,
	    g->sample_number, g->low.path, g->high.path };
	const struct plan_inv_reg *a, *b;
	struct sbuf s = { .n = 0 };
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if ((b = reg_conflict(h, paths[i], &a)) == NULL)
			continue;
		reg_data(&s, a);
		sb_addf(&s, " as %s and ", a->path);
		reg_data(&s, b);
		sb_addf(&s, " as %s", b->path);
		set_result(e, FINDING_UNKNOWN, "The inventory gives %s twice "
		    "with different data (%s): correct the inventory to "
		    "decide %s.", paths[i], s.d, e->adv->kb);
		return 1;
	}
	return 0;
}

static void
eval_registry(struct plan_eval *e, const struct plan_inv_host *h)
{
	const struct advisory *a = e->adv;
	const struct advisory_registry *g = &a->registry;
	const struct plan_inv_reg *pol, *loc, *eff;
	uint32_t v = 0;
	struct sbuf why = { .n = 0 };

	if (!h->has_registry) {
		set_result(e, FINDING_UNKNOWN, "The inventory has no registry "
		    "values: collect registry %s, %s and %s to decide %s.",
		    g->enable, g->sampled_in, g->sample_number, a->kb);
		return;
	}
	if (registry_conflicts(e, h))
		return;
	pol = reg_value(h, g->policy);
	loc = reg_value(h, g->enable);
	eff = pol ? pol : loc;
	if (eff == NULL) {
		set_result(e, FINDING_NOT_AFFECTED, "CEIPEnable is not set, "
		    "so CEIP is off: not affected.");
		return;
	}
	if (!reg_num(eff, &v) || v != 1) {
		if (eff->is_num)
			sb_addf(&why, "%u", eff->num);
		else
			sb_addf(&why, "\"%s\"", eff->str);
		set_result(e, FINDING_NOT_AFFECTED, "CEIPEnable is %s%s, so "
		    "CEIP is off: not affected.", why.d,
		    pol ? " by Group Policy" : "");
		return;
	}
	if (ceip_at_risk(e, h, &why) == 1) {
		if (pol)
			set_result(e, FINDING_BLOCKED, "%s, and CEIPEnable=1 "
			    "is set by Group Policy (%s), which overrides the "
			    "local value: change the GPO setting \"%s\" to "
			    "Enabled; kbfix does not edit the local value.",
			    why.d, g->policy, g->gpo);
		else {
			set_result(e, FINDING_AFFECTED, "%s; workaround: %s "
			    "(%s has no hotfix).", why.d,
			    a->workaround.text, a->kb);
			e->workaround = 1;
		}
	}
}

static const struct advisory_nopkg *
no_package(const struct advisory *a, const char *arch)
{
	size_t i;

	for (i = 0; i < a->nnopkg; i++)
		if (strcmp(a->nopkg[i].arch, arch) == 0)
			return &a->nopkg[i];
	return NULL;
}

void
plan_eval_run(struct plan_eval *e, struct plan_arena *arena,
    const struct advisory *a, const struct plan_inv_host *h,
    const struct advisory_set *set, const struct plan_options *o)
{
	const struct advisory_nopkg *np;

	*e = (struct plan_eval){ .arena = arena, .adv = a };
	if (common_checks(e, h))
		return;
	switch (a->model) {
	case ADVISORY_UPDATE_TABLE:
		eval_table(e, h, set, o);
		break;
	case ADVISORY_HOTFIX:
		eval_hotfix(e, h, o);
		break;
	case ADVISORY_REGISTRY:
		eval_registry(e, h);
		break;
	}
	if (e->kb && h->arch && (np = no_package(a, h->arch)) != NULL) {
		set_result(e, FINDING_BLOCKED, "Affected, but no %s package of "
		    "%s exists: %s (%s)", h->arch, e->kb, np->reason, e->reason);
		e->kb = NULL;
		e->tcpip_min = NULL;
		e->workaround = a->workaround.present;
		return;
	}
	if (e->kb && h->arch == NULL) {
		set_result(e, FINDING_UNKNOWN, "Affected, but the inventory "
		    "does not give arch: collect arch (x86, x64 or ia64) to "
		    "pick the %s package.", e->kb);
		e->kb = NULL;
		e->workaround = 0;
	}
}

/* Does a's install also bring b's fix (same file, build and branch)? */
static int
covers(const struct plan_eval *a, const struct plan_eval *b)
{
	size_t i;

	if (!a->kb || (!b->kb && b->state != FINDING_EXPOSED) || !a->target ||
	    !b->target || a->covered_by ||
	    strcasecmp(a->adv->file, b->adv->file) != 0 ||
	    strcmp(a->target->match.build, b->target->match.build) != 0)
		return 0;
	for (i = 0; i < b->target->nbranches; i++) {
		const struct advisory_branch *br = &b->target->branches[i];

		if (strcmp(br->name, a->result_branch) == 0)
			return br->fixed &&
			    plan_version_cmp(a->tcpip_min, br->fixed) >= 0;
	}
	return 0;
}

/*
 * Where one hotfix's file version covers another's fix, plan only the one
 * that covers both (KB979278's 6.1.7600.20648 LDR >= KB976527's 20628).
 */
void
plan_eval_cover(struct plan_eval *ev, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			if (i == j || !covers(&ev[j], &ev[i]) ||
			    (i < j && covers(&ev[i], &ev[j])))
				continue;
			ev[i].covered_by = ev[j].kb;
			if (ev[i].state == FINDING_EXPOSED)
				/* withheld, but another install brings it */
				set_result(&ev[i], FINDING_AFFECTED, "%s is "
				    "affected (%s) and its hotfix %s is not "
				    "planned without evidence, but %s (%s %s), "
				    "planned for %s, covers this fix too.",
				    ev[i].adv->id, ev[i].adv->trigger.text,
				    ev[i].adv->kb, ev[j].kb, ev[j].adv->file,
				    ev[j].tcpip_min, ev[j].adv->id);
			else
				set_result(&ev[i], ev[i].state, "%s Planned "
				    "instead: %s (%s %s) covers this fix too.",
				    ev[i].reason, ev[j].kb, ev[j].adv->file,
				    ev[j].tcpip_min);
			break;
		}
}
