/*
 * kbfix discover: the planner's inventory records in, one connection and
 * one command line per host, the outputs split by echo markers and read
 * by transport/'s parsers, the records edited and written back by plan/.
 */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "plan/plan.h"
#include "transport/transport.h"
#include "discover/discover.h"
#include "discover/discover_int.h"

#define MARK		DISCOVER_MARK

struct dhost {
	struct plan_inv_host *rec;	/* in d->inv */
	int		 skipped;	/* transport manual */
	int		 ended;		/* discovered or failed */
	int		 connected;
	char		*error;
	char		*warning;	/* discover_wmic_warning() */
	struct transport_conn *conn;
	struct discover	*d;
	struct evidence_host ev;	/* discover_set_evidence() */
};

struct discover {
	char		*orig;		/* the inventory as read */
	size_t		 len;
	struct plan_inventory *inv;
	struct dhost	*hosts;
	size_t		 n;
	int		 failed;
	const struct advisory_set *evset;	/* NULL: no evidence read */
	int64_t		 ev_within_ms;
	unsigned	 ev_count;
	size_t		 done, total;	/* hosts ended, hosts to contact */
	int		 interrupted;
	int64_t		 start;		/* of discover_run(), ms */
	struct transport *t;
	const struct discover_hooks *hooks;
};

/*
 * What discover asks each host, in one line joined with " & " (cmd.exe
 * runs each in turn whatever the previous exit code).  Each output is
 * preceded by an echo of its marker so the stream can be split.  The
 * first command proves the shell is cmd.exe; facts come from sources
 * Windows does not translate (reg query, wmic property names, dism
 * /English), never from systeminfo's or netsh's labels; the
 * pending-reboot check (transport_win_pending_cmdline()) ends the line.
 */
enum dcmd {
	D_OS, D_ENV, D_LANG, D_QFE, D_DISM, D_TCPIP, D_SQM, D_SQMPOL, D_RAC,
	D_CIM, D_NETSH, D_BOOT, D_NCMD
};

