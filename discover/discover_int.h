/* Inside discover/: applying one host's command output to its record. */
#ifndef KBFIX_DISCOVER_INT_H
#define KBFIX_DISCOVER_INT_H

#include <stddef.h>

#define DISCOVER_MARK	"==kbfix:"

struct plan_inventory;
struct plan_inv_host;

/*
 * Parse the output of discover_commands() (stdout, as received) and edit
 * host h of inv with the facts, through plan/'s edit functions (so the
 * record stays readable by the planner).  0, or -1 with err_set("HOST:
 * ...") when the output is not what the commands print or a fact would
 * not pass the planner's checks; then h is left as it was.
 */
int	 discover_update(struct plan_inventory *inv, struct plan_inv_host *h,
	    const char *out, size_t len);

/*
 * What wmic did not give in that output (err: its standard error): NULL
 * when the tcpip.sys version and the boot time were read, else a warning
 * "HOST: ..." naming what was left as it was, why (no wmic.exe: Windows
 * 11 24H2, Server 2025; cmd.exe names the command in every language; then
 * installed has no wmic qfe KBs either) and the fix.  Caller frees.
 */
char	*discover_wmic_warning(const char *name, const char *out, size_t len,
	    const char *err);

#endif
