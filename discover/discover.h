/*
 * discover: fill an inventory from live hosts.  The inventory (DESIGN.md
 * "Inventory": JSON, CSV or an AD export) is read by the planner's reader
 * into its host records (struct plan_inv_host), so discover accepts
 * exactly what `kbfix plan` accepts and every field that could reach a
 * connection or a command line (name, address, user, port, KB ids,
 * registry paths) is checked before any connection.  Then discover
 * connects to every host over transport/ in parallel, runs one cmd.exe
 * line per host (discover_commands()), edits the records with what it
 * learnt (through plan/'s edit functions, the readers' checks) and
 * writes them with plan_inventory_write(): a JSON input keeps every field
 * and key order discover does not change; a CSV input becomes JSON.
 *
 * Fields written per host: os, version, arch, installed, files.tcpip.sys,
 * multicast_forwarding, registry (CEIPEnable local and policy,
 * CEIPSampledIn, RacSampleNumber), registry_absent (those of them the host
 * does not have), pending_reboot, pending_updates, last_boot, discovered.
 */
#ifndef KBFIX_DISCOVER_H
#define KBFIX_DISCOVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct transport_opts;
struct buf;
struct discover;

/*
 * discover_parse() reads an inventory from a buffer (name for messages),
 * discover_load() from a file.  NULL with the planner's message on bad
 * input ("inv.json: hosts[2] (web01).installed: ...", "inv.csv: line 4
 * (web01): port: ...").  discover_free(NULL) does nothing.
 */
struct discover *discover_parse(const char *name, const char *buf, size_t len);
/* flags: PLAN_INV_SKIP_INVALID leaves bad hosts out (discover_inventory()
 * ->skipped names every one) and writes them back untouched. */
struct discover *discover_parse_flags(const char *name, const char *buf,
		    size_t len, unsigned flags);
struct discover *discover_load(const char *path, unsigned flags);
const struct plan_inventory *discover_inventory(const struct discover *);
void	 discover_free(struct discover *);

/*
 * Progress and stop for discover_run(), both optional.  stop: a flag (set
 * by a signal handler) looked at every DISCOVER_TICK_MS: the hosts not
 * finished fail as interrupted (their records as read, like any host not
 * reached), connections are dropped and discover_run() returns; what was
 * read stays in the records.  progress() is called as each host ends
 * (ended: its index) and every DISCOVER_TICK_MS while hosts are still
 * being read (ended: -1); discover_host_elapsed() says for how long.
 */
#define DISCOVER_TICK_MS	200

struct discover_progress {
	size_t		 done, failed, total;	/* total: hosts to contact */
	long		 ended;
};

struct discover_hooks {
	const volatile sig_atomic_t *stop;
	void	(*progress)(const struct discover *,
		    const struct discover_progress *, void *);
	void	*arg;
};

/*
 * Discover every host with transport "ssh" (given, or the planner's
 * default: plan_manual_by_default()).  Returns the number of hosts that
 * failed (interrupted ones included; 0: all done), or -1 (err_set) when
 * the transport could not start.  A failed host's record is left as it
 * was read.  hooks may be NULL.
 */
int	 discover_run(struct discover *, const struct transport_opts *,
	    const struct discover_hooks *);
/* Whether the stop flag ended the run. */
int	 discover_interrupted(const struct discover *);

/* Host i: its name, its failure (NULL when it succeeded or was skipped). */
size_t	 discover_nhosts(const struct discover *);
const char *discover_host_name(const struct discover *, size_t);
const char *discover_host_error(const struct discover *, size_t);
/* A host discovered without everything: what was left as it was, why and
 * the fix (a host without wmic.exe), or NULL. */
const char *discover_host_warning(const struct discover *, size_t);
int	 discover_host_skipped(const struct discover *, size_t);
/*
 * Host i while it is being read: 1 when it is still running, with ms
 * since discover_run() queued it and what it is doing ("connecting":
 * queued under --parallel or in TCP/SSH/auth, "reading": its commands
 * run); 0 when it has ended or was skipped.
 */
int	 discover_host_elapsed(const struct discover *, size_t, int64_t *ms,
	    const char **what);

/*
 * The inventory as JSON (plan_inventory_write() with the input as read):
 * discover_format() appends it to out, discover_write() writes a file
 * atomically.  0, or -1 with err_set().
 */
int	 discover_format(const struct discover *, struct buf *out);
int	 discover_write(const struct discover *, const char *path);

/* The cmd.exe line discover runs on each host. */
int	 discover_commands(struct buf *);