static const struct {
	const char	*mark;
	const char	*argv[10];
} dcmds[D_NCMD] = {
	[D_OS] = { "os", { "reg", "query",
	    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion" } },
	[D_ENV] = { "env", { "reg", "query", "HKLM\\SYSTEM\\CurrentControlSet"
	    "\\Control\\Session Manager\\Environment", "/v",
	    "PROCESSOR_ARCHITECTURE" } },
	[D_LANG] = { "lang", { "reg", "query",
	    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Nls\\Language" } },
	[D_QFE] = { "qfe", { "wmic", "qfe", "get", "HotFixID",
	    "/format:list" } },
	[D_DISM] = { "dism", { "dism", "/online", "/get-packages",
	    "/English" } },
	/* WQL doubles each backslash of the file name. */
	[D_TCPIP] = { "tcpip", { "wmic", "datafile", "where",
	    "name='C:\\\\Windows\\\\System32\\\\drivers\\\\tcpip.sys'", "get",
	    "Version", "/value" } },
	[D_SQM] = { "sqm", { "reg", "query",
	    "HKLM\\Software\\Microsoft\\SQMClient\\Windows" } },
	[D_SQMPOL] = { "sqmpolicy", { "reg", "query",
	    "HKLM\\SOFTWARE\\Policies\\Microsoft\\SQMClient\\Windows" } },
	[D_RAC] = { "rac", { "reg", "query",
	    "HKLM\\Software\\Microsoft\\Reliability Analysis\\RAC", "/v",
	    "RacSampleNumber" } },
	/* Windows 8 / 2012 and later: never translated */
	[D_CIM] = { "cim", { "wmic", "/namespace:\\\\root\\StandardCimv2",
	    "path", "MSFT_NetIPv4Protocol", "get", "MulticastForwarding",
	    "/value" } },
	/* Windows 7 / 2008 R2: English labels only, else unknown */
	[D_NETSH] = { "netsh", { "netsh", "interface", "ipv4", "show",
	    "global" } },
	[D_BOOT] = { "boot", { "wmic", "os", "get", "lastbootuptime",
	    "/value" } },
};

int
discover_commands(struct buf *b)
{
	const char *echo[3] = { "echo", NULL, NULL };
	char mark[64];
	size_t i;

	if (transport_win_shell_cmdline(b) == -1)
		return -1;
	for (i = 0; i < D_NCMD; i++) {
		snprintf(mark, sizeof(mark), MARK "%s==", dcmds[i].mark);
		echo[1] = mark;
		if (transport_cmdline_join(b, echo) == -1 ||
		    transport_cmdline_join(b, dcmds[i].argv) == -1)
			return -1;
	}
	return transport_win_pending_cmdline(b);
}

/* Reading: the planner's reader has checked every field. */

struct discover *
discover_parse(const char *name, const char *buf, size_t len)
{
	return discover_parse_flags(name, buf, len, 0);
}

struct discover *
discover_parse_flags(const char *name, const char *buf, size_t len,
    unsigned flags)
{
	struct discover *d;
	struct plan_inv_host *h;
	size_t i;

	d = xcalloc(1, sizeof(*d));
	if ((d->inv = plan_inventory_parse_flags(name, buf, len, flags)) ==
	    NULL) {
		discover_free(d);
		return NULL;
	}
	d->orig = xmalloc(len + 1);
	memcpy(d->orig, buf, len);
	d->orig[len] = '\0';
	d->len = len;
	d->n = d->inv->nhosts;
	d->hosts = xcalloc(d->n + 1, sizeof(*d->hosts));
	for (i = 0; i < d->n; i++) {
		h = &d->inv->hosts[i];
		d->hosts[i].rec = h;
		d->hosts[i].d = d;
		/* the planner's rule: a Vista / Server 2008 host without a
		 * transport is manual (Win32-OpenSSH does not run there), so
		 * it is not contacted; "ssh" given explicitly still is */
		if (h->transport != NULL)
			d->hosts[i].skipped = strcmp(h->transport, "manual") == 0;
		else
			d->hosts[i].skipped = plan_manual_by_default(h->product);
	}
	return d;
}

struct discover *
discover_load(const char *path, unsigned flags)
{
	struct discover *d;
	struct buf b;

	if (file_read(path, PLAN_INVENTORY_MAX, &b) == -1)
		return NULL;
	d = discover_parse_flags(path, buf_str(&b), b.len, flags);
	buf_release(&b);
	return d;
}

void
discover_free(struct discover *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->hosts[i].error);
		free(d->hosts[i].warning);
		discover_evidence_host_release(&d->hosts[i].ev);
	}
	free(d->hosts);
	plan_inventory_free(d->inv);
	free(d->orig);
	free(d);
}

size_t
discover_nhosts(const struct discover *d)
{
	return d->n;
}

const char *
discover_host_name(const struct discover *d, size_t i)
{
	return d->hosts[i].rec->name;
}

const char *
discover_host_error(const struct discover *d, size_t i)
{
	return d->hosts[i].error;
}

const char *
discover_host_warning(const struct discover *d, size_t i)
{
	return d->hosts[i].error == NULL ? d->hosts[i].warning : NULL;
}

int
discover_host_skipped(const struct discover *d, size_t i)
{
	return d->hosts[i].skipped;
}

int
discover_format(const struct discover *d, struct buf *out)
{
	return plan_inventory_write(d->inv, d->orig, d->len, out);
}

int
discover_write(const struct discover *d, const char *path)
{
	struct buf b;
	int rc = -1;

	/* larger than the planner reads would be no use */
	buf_init(&b, PLAN_INVENTORY_MAX);
	if (discover_format(d, &b) == -1) {
		err_prefix("%s: ", path);
		goto out;
	}
	rc = file_write_atomic(path, buf_str(&b), b.len, 0644);
out:
	buf_release(&b);
	return rc;
}

int
discover_interrupted(const struct discover *d)
{
	return d->interrupted;
}

int
discover_host_elapsed(const struct discover *d, size_t i, int64_t *ms,
    const char **what)
{
	const struct dhost *h = &d->hosts[i];

	if (h->skipped || h->ended || d->start == 0)
		return 0;
	*ms = time_now_ms() - d->start;
	*what = h->connected ? "reading" : "connecting";
	return 1;
}

/* The loop. */

static void
progress(struct discover *d, long ended)
{
	struct discover_progress p;

	if (d->hooks == NULL || d->hooks->progress == NULL)
		return;
	p.done = d->done;
	p.failed = (size_t)d->failed;
	p.total = d->total;
	p.ended = ended;
	d->hooks->progress(d, &p, d->hooks->arg);
}

/* A host has ended, discovered or failed: the caller hears of it. */
static void
host_end(struct dhost *h)
{
	h->ended = 1;
	h->d->done++;
	transport_close(h->conn);
	h->conn = NULL;
	progress(h->d, (long)(h - h->d->hosts));
}

static void
host_fail(struct dhost *h, const char *why)
{
	if (h->error == NULL) {
		h->error = xstrdup(why);
		h->d->failed++;
	}
	if (!h->ended)
		host_end(h);
}

/* Stopped by the flag: every host not finished fails as interrupted,
 * as a host not reached does; the loop ends. */
static void
interrupt(struct discover *d)
{
	size_t i;
	char *m;

	d->interrupted = 1;
	for (i = 0; i < d->n; i++) {
		struct dhost *h = &d->hosts[i];
		if (h->skipped || h->ended)
			continue;
		m = xasprintf("%s: not discovered: interrupted while %s",
		    h->rec->name, h->connected ? "reading it" : "connecting");
		host_fail(h, m);
		free(m);
	}
	transport_stop(d->t);
}

/* Every DISCOVER_TICK_MS while hosts run: the stop flag, and progress. */
static void
tick(void *arg)
{
	struct discover *d = arg;

	if (d->hooks->stop != NULL && *d->hooks->stop) {
		interrupt(d);
		return;
	}
	if (d->done == d->total)
		return;
	progress(d, -1);
	transport_timer(d->t, DISCOVER_TICK_MS, tick, d);
}

static void
on_evidence(struct evidence_host *ev, void *arg)
{
	struct dhost *h = arg;
	int64_t now = (int64_t)time(NULL);

	if (h->ended)		/* interrupted meanwhile */
		return;
	if (discover_evidence_apply(h->d->inv, h->rec, ev) == -1 ||
	    discover_evidence_record(h->d->inv, h->rec, ev,
	    now - h->d->ev_within_ms / 1000, now) == -1)
		host_fail(h, err_msg());
	else
		host_end(h);
}

static void
on_exec(struct transport_conn *c, const struct transport_result *r, void *arg)
{
	struct dhost *h = arg;

	if (r->failed) {
		host_fail(h, r->error);
		return;
	}
	if (discover_update(h->d->inv, h->rec, r->out, r->out_len) == -1) {
		host_fail(h, err_msg());
		return;
	}
	/* discovered, maybe without what wmic reads */
	h->warning = discover_wmic_warning(h->rec->name, r->out, r->out_len,
	    r->err);
	if (h->d->evset == NULL || discover_evidence_read(c, h->d->evset,
	    h->d->ev_within_ms, h->d->ev_count, &h->ev, on_evidence, h) == -1)
		host_end(h);
}

void
discover_set_evidence(struct discover *d, const struct advisory_set *set,
    int64_t within_ms, unsigned count)
{
	d->evset = set;
	d->ev_within_ms = within_ms;
	d->ev_count = count;
}

const struct evidence_host *
discover_host_evidence(const struct discover *d, size_t i)
{
	return d->evset != NULL && !d->hosts[i].skipped &&
	    d->hosts[i].error == NULL ? &d->hosts[i].ev : NULL;
}

static void
on_connect(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct dhost *h = arg;

	(void)c;
	if (!ok)
		host_fail(h, error);
	else
		h->connected = 1;
}

int
discover_run(struct discover *d, const struct transport_opts *o,
    const struct discover_hooks *hooks)
{
	static const struct discover_hooks none;
	struct transport *t;
	struct dhost *h;
	struct buf cmd;
	size_t i;
	int rc = -1;

	buf_init(&cmd, 0);
	if (discover_commands(&cmd) == -1)
		goto out;
	if ((t = transport_new(o)) == NULL)
		goto out;
	d->t = t;
	d->hooks = hooks ? hooks : &none;
	d->start = time_now_ms();
	for (i = 0; i < d->n; i++)
		d->total += !d->hosts[i].skipped;
	if (d->total > 0)
		transport_timer(t, DISCOVER_TICK_MS, tick, d);
	for (i = 0; i < d->n; i++) {
		h = &d->hosts[i];
		if (h->skipped)
			continue;
		h->conn = transport_connect(t, h->rec->name, h->rec->address ?
		    h->rec->address : h->rec->name, h->rec->port ?
		    h->rec->port : 22, h->rec->user, on_connect, h);
		if (h->conn == NULL)
			host_fail(h, err_msg());
		else
			transport_exec(h->conn, cmd.data, on_exec, h);
	}
	if (transport_run(t) == 0)
		rc = d->failed;
	transport_free(t);
	d->t = NULL;
out:
	buf_release(&cmd);
	return rc;
}

const struct plan_inventory *
discover_inventory(const struct discover *d)
{
	return d->inv;
}
