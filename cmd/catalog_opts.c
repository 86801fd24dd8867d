/*
 * Options shared by the Update Catalog commands (search, show, fetch):
 * --catalog-url, --cacert, --allow-host, --request-timeout,
 * --download-timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cmd/cmd.h"

void
catalog_opts_init(struct catalog_opts *o)
{
	memset(o, 0, sizeof(*o));
}

void
catalog_opts_allow(struct catalog_opts *o, const char *host)
{
	o->hosts = realloc(o->hosts, (o->nhosts + 1) * sizeof(*o->hosts));
	if (o->hosts == NULL) {
		warnmsg("out of memory");
		exit(EXIT_FAIL);
	}
	o->hosts[o->nhosts++] = host;
}

int
catalog_opts_seconds(const char *option, const char *arg, int *out)
{
	if (parse_int(arg, 1, CATALOG_TIMEOUT_MAX, out) == -1) {
		warnmsg("%s: %s", option, err_msg());
		return -1;
	}
	return 0;
}

struct catalog_client *
catalog_opts_client(struct catalog_opts *o)
{
	struct catalog_options co;
	struct catalog_client *c;

	memset(&co, 0, sizeof(co));
	co.base_url = o->url;
	co.cacert = o->cacert;
	co.allow_hosts = o->hosts;
	co.nallow_hosts = o->nhosts;
	co.request_timeout = o->request_timeout;
	co.download_timeout = o->download_timeout;
	if ((c = catalog_client_new(&co)) == NULL)
		warnmsg("%s", err_msg());
	return c;
}

void
catalog_opts_release(struct catalog_opts *o)
{
	free(o->hosts);
	o->hosts = NULL;
}

#define STR(x)	#x
#define XSTR(x)	STR(x)

const char catalog_opts_usage[] =
"  --catalog-url URL  Update Catalog base, http:// or https://\n"
"                     (default $KBFIX_CATALOG_URL, else\n"
"                     " CATALOG_DEFAULT_URL ")\n"
"  --cacert FILE      trust this CA too (TLS is always verified)\n"
"  --request-timeout S\n"
"                     give up a Catalog page (search, details, download\n"
"                     dialog) after S seconds, retries included\n"
"                     (1-" XSTR(CATALOG_TIMEOUT_MAX) ", default "
XSTR(CATALOG_REQUEST_TIMEOUT) ")\n";
