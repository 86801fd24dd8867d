/* kbfix search QUERY [--json] [--limit N] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cmd/cmd.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: kbfix search QUERY [--json] [--limit N] "
	    "[--catalog-url URL] [--cacert FILE]\n"
	    "                    [--request-timeout S]\n\n"
	    "Searches the Microsoft Update Catalog (Search.aspx) and prints "
	    "one line per\nupdate: id, date, size, classification, title, "
	    "products.  Pages are followed\nuntil N results (default and "
	    "most: %d, the Catalog's own cap).\n\n"
	    "  --json             a JSON array of objects with the keys "
	    "update_id, title,\n"
	    "                     products, classification, date (ISO "
	    "8601), version, size\n"
	    "                     (bytes); [] when nothing matches\n"
	    "  --limit N          at most N results (1-%d)\n%s"
	    "\nExit status: 0 (also when nothing matches), 1 the Catalog "
	    "failed, 2 bad usage.\n", CATALOG_MAX_RESULTS, CATALOG_MAX_RESULTS,
	    catalog_opts_usage);
}

static void
print_json(const struct catalog_update_list *l)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_adds(&b, "[");
	for (i = 0; i < l->n; i++) {
		const struct catalog_update *u = &l->v[i];
		buf_adds(&b, i ? ",\n {" : "\n {");
		buf_adds(&b, "\"update_id\": ");
		buf_add_json_str(&b, u->update_id);
		buf_adds(&b, ", \"title\": ");
		buf_add_json_str(&b, u->title);
		buf_adds(&b, ", \"products\": ");
		buf_add_json_str(&b, u->products);
		buf_adds(&b, ", \"classification\": ");
		buf_add_json_str(&b, u->classification);
		buf_adds(&b, ", \"date\": ");
		buf_add_json_str(&b, u->date);
		buf_adds(&b, ", \"version\": ");
		buf_add_json_str(&b, u->version);
		buf_addf(&b, ", \"size\": %llu}", (unsigned long long)u->size);
	}
	buf_adds(&b, l->n ? "\n]\n" : "]\n");
	fputs(buf_str(&b), stdout);
	buf_release(&b);
}

/* Catalog text reaches the terminal through buf_add_term: a page cannot
 * send it escape sequences. */
static void
print_text(const struct catalog_update_list *l)
{
	struct buf b;
	size_t i;

	buf_init(&b, BUF_MAX_DEFAULT);
	for (i = 0; i < l->n; i++) {
		const struct catalog_update *u = &l->v[i];
		buf_add_term(&b, u->update_id);
		buf_adds(&b, "  ");
		buf_add_term(&b, u->date);
		buf_addf(&b, "  %10llu  ", (unsigned long long)u->size);
		buf_add_term(&b, u->classification);
		buf_addf(&b, "%*s  ", (int)(strlen(u->classification) < 16 ?
		    16 - strlen(u->classification) : 0), "");
		buf_add_term(&b, u->title);
		buf_adds(&b, "  [");
		buf_add_term(&b, u->products);
		buf_adds(&b, "]\n");
	}
	fputs(buf_str(&b), stdout);
	buf_release(&b);
	if (l->n == 0)
		fprintf(stderr, "kbfix: no updates found\n");
}

int
cmd_search(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'n' },
		CMD_CATALOG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct catalog_update_list l = { NULL, 0 };
	struct catalog_opts co;
	struct catalog_client *c = NULL;
	int ch, taken, json = 0, limit = CATALOG_MAX_RESULTS, rc = EXIT_USAGE;

	catalog_opts_init(&co);
	while ((ch = getopt_long(argc, argv, "jn:h", opts, NULL)) != -1) {
		if ((taken = catalog_opts_parse(ch, optarg, &co)) == -1)
			goto out;
		if (taken)
			continue;
		switch (ch) {
		case 'j': json = 1; break;
		case 'n':
			if (parse_int(optarg, 1, CATALOG_MAX_RESULTS, &limit)
			    == -1) {
				warnmsg("--limit: %s", err_msg());
				goto out;
			}
			break;
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind + 1 != argc || argv[optind][0] == '\0') {
		usage(stderr);
		goto out;
	}
	if ((c = catalog_opts_client(&co)) == NULL)
		goto out;
	if (catalog_search(c, argv[optind], (size_t)limit, &l) == -1) {
		warnmsg("search: %s", err_msg());
		rc = EXIT_FAIL;
		goto out;
	}
	if (json)
		print_json(&l);
	else
		print_text(&l);
	rc = EXIT_OK;
out:
	catalog_update_list_release(&l);
	catalog_client_free(c);
	catalog_opts_release(&co);
	return rc;
}
