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
struct discover *discover_load(const char *path);
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

#endif
