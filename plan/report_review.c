/*
 * The review of a run (struct plan_review) as text (100 columns), Markdown
 * for the change record, JSON ("kbfix-review/1") and one HTML page: the
 * run's state, waves planned against actual, each host's planned and
 * actual time (steps, reboot downtime), failures with their errors,
 * rollbacks, hosts deferred or drifted with the reason, hosts pending.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/report_int.h"

#define RV_TL_MAX	300	/* hosts drawn in the page's timeline */

void
plan_review_release(struct plan_review *r)
{
	size_t i, j;

	for (i = 0; i < r->nhosts; i++) {
		struct plan_review_host *h = &r->hosts[i];

		for (j = 0; j < h->nsegs; j++)
			free(h->segs[j].step);
		free(h->segs);
		free(h->name);
		free(h->state);
		free(h->step);
		free(h->error);
	}
	for (i = 0; i < r->ncrashes; i++) {
		free(r->crashes[i].host);
		free(r->crashes[i].advisory);
		free(r->crashes[i].error);
	}
	free(r->crashes);
	free(r->evidence_created);
	free(r->evidence_since);
	free(r->hosts);
	free(r->waves);
	free(r->run_dir);
	free(r->plan_sha256);
	free(r->run_state);
	memset(r, 0, sizeof(*r));
}

/* Figures of the summary. */
struct rv_count {
	size_t	 done, failed, rolled, other, pending, running;
};

static int
is_state(const struct plan_review_host *h, const char *s)
{
	return strcmp(h->state, s) == 0;
}

/* blocked: Group Policy set a workaround back (the reason says which) */
static int
w_failed(const struct plan_review_host *h)
{
	return is_state(h, "failed") || is_state(h, "blocked") ||
	    is_state(h, "rollback-failed");
}

static void
rv_count(const struct plan_review *r, struct rv_count *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < r->nhosts; i++) {
		const struct plan_review_host *h = &r->hosts[i];

		if (is_state(h, "done"))
			c->done++;
		else if (w_failed(h))
			c->failed++;
		else if (is_state(h, "pending"))
			c->pending++;
		else if (is_state(h, "running"))
			c->running++;
		else if (!is_state(h, "rolled-back"))
			c->other++;
		c->rolled += h->rolled_back;
	}
}

static void
plan_rel(int64_t s, char out[16])
{
	char d[16];

	rpt_duration(s, d);
	snprintf(out, 16, "+%.14s", d);
}

/* "+12m" from the run's start, or "-" */
static void
rel(const struct plan_review *r, int64_t ms, char out[16])
{
	if (ms == 0 || r->start_ms == 0) {
		snprintf(out, 16, "-");
		return;
	}
	plan_rel((ms - r->start_ms) / 1000, out);
}


/* "2026-11-21T23:04:05+01:00": to the second, in the window's offset */
static void
clock_ms(const struct plan_review *r, int64_t ms, char out[26])
{
	if (ms == 0)
		snprintf(out, 26, "-");
	else
		time_iso8601_off(ms / 1000, r->window_offset_s, out);
}

static void
dur_ms(int64_t ms, char out[16])
{
	if (ms < 1000)
		snprintf(out, 16, "%dms", (int)(ms < 0 ? 0 : ms));
	else
		rpt_duration(ms / 1000, out);
}

/* A host's times as its table cells show them. */
struct host_cells {
	char	 plan_at[16], plan_end[16], at[16], end[16], reboot[16];
};

static void
host_cells(const struct plan_review *r, const struct plan_review_host *h,
    struct host_cells *c)
{
	plan_rel(h->plan_start_s, c->plan_at);
	plan_rel(h->plan_end_s, c->plan_end);
	rel(r, h->start_ms, c->at);
	rel(r, h->end_ms, c->end);
	if (h->reboot_ms)
		dur_ms(h->reboot_ms, c->reboot);
	else
		snprintf(c->reboot, sizeof(c->reboot), "-");
}

/* Evidence (RUN_DIR/evidence.json): crashes before and after the fix. */

static void	json_kv(struct buf *, const char *, const char *, int);

