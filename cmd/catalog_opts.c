/*
 * Options shared by the Update Catalog commands (search, show, supersede,
 * fetch): one table entry list (CMD_CATALOG_LONGOPTS, and
 * CMD_DOWNLOAD_LONGOPTS for fetch, cmd/cmd.h), one function that reads
 * them into struct catalog_opts, one usage text.
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

static void
allow(struct catalog_opts *o, const char *host)
{
	o->hosts = xreallocarray(o->hosts, o->nhosts + 1, sizeof(*o->hosts));
	o->hosts[o->nhosts++] = host;
}

static int
seconds(const char *option, const char *arg, int *out)
{
	if (parse_int(arg, 1, CATALOG_TIMEOUT_MAX, out) == -1) {
		warnmsg("%s: %s", option, err_msg());
		return -1;
	}
	return 1;
}

int
catalog_opts_parse(int ch, const char *arg, struct catalog_opts *o)
{
	switch (ch) {
	case CMD_OPT_CATALOG_URL: o->url = arg; return 1;
	case CMD_OPT_CACERT: o->cacert = arg; return 1;
	case CMD_OPT_ALLOW_HOST: allow(o, arg); return 1;
	case CMD_OPT_RTIMEOUT:
		return seconds("--request-timeout", arg, &o->request_timeout);
	case CMD_OPT_DTIMEOUT:
		return seconds("--download-timeout", arg, &o->download_timeout);
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

const char catalog_opts_download_usage[] =
"  --allow-host HOST[:PORT]\n"
"                       also download from HOST (a mirror) on PORT (default 443\n"
"                       for https, 80 for http); the Microsoft hosts and the\n"
"                       Catalog's own scheme, host and port are always allowed;\n"
"                       a redirect from https to http is always refused\n"
"  --download-timeout S give up a file after S seconds, retries included\n"
"                       (1-" XSTR(CATALOG_TIMEOUT_MAX) ", default "
XSTR(CATALOG_DOWNLOAD_TIMEOUT) ").  A file larger than its\n"
"                       Catalog entry's size is refused as soon as it is seen\n";
