/*
 * gpupdate: a Group Policy refresh.  STATE/gpp holds the registry values
 * the host's Group Policy Preferences items write (the registry file's
 * format; fleetctl.py builds it from an inventory's winsim.gpp): a
 * computer refresh writes them into STATE/registry again, as a GPP
 * registry item in "Replace" or "Update" mode does at every refresh
 * (seed 002 note 2).  Fault gpupdate-no-dc: no domain controller
 * answers, nothing is applied.  What it prints follows the captures in
 * tests/fixtures/windows/gpupdate; their exit codes are not captured
 * (kbfix reads the registry after it, never gpupdate's code).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/winsim/winsim.h"

#define NO_DC "The processing of Group Policy failed because of lack of " \
	"network connectivity to a domain controller. This may be a " \
	"transient condition. A success message would be generated once " \
	"the machine gets connected to the domain controller and Group " \
	"Policy has successfully processed. If you do not see a success " \
	"message for several hours, then contact your administrator."

/* The preferences' values into the registry. */
static int
apply_gpp(struct host *h)
{
	struct registry gpp, r;
	struct regkey *k;
	size_t i, j;
	int rc;

	if (!state_exists(h, "gpp"))
		return 0;
	if (registry_read(h, "gpp", &gpp) == -1)
		return -1;
	if (registry_load(h, &r) == -1) {
		registry_free(&gpp);
		return -1;
	}
	for (i = 0; i < gpp.nkeys; i++) {
		k = registry_key(&r, gpp.keys[i].path, 1);
		for (j = 0; j < gpp.keys[i].nvals; j++)
			registry_set(k, gpp.keys[i].vals[j].name,
			    gpp.keys[i].vals[j].type, gpp.keys[i].vals[j].data);
	}
	rc = registry_save(h, &r);
	registry_free(&r);
	registry_free(&gpp);
	return rc;
}

uint32_t
cmd_gpupdate(struct host *h, int argc, char **argv)
{
	const char *target = NULL, *rest;
	int i, computer, user;
	char *fault;

	for (i = 1; i < argc; i++) {
		if (arg_prefix(argv[i], "/target:", &rest) &&
		    (strcasecmp(rest, "computer") == 0 ||
		    strcasecmp(rest, "user") == 0))
			target = rest;
		else if (!arg_is(argv[i], "/force") &&
		    !arg_prefix(argv[i], "/wait:", &rest)) {
			err_printf(h, "ERROR: Invalid argument/option - '%s'.\r\n"
			    "Type \"GPUPDATE /?\" for usage.\r\n", argv[i]);
			return WS_FAIL;
		}
	}
	computer = target == NULL || strcasecmp(target, "computer") == 0;
	user = target == NULL || strcasecmp(target, "user") == 0;
	event_log(h, "gpupdate %s", target ? target : "computer,user");
	out_printf(h, "Updating policy...\r\n\r\n");
	if ((fault = fault_read(h, "gpupdate-no-dc")) != NULL) {
		free(fault);
		if (computer)
			out_printf(h, "Computer policy could not be updated "
			    "successfully. The following errors were "
			    "encountered:\r\n\r\n%s\r\n", NO_DC);
		if (user)
			out_printf(h, "User Policy could not be updated "
			    "successfully. The following errors were "
			    "encountered:\r\n\r\n%s\r\n", NO_DC);
		out_printf(h, "\r\nTo diagnose the failure, review the event "
		    "log or run GPRESULT /H GPReport.html from the command "
		    "line to access information about Group Policy "
		    "results.\r\n");
		return WS_FAIL;
	}
	if (computer && apply_gpp(h) == -1) {
		err_printf(h, "ERROR: %s\r\n", err_msg());
		return WS_FAIL;
	}
	if (computer)
		out_printf(h, "Computer Policy update has completed "
		    "successfully.\r\n");
	if (user)
		out_printf(h, "User Policy update has completed "
		    "successfully.\r\n");
	out_printf(h, "\r\n");
	return WS_OK;
}
