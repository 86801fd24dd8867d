/*
 * Plan reports: text, JSON (plan_write_json), CSV (a row per host action),
 * and what the Markdown change request (report_md.c) and the HTML page
 * (report_html.c) share: totals, the planned schedule, times, the hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan/plan.h"
#include "plan/report_int.h"

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

void
rpt_totals(const struct plan *p, struct rpt_totals *t)
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

void
rpt_action_text(const struct plan_action *a, struct buf *b)
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

void
rpt_actions_line(const struct plan_host *h, struct buf *b)
{
	size_t i;

	for (i = 0; i < h->nactions; i++) {
		if (i)
			buf_adds(b, ", ");
		rpt_action_text(&h->actions[i], b);
	}
	if (h->nactions == 0)
		buf_adds(b, "-");
}

void
rpt_window_line(const struct plan *p, const struct rpt_totals *t,
    struct buf *b)
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

/*
 * "Reboot groups, at most this many members restart at once: web 10 of 40
 * (25%) over 4 wave(s); sql 2 of 3 over 2 wave(s)", nothing without
 * groups.  The group names go through name (the format's escaping).
 */
void
rpt_groups_line(const struct plan *p, struct buf *b,
    int (*name)(struct buf *, const char *))
{
	int *waves = xcalloc(p->nhosts + 1, sizeof(*waves));
	size_t i, j, n, k;

	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group *g = &p->groups[i];

		for (j = n = 0; j < p->nhosts; j++) {
			const struct plan_host *h = &p->hosts[j];

			if (!rpt_host_scheduled(h) || h->group == NULL ||
			    strcmp(h->group, g->name) != 0)
				continue;
			for (k = 0; k < n && waves[k] != h->wave; k++)
				;
			if (k == n)
				waves[n++] = h->wave;
		}
		buf_adds(b, i ? "; " : "Reboot groups, at most this many "
		    "members restart at once (max_unavailable): ");
		name(b, g->name);
		buf_addf(b, " %d of %d", g->max_unavailable, g->members);
		if (g->percent)
			buf_addf(b, " (%d%%)", g->percent);
		buf_addf(b, " over %zu wave(s)", n);
	}
	if (p->ngroups)
		buf_adds(b, "\n");
	free(waves);
}

/* The planned schedule. */

int
rpt_host_scheduled(const struct plan_host *h)
{
	return h->nactions > 0 && h->wave > 0;
}

static int
int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void
distinct_add(const char ***v, size_t *n, const char *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

/* Index of wave in s->waves (sorted), or s->nwaves. */
static size_t
sched_find(const struct rpt_sched *s, int wave)
{
	size_t lo = 0, hi = s->nwaves, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->waves[mid].wave == wave)
			return mid;
		if (s->waves[mid].wave < wave)
			lo = mid + 1;
		else
			hi = mid;
	}
	return s->nwaves;
}

const struct rpt_wave *
rpt_sched_wave(const struct rpt_sched *s, int wave)
{
	size_t i = sched_find(s, wave);

	return i < s->nwaves ? &s->waves[i] : NULL;
}

static void
sched_add_host(struct rpt_wave *w, const struct plan_host *h)
{
	size_t j;

	w->nhosts++;
	w->nmanual += plan_transport_manual(h->transport);
	for (j = 0; j < h->nactions; j++)
		w->nreboots += h->actions[j].kind == ACTION_REBOOT;
	for (j = 0; j < h->nroles; j++)
		distinct_add(&w->roles, &w->nroles, h->roles[j]);
	if (h->group)
		distinct_add(&w->groups, &w->ngroups, h->group);
	if (h->estimate_s > w->end_s)
		w->end_s = h->estimate_s;	/* the wave's length, for now */
}

