/*
 * The plan as one self-contained HTML page (inline CSS, inline SVG, a
 * few lines of inline script, nothing from the network): a status summary,
 * a timeline of the maintenance window, the packages and a host table with
 * the findings folded per host.  It fits 1280 px and prints on landscape
 * A4.  Every value from the plan passes through buf_add_html().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/report_int.h"

#define TL_MAX_ROWS	500	/* hosts drawn; more are counted, not drawn */
#define TL_W		1160	/* SVG user units; scaled to the page width */
#define TL_LABEL	210	/* x where the time axis starts */
#define TL_RIGHT	1130
#define TL_TOP		52
#define TL_ROW		20
#define TL_NCOLORS	8

const char rpt_css[] =
    "*{box-sizing:border-box}"
    "body{font:14px/1.4 system-ui,sans-serif;color:#222;max-width:1240px;"
    "margin:0 auto;padding:8px 16px}"
    "h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:20px 0 8px}"
    ".meta{color:#555;overflow-wrap:anywhere}code{font-size:12px}"
    ".cards{display:flex;flex-wrap:wrap;gap:8px}"
    ".card{border:1px solid #ccc;border-radius:6px;padding:6px 12px;"
    "min-width:110px}.card b{display:block;font-size:20px}"
    ".card.needs-action{border-color:#e69500}.card.blocked{border-color:#c33}"
    ".card.unknown{border-color:#66c}.late{color:#c33;font-weight:bold}"
    "svg{width:100%;height:auto;display:block}"
    "svg text{font:11px system-ui,sans-serif;fill:#222}"
    ".band0{fill:#f3f6fb}.band1{fill:#e6edf7}"
    ".work{fill:#3b7dd8}.verify{fill:#2e9e5b}.def rect{opacity:.35}"
    ".winend{stroke:#c33;stroke-width:2;stroke-dasharray:6 4}"
    ".undo{fill:#8e44ad}.fail{fill:#c33}.planned{fill:none;stroke:#888;"
    "stroke-dasharray:3 2}"
    ".tick{stroke:#bbb}.legend{display:flex;flex-wrap:wrap;gap:12px;"
    "margin:4px 0}.sw{display:inline-block;width:12px;height:12px;"
    "margin-right:4px;vertical-align:middle}"
    "table{border-collapse:collapse;width:100%;table-layout:fixed}"
    "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;"
    "text-align:left;overflow-wrap:anywhere}"
    "th{background:#f0f0f0;cursor:pointer}"
    "tr.needs-action td:first-child{border-left:4px solid #e69500}"
    "tr.blocked td:first-child{border-left:4px solid #c33}"
    "tr.unknown td:first-child{border-left:4px solid #66c}"
    "ul{margin:4px 0;padding-left:18px}summary{cursor:pointer}"
    "#filter{margin:4px 0 8px;padding:4px;width:320px;max-width:100%}"
    "@media print{body{max-width:none;font-size:11px}#filter{display:none}"
    "h2{break-after:avoid}tr{break-inside:avoid}}"
    "@page{size:A4 landscape;margin:12mm}";

/* Sort by a column, filter by text, open the findings to print. */
static const char script[] =
    "(function(){var t=document.getElementById('hosts'),"
    "f=document.getElementById('filter');if(!t)return;"
    "f.addEventListener('input',function(){var q=f.value.toLowerCase();"
    "Array.prototype.forEach.call(t.tBodies[0].rows,function(r){"
    "r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':''})});"
    "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){"
    "th.addEventListener('click',function(){var b=t.tBodies[0],"
    "rs=Array.prototype.slice.call(b.rows),d=th.dataset.dir==='a'?-1:1;"
    "th.dataset.dir=d>0?'a':'d';rs.sort(function(x,y){"
    "var p=x.cells[i].textContent,q=y.cells[i].textContent,"
    "m=parseFloat(p),n=parseFloat(q);"
    "return d*(isNaN(m)||isNaN(n)?p.localeCompare(q):m-n)});"
    "rs.forEach(function(r){b.appendChild(r)})})});"
    "window.addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(e){e.open=true})"
    "})})();";

static const char *const group_colors[TL_NCOLORS] = {
	"#e69500", "#8e44ad", "#c0392b", "#16a085", "#d35400", "#2c3e50",
	"#7f8c00", "#b03a78"
};

