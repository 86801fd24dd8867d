/*
 * The plan builder: findings and actions per host (workarounds, installs,
 * one reboot, verify), status, waves, estimates, packages; and explain.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "plan/engine.h"

/* A string-keyed hash map (owned keys) for packages. */
struct smap {
	char		**keys;
	size_t		 *vals;
	size_t		  cap, n;
};

static void smap_grow(struct smap *);

/* The slot for key; *created says whether it was added (value 0). */
static size_t *
smap_get(struct smap *m, const char *key, int *created)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		smap_grow(m);
	for (i = str_hash(STR_HASH_INIT, key) & (m->cap - 1); m->keys[i];
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0) {
			*created = 0;
			return &m->vals[i];
		}
	m->keys[i] = xstrdup(key);
	m->vals[i] = 0;
	m->n++;
	*created = 1;
	return &m->vals[i];
}

static void
smap_grow(struct smap *m)
{
	struct smap old = *m;
	size_t i, j;

	m->cap = m->cap ? m->cap * 2 : 64;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
	for (i = 0; i < old.cap; i++) {
		if (old.keys[i] == NULL)
			continue;
		for (j = str_hash(STR_HASH_INIT, old.keys[i]) & (m->cap - 1); m->keys[j];
		    j = (j + 1) & (m->cap - 1))
			;
		m->keys[j] = old.keys[i];
		m->vals[j] = old.vals[i];
	}
	free(old.keys);
	free(old.vals);
}