void
rpt_sched_build(const struct plan *p, struct rpt_sched *s)
{
	int *nums = xcalloc(p->nhosts + 1, sizeof(*nums));
	size_t i, n = 0;
	int64_t t = 0;

	memset(s, 0, sizeof(*s));
	s->t0 = -1;
	if (p->window_start && time_parse_iso8601(p->window_start, &s->t0) == -1)
		s->t0 = -1;
	for (i = 0; i < p->nhosts; i++)
		if (rpt_host_scheduled(&p->hosts[i]))
			nums[n++] = p->hosts[i].wave;
	qsort(nums, n, sizeof(*nums), int_cmp);
	s->waves = xcalloc(n + 1, sizeof(*s->waves));
	for (i = 0; i < n; i++)
		if (s->nwaves == 0 || s->waves[s->nwaves - 1].wave != nums[i])
			s->waves[s->nwaves++].wave = nums[i];
	free(nums);
	for (i = 0; i < p->nhosts; i++)
		if (rpt_host_scheduled(&p->hosts[i]))
			sched_add_host(&s->waves[sched_find(s,
			    p->hosts[i].wave)], &p->hosts[i]);
	for (i = 0; i < s->nwaves; i++) {
		struct rpt_wave *w = &s->waves[i];

		w->start_s = t;
		w->end_s += t;
		t = w->end_s;
		if (w->nhosts > s->waves[s->largest].nhosts)
			s->largest = i;
	}
	s->end_s = t;
}

void
rpt_sched_release(struct rpt_sched *s)
{
	size_t i;

	for (i = 0; i < s->nwaves; i++) {
		free(s->waves[i].roles);
		free(s->waves[i].groups);
	}
	free(s->waves);
	memset(s, 0, sizeof(*s));
}

/* The plan's estimates per action kind, scaled to the host's estimate_s. */
void
rpt_host_phases(const struct plan_host *h, struct rpt_phases *ph)
{
	int64_t sum;
	size_t j;

	memset(ph, 0, sizeof(*ph));
	for (j = 0; j < h->nactions; j++)
		switch (h->actions[j].kind) {
		case ACTION_REGISTRY:
		case ACTION_MULTICAST:
			ph->work_s += PLAN_EST_WORKAROUND;
			break;
		case ACTION_INSTALL:
			ph->work_s += PLAN_EST_INSTALL;
			break;
		case ACTION_REBOOT:
			ph->reboot_s = PLAN_EST_REBOOT;
			break;
		case ACTION_VERIFY:
			ph->verify_s = PLAN_EST_VERIFY;
			break;
		}
	sum = ph->work_s + ph->reboot_s + ph->verify_s;
	if (h->estimate_s <= 0 || sum == 0 || sum == h->estimate_s)
		return;
	ph->reboot_s = ph->reboot_s * h->estimate_s / sum;
	ph->verify_s = ph->verify_s * h->estimate_s / sum;
	ph->work_s = h->estimate_s - ph->reboot_s - ph->verify_s;
}

static void
fmt_time(int64_t epoch, int off_s, const char *zone, char out[26])
{
	time_t tt = (time_t)(epoch + off_s);
	struct tm tm;
	char day[20];

	gmtime_r(&tt, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M", &tm);
	snprintf(out, 26, "%.16s %s", day, zone);
}

void
rpt_time_utc(int64_t epoch, char out[26])
{
	fmt_time(epoch, 0, "UTC", out);
}

void
rpt_time_local(int64_t epoch, int off_s, char out[26])
{
	char iso[26];

	/* the offset as ISO 8601 writes it: "+01:00" */
	time_iso8601_off(0, off_s, iso);
	fmt_time(epoch, off_s, off_s ? iso + 19 : "UTC", out);
}

void
rpt_plan_sha256(const struct plan *p, const char *given, char out[65])
{
	struct buf b;

	if (given) {
		snprintf(out, 65, "%s", given);
		return;
	}
	buf_init(&b, (size_t)1 << 30);
	plan_write_json(p, &b);
	sha256_hex(b.data ? b.data : "", b.len, out);
	buf_release(&b);
}

/* Text tables folded to 100 columns. */

/* Bytes of s that fit w columns, ending at a space or a character start. */
static size_t
fold_at(const char *s, size_t w)
{
	size_t n = strlen(s), i, sp = 0;

	if (n <= w)
		return n;
	for (i = 1; i <= w; i++)
		if (s[i] == ' ')
			sp = i;
	if (sp > w / 3)
		return sp;
	i = w;
	while (i > 1 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;		/* not inside a UTF-8 character */
	return i;
}

void
rpt_text_row(struct buf *b, const char *const *cells, const int *width,
    size_t n, const char *sgr)
{
	const char *rest[16];
	struct buf t[16];
	size_t i, k, used, w;
	int more = 1, first = 1;

	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++) {
		buf_init(&t[i], 1 << 16);
		buf_add_term(&t[i], cells[i] ? cells[i] : "");
		rest[i] = buf_str(&t[i]);
	}
	while (more || first) {
		more = 0;
		buf_adds(b, sgr ? sgr : "");
		for (i = 0, used = 0; i < n; i++) {
			w = width[i] > 0 ? (size_t)width[i] :
			    RPT_TEXT_COLS - used;
			k = fold_at(rest[i], w);
			buf_add(b, rest[i], k);
			rest[i] += k;
			while (*rest[i] == ' ')
				rest[i]++;
			more |= *rest[i] != '\0';
			if (i + 1 < n)
				buf_addf(b, "%*s", (int)(w - k + 1), "");
			used += w + 1;
		}
		while (b->len && b->data[b->len - 1] == ' ')
			b->data[--b->len] = '\0';
		buf_adds(b, sgr ? "\033[0m\n" : "\n");
		first = 0;
	}
	for (i = 0; i < n; i++)
		buf_release(&t[i]);
}

const char *
rpt_color(const struct plan_report_ctx *ctx, enum rpt_color c)
{
	static const char *const sgr[] = { NULL, "\033[31m", "\033[33m",
	    "\033[34m", "\033[32m" };

	return ctx && ctx->color ? sgr[c] : NULL;
}

void
rpt_duration(int64_t s, char out[16])
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, 16, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, 16, "%lldm", (long long)(s + 59) / 60);
	else	/* PLAN_DURATION_MAX and more: at most 7 digits of hours */
		snprintf(out, 16, "%dh%02dm", (int)(s / 3600 % 10000000),
		    (int)(s % 3600 / 60));
}

