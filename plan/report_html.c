/* The plan as one HTML page. */
#include <stdio.h>
#include <string.h>

#include "plan/report_int.h"

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
		rpt_actions_line(h, &line);
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

void
rpt_html(const struct plan *p, const struct plan_report_ctx *ctx,
    struct buf *b)
{
	struct rpt_totals t;
	struct buf line;
	size_t i, j;

	(void)ctx;
	rpt_totals(p, &t);
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
		    plan_status_name((enum plan_status)i), t.status[i]);
	buf_addf(b, "<tr><th>reboots</th><td>%zu</td></tr></table>\n<p>",
	    t.reboots);
	rpt_window_line(p, &t, &line);
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