static void
smap_release(struct smap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* Options. */

int
plan_hotfix_policy_parse(const char *s, enum plan_hotfix_policy *out)
{
	if (strcmp(s, "evidence") == 0)
		*out = PLAN_HOTFIX_EVIDENCE;
	else if (strcmp(s, "exposed") == 0)
		*out = PLAN_HOTFIX_EXPOSED;
	else {
		err_set("'%s' is not evidence or exposed", s);
		return -1;
	}
	return 0;
}

int
plan_prefer_parse(const char *s, enum plan_prefer *out)
{
	if (strcmp(s, "channel") == 0)
		*out = PLAN_PREFER_CHANNEL;
	else if (strcmp(s, "minimal") == 0)
		*out = PLAN_PREFER_MINIMAL;
	else if (strcmp(s, "latest") == 0)
		*out = PLAN_PREFER_LATEST;
	else {
		err_set("'%s' is not channel, minimal or latest", s);
		return -1;
	}
	return 0;
}

/* One host. */

static void
add_workaround(struct plan_arena *ar, struct plan_host *ph,
    const struct advisory *adv)
{
	const struct advisory_workaround *w = &adv->workaround;
	struct plan_action *a = &ph->actions[ph->nactions++];

	a->advisory = plan_arena_intern(ar, adv->id);
	if (w->is_registry) {
		a->kind = ACTION_REGISTRY;
		a->key = plan_arena_intern(ar, w->key);
		a->value = plan_arena_intern(ar, w->value);
		a->type = plan_arena_intern(ar, "REG_DWORD");
		a->data_num = w->data;
		if (w->group_policy != NULL)
			a->group_policy = plan_arena_intern(ar,
			    w->group_policy);
	} else {
		a->kind = ACTION_MULTICAST;
		a->family = plan_arena_intern(ar, w->family);
		a->enabled = w->enabled;
	}
}

static int
planned_kb(const struct plan_host *ph, const char *kb)
{
	size_t i;

	for (i = 0; i < ph->nactions; i++)
		if (ph->actions[i].kind == ACTION_INSTALL &&
		    strcmp(ph->actions[i].kb, kb) == 0)
			return 1;
	return 0;
}

/*
 * Room to plan one host: an evaluation per advisory, and the actions they
 * can ask for (a workaround and an install each, one reboot, verify).
 * The actions are copied into the plan's arena once the host is done.
 */
struct host_work {
	struct plan_eval	*ev;
	struct plan_action	*act;
	size_t			 n;
};

static void
host_work_init(struct host_work *w, size_t n)
{
	w->n = n;
	w->ev = xcalloc(n + 1, sizeof(*w->ev));
	w->act = xcalloc(2 * n + 2, sizeof(*w->act));
}

static void
host_work_release(struct host_work *w)
{
	free(w->ev);
	free(w->act);
}

/* Workarounds first (no reboot), installs, one reboot, verify. */
static void
host_actions(struct plan_arena *ar, struct plan_host *ph, struct host_work *w)
{
	const struct plan_eval *ev = w->ev;
	size_t i;
	int reboot = 0;

	memset(w->act, 0, (2 * w->n + 2) * sizeof(*w->act));
	ph->actions = w->act;
	for (i = 0; i < w->n; i++)
		if (ev[i].workaround)
			add_workaround(ar, ph, ev[i].adv);
	for (i = 0; i < w->n; i++) {
		struct plan_action *a;

		if (!ev[i].kb || ev[i].covered_by || planned_kb(ph, ev[i].kb))
			continue;
		a = &ph->actions[ph->nactions++];
		a->kind = ACTION_INSTALL;
		a->kb = plan_arena_intern(ar, ev[i].kb);
		a->advisory = plan_arena_intern(ar, ev[i].adv->id);
		a->tcpip_min = ev[i].tcpip_min;
		reboot |= ev[i].adv->reboot;
		ph->estimate_s += PLAN_EST_INSTALL;
	}
	for (i = 0; i < ph->nactions; i++)
		if (ph->actions[i].kind != ACTION_INSTALL)
			ph->estimate_s += PLAN_EST_WORKAROUND;
	if (reboot) {
		ph->actions[ph->nactions++].kind = ACTION_REBOOT;
		ph->estimate_s += PLAN_EST_REBOOT;
	}
	if (ph->nactions) {
		ph->actions[ph->nactions++].kind = ACTION_VERIFY;
		ph->estimate_s += PLAN_EST_VERIFY;
	}
}

static enum plan_status
host_status(const struct plan_host *ph)
{
	int seen[FINDING_NSTATE] = { 0 };
	size_t i;

	for (i = 0; i < ph->nfindings; i++)
		seen[ph->findings[i].state] = 1;
	if (ph->nactions)
		return PLAN_NEEDS_ACTION;
	if (seen[FINDING_BLOCKED])
		return PLAN_BLOCKED;
	if (seen[FINDING_UNKNOWN] || seen[FINDING_AFFECTED])
		return PLAN_UNKNOWN;
	if (seen[FINDING_EXPOSED])
		return PLAN_EXPOSED;
	if (seen[FINDING_FIXED])
		return PLAN_COMPLIANT;
	return PLAN_NOT_APPLICABLE;
}

static const char *
default_transport(const struct plan_inv_host *ih)
{
	if (ih->transport)
		return ih->transport;
	return plan_manual_by_default(ih->product) ? "manual" : "ssh";
}

static char *
dup_or_null(struct plan_arena *ar, const char *s)
{
	return s ? plan_arena_intern(ar, s) : NULL;
}

/* How to reach the host and what it runs, as the plan records them. */
static void
host_facts(struct plan_arena *ar, const struct plan_inv_host *ih,
    struct plan_host *ph)
{
	ph->name = plan_arena_strdup(ar, ih->name);
	ph->address = ih->address ? plan_arena_strdup(ar, ih->address) : ph->name;
	ph->port = ih->port ? ih->port : 22;
	ph->user = dup_or_null(ar, ih->user);
	ph->transport = plan_arena_intern(ar, default_transport(ih));
	ph->os = dup_or_null(ar, ih->product);
	ph->version = dup_or_null(ar, ih->version);
	ph->arch = dup_or_null(ar, ih->arch);
	ph->group = dup_or_null(ar, ih->group);
	if (ih->nroles) {
		size_t i;

		ph->roles = plan_arena_alloc(ar, ih->nroles * sizeof(*ph->roles));
		for (i = 0; i < ih->nroles; i++)
			ph->roles[i] = plan_arena_intern(ar, ih->roles[i]);
		ph->nroles = ih->nroles;
	}
	ph->wave = ih->wave;
	plan_evidence_copy(ar, &ph->evidence, &ih->evidence);
}

/*
 * A host with a reboot pending from before (discover's pending_reboot:
 * CBS RebootPending, WindowsUpdate RebootRequired or pending file
 * renames) must restart before anything is installed on it, and apply
 * refuses it (FACTS.md section 4): plan nothing for it, and say so in
 * each finding that needed an action, so the operator restarts it,
 * discovers it again and plans again.  A fix installed but waiting for
 * that restart is then seen as installed.
 */
static void
block_pending(struct plan_arena *ar, struct plan_host *ph,
    const struct host_work *w)
{
	struct plan_finding *f;
	char *r;
	size_t i;

	if (ph->nactions == 0)
		return;
	for (i = 0; i < ph->nfindings; i++) {
		f = &ph->findings[i];
		if (f->state != FINDING_AFFECTED && !(f->state ==
		    FINDING_BLOCKED && w->ev[i].workaround))
			continue;
		f->state = FINDING_BLOCKED;
		r = xasprintf("%s Blocked: a reboot is pending on the host "
		    "(pending_reboot), so nothing is planned for it until it "
		    "restarts%s: restart it, then discover and plan again.",
		    f->reason ? f->reason : "", w->ev[i].workaround ?
		    " (the workaround neither)" : "");
		f->reason = plan_arena_intern(ar, r);
		free(r);
	}
	ph->nactions = 0;
	ph->estimate_s = 0;
}

/*
 * What the host's evidence says about an advisory that names evidence,
 * ahead of the reason (plan_evidence_sentence(): the one wording): for a
 * finding that needs reading, or any finding with events.
 */
static void
evidence_reason(struct plan_arena *ar, struct plan_finding *f,
    const struct advisory *a, const struct plan_evidence *ev)
{
	struct buf b;

	if (!ev->present || !a->evidence.present ||
	    ((f->state == FINDING_FIXED || f->state == FINDING_NOT_AFFECTED) &&
	    plan_evidence_count(ev, a->id) == 0))
		return;
	buf_init(&b, 0);
	plan_evidence_sentence(ev, a->id, &b);
	buf_adds(&b, ". ");
	buf_adds(&b, f->reason ? f->reason : "");
	f->reason = plan_arena_strdup(ar, buf_str(&b));
	buf_release(&b);
}

/* Every advisory evaluated for the host, then its findings and actions. */
static void
host_plan(const struct plan_inv_host *ih, const struct advisory_set *set,
    const struct plan_options *o, struct plan *p, struct host_work *w)
{
	struct plan_arena *ar = p->arena;
	struct plan_host *ph = &p->hosts[p->nhosts++];
	size_t i;

	for (i = 0; i < set->n; i++)
		plan_eval_run(&w->ev[i], ar, set->items[i], ih, set, o);
	plan_eval_cover(w->ev, set->n);
	ph->findings = plan_arena_alloc(ar, (set->n + 1) * sizeof(*ph->findings));
	for (i = 0; i < set->n; i++) {
		struct plan_finding *f = &ph->findings[ph->nfindings++];

		/* the ids are the plan's: p->advisories, in set order */
		f->advisory = p->advisories[i].id;
		f->state = w->ev[i].state;
		f->reason = w->ev[i].reason;
		evidence_reason(ar, f, set->items[i], &ih->evidence);
	}
	host_actions(ar, ph, w);
	if (ih->pending_reboot == 1)
		block_pending(ar, ph, w);
	ph->actions = memcpy(plan_arena_alloc(ar, ph->nactions *
	    sizeof(*ph->actions)), w->act, ph->nactions * sizeof(*ph->actions));
	ph->status = host_status(ph);
	host_facts(ar, ih, ph);
}

/*
 * Wave order (issue 12): hosts that experience a problem the plan
 * addresses (plan_host_experiences() for a finding that is not fixed or
 * not-affected) come first, the others after, each in inventory order.
 * The plan's hosts are put in that order before plan_groups_assign(), so a
 * reboot group's experiencing members get its first waves, and apply
 * (which works a wave in plan order and takes the first host of the
 * lowest wave as its canary) reaches them first.  wave_order_cmp() is
 * the whole rule.
 */
struct worder {
	size_t		 idx;		/* inventory order */
	int		 experiencing;
};

static int
wave_order_cmp(const void *a, const void *b)
{
	const struct worder *x = a, *y = b;

	if (x->experiencing != y->experiencing)
		return x->experiencing ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
host_experiencing(const struct plan_host *ph, const struct plan_inv_host *ih)
{
	const char *src;
	size_t i;

	for (i = 0; i < ph->nfindings; i++)
		if (ph->findings[i].state != FINDING_FIXED &&
		    ph->findings[i].state != FINDING_NOT_AFFECTED &&
		    plan_host_experiences(ih, ph->findings[i].advisory, &src))
			return 1;
	return 0;
}

/* p->hosts[i] was planned from inv->hosts[i]. */
static void
order_for_waves(struct plan *p, const struct plan_inventory *inv)
{
	struct worder *o = xcalloc(p->nhosts + 1, sizeof(*o));
	struct plan_host *h = xcalloc(p->nhosts + 1, sizeof(*h));
	size_t i;

	for (i = 0; i < p->nhosts; i++) {
		o[i].idx = i;
		o[i].experiencing = host_experiencing(&p->hosts[i],
		    &inv->hosts[i]);
	}
	qsort(o, p->nhosts, sizeof(*o), wave_order_cmp);
	for (i = 0; i < p->nhosts; i++)
		h[i] = p->hosts[o[i].idx];
	memcpy(p->hosts, h, p->nhosts * sizeof(*h));
	free(h);
	free(o);
}

/* Packages: once per (kb, product, arch), with the hosts that need it. */

/*
 * An advisory's classification is its fixes' (seed 001: the July fixes
 * are "Updates"); the later updates --prefer latest picks are not.
 */
static int
is_latest(const struct advisory *a, const char *kb)
{
	size_t i;

	for (i = 0; i < a->nrows; i++)
		if (a->rows[i].latest && strcmp(a->rows[i].latest, kb) == 0 &&
		    strcmp(a->rows[i].fix, kb) != 0)
			return 1;
	return 0;
}

static int
cmp_package(const void *a, const void *b)
{
	const struct plan_package *x = a, *y = b;
	int c;

	if ((c = strcmp(x->kb, y->kb)) != 0)
		return c;
	if ((c = strcmp(x->product, y->product)) != 0)
		return c;
	return strcmp(x->arch, y->arch);
}

static void
collect_packages(struct plan *p, const struct advisory_set *set)
{
	const struct advisory *adv;
	struct smap m = { 0 };
	struct buf key;
	size_t i, j, *slot, *caps = NULL, cap = 0;
	int created;

	buf_init(&key, 1024);
	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *h = &p->hosts[i];

		for (j = 0; j < h->nactions; j++) {
			struct plan_package *pk;

			if (h->actions[j].kind != ACTION_INSTALL)
				continue;
			buf_reset(&key);
			buf_adds(&key, h->actions[j].kb);
			buf_addc(&key, '|');
			buf_adds(&key, h->os);
			buf_addc(&key, '|');
			buf_adds(&key, h->arch);
			slot = smap_get(&m, buf_str(&key), &created);
			if (created) {
				if (p->npackages == cap) {
					cap = cap ? cap * 2 : 16;
					p->packages = xreallocarray(p->packages,
					    cap, sizeof(*p->packages));
					caps = xreallocarray(caps, cap,
					    sizeof(*caps));
				}
				*slot = p->npackages++;
				pk = &p->packages[*slot];
				memset(pk, 0, sizeof(*pk));
				pk->kb = plan_arena_strdup(p->arena,
				    h->actions[j].kb);
				pk->product = plan_arena_strdup(p->arena, h->os);
				pk->arch = plan_arena_strdup(p->arena, h->arch);
				adv = h->actions[j].advisory ?
				    plan_advisory_find(set,
				    h->actions[j].advisory) : NULL;
				pk->classification = adv &&
				    adv->classification && !is_latest(adv,
				    pk->kb) ? plan_arena_intern(p->arena,
				    adv->classification) : NULL;
				caps[*slot] = 0;
			}
			pk = &p->packages[*slot];
			if (pk->nhosts == caps[*slot]) {
				caps[*slot] = caps[*slot] ? caps[*slot] * 2 : 8;
				pk->hosts = xreallocarray(pk->hosts,
				    caps[*slot], sizeof(*pk->hosts));
			}
			pk->hosts[pk->nhosts++] = h->name;
		}
	}
	if (p->npackages)
		qsort(p->packages, p->npackages, sizeof(*p->packages),
		    cmp_package);
	free(caps);
	buf_release(&key);
	smap_release(&m);
}

/* An empty plan in its arena, for nhosts hosts. */
static struct plan *
plan_new(const struct advisory_set *set, const struct plan_options *o,
    size_t nhosts)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	char now[21];
	size_t i;

	p->arena = plan_arena_new();
	if (o->created)
		p->created = plan_arena_strdup(p->arena, o->created);
	else {
		time_iso8601((int64_t)time(NULL), now);
		p->created = plan_arena_strdup(p->arena, now);
	}
	p->window_start = dup_or_null(p->arena, o->window_start);
	p->window_duration_s = o->window_duration_s;
	p->window_offset_s = o->window_offset_s;
	p->advisories = plan_arena_alloc(p->arena,
	    (set->n + 1) * sizeof(*p->advisories));
	for (i = 0; i < set->n; i++) {
		p->advisories[i].id = plan_arena_strdup(p->arena,
		    set->items[i]->id);
		p->advisories[i].title = plan_arena_strdup(p->arena,
		    set->items[i]->title);
		p->advisories[i].kb = dup_or_null(p->arena, set->items[i]->kb);
	}
	p->nadvisories = set->n;
	p->hosts = plan_arena_alloc(p->arena, (nhosts + 1) * sizeof(*p->hosts));
	return p;
}

