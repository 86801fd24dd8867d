/*
 * Plan reports: text, JSON (plan_write_json), Markdown for a change
 * request, one self-contained HTML page, CSV (a row per host action).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

int
plan_format_parse(const char *s, enum plan_format *out)
{
	static const char *const names[] = { "text", "json", "markdown",
	    "html", "csv" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum plan_format)i;
			return 0;
		}
	if (strcmp(s, "md") == 0) {
		*out = PLAN_FORMAT_MARKDOWN;
		return 0;
	}
	err_set("'%s' is not text, json, markdown, html or csv", s);
	return -1;
}

/* Figures every report shows. */
struct totals {
	size_t	 status[PLAN_NSTATUS];
	size_t	 reboots, actions, waves;
	int64_t	 duration_s;	/* waves one after another, hosts in parallel */
};

/*
 * The canary: apply's first host alone in wave 0 (--canary 1, the
 * default): the first host of the lowest wave that apply contacts.
 */
static size_t
canary_host(const struct plan *p)
{
	size_t i, best = p->nhosts;

	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *h = &p->hosts[i];

		if (h->nactions == 0 || h->wave <= 0 ||
		    h->status != PLAN_NEEDS_ACTION ||
		    plan_transport_manual(h->transport))
			continue;
		if (best == p->nhosts || h->wave < p->hosts[best].wave)
			best = i;
	}
	return best;
}

static void
totals(const struct plan *p, struct totals *t)
{
	int64_t *wave_max = NULL;
	size_t i, j, nw = 0, canary = canary_host(p);

	memset(t, 0, sizeof(*t));
	if (canary < p->nhosts) {	/* wave 0, before the others */
		t->duration_s = p->hosts[canary].estimate_s;
		t->waves = 1;
	}
	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *h = &p->hosts[i];

		t->status[h->status]++;
		t->actions += h->nactions;
		for (j = 0; j < h->nactions; j++)
			t->reboots += h->actions[j].kind == ACTION_REBOOT;
		if (h->nactions == 0 || h->wave <= 0 || i == canary)
			continue;
		if ((size_t)h->wave > nw) {
			wave_max = xreallocarray(wave_max, (size_t)h->wave,
			    sizeof(*wave_max));
			memset(wave_max + nw, 0, ((size_t)h->wave - nw) *
			    sizeof(*wave_max));
			nw = (size_t)h->wave;
		}
		if (h->estimate_s > wave_max[h->wave - 1])
			wave_max[h->wave - 1] = h->estimate_s;
	}
	for (i = 0; i < nw; i++) {
		t->duration_s += wave_max[i];
		t->waves += wave_max[i] > 0;
	}
	free(wave_max);
}

static void
action_text(const struct plan_action *a, struct buf *b)
{
	switch (a->kind) {
	case ACTION_REGISTRY:
		buf_addf(b, "registry %s\\%s=%u", a->key, a->value, a->data_num);
		break;
	case ACTION_MULTICAST:
		buf_addf(b, "%s multicast forwarding %s", a->family,
		    a->enabled ? "on" : "off");
		break;
	case ACTION_INSTALL:
		buf_addf(b, "install %s", a->kb);
		break;
	case ACTION_REBOOT:
	case ACTION_VERIFY:
		buf_adds(b, plan_action_name(a->kind));
		break;
	}
}

static void
actions_line(const struct plan_host *h, struct buf *b)
{
	size_t i;

	for (i = 0; i < h->nactions; i++) {
		if (i)
			buf_adds(b, ", ");
		action_text(&h->actions[i], b);
	}
	if (h->nactions == 0)
		buf_adds(b, "-");
}

static void
window_line(const struct plan *p, const struct totals *t, struct buf *b)
{
	buf_addf(b, "Estimated time: %lld min over %zu wave(s), waves one "
	    "after another, the canary wave 0 first (apply --canary 1)",
	    (long long)(t->duration_s + 59) / 60, t->waves);
	if (p->window_start)
		buf_addf(b, "; window %s for %lld min: %s",
		    p->window_start, (long long)p->window_duration_s / 60,
		    t->duration_s <= p->window_duration_s ? "fits" :
		    "DOES NOT FIT (split the waves over more windows)");
	buf_adds(b, "\n");
}

