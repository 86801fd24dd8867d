/*
 * kbfix explain: why each advisory does or does not apply to one host.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "plan/plan.h"
#include "cmd/cmd.h"

static const char explain_usage[] =
    "usage: kbfix explain -i INVENTORY [--prefer channel|minimal|latest]\n"
    "                     [--hotfix-policy evidence|exposed]\n"
    "                     [--advisories DIR] [--supersede DIR] HOST\n"
    "\n"
    "Prints the facts kbfix read for HOST (normalised, with the servicing\n"
    "channel and why), every advisory's finding with its reason, and the\n"
    "actions the plan would carry out.\n";

int
cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "prefer", required_argument, NULL, 'p' },
		{ "hotfix-policy", required_argument, NULL, 'H' },
		{ "advisories", required_argument, NULL, 'a' },
		{ "supersede", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct plan_options o = { 0 };
	struct plan_inventory *inv = NULL;
	struct advisory_set *set = NULL;
	struct plan_supersede *sup = NULL;
	const char *inventory = NULL, *dir = NULL, *supdir = NULL;
	struct buf out;
	int c, rc = EXIT_USAGE;

	buf_init(&out, BUF_MAX_DEFAULT);
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1)
		switch (c) {
		case 'i': inventory = optarg; break;
		case 'a': dir = optarg; break;
		case 's': supdir = optarg; break;
		case 'H':
			if (plan_hotfix_policy_parse(optarg,
			    &o.hotfix_policy) == -1) {
				warnmsg("--hotfix-policy: %s", err_msg());
				goto out;
			}
			break;
		case 'p':
			if (plan_prefer_parse(optarg, &o.prefer) == -1) {
				warnmsg("--prefer: %s", err_msg());
				goto out;
			}
			break;
		case 'h':
			fputs(explain_usage, stdout);
			rc = EXIT_OK;
			goto out;
		default:
			fputs(explain_usage, stderr);
			goto out;
		}
	if (inventory == NULL || optind + 1 != argc) {
		fputs(explain_usage, stderr);
		goto out;
	}
	if ((set = cmd_load_advisories(dir)) == NULL ||
	    (sup = cmd_load_supersede(supdir)) == NULL ||
	    (o.supersede = sup, 0) ||
	    (inv = plan_inventory_read(inventory)) == NULL ||
	    plan_explain(inv, set, &o, argv[optind], &out) == -1) {
		warnmsg("%s", err_msg());
		goto out;
	}
	rc = cmd_write_output(NULL, &out);
out:
	buf_release(&out);
	plan_inventory_free(inv);
	plan_advisory_set_free(set);
	plan_supersede_free(sup);
	return rc;
}