/* Hosts are planned one after the other, in inventory order. */
struct plan *
plan_build(const struct plan_inventory *inv, const struct advisory_set *set,
    const struct plan_options *o)
{
	struct plan *p = plan_new(set, o, inv->nhosts);
	struct host_work w;
	size_t i;

	host_work_init(&w, set->n);
	for (i = 0; i < inv->nhosts; i++)
		host_plan(&inv->hosts[i], set, o, p, &w);
	host_work_release(&w);
	order_for_waves(p, inv);	/* experiencing hosts first */
	plan_groups_assign(inv, p);	/* waves: plan/groups.c */
	collect_packages(p, set);
	return p;
}

/* explain */

/* "  label: a b c", "(none)" or "(not collected)"; validated words. */
static void
explain_list(struct buf *b, const char *label, char *const *v, size_t n,
    int has)
{
	size_t i;

	buf_addf(b, "  %s:", label);
	for (i = 0; i < n; i++)
		buf_addf(b, "%s %s", i ? "," : "", v[i]);
	buf_adds(b, has ? (n ? "\n" : " (none)\n") : " (not collected)\n");
}

static void
explain_facts(const struct plan_inv_host *ih, const struct advisory_set *set,
    struct buf *b)
{
	const char *why, *ch = plan_channel_infer(set, ih, &why);
	size_t i;