/* Text. */

static void
text_summary(const struct plan *p, const struct totals *t, struct buf *b)
{
	size_t i;

	buf_addf(b, "kbfix plan: %zu hosts, created %s\n", p->nhosts,
	    p->created ? p->created : "-");
	for (i = 0; i < PLAN_NSTATUS; i++)
		buf_addf(b, "%s%s %zu", i ? ", " : "  ",
		    plan_status_name((enum plan_status)i), t->status[i]);
	buf_addf(b, "\n  %zu package(s), %zu reboot(s), %zu action(s)\n",
	    p->npackages, t->reboots, t->actions);
	buf_adds(b, "  ");
	window_line(p, t, b);
}

static void
text_hosts(const struct plan *p, struct buf *b)
{
	struct buf line;
	size_t i;

	buf_init(&line, 1 << 20);
	buf_addf(b, "\nHosts\n%-20s %-14s %4s  %-22s %-10s %-4s  %s\n", "HOST",
	    "STATUS", "WAVE", "OS", "VERSION", "ARCH", "ACTIONS");
	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *h = &p->hosts[i];

		buf_reset(&line);
		actions_line(h, &line);
		buf_addf(b, "%-20s %-14s %4d  %-22s %-10s %-4s  %s\n", h->name,
		    plan_status_name(h->status), h->wave, h->os ? h->os : "?",
		    h->version ? h->version : "?", h->arch ? h->arch : "?",
		    buf_str(&line));
	}
	buf_release(&line);
}

static void
text_packages(const struct plan *p, struct buf *b)
{
	size_t i, j;

	buf_addf(b, "\nPackages\n%-10s %-24s %-4s %5s  %s\n", "KB", "PRODUCT",
	    "ARCH", "HOSTS", "NAMES");
	for (i = 0; i < p->npackages; i++) {
		const struct plan_package *pk = &p->packages[i];

		buf_addf(b, "%-10s %-24s %-4s %5zu  ", pk->kb, pk->product,
		    pk->arch, pk->nhosts);
		for (j = 0; j < pk->nhosts && j < 8; j++)
			buf_addf(b, "%s%s", j ? " " : "", pk->hosts[j]);
		buf_adds(b, pk->nhosts > 8 ? " ...\n" : "\n");
	}
	if (p->npackages == 0)
		buf_adds(b, "(none)\n");
}

/* Findings worth reading: everything but fixed and not-affected. */
static void
text_details(const struct plan *p, struct buf *b)
{
	size_t i, j;

	buf_adds(b, "\nFindings (affected, blocked, unknown)\n");
	for (i = 0; i < p->nhosts; i++)
		for (j = 0; j < p->hosts[i].nfindings; j++) {
			const struct plan_finding *f = &p->hosts[i].findings[j];

			if (f->state == FINDING_FIXED ||
			    f->state == FINDING_NOT_AFFECTED)
				continue;
			buf_addf(b, "%-20s %-20s %-9s %s\n", p->hosts[i].name,
			    f->advisory, plan_state_name(f->state), f->reason);
		}
}

/* Markdown. */