struct tl {
	const struct plan *p;
	struct rpt_sched s;
	struct buf *b;
	int64_t	 span_s;	/* the axis: window or schedule, the longer */
	const char **groups;	/* reboot groups in order of appearance */
	size_t	 ngroups;
};

static void
esc(struct buf *b, const char *s)
{
	buf_add_html(b, s ? s : "?");
}

static int
tl_x(const struct tl *t, int64_t sec)
{
	return TL_LABEL + (int)(sec * (TL_RIGHT - TL_LABEL) / t->span_s);
}

static size_t
tl_group(struct tl *t, const char *g)
{
	size_t i;

	for (i = 0; i < t->ngroups; i++)
		if (strcmp(t->groups[i], g) == 0)
			return i;
	t->groups = xreallocarray(t->groups, t->ngroups + 1,
	    sizeof(*t->groups));
	t->groups[t->ngroups] = g;
	return t->ngroups++;
}

static int
deferred(const struct tl *t, const struct plan_host *h)
{
	const struct rpt_wave *w = rpt_sched_wave(&t->s, h->wave);

	return t->s.t0 >= 0 && w &&
	    w->start_s + h->estimate_s > t->p->window_duration_s;
}

/* "22:30" (window time when the plan has an offset), or "+30m". */
static void
tl_clock(const struct tl *t, int64_t sec, char out[26])
{
	char full[26];

	if (t->s.t0 < 0) {
		snprintf(out, 26, "+%lldm", (long long)sec / 60);
		return;
	}
	rpt_time_local(t->s.t0 + sec, t->p->window_offset_s, full);
	snprintf(out, 26, "%.5s", full + 11);
}

static void
tl_axis(const struct tl *t, int height)
{
	static const int64_t steps[] = { 60, 300, 600, 900, 1800, 3600, 7200,
	    10800, 21600, 43200, 86400, 172800, 604800 };
	size_t i = 0;
	int64_t sec;
	char c[26];

	while (i + 1 < sizeof(steps) / sizeof(steps[0]) &&
	    t->span_s / steps[i] > 12)
		i++;
	for (sec = 0; sec <= t->span_s; sec += steps[i]) {
		tl_clock(t, sec, c);
		buf_addf(t->b, "<line class=\"tick\" x1=\"%d\" y1=\"%d\" x2=\"%d\""
		    " y2=\"%d\"/><text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
		    "%s</text>\n", tl_x(t, sec), TL_TOP - 4, tl_x(t, sec),
		    height, tl_x(t, sec), TL_TOP - 7, c);
	}
}

static void
tl_bands(const struct tl *t, int height)
{
	size_t i;

	for (i = 0; i < t->s.nwaves; i++) {
		const struct rpt_wave *w = &t->s.waves[i];
		int x = tl_x(t, w->start_s), x2 = tl_x(t, w->end_s);

		buf_addf(t->b, "<rect class=\"band%zu\" x=\"%d\" y=\"%d\" "
		    "width=\"%d\" height=\"%d\"><title>wave %d: %zu host(s)"
		    "</title></rect><text x=\"%d\" y=\"14\">wave %d</text>\n",
		    i % 2, x, TL_TOP, x2 > x ? x2 - x : 1, height - TL_TOP,
		    w->wave, w->nhosts, x + 2, w->wave);
	}
}

static void
tl_seg(struct buf *b, const char *cls, const char *fill, int x, int w, int y)
{
	if (w <= 0)
		return;
	buf_addf(b, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\"%s%s%s/>", cls, x, y + 3, w, TL_ROW - 6,
	    fill ? " fill=\"" : "", fill ? fill : "", fill ? "\"" : "");
}

/* One host: install (and workarounds), reboot in its group's colour,
 * verify; hatched and labelled when the window cannot hold it. */