/* Text. */

int
rpt_evidence_line(const struct plan *p, size_t i, struct buf *b)
{
	struct plan_evidence_counts c;

	if (!plan_evidence_known(p))
		return 0;
	plan_evidence_counts(p, p->advisories[i].id, &c);
	if (c.experiencing + c.exposed + c.unknown == 0)
		return 0;
	buf_adds(b, p->advisories[i].id);
	buf_adds(b, ": ");
	plan_evidence_counts_text(&c, b);
	return 1;
}

/* Per advisory with some host counted: "  evidence tcpip-2018-07: ..." */
static void
text_evidence(const struct plan *p, struct buf *b)
{
	struct buf line;
	size_t i;

	for (i = 0; i < p->nadvisories; i++) {
		buf_init(&line, 512);
		if (rpt_evidence_line(p, i, &line)) {
			buf_adds(b, "  evidence ");
			buf_add_term(b, buf_str(&line));
			buf_adds(b, "\n");
		}
		buf_release(&line);
	}
}

static void
text_summary(const struct plan *p, const struct rpt_totals *t, struct buf *b)
{
	static const int widths[] = { 1, 0 };
	const char *cells[2];
	struct buf w;
	size_t i;

	buf_addf(b, "kbfix plan: %zu hosts, created %s\n", p->nhosts,
	    p->created ? p->created : "-");
	for (i = 0; i < PLAN_NSTATUS; i++)
		buf_addf(b, "%s%s %zu", i ? ", " : "  ",
		    plan_status_name((enum plan_status)i), t->status[i]);
	buf_addf(b, "\n  %zu package(s), %zu reboot(s), %zu action(s)\n",
	    p->npackages, t->reboots, t->actions);
	text_evidence(p, b);
	/* the estimate, folded under a two-column indent */
	buf_init(&w, 4096);
	rpt_window_line(p, t, &w);
	while (w.len && w.data[w.len - 1] == '\n')
		w.data[--w.len] = '\0';
	cells[0] = "";
	cells[1] = buf_str(&w);
	rpt_text_row(b, cells, widths, 2, NULL);
	buf_reset(&w);
	rpt_groups_line(p, &w, buf_adds);
	if (w.len) {
		w.data[--w.len] = '\0';
		cells[1] = buf_str(&w);
		rpt_text_row(b, cells, widths, 2, NULL);
	}
	buf_release(&w);
}

static void
text_hosts(const struct plan *p, const struct plan_report_ctx *ctx,
    struct buf *b)
{
	static const int w[] = { 16, 14, 4, 22, 10, 4, 0 };
	const char *c[7] = { "HOST", "STATUS", "WAVE", "OS", "VERSION", "ARCH",
	    "ACTIONS" };
	struct buf line;
	char wave[12];
	size_t i;

	buf_init(&line, 1 << 20);
	buf_adds(b, "\nHosts\n");
	rpt_text_row(b, c, w, 7, NULL);
	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *h = &p->hosts[i];

