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
	    "  --parallel N         downloads at once (1-64, default 4)\n"
	    "  --archive FILE       also write the bundle as FILE.tar.gz or "
	    "FILE.zip\n"
	    "  --cache DIR          keep verified files in DIR/packages and "
	    "reuse them (default\n"
	    "                       $XDG_CACHE_HOME/kbfix or ~/.cache/kbfix); "
	    "downloads go to\n"
	    "                       DIR/packages/NAME.part until verified\n"
	    "  --no-cache           neither read nor fill a cache\n%s"
	    "  --progress           progress on stderr even when it is not a "
	    "terminal\n"
	    "                       (timestamped lines instead of a bar)\n%s"
	    "\nCtrl-C or SIGTERM stops the fetch within a second: verified "
	    "files stay in the\ncache, part files stay there too, the "
	    "temporary folder DIR.kbfix-tmp.* is\nremoved.  Run the same "
	    "command again: it continues each part file with a\nRange "
	    "request (a server that answers 200 sends the whole file again) "
	    "and\nchecks every file's digests whole.  A second Ctrl-C ends "
	    "it at once.\n"
	    "\nExit status: 0 bundle written, 1 a package or file failed, 2 "
	    "bad usage or plan;\ninterrupted: killed by the signal (130 "
	    "after SIGINT, 143 after SIGTERM).\n", catalog_opts_download_usage,
	    catalog_opts_usage);
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

/* The progress display: a bar on a terminal (one line, redrawn), else
 * a timestamped line every LINE_MS and at the end of each phase. */
#define LINE_MS		2000

struct shown {
	int		 tty;
	int		 on_line;	/* a bar is drawn, no newline yet */
	int		 pct;		/* never goes down */
	int		 phase;
	int64_t		 last_line;
};

static void
line_end(struct shown *sh)
{
	if (sh->on_line)
		fputc('\n', stderr);
	sh->on_line = 0;
}

static void
lookup_progress(const struct catalog_progress *p, struct shown *sh)
{
	const char *what = p->phase == CATALOG_LOOKUP_SEARCH ?
	    "Catalog searches (one per KB)" : "download dialogs (one per "
	    "package)";

	if (sh->tty) {
		fprintf(stderr, "\rlooking up %s: %llu/%llu\033[K", what,
		    (unsigned long long)p->done, (unsigned long long)p->total);
		sh->on_line = 1;
		return;
	}
	if (p->done == 0 || p->final ||
	    time_now_ms() - sh->last_line >= LINE_MS) {
		sh->last_line = time_now_ms();
		cmd_progress_line("fetch: %s: %llu/%llu", what,
		    (unsigned long long)p->done, (unsigned long long)p->total);
	}
}

static void
progress(const struct catalog_progress *p, void *arg)
{
	struct shown *sh = arg;
	char bar[31];
	int pct = p->total ? (int)(p->done * 100 / p->total) : 0, i;

	if ((int)p->phase != sh->phase) {
		line_end(sh);
		sh->phase = (int)p->phase;
		sh->last_line = 0;	/* a new phase shows at once */
	}
	if (p->phase != CATALOG_DOWNLOAD) {
		lookup_progress(p, sh);
		return;
	}
	/* a total that grows (a real size past the Catalog's) would take
	 * the percentage down: it holds instead */
	pct = pct > 100 ? 100 : pct < sh->pct ? sh->pct : pct;
	sh->pct = pct;
	if (!sh->tty) {
		if (p->final || time_now_ms() - sh->last_line >= LINE_MS) {
			sh->last_line = time_now_ms();
			cmd_progress_line("fetch: download %d%%, %.1f of %.1f "
			    "MB, %zu of %zu file(s) ended", pct,
			    (double)p->done / 1048576.0,
			    (double)p->total / 1048576.0, p->files_done,
			    p->files);
		}
		return;
	}
	for (i = 0; i < 30; i++)
		bar[i] = i < pct * 30 / 100 ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %3d%%  %.1f / %.1f MB  %zu/%zu files", bar,
	    pct, (double)p->done / 1048576.0, (double)p->total / 1048576.0,
	    p->files_done, p->files);
	sh->on_line = 1;
	if (p->final)
		line_end(sh);
}

static struct shown shown = { .phase = -1 };

static void
problem(const char *msg, void *arg)
{
	(void)arg;
	line_end(&shown);
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
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'Q' },
		CMD_CATALOG_LONGOPTS,
		CMD_DOWNLOAD_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, taken;

	a->bar = isatty(2);
	while ((ch = getopt_long(argc, argv, "o:p:h", opts, NULL)) != -1) {
		if ((taken = catalog_opts_parse(ch, optarg, &a->co)) == -1)
			return EXIT_USAGE;
		if (taken)
			continue;
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
		case 'P': a->bar = 1; break;
		case 'Q': a->bar = 0; break;
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
	a->fo.note = problem;
	if (a->bar) {
		shown.tty = isatty(STDERR_FILENO);
		a->fo.progress = progress;
		a->fo.progress_arg = &shown;
	}
	return -1;
}

/* What an interrupted fetch kept, and how to go on. */
static void
interrupted(const struct fetch_args *a, const struct catalog_fetch_stats *st)
{
	warnmsg("fetch: %s: stopped; no bundle was written",
	    cmd_interrupt_name());
	if (a->fo.cache_dir == NULL) {
		warnmsg("fetch: %zu file(s) finished, partial downloads "
		    "discarded (--no-cache keeps nothing)", st->downloaded);
		return;
	}
	warnmsg("fetch: kept in %s: %zu verified file(s) (%zu downloaded "
	    "now), %zu partial file(s) (%.1f MB) to resume", a->fo.cache_dir,
	    st->kept + st->cached, st->kept, st->partial,
	    (double)st->partial_bytes / 1048576.0);
	warnmsg("fetch: run the same command again to continue where it "
	    "stopped");
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
	a.fo.stop = cmd_interrupt_catch();
	if (catalog_fetch(c, p, &a.fo, &st) == -1) {
		line_end(&shown);
		if (st.interrupted)
			interrupted(&a, &st);
		else
			warnmsg("fetch: %s", err_msg());
		goto out;
	}
	printf("%s: %zu update(s), %zu file(s): %zu downloaded (%llu bytes), "
	    "%zu from the cache\n", a.fo.out_dir, st.updates, st.files,
	    st.downloaded, (unsigned long long)st.bytes_downloaded, st.cached);
	if (st.bytes_resumed > 0)
		printf("%s: %llu bytes of part files from an earlier fetch "
		    "were resumed, not downloaded again\n", a.fo.out_dir,
		    (unsigned long long)st.bytes_resumed);
	if (a.fo.archive)
		printf("%s: archive written\n", a.fo.archive);
	rc = EXIT_OK;
out:
	plan_free(p);
	catalog_client_free(c);
	catalog_opts_release(&a.co);
	free(a.cache);
	cmd_interrupt_exit();
	return rc;
}