	buf_addf(b, "  os:        %s", ih->product ? ih->product : "(not given: collect os)");
	if (ih->os_raw && ih->product && strcmp(ih->os_raw, ih->product))
		buf_addf(b, " (inventory: \"%s\")", ih->os_raw);
	buf_addf(b, "\n  version:   %s", ih->version ? ih->version : "(not given: collect version)");
	if (ih->version && plan_win10_release(ih->version))
		buf_addf(b, " (version %s)", plan_win10_release(ih->version));
	buf_addf(b, "\n  arch:      %s\n", ih->arch ? ih->arch : "(not given: collect arch)");
	if (ih->channel)
		buf_addf(b, "  channel:   %s (from the inventory)\n", ch);
	else if (ch)
		buf_addf(b, "  channel:   %s (inferred from installed %s)\n", ch, why);
	else
		buf_adds(b, "  channel:   unknown (no channel-specific update installed)\n");
	buf_adds(b, "  installed:");
	for (i = 0; i < ih->ninstalled; i++)
		buf_addf(b, " %s", ih->installed[i]);
	buf_adds(b, ih->has_installed ? (ih->ninstalled ? "\n" : " (none)\n") :
	    " (not collected)\n");
	explain_list(b, "superseded", ih->superseded, ih->nsuperseded,
	    ih->has_superseded);
	if (ih->rollup)
		buf_addf(b, "  rollup:    %s\n", ih->rollup);
	explain_list(b, "experiencing", ih->experiencing, ih->nexperiencing,
	    ih->has_experiencing);
	if (ih->pending_reboot == 1)
		explain_list(b, "pending reboot", ih->pending_reboot_reasons,
		    ih->npending_reboot_reasons, 1);
	if (ih->ui_language)
		buf_addf(b, "  ui_language: %s\n", ih->ui_language);
	buf_adds(b, "  files:    ");
	for (i = 0; i < ih->nfiles; i++)
		buf_addf(b, " %s %s", ih->files[i].name, ih->files[i].version);
	buf_adds(b, ih->has_files ? "\n" : " (not collected)\n");
	buf_addf(b, "  multicast_forwarding: %s\n", ih->multicast < 0 ?
	    "(not collected)" : ih->multicast ? "enabled" : "disabled");
	if (ih->wfp_drivers < 0)
		buf_adds(b, "  wfp_callout_drivers:  (not collected)\n");
	else
		buf_addf(b, "  wfp_callout_drivers:  %d\n", ih->wfp_drivers);
	for (i = 0; i < ih->nregistry; i++)
		if (ih->registry[i].is_num)
			buf_addf(b, "  registry:  %s = %u (REG_DWORD)\n",
			    ih->registry[i].path, ih->registry[i].num);
		else
			buf_addf(b, "  registry:  %s = \"%s\" (REG_SZ)\n",
			    ih->registry[i].path, ih->registry[i].str);
	if (!ih->has_registry)
		buf_adds(b, "  registry:  (not collected)\n");
}

