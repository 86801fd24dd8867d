/*
 * The plan as a change request in Markdown (ITIL / ServiceNow
 * change_request sections): summary and justification, risk and impact,
 * schedule, implementation, verification and abort criteria, back-out,
 * prerequisites, approval (the plan's SHA-256 and the apply command), and
 * the actions per host.  Every section is filled from the plan: a fact
 * the plan does not hold is left out, not made up.  Every value from the
 * plan passes through buf_add_md_cell().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "plan/report_int.h"

#define MD_LIST_MAX	20	/* hosts named in a list before "and N more" */

struct md {
	const struct plan *p;
	const struct plan_report_ctx *ctx;
	struct rpt_totals t;
	struct rpt_sched s;
	char	 sha[65];
	struct buf *b;
};

static void
md_cell(struct buf *b, const char *s)
{
	buf_add_md_cell(b, s ? s : "?");
}

static void
md_list(struct buf *b, const char *const *v, size_t n, const char *none)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_adds(b, i ? ", " : "");
		md_cell(b, v[i]);
	}
	if (n == 0)
		buf_adds(b, none);
}

/* Hosts that a finding of advisory id puts in state st. */
static size_t
advisory_count(const struct plan *p, const char *id, enum plan_state st)
{
	size_t i, j, n = 0;

	for (i = 0; i < p->nhosts; i++)
		for (j = 0; j < p->hosts[i].nfindings; j++)
			n += p->hosts[i].findings[j].state == st &&
			    strcmp(p->hosts[i].findings[j].advisory, id) == 0;
	return n;
}

static void
md_summary(struct md *m)
{
	const struct plan *p = m->p;
	struct buf *b = m->b;
	struct plan_evidence_counts c;
	int ev = plan_evidence_known(p);
	size_t i;

	buf_adds(b, "# Change request: remediate Windows networking crash "
	    "issues\n\n");
	buf_adds(b, "| Field | Value |\n|---|---|\n| Plan created | ");
	md_cell(b, p->created ? p->created : "-");
	buf_addf(b, " |\n| Hosts in scope | %zu |\n| Hosts changed | %zu |\n"
	    "| Reboots | %zu |\n| Packages | %zu |\n| Plan SHA-256 | `%s` |\n\n",
	    p->nhosts, m->t.status[PLAN_NEEDS_ACTION], m->t.reboots,
	    p->npackages, m->sha);
	buf_adds(b, "## 1. Summary and justification\n\n");
	buf_addf(b, "kbfix checked %zu hosts against %zu advisories (known "
	    "crash issues in the Windows network stack, from Microsoft's "
	    "articles): %zu need action, %zu already fixed, %zu not "
	    "applicable, %zu blocked, %zu unknown (a fact is missing).\n\n",
	    p->nhosts, p->nadvisories, m->t.status[PLAN_NEEDS_ACTION],
	    m->t.status[PLAN_COMPLIANT], m->t.status[PLAN_NOT_APPLICABLE],
	    m->t.status[PLAN_BLOCKED], m->t.status[PLAN_UNKNOWN]);
	buf_adds(b, "| Advisory | KB | Symptoms | Affected | Blocked | "
	    "Unknown |");
	/* evidence counts when known (discover read the event logs) */
	buf_adds(b, ev ? " Experiencing | Exposed, no crash seen | Evidence "
	    "unknown |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n" :
	    "\n|---|---|---|---:|---:|---:|\n");
	for (i = 0; i < p->nadvisories; i++) {
		const struct plan_advisory *a = &p->advisories[i];

		buf_adds(b, "| ");
		md_cell(b, a->id);
		buf_adds(b, " | ");
		md_cell(b, a->kb ? a->kb : "-");
		buf_adds(b, " | ");
		md_cell(b, a->title ? a->title : "-");
		buf_addf(b, " | %zu | %zu | %zu |",
		    advisory_count(p, a->id, FINDING_AFFECTED),
		    advisory_count(p, a->id, FINDING_BLOCKED),
		    advisory_count(p, a->id, FINDING_UNKNOWN));
		if (ev) {
			plan_evidence_counts(p, a->id, &c);
			buf_addf(b, " %zu | %zu | %zu |", c.experiencing,
			    c.exposed, c.unknown);
		}
		buf_adds(b, "\n");
	}
	buf_adds(b, "\n");
}

