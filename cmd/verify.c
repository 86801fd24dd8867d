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
	    "files the manifest does not list.  A file that is not\nan "
	    "update package at all is refused before it is unpacked: more "
	    "than 256\nCabinet members, compressed members that would expand "
	    "more than 32 times\ntheir size (plus 1 MiB) or past 2 GiB, a "
	    "multi-cabinet set.\n\n"
	    "Exit status: 0 all files match, 1 some do not, 2 no readable "
	    "manifest or a\nfile that is not an update package.\n", f);
}

/* arg counts the files refused as no update package (hostile input:
 * exit 2); file names are plain, so only the refusal says so */
static void
bad(const char *msg, void *arg)
{
	int *refused = arg;

	printf("BAD %s\n", msg);
	*refused += strstr(msg, CATALOG_NOT_PACKAGE) != NULL;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t n;
	int ch, nbad, refused = 0;

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
	if ((nbad = catalog_bundle_verify(argv[optind], bad, &refused, &n)) ==
	    -1) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	printf("%s: %zu file(s) checked, %d bad\n", argv[optind], n, nbad);
	return refused ? EXIT_USAGE : nbad ? EXIT_FAIL : EXIT_OK;
}