static void
explain_action(const struct plan_action *a, struct buf *b)
{
	switch (a->kind) {
	case ACTION_REGISTRY:
		buf_addf(b, "set %s\\%s = %u (%s)", a->key, a->value,
		    a->data_num, a->type);
		if (a->group_policy != NULL)
			buf_adds(b, ", then gpupdate /target:computer /force "
			    "and read again (set back by a Group Policy "
			    "preference: blocked)");
		break;
	case ACTION_MULTICAST:
		buf_addf(b, "set %s multicast forwarding %s", a->family,
		    a->enabled ? "enabled" : "disabled");
		break;
	case ACTION_INSTALL:
		buf_addf(b, "install %s (%s)", a->kb, a->advisory);
		if (a->tcpip_min)
			buf_addf(b, ", then tcpip.sys >= %s", a->tcpip_min);
		break;
	case ACTION_REBOOT:
		buf_adds(b, "reboot (once, after the installs)");
		break;
	case ACTION_VERIFY:
		buf_adds(b, "verify (updates, file versions, registry, multicast state)");
		break;
	}
}

int
plan_explain(const struct plan_inventory *inv, const struct advisory_set *set,
    const struct plan_options *o, const char *name, struct buf *b)
{
	const struct plan_inv_host *ih = plan_inventory_find(inv, name);
	struct plan *p;
	struct host_work w;
	const struct plan_host *h;
	size_t i;

	if (ih == NULL) {
		err_set("%s: no such host in %s", name, inv->name);
		return -1;
	}
	p = plan_new(set, o, 1);
	host_work_init(&w, set->n);
	host_plan(ih, set, o, p, &w);
	h = &p->hosts[0];
	buf_addf(b, "%s: %s\n\nFacts (from %s):\n", h->name,
	    plan_status_name(h->status), inv->name);
	explain_facts(ih, set, b);
	buf_addf(b, "  transport: %s%s\n\nAdvisories:\n", h->transport,
	    ih->transport ? "" : strcmp(h->transport, "manual") == 0 ?
	    " (Win32-OpenSSH does not run on Vista / Server 2008)" : " (default)");
	for (i = 0; i < h->nfindings; i++)
		buf_addf(b, "  %-22s %-13s %s\n", h->findings[i].advisory,
		    plan_state_name(h->findings[i].state), h->findings[i].reason);
	buf_adds(b, "\nActions");
	if (h->nactions)
		buf_addf(b, " (about %d min):\n", (h->estimate_s + 59) / 60);
	else
		buf_adds(b, ": none\n");
	for (i = 0; i < h->nactions; i++) {
		buf_addf(b, "  %zu. ", i + 1);
		explain_action(&h->actions[i], b);
		buf_adds(b, "\n");
	}
	buf_addf(b, "\nStatus: %s (needs-action if any action, else blocked, "
	    "else unknown, else compliant, else not-applicable)\n",
	    plan_status_name(h->status));
	host_work_release(&w);
	plan_free(p);
	if (b->failed) {
		err_set("%s: explanation too long", name);
		return -1;
	}
	return 0;
}