static size_t
crashed_again(const struct plan_review *r)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->ncrashes; i++) {
		if (!r->crashes[i].crashed_after_fix)
			continue;
		for (j = 0; j < i; j++)		/* each host once */
			if (r->crashes[j].crashed_after_fix &&
			    strcmp(r->crashes[j].host, r->crashes[i].host) == 0)
				break;
		n += j == i;
	}
	return n;
}

/* "read 2026-12-03T08:00:00Z (events since ...): 1 host crashed again" */
static void
evidence_head(const struct plan_review *r, struct buf *b, const char *sep)
{
	if (r->evidence_created == NULL) {
		buf_adds(b, "none: run `kbfix evidence RUN_DIR` to compare "
		    "crashes before and after the fix");
		return;
	}
	buf_adds(b, "kbfix evidence read the logs at ");
	buf_add_term(b, r->evidence_created);
	buf_adds(b, " (events since ");
	buf_add_term(b, r->evidence_since);
	buf_addf(b, ")%s%zu host(s) crashed again after the fix", sep,
	    crashed_again(r));
}

/* The row's last cell: the flag, or why the evidence is unknown. */
static void
evidence_note(const struct plan_review_crash *c, struct buf *b)
{
	if (c->unknown) {
		buf_adds(b, "evidence unknown");
		if (c->error) {
			buf_adds(b, ": ");
			buf_add_term(b, c->error);	/* one printable line */
		}
	} else if (c->crashed_after_fix)
		buf_adds(b, "CRASHED AGAIN AFTER THE FIX");
	else
		buf_adds(b, c->after ? "events after the run (not fixed by "
		    "it)" : "-");
}

static void
text_evidence(const struct plan_review *r, struct buf *b)
{
	static const int w[] = { 18, 22, 6, 6, 5, 0 };
	const char *cells[6];
	char x[16], y[16], z[16];
	struct buf note;
	size_t i;

	buf_adds(b, "\nEvidence: ");
	evidence_head(r, b, ":\n  ");	/* 100 columns */
	buf_adds(b, "\n");
	if (r->ncrashes == 0)
		return;
	cells[0] = "HOST"; cells[1] = "ADVISORY"; cells[2] = "BEFORE";
	cells[3] = "DURING"; cells[4] = "AFTER"; cells[5] = "";
	rpt_text_row(b, cells, w, 6, NULL);
	for (i = 0; i < r->ncrashes; i++) {
		const struct plan_review_crash *c = &r->crashes[i];

		snprintf(x, sizeof(x), "%zu", c->before);
		snprintf(y, sizeof(y), "%zu", c->during);
		snprintf(z, sizeof(z), "%zu", c->after);
		buf_init(&note, 4096);
		evidence_note(c, &note);
		cells[0] = c->host;
		cells[1] = c->advisory ? c->advisory : "-";
		cells[2] = c->unknown ? "-" : x;
		cells[3] = c->unknown ? "-" : y;
		cells[4] = c->unknown ? "-" : z;
		cells[5] = buf_str(&note);
		rpt_text_row(b, cells, w, 6, NULL);
		buf_release(&note);
	}
}

static void
md_evidence(const struct plan_review *r, struct buf *b)
{
	struct buf note;
	size_t i;

	buf_adds(b, "## Crashes before and after the fix\n\n");
	buf_init(&note, 4096);
	evidence_head(r, &note, ": ");
	buf_add_md_cell(b, buf_str(&note));
	buf_release(&note);
	buf_adds(b, ".\n\n");
	if (r->ncrashes == 0)
		return;
	buf_adds(b, "| Host | Advisory | Before the run | During | After the "
	    "fix | Note |\n|---|---|---:|---:|---:|---|\n");
	for (i = 0; i < r->ncrashes; i++) {
		const struct plan_review_crash *c = &r->crashes[i];

		buf_adds(b, "| ");
		buf_add_md_cell(b, c->host);
		buf_adds(b, " | ");
		buf_add_md_cell(b, c->advisory ? c->advisory : "-");
		if (c->unknown)
			buf_adds(b, " | - | - | - | ");
		else
			buf_addf(b, " | %zu | %zu | %zu | ", c->before,
			    c->during, c->after);
		buf_init(&note, 4096);
		evidence_note(c, &note);
		buf_add_md_cell(b, buf_str(&note));
		buf_release(&note);
		buf_adds(b, " |\n");
	}
	buf_adds(b, "\n");
}