static void
tl_row(struct tl *t, const struct plan_host *h, int y)
{
	const struct rpt_wave *w = rpt_sched_wave(&t->s, h->wave);
	struct rpt_phases ph;
	int64_t s0 = w ? w->start_s : 0;
	int x0 = tl_x(t, s0), x1 = tl_x(t, s0 + (int64_t)h->estimate_s), def;
	const char *color = "#888";

	rpt_host_phases(h, &ph);
	def = deferred(t, h);
	if (h->group)
		color = group_colors[tl_group(t, h->group) % TL_NCOLORS];
	buf_adds(t->b, "<text x=\"4\" y=\"");
	buf_addf(t->b, "%d\">", y + TL_ROW - 6);
	esc(t->b, h->name);
	if (h->group) {
		buf_adds(t->b, " [");
		esc(t->b, h->group);
		buf_adds(t->b, "]");
	}
	if (plan_transport_manual(h->transport))
		buf_adds(t->b, " (manual)");
	buf_addf(t->b, "</text><g class=\"bar%s\" data-wave=\"%d\" "
	    "data-host=\"", def ? " def" : "", h->wave);
	esc(t->b, h->name);
	buf_adds(t->b, "\"><title>");
	esc(t->b, h->name);
	buf_addf(t->b, ": work %lld min, reboot %lld min, verify %lld min%s"
	    "</title>", (long long)(ph.work_s + 59) / 60,
	    (long long)(ph.reboot_s + 59) / 60, (long long)(ph.verify_s + 59) / 60,
	    def ? "; deferred: does not fit the window" : "");
	tl_seg(t->b, "work", NULL, x0, tl_x(t, s0 + ph.work_s) - x0, y);
	tl_seg(t->b, "reboot", color, tl_x(t, s0 + ph.work_s),
	    tl_x(t, s0 + ph.work_s + ph.reboot_s) - tl_x(t, s0 + ph.work_s), y);
	tl_seg(t->b, "verify", NULL, tl_x(t, s0 + ph.work_s + ph.reboot_s),
	    x1 - tl_x(t, s0 + ph.work_s + ph.reboot_s), y);
	buf_adds(t->b, "</g>");
	if (def)
		buf_addf(t->b, "<text class=\"late\" x=\"%d\" y=\"%d\">"
		    "deferred</text>", x1 + 4 > TL_RIGHT - 50 ? x0 + 2 : x1 + 4,
		    y + TL_ROW - 6);
	buf_adds(t->b, "\n");
}

static void
tl_legend(const struct tl *t, size_t rows, size_t total)
{
	size_t i;

	buf_adds(t->b, "<div class=\"legend\"><span><i class=\"sw\" style=\""
	    "background:#3b7dd8\"></i>workarounds and installs</span><span>"
	    "<i class=\"sw\" style=\"background:#888\"></i>reboot</span>");
	for (i = 0; i < t->ngroups; i++) {
		buf_addf(t->b, "<span><i class=\"sw\" style=\"background:%s\">"
		    "</i>reboot, group ", group_colors[i % TL_NCOLORS]);
		esc(t->b, t->groups[i]);
		buf_adds(t->b, "</span>");
	}
	buf_adds(t->b, "<span><i class=\"sw\" style=\"background:#2e9e5b\">"
	    "</i>verify</span>");
	if (t->s.t0 >= 0)
		buf_adds(t->b, "<span><i class=\"sw\" style=\"background:#c33\">"
		    "</i>window end</span>");
	buf_adds(t->b, "</div>\n");
	if (total > rows)
		buf_addf(t->b, "<p>%zu more host(s) are not drawn; the table "
		    "lists them all.</p>\n", total - rows);
}

static void
tl_caption(const struct tl *t)
{
	char a[26];

	if (t->s.t0 < 0) {
		buf_adds(t->b, "<p>The plan names no window: minutes from the "
		    "start of the run.</p>\n");
		return;
	}
	rpt_time_local(t->s.t0, t->p->window_offset_s, a);
	buf_addf(t->b, "<p>Planned from %s, times in UTC%s; waves one after "
	    "another, the hosts of a wave in parallel.</p>\n", a,
	    t->p->window_offset_s ? a + 17 : "");
}