/* The first finding an operator must read: not fixed, not not-affected. */
static const struct plan_finding *
host_reason(const struct plan_host *h)
{
	size_t j;

	for (j = 0; j < h->nfindings; j++)
		if (h->findings[j].state != FINDING_FIXED &&
		    h->findings[j].state != FINDING_NOT_AFFECTED)
			return &h->findings[j];
	return NULL;
}

static void
md_not_changed(struct md *m)
{
	const struct plan *p = m->p;
	size_t i, n = 0;

	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *h = &p->hosts[i];
		const struct plan_finding *f;

		if (h->status != PLAN_BLOCKED && h->status != PLAN_UNKNOWN)
			continue;
		if (n++ == MD_LIST_MAX)
			continue;
		buf_adds(m->b, n == 1 ? "Hosts left as they are, and why:\n\n" :
		    "");
		buf_adds(m->b, "- ");
		md_cell(m->b, h->name);
		buf_addf(m->b, " (%s)", plan_status_name(h->status));
		if ((f = host_reason(h)) != NULL) {
			buf_adds(m->b, ": ");
			md_cell(m->b, f->advisory);
			buf_adds(m->b, ": ");
			md_cell(m->b, f->reason);
		}
		buf_adds(m->b, "\n");
	}
	if (n > MD_LIST_MAX)
		buf_addf(m->b, "- and %zu more (see the actions per host)\n",
		    n - MD_LIST_MAX);
	if (n)
		buf_adds(m->b, "\n");
}

static void
md_risk(struct md *m)
{
	struct buf *b = m->b;
	size_t i;

	buf_adds(b, "## 2. Risk and impact\n\n");
	buf_addf(b, "%zu host(s) change in %zu wave(s); %zu of them restart "
	    "once (one coalesced reboot per host, after its workarounds and "
	    "installs). No more members of a reboot group than its budget "
	    "restart at the same time (one unless the inventory's groups say "
	    "otherwise).\n\n", m->t.status[PLAN_NEEDS_ACTION], m->s.nwaves,
	    m->t.reboots);
	i = b->len;
	rpt_groups_line(m->p, b, buf_add_md_cell);
	if (b->len > i)
		buf_adds(b, "\n");
	buf_adds(b, "| Wave | Hosts | Reboots | Manual | Roles and services "
	    "affected | Reboot groups |\n|---:|---:|---:|---:|---|---|\n");
	for (i = 0; i < m->s.nwaves; i++) {
		const struct rpt_wave *w = &m->s.waves[i];

		buf_addf(b, "| %d | %zu | %zu | %zu | ", w->wave, w->nhosts,
		    w->nreboots, w->nmanual);
		md_list(b, w->roles, w->nroles, "none recorded");
		buf_adds(b, " | ");
		md_list(b, w->groups, w->ngroups, "-");
		buf_adds(b, " |\n");
	}
	if (m->s.nwaves) {
		const struct rpt_wave *w = &m->s.waves[m->s.largest];

		buf_addf(b, "\nLargest blast radius: wave %d, %zu host(s) at "
		    "once (roles: ", w->wave, w->nhosts);
		md_list(b, w->roles, w->nroles, "none recorded");
		buf_adds(b, ").\n");
	} else
		buf_adds(b, "| - | 0 | 0 | 0 | nothing to change | - |\n");
	buf_adds(b, "\n");
	md_not_changed(m);
}

