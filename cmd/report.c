/*
 * kbfix report PLAN.json | RUN_DIR [--format ...] [-o FILE]: a plan's
 * reports (the change request, the HTML page) naming the plan file's own
 * SHA-256, or the review of a run after the window.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "plan/plan.h"
#include "util/util.h"

static const char report_usage[] =
    "usage: kbfix report PLAN.json [--format markdown|html|text|csv|json]\n"
    "                    [-o FILE]\n"
    "       kbfix report RUN_DIR [--format text|markdown|json|html] [-o FILE]\n"
    "\n"
    "RUN_DIR (from kbfix apply): the review after the window, from the\n"
    "journal: waves and hosts planned against actual (steps, reboot\n"
    "downtime), failures with their errors, rollbacks, hosts deferred,\n"
    "drifted or still pending.  Text by default.  It reads without the run\n"
    "lock: safe while an apply, resume or rollback is running.  When\n"
    "kbfix evidence RUN_DIR has written RUN_DIR/evidence.json, the review\n"
    "embeds it: crashes before and after the fix per host and advisory,\n"
    "hosts that crashed again flagged.\n"
    "\n"
    "PLAN.json (from kbfix plan -o): the plan's report, by default the\n"
    "change request in Markdown, naming the SHA-256 of the file itself and\n"
    "the 'kbfix apply --expect-plan' command that runs exactly this plan.\n"
    "--format html writes one self-contained page (no network): summary,\n"
    "a timeline of the window, packages, hosts.  -o FILE writes it\n"
    "atomically.\n";

static int
report_plan(const char *path, const char *format, const char *output)
{
	struct plan_report_ctx ctx = { path, NULL, 0 };
	enum plan_format fmt;
	struct plan *p = NULL;
	struct buf file, out;
	char sha[65];
	int rc = EXIT_USAGE;

	buf_init(&file, (size_t)1 << 30);
	buf_init(&out, BUF_MAX_DEFAULT);
	if (plan_format_parse(format ? format : "markdown", &fmt) == -1) {
		warnmsg("--format: %s", err_msg());
		goto out;
	}
	if (file_read(path, file.max, &file) == -1 ||
	    (p = plan_parse(path, buf_str(&file), file.len)) == NULL) {
		warnmsg("%s", err_msg());
		goto out;
	}
	sha256_hex(buf_str(&file), file.len, sha);
	ctx.sha256 = sha;
	ctx.color = output == NULL && cmd_color();
	if (plan_report_for(p, fmt, &ctx, &out) == -1) {
		warnmsg("%s", err_msg());
		rc = EXIT_FAIL;
		goto out;
	}
	rc = cmd_write_output(output, &out);
out:
	plan_free(p);
	buf_release(&file);
	buf_release(&out);
	return rc;
}

/* Colours only on a terminal, and never with NO_COLOR (no-color.org). */
int
cmd_color(void)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0');
}

static int
run_dir_has(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	int rc = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return rc;
}

static int
report_run(const char *dir, const char *format, const char *output)
{
	struct plan_report_ctx ctx = { NULL, NULL, 0 };
	struct plan_review r;
	enum plan_format fmt;
	struct buf out;
	int rc;

	if (plan_format_parse(format ? format : "text", &fmt) == -1) {
		warnmsg("--format: %s", err_msg());
		return EXIT_USAGE;
	}
	if (!run_dir_has(dir, "run.json")) {
		warnmsg("%s: not a run directory (no run.json from kbfix apply)",
		    dir);
		return EXIT_USAGE;
	}
	if (deploy_review_build(dir, &r) == -1) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	buf_init(&out, BUF_MAX_DEFAULT);
	ctx.color = output == NULL && cmd_color();
	if (plan_review_report(&r, fmt, &ctx, &out) == -1) {
		warnmsg("%s", err_msg());
		rc = fmt == PLAN_FORMAT_CSV ? EXIT_USAGE : EXIT_FAIL;
	} else
		rc = cmd_write_output(output, &out);
	buf_release(&out);
	plan_review_release(&r);
	return rc;
}

int
cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = NULL, *output = NULL;
	struct stat st;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1)
		switch (c) {
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'h': fputs(report_usage, stdout); return EXIT_OK;
		default: fputs(report_usage, stderr); return EXIT_USAGE;
		}
	if (optind + 1 != argc) {
		fputs(report_usage, stderr);
		return EXIT_USAGE;
	}
	if (stat(argv[optind], &st) == -1) {
		warnmsg("%s: cannot read it", argv[optind]);
		return EXIT_USAGE;
	}
	if (S_ISDIR(st.st_mode))
		return report_run(argv[optind], format, output);
	return report_plan(argv[optind], format, output);
}