static void
html_timeline(const struct plan *p, struct buf *b)
{
	struct tl t;
	size_t i, k, rows = 0, total = 0;
	int height;
	char c[26];

	memset(&t, 0, sizeof(t));
	t.p = p;
	t.b = b;
	rpt_sched_build(p, &t.s);
	t.span_s = t.s.end_s;
	if (t.s.t0 >= 0 && p->window_duration_s > t.span_s)
		t.span_s = p->window_duration_s;
	if (t.span_s <= 0)
		t.span_s = 1;
	for (i = 0; i < p->nhosts; i++)
		total += rpt_host_scheduled(&p->hosts[i]);
	rows = total < TL_MAX_ROWS ? total : TL_MAX_ROWS;
	height = TL_TOP + (int)rows * TL_ROW + 4;
	buf_adds(b, "<h2>Timeline of the window</h2>\n");
	if (total == 0) {
		buf_adds(b, "<p>No host needs action.</p>\n");
		rpt_sched_release(&t.s);
		return;
	}
	tl_caption(&t);
	buf_addf(b, "<svg id=\"timeline\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"planned timeline\">\n", TL_W, height);
	tl_bands(&t, height);
	tl_axis(&t, height);
	/* hosts in wave order, each wave in plan order */
	for (k = 0; k < t.s.nwaves; k++)
		for (i = 0; i < p->nhosts && rows; i++)
			if (rpt_host_scheduled(&p->hosts[i]) &&
			    p->hosts[i].wave == t.s.waves[k].wave) {
				tl_row(&t, &p->hosts[i], height - 4 -
				    (int)rows * TL_ROW);
				rows--;
			}
	if (t.s.t0 >= 0) {
		tl_clock(&t, p->window_duration_s, c);
		buf_addf(b, "<line class=\"winend\" x1=\"%d\" y1=\"20\" x2=\"%d\""
		    " y2=\"%d\"/><text class=\"late\" x=\"%d\" y=\"30\" "
		    "text-anchor=\"end\">window end %s</text>\n",
		    tl_x(&t, p->window_duration_s), tl_x(&t, p->window_duration_s),
		    height, tl_x(&t, p->window_duration_s) - 4, c);
	}
	buf_adds(b, "</svg>\n");
	tl_legend(&t, total < TL_MAX_ROWS ? total : TL_MAX_ROWS, total);
	free(t.groups);
	rpt_sched_release(&t.s);
}

/* A card per advisory with hosts counted, when discover read evidence. */
static void
html_evidence_cards(const struct plan *p, struct buf *b)
{
	struct plan_evidence_counts c;
	struct buf line;
	size_t i;

	for (i = 0; i < p->nadvisories; i++) {
		buf_init(&line, 512);
		if (rpt_evidence_line(p, i, &line)) {
			plan_evidence_counts(p, p->advisories[i].id, &c);
			buf_addf(b, "<div class=\"card evidence\"><b>%zu</b>",
			    c.experiencing);
			esc(b, buf_str(&line));
			buf_adds(b, "</div>");
		}
		buf_release(&line);
	}
}

static void
html_summary(const struct plan *p, const struct plan_report_ctx *ctx,
    struct buf *b)
{
	struct rpt_totals t;
	struct buf line;
	char sha[65];
	size_t i;

	rpt_totals(p, &t);
	rpt_plan_sha256(p, ctx->sha256, sha);
	buf_adds(b, "<h1>Remediation plan</h1>\n<p class=\"meta\">Created ");
	esc(b, p->created ? p->created : "-");
	buf_addf(b, " &middot; %zu hosts &middot; plan SHA-256 <code>%s</code>"
	    "</p>\n<div class=\"cards\">", p->nhosts, sha);
	for (i = 0; i < PLAN_NSTATUS; i++)
		buf_addf(b, "<div class=\"card %s\"><b>%zu</b>%s</div>",
		    plan_status_name((enum plan_status)i), t.status[i],
		    plan_status_name((enum plan_status)i));
	buf_addf(b, "<div class=\"card\"><b>%zu</b>reboots</div><div "
	    "class=\"card\"><b>%zu</b>packages</div><div class=\"card\"><b>%zu"
	    "</b>waves</div>", t.reboots, p->npackages, t.waves);
	html_evidence_cards(p, b);
	buf_adds(b, "</div>\n<p>");
	buf_init(&line, 4096);
	rpt_window_line(p, &t, &line);
	esc(b, buf_str(&line));
	buf_reset(&line);
	rpt_groups_line(p, &line, buf_adds);
	if (line.len) {
		buf_adds(b, "</p>\n<p class=\"groups\">");
		esc(b, buf_str(&line));
	}
	buf_release(&line);
	buf_adds(b, "</p>\n");
}

