/* Inside discover/: applying one host's command output to its JSON. */
#ifndef KBFIX_DISCOVER_INT_H
#define KBFIX_DISCOVER_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define DISCOVER_MARK	"==kbfix:"

/*
 * Parse the output of discover_commands() (stdout, as received) and write
 * the facts into host.  -1 (err_set) when the output is not what the
 * commands print (then host is left as it was).
 */
int	 discover_update(cJSON *host, const char *out, size_t len);

#endif
