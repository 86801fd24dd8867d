/*
 * discover: fill an inventory from live hosts.  Reads an inventory
 * (DESIGN.md "Inventory"; CSV and AD exports are turned into JSON first),
 * validates every field that could reach a remote command line BEFORE any
 * connection, connects to every host over transport/ in parallel, runs
 * one cmd.exe line per host (the commands are listed by
 * discover_commands()) and writes what it learnt into the same JSON tree,
 * keeping every field it does not own (and everything of a host it could
 * not reach).
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
 * Read and validate an inventory.  NULL (err_set "FILE: hosts[2] (web01):
 * field \"registry\": ...") on bad input.  A file that is not JSON (its
 * first byte after a byte order mark and blanks is not '{' or '[') is
 * read by plan_inventory_parse() as CSV or an AD export and turned into
 * inventory JSON (plan_inventory_write_json()); its messages name the
 * line ("FILE: line 4 (web01): ...").
 */
struct discover *discover_load(const char *path);
void	 discover_free(struct discover *);

/*
 * Discover every host with transport "ssh" (the default).  Returns the
 * number of hosts that failed (0: all done), or -1 (err_set) when the
 * transport could not start.
 */
int	 discover_run(struct discover *, const struct transport_opts *);

/* Host i's failure (NULL when it succeeded or was skipped). */
size_t	 discover_nhosts(const struct discover *);
const char *discover_host_name(const struct discover *, size_t);
const char *discover_host_error(const struct discover *, size_t);
int	 discover_host_skipped(const struct discover *, size_t);

/* Write the (updated) inventory atomically, pretty-printed JSON. */
int	 discover_write(const struct discover *, const char *path);

/* The cmd.exe line discover runs on each host. */
int	 discover_commands(struct buf *);

/* Field patterns of raw inventories (looser than plan_valid_*: any case,
 * any hive), used by the validation: 1 valid, 0 not.  Host names use
 * plan_valid_hostname(). */
int	 discover_valid_kb(const char *);
int	 discover_valid_registry_path(const char *);

#endif