static void
json_evidence(const struct plan_review *r, struct buf *b)
{
	size_t i;

	if (r->evidence_created == NULL) {
		buf_adds(b, ",\n \"evidence\": null");
		return;
	}
	buf_adds(b, ",\n \"evidence\": {\"created\": ");
	buf_add_json_str(b, r->evidence_created);
	buf_adds(b, ", \"since\": ");
	buf_add_json_str(b, r->evidence_since);
	buf_addf(b, ", \"crashed_again\": %zu, \"rows\": [",
	    crashed_again(r));
	for (i = 0; i < r->ncrashes; i++) {
		const struct plan_review_crash *c = &r->crashes[i];

		buf_adds(b, i ? ",\n  {" : "\n  {");
		json_kv(b, "host", c->host, 1);
		json_kv(b, "advisory", c->advisory, 1);
		json_kv(b, "error", c->error, 1);
		buf_addf(b, "\"evidence\": \"%s\", \"before\": %zu, "
		    "\"during\": %zu, \"after\": %zu, \"crashed_after_fix\": "
		    "%s}", c->unknown ? "unknown" : "read", c->before, c->during,
		    c->after, c->crashed_after_fix ? "true" : "false");
	}
	buf_adds(b, "]}");
}

static void
html_evidence(const struct plan_review *r, struct buf *b)
{
	struct buf note;
	size_t i;

	buf_adds(b, "<h2>Crashes before and after the fix</h2>\n<p>");
	buf_init(&note, 4096);
	evidence_head(r, &note, ": ");
	buf_add_html(b, buf_str(&note));
	buf_release(&note);
	buf_adds(b, "</p>\n");
	if (r->ncrashes == 0)
		return;
	buf_adds(b, "<table><thead><tr><th>Host</th><th>Advisory</th><th>"
	    "Before the run</th><th>During</th><th>After the fix</th><th>Note"
	    "</th></tr></thead><tbody>\n");
	for (i = 0; i < r->ncrashes; i++) {
		const struct plan_review_crash *c = &r->crashes[i];

		buf_addf(b, "<tr%s><td>", c->crashed_after_fix ?
		    " class=\"late\"" : "");
		buf_add_html(b, c->host);
		buf_adds(b, "</td><td>");
		buf_add_html(b, c->advisory ? c->advisory : "-");
		if (c->unknown)
			buf_adds(b, "</td><td>-</td><td>-</td><td>-</td><td>");
		else
			buf_addf(b, "</td><td>%zu</td><td>%zu</td><td>%zu</td>"
			    "<td>", c->before, c->during, c->after);
		buf_init(&note, 4096);
		evidence_note(c, &note);
		buf_add_html(b, buf_str(&note));
		buf_release(&note);
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</tbody></table>\n");
}

/* Text. */

static int	w_failed(const struct plan_review_host *);

static void
text_review(const struct plan_review *r, const struct plan_report_ctx *ctx,
    struct buf *b)
{
	static const int ww[] = { 5, 6, 8, 8, 9, 9 };
	static const int hw[] = { 18, 4, 12, 13, 13, 7, 0 };
	const char *cells[7];
	struct rv_count c;
	char a[26], z[26], x[16], y[16], p[16], q[16], wave[12];
	size_t i;

	rv_count(r, &c);
	clock_ms(r, r->start_ms, a);
	clock_ms(r, r->end_ms, z);
	cells[0] = r->run_dir;
	buf_adds(b, "Review of the run in\n");
	rpt_text_row(b, cells, hw + 6, 1, NULL);
	buf_addf(b, "  %s, %s to %s\n  plan SHA-256 %s\n  %zu hosts: %zu done, "
	    "%zu failed, %zu rolled back, %zu deferred/drifted/other, %zu "
	    "running, %zu pending\n\nWaves (planned from the start, actual)\n",
	    r->run_state, a, z, r->plan_sha256 ? r->plan_sha256 : "-",
	    r->nhosts, c.done, c.failed, c.rolled, c.other, c.running,
	    c.pending);
	cells[0] = "WAVE"; cells[1] = "HOSTS"; cells[2] = "PLAN-AT";
	cells[3] = "PLAN-END"; cells[4] = "ACTUAL-AT"; cells[5] = "ACT-END";
	rpt_text_row(b, cells, ww, 6, NULL);
	for (i = 0; i < r->nwaves; i++) {
		const struct plan_review_wave *w = &r->waves[i];
		char n[16];

		snprintf(wave, sizeof(wave), "%d", w->wave);
		snprintf(n, sizeof(n), "%zu", w->nhosts);
		plan_rel(w->plan_start_s, p);
		plan_rel(w->plan_end_s, q);
		rel(r, w->start_ms, x);
		rel(r, w->end_ms, y);
		cells[0] = wave; cells[1] = n; cells[2] = p; cells[3] = q;
		cells[4] = x; cells[5] = y;
		rpt_text_row(b, cells, ww, 6, NULL);
	}
	buf_adds(b, "\nHosts\n");
	cells[0] = "HOST"; cells[1] = "WAVE"; cells[2] = "STATE";
	cells[3] = "PLANNED"; cells[4] = "ACTUAL"; cells[5] = "REBOOT";
	cells[6] = "LAST STEP / ERROR";
	rpt_text_row(b, cells, hw, 7, NULL);
	for (i = 0; i < r->nhosts; i++) {
		const struct plan_review_host *h = &r->hosts[i];
		char plan[40], act[40];
		struct host_cells hc;
		struct buf e;

		snprintf(wave, sizeof(wave), "%d", h->wave);
		host_cells(r, h, &hc);
		snprintf(plan, sizeof(plan), "%s..%s", hc.plan_at, hc.plan_end);
		snprintf(act, sizeof(act), "%s..%s", hc.at, hc.end);
		buf_init(&e, 1 << 16);
		buf_adds(&e, h->step ? h->step : "-");
		if (h->error)
			buf_addf(&e, ": %s", h->error);
		cells[0] = h->name; cells[1] = h->wave < 0 ? "man" : wave;
		cells[2] = h->state; cells[3] = plan; cells[4] = act;
		cells[5] = hc.reboot; cells[6] = buf_str(&e);
		rpt_text_row(b, cells, hw, 7, rpt_color(ctx, w_failed(h) ?
		    RPT_RED : is_state(h, "done") && !h->rolled_back ?
		    RPT_GREEN : RPT_YELLOW));
		buf_release(&e);
	}
	text_evidence(r, b);
	if (r->torn)
		buf_adds(b, "\n(the journal's last line was torn: a write in "
		    "progress or a crash; ignored)\n");
}

/* Markdown. */

static void
md_review_hosts(const struct plan_review *r, struct buf *b)
{
	struct host_cells hc;
	char d[16];
	size_t i, j;

	buf_adds(b, "## Hosts: planned and actual\n\n| Host | Wave | State | "
	    "Planned | Actual | Reboot downtime | Steps |\n"
	    "|---|---:|---|---|---|---|---|\n");
	for (i = 0; i < r->nhosts; i++) {
		const struct plan_review_host *h = &r->hosts[i];

		host_cells(r, h, &hc);
		buf_adds(b, "| ");
		buf_add_md_cell(b, h->name);
		buf_addf(b, " | %d | ", h->wave);
		buf_add_md_cell(b, h->state);
		buf_addf(b, " | %s to %s | %s to %s | %s | ", hc.plan_at,
		    hc.plan_end, hc.at, hc.end, hc.reboot);
		for (j = 0; j < h->nsegs; j++) {
			dur_ms(h->segs[j].end_ms - h->segs[j].start_ms, d);
			buf_adds(b, j ? ", " : "");
			buf_add_md_cell(b, h->segs[j].step);
			buf_addf(b, "%s %s", h->segs[j].kind == REVIEW_FAIL ?
			    " (failed)" : "", d);
		}
		buf_adds(b, h->nsegs ? " |\n" : "- |\n");
	}
	buf_adds(b, "\n");
}

static void
md_review_list(const struct plan_review *r, struct buf *b, const char *title,
    int (*want)(const struct plan_review_host *))
{
	size_t i, n = 0;

	for (i = 0; i < r->nhosts; i++) {
		const struct plan_review_host *h = &r->hosts[i];

		if (!want(h))
			continue;
		buf_adds(b, n++ ? "" : title);
		buf_adds(b, "- ");
		buf_add_md_cell(b, h->name);
		buf_adds(b, " (");
		buf_add_md_cell(b, h->state);
		buf_adds(b, h->step ? ", after " : "");
		buf_add_md_cell(b, h->step ? h->step : "");
		buf_adds(b, ")");
		if (h->error) {
			buf_adds(b, ": ");
			buf_add_md_cell(b, h->error);
		}
		buf_adds(b, "\n");
	}
	if (n)
		buf_adds(b, "\n");
}


static int
w_rolled(const struct plan_review_host *h)
{
	return h->rolled_back;
}

static int
w_deferred(const struct plan_review_host *h)
{
	return is_state(h, "deferred") || is_state(h, "drifted") ||
	    is_state(h, "not-started") || is_state(h, "interrupted");
}

static int
w_pending(const struct plan_review_host *h)
{
	return is_state(h, "pending") || is_state(h, "running");
}

static void
md_review(const struct plan_review *r, struct buf *b)
{
	struct rv_count c;
	char a[26], z[26], p[16], q[16], x[26], y[26];
	size_t i;

	rv_count(r, &c);
	clock_ms(r, r->start_ms, a);
	clock_ms(r, r->end_ms, z);
	buf_adds(b, "# Post-implementation review\n\n| Field | Value |\n"
	    "|---|---|\n| Run directory | ");
	buf_add_md_cell(b, r->run_dir);
	buf_addf(b, " |\n| Run | %s |\n| Started | %s |\n| Last record | %s |\n"
	    "| Plan SHA-256 | `%s` |\n| Hosts | %zu: %zu done, %zu failed, %zu "
	    "rolled back, %zu deferred, drifted or interrupted, %zu running, "
	    "%zu pending |\n\n", r->run_state, a, z,
	    r->plan_sha256 ? r->plan_sha256 : "-", r->nhosts, c.done,
	    c.failed, c.rolled, c.other, c.running, c.pending);
	buf_adds(b, "## Waves: planned and actual\n\n| Wave | Hosts | Planned "
	    "start | Planned end | Actual start | Actual end |\n"
	    "|---:|---:|---|---|---|---|\n");
	for (i = 0; i < r->nwaves; i++) {
		const struct plan_review_wave *w = &r->waves[i];

		plan_rel(w->plan_start_s, p);
		plan_rel(w->plan_end_s, q);
		clock_ms(r, w->start_ms, x);
		clock_ms(r, w->end_ms, y);
		buf_addf(b, "| %d | %zu | %s | %s | %s | %s |\n", w->wave,
		    w->nhosts, p, q, x, y);
	}
	buf_adds(b, "\nPlanned times are from the start of the run, by the "
	    "plan's estimates; wave 0 is the canary.\n\n");
	md_review_hosts(r, b);
	md_review_list(r, b, "## Failures\n\n", w_failed);
	md_review_list(r, b, "## Rollbacks\n\n", w_rolled);
	md_review_list(r, b, "## Deferred, drifted or interrupted\n\n",
	    w_deferred);
	md_review_list(r, b, "## Still pending\n\n", w_pending);
	md_evidence(r, b);
}

/* JSON. */

static void
json_kv(struct buf *b, const char *k, const char *v, int comma)
{
	buf_addf(b, "\"%s\": ", k);
	if (v)
		buf_add_json_str(b, v);
	else
		buf_adds(b, "null");
	buf_adds(b, comma ? ", " : "");
}

static void
json_review(const struct plan_review *r, struct buf *b)
{
	size_t i, j;

	buf_adds(b, "{\"format\": \"kbfix-review/1\", ");
	json_kv(b, "run_dir", r->run_dir, 1);
	json_kv(b, "run", r->run_state, 1);
	json_kv(b, "plan_sha256", r->plan_sha256, 1);
	buf_addf(b, "\"start_ms\": %lld, \"end_ms\": %lld, \"torn\": %s,\n"
	    " \"waves\": [", (long long)r->start_ms, (long long)r->end_ms,
	    r->torn ? "true" : "false");
	for (i = 0; i < r->nwaves; i++)
		buf_addf(b, "%s\n  {\"wave\": %d, \"hosts\": %zu, "
		    "\"plan_start_s\": %lld, \"plan_end_s\": %lld, \"start_ms\": "
		    "%lld, \"end_ms\": %lld}", i ? "," : "", r->waves[i].wave,
		    r->waves[i].nhosts, (long long)r->waves[i].plan_start_s,
		    (long long)r->waves[i].plan_end_s,
		    (long long)r->waves[i].start_ms,
		    (long long)r->waves[i].end_ms);
	buf_adds(b, "],\n \"hosts\": [");
	for (i = 0; i < r->nhosts; i++) {
		const struct plan_review_host *h = &r->hosts[i];

		buf_adds(b, i ? ",\n  {" : "\n  {");
		json_kv(b, "name", h->name, 1);
		json_kv(b, "state", h->state, 1);
		json_kv(b, "step", h->step, 1);
		json_kv(b, "error", h->error, 1);
		buf_addf(b, "\"wave\": %d, \"plan_start_s\": %lld, \"plan_end_s\":"
		    " %lld, \"start_ms\": %lld, \"end_ms\": %lld, \"reboot_ms\": "
		    "%lld, \"rolled_back\": %s, \"steps\": [", h->wave,
		    (long long)h->plan_start_s, (long long)h->plan_end_s,
		    (long long)h->start_ms, (long long)h->end_ms,
		    (long long)h->reboot_ms, h->rolled_back ? "true" : "false");
		for (j = 0; j < h->nsegs; j++) {
			buf_adds(b, j ? ", {" : "{");
			json_kv(b, "step", h->segs[j].step, 1);
			buf_addf(b, "\"failed\": %s, \"start_ms\": %lld, "
			    "\"end_ms\": %lld}", h->segs[j].kind == REVIEW_FAIL ?
			    "true" : "false", (long long)h->segs[j].start_ms,
			    (long long)h->segs[j].end_ms);
		}
		buf_adds(b, "]}");
	}
	buf_adds(b, "]");
	json_evidence(r, b);
	buf_adds(b, "}\n");
}

/* HTML: the planned bar above the actual steps, per host. */

static const char *const seg_class[] = {
	"work", "reboot", "verify", "undo", "fail"
};

struct rvt {
	int64_t	 span_ms;
	struct buf *b;
};

static int
rvt_x(const struct rvt *t, int64_t ms)
{
	return 210 + (int)(ms * 920 / t->span_ms);
}

static void
html_review_row(const struct plan_review *r, const struct rvt *t,
    const struct plan_review_host *h, int y)
{
	size_t j;
	int x;

	buf_addf(t->b, "<text x=\"4\" y=\"%d\">", y + 14);
	buf_add_html(t->b, h->name);
	buf_addf(t->b, " (%s)</text><rect class=\"planned\" x=\"%d\" y=\"%d\" "
	    "width=\"%d\" height=\"6\"><title>planned</title></rect>",
	    h->state, rvt_x(t, h->plan_start_s * 1000), y + 2,
	    rvt_x(t, h->plan_end_s * 1000) - rvt_x(t, h->plan_start_s * 1000));
	buf_adds(t->b, "<g class=\"actual\" data-host=\"");
	buf_add_html(t->b, h->name);
	buf_adds(t->b, "\">");
	for (j = 0; j < h->nsegs; j++) {
		const struct plan_review_seg *s = &h->segs[j];

		x = rvt_x(t, s->start_ms - r->start_ms);
		buf_addf(t->b, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\""
		    " height=\"10\"><title>", seg_class[s->kind], x, y + 10,
		    rvt_x(t, s->end_ms - r->start_ms) - x + 1);
		buf_add_html(t->b, s->step);
		buf_addf(t->b, " %lld ms</title></rect>",
		    (long long)(s->end_ms - s->start_ms));
	}
	buf_adds(t->b, "</g>\n");
}

static void
html_review_timeline(const struct plan_review *r, struct buf *b)
{
	struct rvt t;
	size_t i, n = r->nhosts < RV_TL_MAX ? r->nhosts : RV_TL_MAX;

	t.b = b;
	t.span_ms = r->end_ms > r->start_ms ? r->end_ms - r->start_ms : 1;
	for (i = 0; i < r->nwaves; i++)
		if (r->waves[i].plan_end_s * 1000 > t.span_ms)
			t.span_ms = r->waves[i].plan_end_s * 1000;
	buf_addf(b, "<h2>Timeline: planned (dashed) and actual</h2>\n<svg "
	    "id=\"timeline\" viewBox=\"0 0 1160 %zu\" role=\"img\" aria-label="
	    "\"planned and actual timeline\">\n", n * 26 + 8);
	for (i = 0; i < n; i++)
		html_review_row(r, &t, &r->hosts[i], (int)i * 26 + 4);
	buf_adds(b, "</svg>\n<div class=\"legend\"><span><i class=\"sw\" "
	    "style=\"background:#3b7dd8\"></i>work</span><span><i class=\"sw\" "
	    "style=\"background:#888\"></i>reboot downtime</span><span><i "
	    "class=\"sw\" style=\"background:#2e9e5b\"></i>verify</span><span>"
	    "<i class=\"sw\" style=\"background:#8e44ad\"></i>rollback</span>"
	    "<span><i class=\"sw\" style=\"background:#c33\"></i>failed step"
	    "</span></div>\n");
	if (r->nhosts > n)
		buf_addf(b, "<p>%zu more host(s) are not drawn.</p>\n",
		    r->nhosts - n);
}

static void
html_review_waves(const struct plan_review *r, struct buf *b)
{
	char p[16], q[16], x[26], y[26];
	size_t i;

	buf_adds(b, "<h2>Waves: planned and actual</h2>\n<table><thead><tr>"
	    "<th>Wave</th><th>Hosts</th><th>Planned start</th><th>Planned end"
	    "</th><th>Actual start</th><th>Actual end</th></tr></thead><tbody>\n");
	for (i = 0; i < r->nwaves; i++) {
		const struct plan_review_wave *w = &r->waves[i];

		plan_rel(w->plan_start_s, p);
		plan_rel(w->plan_end_s, q);
		clock_ms(r, w->start_ms, x);
		clock_ms(r, w->end_ms, y);
		buf_addf(b, "<tr><td>%d</td><td>%zu</td><td>%s</td><td>%s</td>"
		    "<td>%s</td><td>%s</td></tr>\n", w->wave, w->nhosts, p, q,
		    x, y);
	}
	buf_adds(b, "</tbody></table>\n<p>Planned times are from the start of "
	    "the run, by the plan's estimates; wave 0 is the canary.</p>\n");
}

static void
html_review_host(const struct plan_review *r, const struct plan_review_host *h,
    struct buf *b)
{
	struct host_cells hc;
	char d[16];
	size_t j;

	host_cells(r, h, &hc);
	buf_addf(b, "<tr class=\"%s\"><td>", w_failed(h) ? "blocked" :
	    is_state(h, "done") ? "" : "needs-action");
	buf_add_html(b, h->name);
	buf_addf(b, "</td><td>%d</td><td>", h->wave);
	buf_add_html(b, h->state);
	buf_addf(b, "</td><td>%s to %s</td><td>%s to %s</td><td>%s</td><td>",
	    hc.plan_at, hc.plan_end, hc.at, hc.end, hc.reboot);
	buf_add_html(b, h->error ? h->error : "");
	buf_addf(b, "</td><td><details><summary>%zu step(s)</summary><ul>",
	    h->nsegs);
	for (j = 0; j < h->nsegs; j++) {
		dur_ms(h->segs[j].end_ms - h->segs[j].start_ms, d);
		buf_adds(b, "<li>");
		buf_add_html(b, h->segs[j].step);
		buf_addf(b, "%s %s</li>", h->segs[j].kind == REVIEW_FAIL ?
		    " <b>failed</b>" : "", d);
	}
	buf_adds(b, "</ul></details></td></tr>\n");
}

static void
html_review(const struct plan_review *r, struct buf *b)
{
	struct rv_count c;
	char a[26], z[26];
	size_t i;

	rv_count(r, &c);
	clock_ms(r, r->start_ms, a);
	clock_ms(r, r->end_ms, z);
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset="
	    "\"utf-8\"><title>kbfix post-implementation review</title>\n<style>");
	buf_adds(b, rpt_css);
	buf_adds(b, ".reboot{fill:#888}</style></head><body>\n"
	    "<h1>Post-implementation review</h1>\n<p class=\"meta\">");
	buf_add_html(b, r->run_dir);
	buf_addf(b, " &middot; %s &middot; %s to %s &middot; plan SHA-256 <code>"
	    "%s</code></p>\n<div class=\"cards\">", r->run_state, a, z,
	    r->plan_sha256 ? r->plan_sha256 : "-");
	buf_addf(b, "<div class=\"card\"><b>%zu</b>done</div><div class="
	    "\"card blocked\"><b>%zu</b>failed</div><div class=\"card\"><b>%zu"
	    "</b>rolled back</div><div class=\"card needs-action\"><b>%zu</b>"
	    "deferred, drifted, interrupted</div><div class=\"card\"><b>%zu</b>"
	    "running</div><div class=\"card unknown\"><b>%zu</b>pending</div>"
	    "</div>\n", c.done, c.failed, c.rolled, c.other, c.running,
	    c.pending);
	html_review_timeline(r, b);
	html_review_waves(r, b);
	buf_adds(b, "<h2>Hosts: planned and actual</h2>\n<table><thead><tr>"
	    "<th style=\"width:14%\">Host</th><th style=\"width:5%\">Wave</th>"
	    "<th style=\"width:9%\">State</th><th style=\"width:11%\">Planned"
	    "</th><th style=\"width:11%\">Actual</th><th style=\"width:8%\">"
	    "Reboot down</th><th>Error</th><th style=\"width:18%\">Steps</th>"
	    "</tr></thead><tbody>\n");
	for (i = 0; i < r->nhosts; i++)
		html_review_host(r, &r->hosts[i], b);
	buf_adds(b, "</tbody></table>\n");
	html_evidence(r, b);
	buf_adds(b, "</body></html>\n");
}