static void
md_report(const struct plan *p, const struct totals *t, struct buf *b)
{
	struct buf line;
	size_t i, j;

	buf_init(&line, 1 << 20);
	buf_addf(b, "# Remediation plan\n\nCreated %s by kbfix from %zu hosts.\n\n"
	    "## Summary\n\n| Status | Hosts |\n|---|---:|\n",
	    p->created ? p->created : "-", p->nhosts);
	for (i = 0; i < PLAN_NSTATUS; i++)
		buf_addf(b, "| %s | %zu |\n",
		    plan_status_name((enum plan_status)i), t->status[i]);
	buf_addf(b, "\n**Reboots: %zu host(s).** ", t->reboots);
	window_line(p, t, b);
	buf_adds(b, "\n## Packages\n\n| KB | Product | Arch | Hosts |\n"
	    "|---|---|---|---|\n");
	for (i = 0; i < p->npackages; i++) {
		buf_addf(b, "| %s | ", p->packages[i].kb);
		buf_add_md_cell(b, p->packages[i].product);
		buf_adds(b, " | ");
		buf_add_md_cell(b, p->packages[i].arch);
		buf_adds(b, " | ");
		for (j = 0; j < p->packages[i].nhosts; j++) {
			buf_adds(b, j ? ", " : "");
			buf_add_md_cell(b, p->packages[i].hosts[j]);
		}
		buf_adds(b, " |\n");
	}
	buf_adds(b, "\n## Actions per host\n");
	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *h = &p->hosts[i];

		buf_adds(b, "\n### ");
		buf_add_md_cell(b, h->name);
		buf_addf(b, " (%s, wave %d, ", plan_status_name(h->status),
		    h->wave);
		buf_add_md_cell(b, h->os ? h->os : "?");
		buf_addc(b, ' ');
		buf_add_md_cell(b, h->version ? h->version : "?");
		buf_addc(b, ' ');
		buf_add_md_cell(b, h->arch ? h->arch : "?");
		buf_adds(b, ")\n\n");
		for (j = 0; j < h->nactions; j++) {
			buf_reset(&line);
			action_text(&h->actions[j], &line);
			buf_addf(b, "%zu. ", j + 1);
			buf_add_md_cell(b, buf_str(&line));
			buf_adds(b, "\n");
		}
		if (h->nactions)
			buf_adds(b, "\n");
		for (j = 0; j < h->nfindings; j++) {
			buf_adds(b, "- ");
			buf_add_md_cell(b, h->findings[j].advisory);
			buf_addf(b, ": **%s**: ",
			    plan_state_name(h->findings[j].state));
			buf_add_md_cell(b, h->findings[j].reason);
			buf_adds(b, "\n");
		}
	}
	buf_release(&line);
}

/* HTML. */

static void
html_esc(struct buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, *s);
		}
}

static void
html_cell(struct buf *b, const char *s)
{
	buf_adds(b, "<td>");
	html_esc(b, s ? s : "?");
	buf_adds(b, "</td>");
}

static void
html_hosts(const struct plan *p, struct buf *b)
{
	struct buf line;
	size_t i, j;

	buf_init(&line, 1 << 20);
	buf_adds(b, "<h2>Hosts</h2>\n<table><tr><th>Host</th><th>Status</th>"
	    "<th>Wave</th><th>OS</th><th>Version</th><th>Arch</th>"
	    "<th>Actions</th><th>Findings</th></tr>\n");
	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *h = &p->hosts[i];

		buf_reset(&line);
		actions_line(h, &line);
		buf_addf(b, "<tr class=\"%s\">", plan_status_name(h->status));
		html_cell(b, h->name);
		html_cell(b, plan_status_name(h->status));
		buf_addf(b, "<td>%d</td>", h->wave);
		html_cell(b, h->os);
		html_cell(b, h->version);
		html_cell(b, h->arch);
		html_cell(b, buf_str(&line));
		buf_adds(b, "<td><ul>");
		for (j = 0; j < h->nfindings; j++) {
			buf_adds(b, "<li>");
			html_esc(b, h->findings[j].advisory);
			buf_addf(b, ": <b>%s</b>: ",
			    plan_state_name(h->findings[j].state));
			html_esc(b, h->findings[j].reason);
			buf_adds(b, "</li>");
		}
		buf_adds(b, "</ul></td></tr>\n");
	}
	buf_adds(b, "</table>\n");
	buf_release(&line);
}