/*
 * Evidence (discover/evidence.c): the events of a host's event logs that
 * point to an advisory (its "evidence" member, README "Advisories").
 * discover_evidence_commands() builds the two queries: `wevtutil qe
 * System "/q:*[System[(EventID=1001 or EventID=41 or ...) and
 * TimeCreated[timediff(@SystemTime) <= MS]]]" /f:xml /c:COUNT /rd:true`
 * for the bug checks and events, and the same on the Application log for
 * Application Error 1000 when an advisory names a module (app left empty
 * otherwise).  within_ms >= 1, count 1 to TRANSPORT_WINEVENT_MAX.
 *
 * An evidence_item is one event pointing to one advisory (an event may
 * point to several); a Kernel-Power 41 within 30 minutes of a 1001 with
 * the same bug check is the same crash and is not counted twice.  Only
 * these fields are kept: time, event id, provider, bug check code, and
 * the faulting module (Application Error) or service (Service Control
 * Manager).  unknown: a log could not be read (wevtutil failed, the
 * connection failed, the answer was not wevtutil's); error says why, and
 * the items read before are kept but prove nothing.  capped: a log gave
 * count events, so older ones may be missing.
 */
#define DISCOVER_EVIDENCE_DAYS	30	/* --since default */
#define DISCOVER_EVIDENCE_COUNT	200	/* events a log at most */

struct advisory_set;
struct transport_conn;
struct winevent_list;

struct evidence_item {
	const char	*advisory;	/* the advisory set's id */
	int64_t		 time;		/* Unix seconds */
	uint32_t	 id;		/* event id */
	char		 provider[64];
	uint32_t	 bugcheck;	/* 0: none */
	char		 module[64];	/* faulting module or service, or "" */
};

struct evidence_host {
	int		 unknown;
	char		*error;
	int		 capped;
	struct evidence_item *items;
	size_t		 n;
};

int	 discover_evidence_commands(const struct advisory_set *,
	    int64_t within_ms, unsigned count, struct buf *sys, struct buf *app);
/* The events of l that point to an advisory of set, appended to h. */
void	 discover_evidence_match(const struct advisory_set *,
	    const struct winevent_list *l, struct evidence_host *h);
/*
 * Queue both queries on c (connected or still connecting) and fill h from
 * the answers; cb(h, arg) once, from inside transport_run(), when both are
 * read or one failed.  -1 (err_set, nothing queued, no callback) when no
 * advisory names evidence or the arguments are out of range.
 */
typedef void discover_evidence_cb(struct evidence_host *, void *arg);
int	 discover_evidence_read(struct transport_conn *c,
	    const struct advisory_set *, int64_t within_ms, unsigned count,
	    struct evidence_host *h, discover_evidence_cb *cb, void *arg);
void	 discover_evidence_host_release(struct evidence_host *);
/* Events in h (an event pointing to two advisories is one). */
size_t	 discover_evidence_nevents(const struct evidence_host *);

/*
 * discover reads the evidence too when told (before discover_run()): on
 * each host's connection, after the facts.  The advisories with evidence
 * are added to the record's `experiencing` (what the operator wrote there
 * is kept; a host without evidence keeps its list as read).  A host whose
 * log cannot be read is not failed: its evidence is unknown and its
 * `experiencing` left as read.  set must outlive discover_run().
 * discover_host_evidence(): host i's evidence after the run, or NULL
 * (not read: skipped, failed, or evidence not asked for).
 */
struct plan_inventory;
struct plan_inv_host;
void	 discover_set_evidence(struct discover *, const struct advisory_set *,
	    int64_t within_ms, unsigned count);
const struct evidence_host *discover_host_evidence(const struct discover *,
	    size_t i);
/*
 * kbfix evidence (discover/evidence_run.c): the run directory's hosts
 * (plan.json) and end states (journal.jsonl: a host is fixed at its
 * `done` record, the run started at its first `begin`), read again with
 * since_days before the run; set is borrowed.  NULL (err_set) on a bad
 * run directory.  _read() connects to every ssh host (manual hosts:
 * evidence unknown) and calls progress(name, evidence, arg) as each is
 * read; -1 only when the transport cannot start.  _text() and _json()
 * append the report (README "kbfix evidence"; JSON kbfix-evidence/1).
 * _unknown(): hosts whose evidence is unknown.
 */
struct evidence_run;
typedef void discover_evidence_progress(const char *host,
    const struct evidence_host *, void *arg);
struct evidence_run *discover_evidence_run_load(const char *run_dir,
	    const struct advisory_set *set, int since_days);
int	 discover_evidence_run_read(struct evidence_run *,
	    const struct transport_opts *, unsigned count,
	    discover_evidence_progress *progress, void *arg);
int	 discover_evidence_run_text(const struct evidence_run *, struct buf *);
int	 discover_evidence_run_json(const struct evidence_run *, struct buf *);
size_t	 discover_evidence_run_unknown(const struct evidence_run *);
void	 discover_evidence_run_free(struct evidence_run *);

/*
 * h as rec's "evidence" (README "Inventory"): the window read (since to
 * read_at, Unix seconds), unknown with its error, the events newest
 * first, at most PLAN_EVIDENCE_MAX (the newest; capped then).
 */
int	 discover_evidence_record(struct plan_inventory *,
	    struct plan_inv_host *rec, const struct evidence_host *h,
	    int64_t since, int64_t read_at);
/* h's advisories with evidence added to rec's experiencing. */
int	 discover_evidence_apply(struct plan_inventory *,
	    struct plan_inv_host *rec, const struct evidence_host *h);

#endif