static void
html_packages(const struct plan *p, struct buf *b)
{
	struct buf note;
	size_t i, j;

	buf_adds(b, "<h2>Packages</h2>\n");
	buf_init(&note, 4096);
	if (plan_classification_note(p, &note)) {	/* issue 11 item 8 */
		buf_adds(b, "<p>");
		esc(b, buf_str(&note));
		buf_adds(b, "</p>\n");
	}
	buf_release(&note);
	buf_adds(b, "<table><thead><tr><th style=\"width:"
	    "12%\">KB</th><th style=\"width:22%\">Product</th><th style=\""
	    "width:8%\">Arch</th><th>Hosts</th></tr></thead><tbody>\n");
	for (i = 0; i < p->npackages; i++) {
		buf_adds(b, "<tr><td>");
		esc(b, p->packages[i].kb);
		buf_adds(b, "</td><td>");
		esc(b, p->packages[i].product);
		buf_adds(b, "</td><td>");
		esc(b, p->packages[i].arch);
		buf_adds(b, "</td><td>");
		for (j = 0; j < p->packages[i].nhosts; j++) {
			buf_adds(b, j ? ", " : "");
			esc(b, p->packages[i].hosts[j]);
		}
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</tbody></table>\n");
}

static void
html_findings(const struct plan_host *h, struct buf *b)
{
	size_t j, read = 0;

	for (j = 0; j < h->nfindings; j++)
		read += h->findings[j].state != FINDING_FIXED &&
		    h->findings[j].state != FINDING_NOT_AFFECTED;
	buf_addf(b, "<td><details><summary>%zu finding(s), %zu to read"
	    "</summary><ul>", h->nfindings, read);
	for (j = 0; j < h->nfindings; j++) {
		buf_adds(b, "<li>");
		esc(b, h->findings[j].advisory);
		buf_addf(b, ": <b>%s</b>: ", plan_state_name(h->findings[j].state));
		esc(b, h->findings[j].reason);
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul></details></td>");
}

static void
html_host(const struct plan_host *h, struct buf *b, struct buf *line)
{
	size_t j;

	buf_addf(b, "<tr class=\"%s\"><td>", plan_status_name(h->status));
	esc(b, h->name);
	buf_addf(b, "</td><td>%s</td><td>%d</td><td>",
	    plan_status_name(h->status), h->wave);
	esc(b, h->os);
	buf_adds(b, " ");
	esc(b, h->version);
	buf_adds(b, " ");
	esc(b, h->arch);
	buf_adds(b, "</td><td>");
	for (j = 0; j < h->nroles; j++) {
		buf_adds(b, j ? ", " : "");
		esc(b, h->roles[j]);
	}
	if (h->group) {
		buf_adds(b, h->nroles ? "; group " : "group ");
		esc(b, h->group);
	}
	buf_reset(line);
	rpt_actions_line(h, line);
	buf_adds(b, "</td><td>");
	esc(b, buf_str(line));
	buf_adds(b, "</td>");
	html_findings(h, b);
	buf_adds(b, "</tr>\n");
}

static void
html_hosts(const struct plan *p, struct buf *b)
{
	struct buf line;
	size_t i;

	buf_init(&line, 1 << 20);
	buf_adds(b, "<h2>Hosts</h2>\n<input id=\"filter\" type=\"search\" "
	    "placeholder=\"Filter hosts\" aria-label=\"Filter hosts\">\n"
	    "<table id=\"hosts\"><thead><tr><th style=\"width:11%\">Host</th>"
	    "<th style=\"width:9%\">Status</th><th style=\"width:5%\">Wave</th>"
	    "<th style=\"width:15%\">OS</th><th style=\"width:10%\">Roles</th>"
	    "<th style=\"width:22%\">Actions</th><th>Findings</th></tr>"
	    "</thead><tbody>\n");
	for (i = 0; i < p->nhosts; i++)
		html_host(&p->hosts[i], b, &line);
	buf_adds(b, "</tbody></table>\n");
	buf_release(&line);
}

void
rpt_html(const struct plan *p, const struct plan_report_ctx *ctx,
    struct buf *b)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset="
	    "\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>kbfix remediation plan</title>\n<style>");
	buf_adds(b, rpt_css);
	buf_adds(b, "</style></head><body>\n");
	html_summary(p, ctx, b);
	html_timeline(p, b);
	html_packages(p, b);
	html_hosts(p, b);
	buf_adds(b, "<script>");
	buf_adds(b, script);
	buf_adds(b, "</script>\n</body></html>\n");
}
