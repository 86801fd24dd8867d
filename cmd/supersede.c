/*
 * kbfix supersede: the supersedence data the planner reads offline, shown
 * or refreshed from the Update Catalog (catalog/supersede.c walks it;
 * plan/supersede.c defines the files).
 */
#include <getopt.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "plan/plan.h"
#include "cmd/cmd.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: kbfix supersede [--supersede DIR]\n"
	    "       kbfix supersede --refresh -o DIR [--advisories DIR] "
	    "[--catalog-url URL]\n"
	    "                       [--cacert FILE] [--request-timeout S]\n\n"
	    "Without --refresh: lists the supersedence data the planner "
	    "uses (built in,\nfrom the seeds, plus --supersede DIR): per "
	    "product, when it was refreshed\nand how many updates are known "
	    "to contain a fix.\n\n"
	    "--refresh walks the Update Catalog's \"superseded by\" links "
	    "from every fix\nthe advisories name and writes one dated file "
	    "per product into DIR\n(DIR/windows-7.json, ...), for `kbfix "
	    "plan --supersede DIR`.  Progress goes\nto stderr, a "
	    "timestamped line per fix.\n%s"
	    "\nExit status: 0 done, 1 the Catalog failed (nothing written), "
	    "2 bad usage.\n", catalog_opts_usage);
}

static void
progress(const char *msg, void *arg)
{
	char now[21];

	(void)arg;
	time_iso8601((int64_t)time(NULL), now);
	fprintf(stderr, "%s supersede: %s\n", now, msg);
}

/* "Windows Server 2012 R2" -> "windows-server-2012-r2" */
static char *
slug(const char *product)
{
	char *s = xstrdup(product), *p;

	for (p = s; *p; p++)
		*p = isalnum((unsigned char)*p) || *p == '.' ? (char)tolower(
		    (unsigned char)*p) : '-';
	return s;
}

static int
write_files(const char *dir, struct plan_supersede_file **f, size_t n)
{
	struct buf b;
	char *name, *path;
	size_t i;
	int rc = 0;

	if (mkdir_p(dir, 0755) == -1) {
		warnmsg("%s", err_msg());
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		buf_init(&b, PLAN_SUPERSEDE_MAX);
		name = slug(f[i]->product);
		path = xasprintf("%s/%s.json", dir, name);
		if (plan_supersede_write(f[i], &b) == -1 ||
		    file_write_atomic(path, b.data, b.len, 0644) == -1) {
			warnmsg("%s", err_msg());
			rc = -1;
		}
		free(name);
		free(path);
		buf_release(&b);
	}
	return rc;
}

static int
refresh(struct catalog_opts *co, const char *advdir, const char *out)
{
	struct advisory_set *set;
	struct catalog_client *c = NULL;
	struct plan_supersede_file **f = NULL;
	size_t n = 0, i;
	char now[21];
	int rc = EXIT_USAGE;

	if ((set = cmd_load_advisories(advdir)) == NULL) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	if ((c = catalog_opts_client(co)) == NULL)
		goto out;
	time_iso8601((int64_t)time(NULL), now);
	rc = EXIT_FAIL;
	if (catalog_supersede_refresh(c, set, now, progress, NULL, &f, &n) ==
	    -1) {
		warnmsg("supersede: %s", err_msg());
		goto out;
	}
	if (write_files(out, f, n) == -1)
		goto out;
	rc = EXIT_OK;
out:
	for (i = 0; i < n; i++)
		plan_supersede_file_free(f[i]);
	free(f);
	catalog_client_free(c);
	plan_advisory_set_free(set);
	return rc;
}

static int
show(const char *dir)
{
	struct plan_supersede *s;
	struct buf b;
	size_t i;

	if ((s = cmd_load_supersede(dir)) == NULL) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	buf_init(&b, BUF_MAX_DEFAULT);
	buf_addf(&b, "%-24s %-21s %7s  %s\n", "product", "refreshed",
	    "updates", "file");
	for (i = 0; i < s->nfiles; i++) {
		buf_add_term(&b, s->files[i]->product);
		buf_addf(&b, "%*s %-21s %7zu  ", (int)(24 -
		    (strlen(s->files[i]->product) < 24 ?
		    strlen(s->files[i]->product) : 24)), "",
		    s->files[i]->refreshed, s->files[i]->n);
		buf_add_term(&b, s->files[i]->name);
		buf_addc(&b, '\n');
	}
	fputs(buf_str(&b), stdout);
	buf_release(&b);
	plan_supersede_free(s);
	return EXIT_OK;
}

int
cmd_supersede(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "refresh", no_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "advisories", required_argument, NULL, 'a' },
		{ "supersede", required_argument, NULL, 's' },
		CMD_CATALOG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct catalog_opts co;
	const char *out = NULL, *advdir = NULL, *supdir = NULL;
	int ch, taken, do_refresh = 0, rc = EXIT_USAGE;

	catalog_opts_init(&co);
	while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		if ((taken = catalog_opts_parse(ch, optarg, &co)) == -1)
			goto out;
		if (taken)
			continue;
		switch (ch) {
		case 'r': do_refresh = 1; break;
		case 'o': out = optarg; break;
		case 'a': advdir = optarg; break;
		case 's': supdir = optarg; break;
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind != argc || (do_refresh && out == NULL) ||
	    (!do_refresh && out != NULL)) {
		usage(stderr);
		goto out;
	}
	rc = do_refresh ? refresh(&co, advdir, out) : show(supdir);
out:
	catalog_opts_release(&co);
	return rc;
}
