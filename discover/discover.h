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

#include <stddef.h>

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
 * Discover every host with transport "ssh" (given, or the planner's
 * default: plan_manual_by_default()).  Returns the number of hosts that
 * failed (0: all done), or -1 (err_set) when the transport could not
 * start.  A failed host's record is left as it was read.
 */
int	 discover_run(struct discover *, const struct transport_opts *);

/* Host i: its name, its failure (NULL when it succeeded or was skipped). */
size_t	 discover_nhosts(const struct discover *);
const char *discover_host_name(const struct discover *, size_t);
const char *discover_host_error(const struct discover *, size_t);
int	 discover_host_skipped(const struct discover *, size_t);

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