static void
md_schedule(struct md *m)
{
	const struct plan *p = m->p;
	struct buf *b = m->b;
	int off = p->window_offset_s;
	char a[26], z[26], la[26], lz[26];
	size_t i, late = 0;

	buf_adds(b, "## 3. Schedule\n\n");
	if (m->s.t0 < 0) {
		buf_addf(b, "The plan names no maintenance window (`kbfix plan "
		    "--window START/DURATION`): times are from the start of the "
		    "run; about %lld min in all.\n\n",
		    (long long)(m->s.end_s + 59) / 60);
		buf_adds(b, "| Wave | Hosts | Starts after | Ends after |\n"
		    "|---:|---:|---:|---:|\n");
		for (i = 0; i < m->s.nwaves; i++)
			buf_addf(b, "| %d | %zu | %lld min | %lld min |\n",
			    m->s.waves[i].wave, m->s.waves[i].nhosts,
			    (long long)m->s.waves[i].start_s / 60,
			    (long long)(m->s.waves[i].end_s + 59) / 60);
		buf_adds(b, "\n");
		return;
	}
	rpt_time_utc(m->s.t0, a);
	rpt_time_utc(m->s.t0 + p->window_duration_s, z);
	rpt_time_local(m->s.t0, off, la);
	rpt_time_local(m->s.t0 + p->window_duration_s, off, lz);
	buf_addf(b, "Maintenance window: %s to %s (%s to %s), %lld min; the "
	    "waves need about %lld min.\n\n", a, z, la, lz,
	    (long long)p->window_duration_s / 60,
	    (long long)(m->s.end_s + 59) / 60);
	buf_adds(b, "| Wave | Hosts | Start (UTC) | End (UTC) | Start (window "
	    "time) | End (window time) | In the window |\n"
	    "|---:|---:|---|---|---|---|---|\n");
	for (i = 0; i < m->s.nwaves; i++) {
		const struct rpt_wave *w = &m->s.waves[i];
		int fits = w->end_s <= p->window_duration_s;

		rpt_time_utc(m->s.t0 + w->start_s, a);
		rpt_time_utc(m->s.t0 + w->end_s, z);
		rpt_time_local(m->s.t0 + w->start_s, off, la);
		rpt_time_local(m->s.t0 + w->end_s, off, lz);
		buf_addf(b, "| %d | %zu | %s | %s | %s | %s | %s |\n", w->wave,
		    w->nhosts, a, z, la, lz, fits ? "yes" : "**no**");
		late += fits ? 0 : w->nhosts;
	}
	if (late)
		buf_addf(b, "\nDeferral risk: %zu host(s) would not finish "
		    "inside the window; apply does not start them (state "
		    "`deferred`) and no reboot starts after the window closes. "
		    "Plan another window for them, or fewer waves.\n", late);
	else
		buf_adds(b, "\nDeferral risk: every wave ends inside the window "
		    "by the plan's estimates; a host that runs late is deferred, "
		    "not rebooted after the window closes.\n");
	buf_adds(b, "\n");
}

/* What the plan's actions make apply do and check, once per kind. */
static void
action_kinds(const struct plan *p, size_t n[ACTION_VERIFY + 1],
    size_t *ntcpip)
{
	size_t i, j;

	memset(n, 0, (ACTION_VERIFY + 1) * sizeof(*n));
	*ntcpip = 0;
	for (i = 0; i < p->nhosts; i++)
		for (j = 0; j < p->hosts[i].nactions; j++) {
			n[p->hosts[i].actions[j].kind]++;
			*ntcpip += p->hosts[i].actions[j].tcpip_min != NULL;
		}
}

/*
 * The plan file as a command names it: code spans and blocks show
 * escapes literally, so a path with other characters than these is
 * written PLAN.json for the reader to fill in.
 */
