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

#endif
