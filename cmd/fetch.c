/* kbfix fetch PLAN.json -o DIR [...] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "plan/plan.h"
#include "cmd/cmd.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: kbfix fetch PLAN.json -o DIR [--parallel N] "
	    "[--archive FILE.tar.gz|FILE.zip]\n"
	    "                  [--cache DIR | --no-cache] [--allow-host HOST[:PORT]]"
	    "... [--cacert FILE]\n"
	    "                  [--catalog-url URL] [--progress | "
	    "--no-progress]\n"
	    "                  [--request-timeout S] [--download-timeout S]\n\n"
	    "Finds the Update Catalog entry of every package of the plan (by "
	    "KB, product and\narchitecture), downloads each file once, "
	    "verifies it (SHA-1 against its name\nand the Catalog digest, "
	    "SHA-256, the KB and architecture inside the .msu) and\nwrites a "
	    "WSUS-ready bundle to DIR.  DIR appears only when everything "
	    "checked\nout; a failed fetch leaves nothing behind.\n\n"
	    "  -o, --output DIR     the bundle folder (must not exist, or be "
	    "empty)\n"
	    "  --parallel N         downloads at once (1-64, default 4), "
	    "shared out between\n"
	    "                       one download thread per CPU\n"
	    "  --archive FILE       also write the bundle as FILE.tar.gz or "
	    "FILE.zip\n"
	    "  --cache DIR          keep verified files in DIR/packages and "
	    "reuse them (default\n"
	    "                       $XDG_CACHE_HOME/kbfix or ~/.cache/kbfix)\n"
	    "  --no-cache           neither read nor fill a cache\n"
	    "  --allow-host HOST[:PORT]\n"
	    "                       also download from HOST (a mirror) on "
	    "PORT (default 443\n"
	    "                       for https, 80 for http); the Microsoft "
	    "hosts and the\n"
	    "                       Catalog's own scheme, host and port are "
	    "always allowed;\n"
	    "                       a redirect from https to http is always "
	    "refused\n"
	    "  --download-timeout S give up a file after S seconds, retries "
	    "included\n"
	    "                       (1-604800, default 3600).  A file larger "
	    "than its\n"
	    "                       Catalog entry's size is refused as "
	    "soon as it is seen\n"
	    "  --progress           progress bar on stderr even when it is "
	    "not a terminal\n%s"
	    "\nExit status: 0 bundle written, 1 a package or file failed, 2 "
	    "bad usage or plan.\n", catalog_opts_usage);
}

static char *
default_cache(void)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (x && *x == '/')
		return xasprintf("%s/kbfix", x);
	if (home && *home)
		return xasprintf("%s/.cache/kbfix", home);
	return NULL;
}

static void
progress(const struct catalog_progress *p, void *arg)
{
	char bar[31];
	int pct = p->total ? (int)(p->done * 100 / p->total) : 0, i;

	(void)arg;
	if (pct > 100)
		pct = 100;
	for (i = 0; i < 30; i++)
		bar[i] = i < pct * 30 / 100 ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %3d%%  %.1f / %.1f MB  %zu/%zu files", bar,
	    pct, (double)p->done / 1048576.0, (double)p->total / 1048576.0,
	    p->files_done, p->files);
	if (p->final)
		fputc('\n', stderr);
}

static void
problem(const char *msg, void *arg)
{
	(void)arg;
	warnmsg("%s", msg);
}

struct fetch_args {
	const char	*plan;
	struct catalog_fetch_options fo;
	struct catalog_opts co;
	int		 no_cache, bar;
	char		*cache;
};

static int
args_parse(int argc, char **argv, struct fetch_args *a)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "archive", required_argument, NULL, 'a' },
		{ "cache", required_argument, NULL, 'C' },
		{ "no-cache", no_argument, NULL, 'N' },
		{ "allow-host", required_argument, NULL, 'H' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "catalog-url", required_argument, NULL, 'u' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'Q' },
		{ "request-timeout", required_argument, NULL, 'T' },
		{ "download-timeout", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	a->bar = isatty(2);
	while ((ch = getopt_long(argc, argv, "o:p:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': a->fo.out_dir = optarg; break;
		case 'p':
			if (parse_int(optarg, 1, 64, &a->fo.parallel) == -1) {
				warnmsg("--parallel: %s", err_msg());
				return EXIT_USAGE;
			}
			break;
		case 'a': a->fo.archive = optarg; break;
		case 'C': a->cache = xstrdup(optarg); break;
		case 'N': a->no_cache = 1; break;
		case 'H': catalog_opts_allow(&a->co, optarg); break;
		case 'c': a->co.cacert = optarg; break;
		case 'u': a->co.url = optarg; break;
		case 'P': a->bar = 1; break;
		case 'Q': a->bar = 0; break;
		case 'T':
			if (catalog_opts_seconds("--request-timeout", optarg,
			    &a->co.request_timeout) == -1)
				return EXIT_USAGE;
			break;
		case 'D':
			if (catalog_opts_seconds("--download-timeout", optarg,
			    &a->co.download_timeout) == -1)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || a->fo.out_dir == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	a->plan = argv[optind];
	return -1;
}

static int
args_check(struct fetch_args *a)
{
	if (a->fo.archive && !str_endswith(a->fo.archive, ".tar.gz") &&
	    !str_endswith(a->fo.archive, ".tgz") &&
	    !str_endswith(a->fo.archive, ".zip")) {
		warnmsg("--archive %s: the name must end in .tar.gz or .zip",
		    a->fo.archive);
		return EXIT_USAGE;
	}
	if (dir_check_free(a->fo.out_dir, 0) == -1) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	if (a->no_cache) {
		free(a->cache);
		a->cache = NULL;
	} else {
		char *root = a->cache ? a->cache : default_cache();
		/* verified packages live in DIR/packages/<name> */
		a->cache = root ? xasprintf("%s/packages", root) : NULL;
		free(root);
	}
	a->fo.cache_dir = a->cache;
	a->fo.problem = problem;
	if (a->bar)
		a->fo.progress = progress;
	return -1;
}

int
cmd_fetch(int argc, char **argv)
{
	struct catalog_fetch_stats st;
	struct catalog_client *c = NULL;
	struct plan *p = NULL;
	struct fetch_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	catalog_opts_init(&a.co);
	if ((rc = args_parse(argc, argv, &a)) != -1 ||
	    (rc = args_check(&a)) != -1)
		goto out;
	rc = EXIT_USAGE;
	if ((p = plan_read(a.plan)) == NULL) {
		warnmsg("%s", err_msg());
		goto out;
	}
	/* a bad --catalog-url or --allow-host is bad usage too */
	if ((c = catalog_opts_client(&a.co)) == NULL)
		goto out;
	rc = EXIT_FAIL;
	if (catalog_fetch(c, p, &a.fo, &st) == -1) {
		warnmsg("fetch: %s", err_msg());
		goto out;
	}
	printf("%s: %zu update(s), %zu file(s): %zu downloaded (%llu bytes), "
	    "%zu from the cache\n", a.fo.out_dir, st.updates, st.files,
	    st.downloaded, (unsigned long long)st.bytes_downloaded, st.cached);
	if (a.fo.archive)
		printf("%s: archive written\n", a.fo.archive);
	rc = EXIT_OK;
out:
	plan_free(p);
	catalog_client_free(c);
	catalog_opts_release(&a.co);
	free(a.cache);
	return rc;
}
