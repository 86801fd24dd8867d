/* kbfix export PLAN.json --format ansible -o DIR */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "export/export.h"
#include "plan/plan.h"
#include "util/util.h"

static void
usage(FILE *f)
{
	fputs("usage: kbfix export PLAN.json --format ansible -o DIR "
	    "[--bundle DIR]\n"
	    "                   [--canary N] [--max-fail PCT] "
	    "[--reboot-timeout S] [--reboot-delay S]\n\n"
	    "Writes the plan as an Ansible project that does what kbfix apply "
	    "does, with\nthe same cmd.exe command lines (ansible.builtin.raw "
	    "over SSH: the hosts need\nWin32-OpenSSH with cmd.exe as its "
	    "shell, no PowerShell): an inventory with\none group per wave, "
	    "host_vars/ with each host's command lines, site.yml (one\nplay "
	    "per wave, or per batch where a wave holds more members of a reboot "
	    "group\nthan its max_unavailable; canary, window, max-fail),\n"
	    "rollback.yml (undo from the state site.yml captured),\n"
	    "awx/configure.yml (AWX job templates and a workflow).\nHosts the plan leaves to a runbook are listed "
	    "in kbfix_manual and not\ntargeted.  DIR appears whole or not at "
	    "all.\n\n"
	    "  --format ansible     the only format so far\n"
	    "  -o, --output DIR     the project folder (must not exist, or be "
	    "empty)\n"
	    "  --bundle DIR         kbfix fetch's bundle of this plan: needed "
	    "when the plan\n"
	    "                       installs packages\n"
	    "  --canary N           hosts of the first wave that run alone "
	    "first (default 1)\n"
	    "  --max-fail PCT       failures a wave may have before the run "
	    "stops (default 0)\n"
	    "  --reboot-timeout S   how long a restart may take (default "
	    "600)\n"
	    "  --reboot-delay S     shutdown /r /t S (default 5)\n\n"
	    "Exit status: 0 written, 1 it could not be written, 2 bad usage, "
	    "plan or bundle.\n", f);
}

struct export_args {
	const char	*plan;
	const char	*out;
	struct export_options o;
};

/* -1: go on; else the exit status. */
static int
args_parse(int argc, char **argv, struct export_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "canary", required_argument, NULL, 'c' },
		{ "max-fail", required_argument, NULL, 'm' },
		{ "reboot-timeout", required_argument, NULL, 't' },
		{ "reboot-delay", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL;
	int ch, bad = 0;

	while ((ch = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': format = optarg; break;
		case 'o': a->out = optarg; break;
		case 'b': a->o.bundle_dir = optarg; break;
		case 'c': bad |= cmd_opt_int("canary", optarg, 0, 10000,
			    &a->o.canary); break;
		case 'm': bad |= cmd_opt_int("max-fail", optarg, 0, 100,
			    &a->o.max_fail); break;
		case 't': bad |= cmd_opt_int("reboot-timeout", optarg, 1, 86400,
			    &a->o.reboot_timeout_s); break;
		case 'd': bad |= cmd_opt_int("reboot-delay", optarg, 0, 600,
			    &a->o.reboot_delay_s); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (bad)
		return EXIT_USAGE;
	if (optind + 1 != argc || a->out == NULL || format == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(format, "ansible") != 0) {
		warnmsg("--format '%s': the only format is ansible", format);
		return EXIT_USAGE;
	}
	a->plan = a->o.plan_path = argv[optind];
	return -1;
}

int
cmd_export(int argc, char **argv)
{
	struct export_args a = { .o = { .canary = 1, .reboot_timeout_s = 600,
	    .reboot_delay_s = 5 } };
	struct export_project *x = NULL;
	struct plan *p = NULL;
	size_t nhosts, nmanual, nplays;
	int rc;

	if ((rc = args_parse(argc, argv, &a)) != -1)
		return rc;
	rc = EXIT_USAGE;
	if (dir_check_free(a.out, 0) == -1) {
		warnmsg("%s", err_msg());
		goto out;
	}
	if ((p = plan_read(a.plan)) == NULL ||
	    (x = export_ansible_new(p, &a.o)) == NULL) {
		warnmsg("%s", err_msg());
		goto out;
	}
	rc = EXIT_FAIL;
	if (export_ansible_write(x, a.out) == -1) {
		warnmsg("export: %s", err_msg());
		goto out;
	}
	export_ansible_counts(x, &nhosts, &nmanual, &nplays);
	printf("%s: %zu host(s) in %zu wave(s), %zu left to runbooks; run "
	    "'ansible-playbook site.yml' there\n", a.out, nhosts, nplays,
	    nmanual);
	rc = EXIT_OK;
out:
	export_project_free(x);
	plan_free(p);
	return rc;
}