		buf_reset(&line);
		/* kbfix only writes a runbook: the change board must see it */
		if (h->nactions > 0 && plan_transport_manual(h->transport))
			buf_adds(&line, "MANUAL (runbook): ");
		rpt_actions_line(h, &line);
		snprintf(wave, sizeof(wave), "%4d", h->wave);
		c[0] = h->name;
		c[1] = plan_status_name(h->status);
		c[2] = wave;
		c[3] = h->os ? h->os : "?";
		c[4] = h->version ? h->version : "?";
		c[5] = h->arch ? h->arch : "?";
		c[6] = buf_str(&line);
		rpt_text_row(b, c, w, 7, rpt_color(ctx, h->status ==
		    PLAN_BLOCKED ? RPT_RED : h->status == PLAN_UNKNOWN ?
		    RPT_BLUE : h->status == PLAN_NEEDS_ACTION ? RPT_YELLOW :
		    RPT_NONE));
	}
	buf_release(&line);
}

static void
text_packages(const struct plan *p, struct buf *b)
{
	static const int w[] = { 10, 24, 4, 6, 0 };
	static const int note_w[] = { 0 };
	const char *c[5] = { "KB", "PRODUCT", "ARCH", "HOSTS ", "NAMES" };
	struct buf names;
	char n[16];
	size_t i, j;

	buf_init(&names, 1 << 20);
	buf_adds(b, "\nPackages\n");
	rpt_text_row(b, c, w, 5, NULL);
	for (i = 0; i < p->npackages; i++) {
		const struct plan_package *pk = &p->packages[i];

		buf_reset(&names);
		for (j = 0; j < pk->nhosts && j < 8; j++)
			buf_addf(&names, "%s%s", j ? " " : "", pk->hosts[j]);
		buf_adds(&names, pk->nhosts > 8 ? " ..." : "");
		snprintf(n, sizeof(n), "%5zu ", pk->nhosts);
		c[0] = pk->kb;
		c[1] = pk->product;
		c[2] = pk->arch;
		c[3] = n;
		c[4] = buf_str(&names);
		rpt_text_row(b, c, w, 5, NULL);
	}
	if (p->npackages == 0)
		buf_adds(b, "(none)\n");
	buf_reset(&names);
	if (plan_classification_note(p, &names)) {	/* issue 11 item 8 */
		c[0] = buf_str(&names);
		rpt_text_row(b, c, note_w, 1, NULL);	/* folded */
	}
	buf_release(&names);
}

/* Findings worth reading: everything but fixed and not-affected. */
static void
text_details(const struct plan *p, struct buf *b)
{
	static const int w[] = { 18, 20, 9, 0 };
	const char *c[4];
	size_t i, j;

	buf_adds(b, "\nFindings (affected, blocked, unknown)\n");
	for (i = 0; i < p->nhosts; i++)
		for (j = 0; j < p->hosts[i].nfindings; j++) {
			const struct plan_finding *f = &p->hosts[i].findings[j];

			if (f->state == FINDING_FIXED ||
			    f->state == FINDING_NOT_AFFECTED)
				continue;
			c[0] = p->hosts[i].name;
			c[1] = f->advisory;
			c[2] = plan_state_name(f->state);
			c[3] = f->reason;
			rpt_text_row(b, c, w, 4, NULL);
		}
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
		rpt_action_text(a, &d);
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
plan_report_for(const struct plan *p, enum plan_format f,
    const struct plan_report_ctx *ctx, struct buf *b)
{
	static const struct plan_report_ctx none = { NULL, NULL, 0 };
	struct rpt_totals t;

	if (f == PLAN_FORMAT_JSON)
		return plan_write_json(p, b);
	if (ctx == NULL)
		ctx = &none;
	rpt_totals(p, &t);
	switch (f) {
	case PLAN_FORMAT_TEXT:
		text_summary(p, &t, b);
		text_hosts(p, ctx, b);
		text_packages(p, b);
		text_details(p, b);
		break;
	case PLAN_FORMAT_MARKDOWN:
		rpt_markdown(p, ctx, b);
		break;
	case PLAN_FORMAT_HTML:
		rpt_html(p, ctx, b);
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

int
plan_report(const struct plan *p, enum plan_format f, struct buf *b)
{
	return plan_report_for(p, f, NULL, b);
}
