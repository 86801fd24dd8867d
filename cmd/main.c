#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/util.h"

#ifndef KBFIX_VERSION
#define KBFIX_VERSION "0.1.0"
#endif

static const struct subcommand {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*summary;
} subcommands[] = {
	{ "plan",	cmd_plan,	"plan the fixes for an inventory (dry-run report)" },
	{ "explain",	cmd_explain,	"why each advisory does or does not apply to a host" },
	{ "advisories",	cmd_advisories,	"list the advisory catalog in use" },
	{ "search",	cmd_search,	"search the Microsoft Update Catalog" },
	{ "show",	cmd_show,	"one Catalog entry: details, files, supersedence" },
	{ "supersede",	cmd_supersede,	"the supersedence data plan uses; --refresh from the Catalog" },
	{ "fetch",	cmd_fetch,	"download a plan's packages into a verified bundle" },
	{ "verify",	cmd_verify,	"re-check every file of a bundle" },
	{ "discover",	cmd_discover,	"fill an inventory from live hosts over SSH" },
	{ "apply",	cmd_apply,	"carry out a plan on the hosts, in waves (--check: what would change)" },
	{ "status",	cmd_status,	"where each host of a run stands (--import a runbook's result)" },
	{ "evidence",	cmd_evidence,	"crashes before a run and after it, per host (did the fix work?)" },
	{ "resume",	cmd_resume,	"continue or retry a run (new window, key, --retry-failed)" },
	{ "rollback",	cmd_rollback,	"undo a run on its hosts, now" },
	{ "report",	cmd_report,	"a plan as a change request or page; a run's review" },
	{ "export",	cmd_export,	"the plan as an Ansible project (playbooks, inventory)" },
	{ "version",	cmd_version,	"print the version" },
};

#define NSUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("kbfix: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cmd_opt_int(const char *name, const char *v, int min, int max, int *out)
{
	if (parse_int(v, min, max, out) == -1) {
		warnmsg("--%s '%s': expected a number from %d to %d", name, v,
		    min, max);
		return -1;
	}
	return 0;
}

static void
usage(FILE *f)
{
	size_t i;

	fputs("usage: kbfix COMMAND [OPTIONS] [ARGS]\n\n"
	    "Plan, fetch and apply fixes for known Windows networking crash\n"
	    "issues across a fleet.  Commands:\n\n", f);
	for (i = 0; i < NSUBCOMMANDS; i++)
		fprintf(f, "  %-12s %s\n", subcommands[i].name,
		    subcommands[i].summary);
	fputs("\n'kbfix COMMAND --help' describes one command.\n"
	    "Exit status: 0 success, 1 runtime failure, 2 bad usage or input,\n"
	    "3 some hosts failed, 4 (apply, resume) manual hosts remain.\n", f);
}

int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("kbfix %s\n", KBFIX_VERSION);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	for (i = 0; i < NSUBCOMMANDS; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	warnmsg("'%s' is not a command; see 'kbfix --help'", argv[1]);
	return EXIT_USAGE;
}