static const char *
md_plan_path(const struct md *m)
{
	const char *s = m->ctx->plan_path;

	if (s == NULL)
		return "plan.json";
	if (*s == '\0' || *s == '-' || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789./-_") != strlen(s))
		return "PLAN.json";
	return s;
}

static void
md_apply_cmd(struct md *m)
{
	buf_addf(m->b, "kbfix apply %s --bundle bundle/ --run-dir RUN_DIR "
	    "--expect-plan %s", md_plan_path(m), m->sha);
}

static void
md_steps(struct md *m)
{
	struct buf *b = m->b;
	size_t n[ACTION_VERIFY + 1], ntcpip, i, manual = 0;

	for (i = 0; i < m->p->nhosts; i++)
		manual += rpt_host_scheduled(&m->p->hosts[i]) &&
		    plan_transport_manual(m->p->hosts[i].transport);
	action_kinds(m->p, n, &ntcpip);
	buf_adds(b, "## 4. Implementation steps\n\n"
	    "1. Fetch and verify the packages: `kbfix fetch ");
	buf_adds(b, md_plan_path(m));
	buf_adds(b, " -o bundle/` then `kbfix verify bundle/`.\n"
	    "2. Start the run inside the window: `");
	md_apply_cmd(m);
	buf_adds(b, "` (it refuses any other plan).\n3. Per host, in order: "
	    "connect; preflight (OS and build as planned, no reboot pending, "
	    "500 MiB free on C:); record the prior state");
	if (n[ACTION_REGISTRY] || n[ACTION_MULTICAST])
		buf_addf(b, "; %zu workaround(s) (registry, multicast "
		    "forwarding)", n[ACTION_REGISTRY] + n[ACTION_MULTICAST]);
	if (n[ACTION_INSTALL])
		buf_addf(b, "; %zu package install(s) (upload with SHA-256 "
		    "check, expand, DISM)", n[ACTION_INSTALL]);
	if (n[ACTION_REBOOT])
		buf_adds(b, "; one restart, waiting for the host to return");
	buf_adds(b, "; verification; clean-up.\n4. Follow it with `kbfix "
	    "status RUN_DIR`; attach `kbfix report RUN_DIR --format markdown` "
	    "to this change as the post-implementation review.\n");
	if (manual)
		buf_addf(b, "5. %zu manual host(s): run `RUN_DIR/runbooks/"
		    "<host>.cmd` as Administrator on each (written by apply).\n",
		    manual);
	buf_adds(b, "\n");
}

static void
md_verify(struct md *m)
{
	struct buf *b = m->b;
	size_t n[ACTION_VERIFY + 1], ntcpip;

	action_kinds(m->p, n, &ntcpip);
	buf_adds(b, "## 5. Verification and abort criteria\n\nChecked on "
	    "each host after its restart:\n\n");
	if (n[ACTION_INSTALL])
		buf_addf(b, "- DISM lists each installed package as Installed "
		    "(%zu install(s)).\n", n[ACTION_INSTALL]);
	if (ntcpip)
		buf_addf(b, "- tcpip.sys is at least the fixed version (%zu "
		    "install(s) name it).\n", ntcpip);
	if (n[ACTION_REGISTRY])
		buf_addf(b, "- Registry values read back as planned (%zu).\n",
		    n[ACTION_REGISTRY]);
	if (n[ACTION_MULTICAST])
		buf_addf(b, "- Multicast forwarding reads back in the planned "
		    "state (%zu).\n", n[ACTION_MULTICAST]);
	if (n[ACTION_REBOOT])
		buf_adds(b, "- The host came back with a new boot time.\n");
	if (n[ACTION_VERIFY] == 0)
		buf_adds(b, "- Nothing: the plan changes no host.\n");
	buf_adds(b, "\nThe run stops (nothing new starts):\n\n"
	    "- when the canary fails: `--canary N` (default 1) host(s) of the "
	    "first wave go first, alone;\n"
	    "- after the current wave once more than `--max-fail PCT` (default "
	    "0) of the finished hosts failed: by default any failure;\n"
	    "- when the window closes: no reboot starts after it, hosts that "
	    "cannot finish are `deferred`;\n"
	    "- on Ctrl-C or SIGTERM: running hosts stop at the next step and "
	    "are `interrupted` (`kbfix resume RUN_DIR` continues).\n\n");
}

static void
md_backout(struct md *m)
{
	buf_addf(m->b, "## 6. Back-out plan\n\n"
	    "- A host whose install or verification fails is rolled back at "
	    "once by apply (unless `--no-auto-rollback`).\n"
	    "- The change owner triggers a full back-out with `kbfix rollback "
	    "RUN_DIR`, or one host with `kbfix rollback RUN_DIR --host NAME`.\n"
	    "- It restores what the journal recorded before each change: "
	    "registry values (or their absence), multicast forwarding, and "
	    "removes the packages the run installed, then restarts the hosts "
	    "that need it.\n"
	    "- Time: about as long as the change itself, %lld min for all "
	    "waves (hosts of a wave in parallel).\n"
	    "- Manual hosts: run `RUN_DIR/runbooks/<host>-rollback.cmd`.\n\n",
	    (long long)(m->s.end_s + 59) / 60);
}

static void
md_prereq(struct md *m)
{
	const struct plan *p = m->p;
	struct buf *b = m->b;
	size_t i, ssh = 0;
	struct buf note;

	for (i = 0; i < p->nhosts; i++)
		ssh += rpt_host_scheduled(&p->hosts[i]) &&
		    !plan_transport_manual(p->hosts[i].transport);
	buf_adds(b, "## 7. Prerequisites\n\n"
	    "- The bundle from `kbfix fetch`, checked with `kbfix verify "
	    "bundle/`; record `sha256sum bundle/manifest.json` here: every "
	    "package's SHA-256 is in `bundle/SHA256SUMS`.\n");
	buf_init(&note, 4096);
	if (plan_classification_note(p, &note)) {	/* issue 11 item 8 */
		buf_adds(b, "- WSUS classification \"Updates\": ");
		buf_add_md_cell(b, buf_str(&note));
		buf_adds(b, " (`bundle/Import-ToWsus.ps1` imports them).\n");
	}
	buf_release(&note);
	buf_adds(b, "- Disk: at least 500 MiB free on C: per host (checked by the "
	    "preflight).\n"
	    "- No restart pending from before: apply refuses such a host; "
	    "restart it first (`kbfix discover` records it).\n");
	if (ssh)
		buf_addf(b, "- %zu host(s) reached over SSH: Win32-OpenSSH "
		    "server running, cmd.exe as its default shell, the account "
		    "in the plan an administrator, the host keys in "
		    "known_hosts.\n", ssh);
	buf_adds(b, "\n| KB | Product | Arch | Classification | Hosts |\n"
	    "|---|---|---|---|---:|\n");
	for (i = 0; i < p->npackages; i++) {
		buf_adds(b, "| ");
		md_cell(b, p->packages[i].kb);
		buf_adds(b, " | ");
		md_cell(b, p->packages[i].product);
		buf_adds(b, " | ");
		md_cell(b, p->packages[i].arch);
		buf_addf(b, " | Updates | %zu |\n", p->packages[i].nhosts);
	}
	buf_adds(b, "\n");
}

static void
md_approval(struct md *m)
{
	buf_addf(m->b, "## 8. Approval\n\nThe plan approved is the plan that "
	    "runs: its SHA-256 is\n\n    %s\n\nand apply refuses any other "
	    "plan (exit 2, nothing started):\n\n    ", m->sha);
	md_apply_cmd(m);
	buf_adds(m->b, "\n\n");
}

static void
md_host(struct buf *b, const struct plan_host *h, struct buf *line)
{
	size_t j;

	buf_adds(b, "\n### ");
	md_cell(b, h->name);
	buf_addf(b, " (%s, wave %d, ", plan_status_name(h->status), h->wave);
	md_cell(b, h->os);
	buf_addc(b, ' ');
	md_cell(b, h->version);
	buf_addc(b, ' ');
	md_cell(b, h->arch);
	buf_adds(b, ")\n\n");
	if (h->nroles) {
		buf_adds(b, "Roles: ");
		md_list(b, (const char *const *)h->roles, h->nroles, "");
		buf_adds(b, "\n\n");
	}
	for (j = 0; j < h->nactions; j++) {
		buf_reset(line);
		rpt_action_text(&h->actions[j], line);
		buf_addf(b, "%zu. ", j + 1);
		buf_add_md_cell(b, buf_str(line));
		buf_adds(b, "\n");
	}
	if (h->nactions)
		buf_adds(b, "\n");
	for (j = 0; j < h->nfindings; j++) {
		buf_adds(b, "- ");
		md_cell(b, h->findings[j].advisory);
		buf_addf(b, ": **%s**: ", plan_state_name(h->findings[j].state));
		md_cell(b, h->findings[j].reason);
		buf_adds(b, "\n");
	}
}

void
rpt_markdown(const struct plan *p, const struct plan_report_ctx *ctx,
    struct buf *b)
{
	struct md m;
	struct buf line;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.p = p;
	m.ctx = ctx;
	m.b = b;
	rpt_totals(p, &m.t);
	rpt_sched_build(p, &m.s);
	rpt_plan_sha256(p, ctx->sha256, m.sha);
	md_summary(&m);
	md_risk(&m);
	md_schedule(&m);
	md_steps(&m);
	md_verify(&m);
	md_backout(&m);
	md_prereq(&m);
	md_approval(&m);
	buf_adds(b, "## Appendix: actions per host\n");
	buf_init(&line, 1 << 20);
	for (i = 0; i < p->nhosts; i++)
		md_host(b, &p->hosts[i], &line);
	buf_release(&line);
	rpt_sched_release(&m.s);
}