static void
html_report(const struct plan *p, const struct totals *t, struct buf *b)
{
	struct buf line;
	size_t i, j;

	buf_init(&line, 4096);
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>kbfix remediation plan</title>\n<style>body{font-family:"
	    "sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:"
	    "1px solid #999;padding:.2em .5em;vertical-align:top;text-align:"
	    "left}tr.needs-action{background:#fff4e0}tr.blocked{background:"
	    "#fde}tr.unknown{background:#eef}ul{margin:0;padding-left:1.2em}"
	    "</style></head><body>\n<h1>Remediation plan</h1>\n<p>Created ");
	html_esc(b, p->created ? p->created : "-");
	buf_addf(b, ", %zu hosts.</p>\n<h2>Summary</h2>\n<table>", p->nhosts);
	for (i = 0; i < PLAN_NSTATUS; i++)
		buf_addf(b, "<tr><th>%s</th><td>%zu</td></tr>",
		    plan_status_name((enum plan_status)i), t->status[i]);
	buf_addf(b, "<tr><th>reboots</th><td>%zu</td></tr></table>\n<p>",
	    t->reboots);
	window_line(p, t, &line);
	html_esc(b, buf_str(&line));
	buf_adds(b, "</p>\n<h2>Packages</h2>\n<table><tr><th>KB</th>"
	    "<th>Product</th><th>Arch</th><th>Hosts</th></tr>\n");
	for (i = 0; i < p->npackages; i++) {
		buf_adds(b, "<tr>");
		html_cell(b, p->packages[i].kb);
		html_cell(b, p->packages[i].product);
		html_cell(b, p->packages[i].arch);
		buf_adds(b, "<td>");
		for (j = 0; j < p->packages[i].nhosts; j++) {
			buf_adds(b, j ? ", " : "");
			html_esc(b, p->packages[i].hosts[j]);
		}
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</table>\n");
	html_hosts(p, b);
	buf_adds(b, "</body></html>\n");
	buf_release(&line);
}

/* CSV, RFC 4180: quote a field holding a comma, quote, CR or LF. */

static void
csv_field(struct buf *b, const char *s, int last)
{
	if (s && strpbrk(s, ",\"\r\n")) {
		buf_addc(b, '"');
		for (; *s; s++) {
			if (*s == '"')
				buf_addc(b, '"');
			buf_addc(b, *s);
		}
		buf_addc(b, '"');
	} else if (s)
		buf_adds(b, s);
	buf_adds(b, last ? "\r\n" : ",");
}

static void
csv_row(struct buf *b, const struct plan_host *h, size_t step,
    const struct plan_action *a)
{
	char num[32];
	struct buf d;

	buf_init(&d, 1 << 16);
	csv_field(b, h->name, 0);
	csv_field(b, plan_status_name(h->status), 0);
	snprintf(num, sizeof(num), "%d", h->wave);
	csv_field(b, num, 0);
	snprintf(num, sizeof(num), "%zu", step);
	csv_field(b, num, 0);
	csv_field(b, a ? plan_action_name(a->kind) : "none", 0);
	csv_field(b, a && a->kb ? a->kb : "", 0);
	csv_field(b, a && a->advisory ? a->advisory : "", 0);
	csv_field(b, h->os ? h->os : "", 0);
	csv_field(b, h->arch ? h->arch : "", 0);
	if (a)
		action_text(a, &d);
	csv_field(b, buf_str(&d), 1);
	buf_release(&d);
}

static void
csv_report(const struct plan *p, struct buf *b)
{
	size_t i, j;

	buf_adds(b, "host,status,wave,step,kind,kb,advisory,product,arch,"
	    "detail\r\n");
	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *h = &p->hosts[i];

		for (j = 0; j < h->nactions; j++)
			csv_row(b, h, j + 1, &h->actions[j]);
		if (h->nactions == 0)
			csv_row(b, h, 0, NULL);
	}
}

int
plan_report(const struct plan *p, enum plan_format f, struct buf *b)
{
	struct totals t;

	if (f == PLAN_FORMAT_JSON)
		return plan_write_json(p, b);
	totals(p, &t);
	switch (f) {
	case PLAN_FORMAT_TEXT:
		text_summary(p, &t, b);
		text_hosts(p, b);
		text_packages(p, b);
		text_details(p, b);
		break;
	case PLAN_FORMAT_MARKDOWN:
		md_report(p, &t, b);
		break;
	case PLAN_FORMAT_HTML:
		html_report(p, &t, b);
		break;
	case PLAN_FORMAT_CSV:
		csv_report(p, b);
		break;
	case PLAN_FORMAT_JSON:
		break;
	}
	if (b->failed) {
		err_set("report is larger than %zu bytes", b->max);
		return -1;
	}
	return 0;
}
