/* kbfix verify DIR */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cmd/cmd.h"

static void
usage(FILE *f)
{
	fputs("usage: kbfix verify BUNDLE_DIR\n\n"
	    "Re-checks every file of a bundle written by 'kbfix fetch' "
	    "against its\nmanifest.json: size, SHA-1 (and the 40 hex digits of "
	    "its name), SHA-256, and\nthe KB, architecture and package .cab "
	    "inside the .msu.  Names every file that\nno longer matches, and "
	    "files the manifest does not list.\n\n"
	    "Exit status: 0 all files match, 1 some do not, 2 no readable "
	    "manifest.\n", f);
}

static void
bad(const char *msg, void *arg)
{
	(void)arg;
	printf("BAD %s\n", msg);
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t n;
	int ch, nbad;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((nbad = catalog_bundle_verify(argv[optind], bad, NULL, &n)) ==
	    -1) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	printf("%s: %zu file(s) checked, %d bad\n", argv[optind], n, nbad);
	return nbad ? EXIT_FAIL : EXIT_OK;
}