/* The wave running now: hosts running, else the first with hosts pending. */
static const struct plan_review_wave *
current_wave(const struct plan_review *r, int *running)
{
	size_t i, j;

	for (*running = 1; *running >= 0; (*running)--)
		for (i = 0; i < r->nwaves; i++)
			for (j = 0; j < r->nhosts; j++)
				if (r->hosts[j].wave == r->waves[i].wave &&
				    (is_state(&r->hosts[j], "running") ||
				    (!*running && is_state(&r->hosts[j],
				    "pending"))))
					return &r->waves[i];
	return NULL;
}

void
plan_review_progress(const struct plan_review *r, int64_t now,
    struct buf *b)
{
	const struct plan_review_wave *w;
	int64_t end = r->window_start + r->window_duration_s;
	char d[16], e[26];
	int running;

	if ((w = current_wave(r, &running)) == NULL)
		buf_addf(b, "all %zu wave(s) finished", r->nwaves);
	else
		buf_addf(b, "wave %d of %zu %s (%zu host(s))", w->wave,
		    r->nwaves, running ? "running" : "next", w->nhosts);
	if (r->window_start < 0) {
		buf_adds(b, "; no window\n");
		return;
	}
	time_iso8601_off(end, r->window_offset_s, e);
	if (now < r->window_start) {
		rpt_duration(r->window_start - now, d);
		buf_addf(b, "; the window opens in %s, ends %s\n", d, e);
	} else if (now < end) {
		rpt_duration(end - now, d);
		buf_addf(b, "; %s left in the window (ends %s)\n", d, e);
	} else {
		rpt_duration(now - end, d);
		buf_addf(b, "; the window closed %s ago (%s)\n", d, e);
	}
}

int
plan_review_report(const struct plan_review *r, enum plan_format f,
    const struct plan_report_ctx *ctx, struct buf *b)
{
	switch (f) {
	case PLAN_FORMAT_TEXT:
		text_review(r, ctx, b);
		break;
	case PLAN_FORMAT_MARKDOWN:
		md_review(r, b);
		break;
	case PLAN_FORMAT_JSON:
		json_review(r, b);
		break;
	case PLAN_FORMAT_HTML:
		html_review(r, b);
		break;
	case PLAN_FORMAT_CSV:
		err_set("a run's review is text, markdown, json or html");
		return -1;
	}
	if (b->failed) {
		err_set("report is larger than %zu bytes", b->max);
		return -1;
	}
	return 0;
}
