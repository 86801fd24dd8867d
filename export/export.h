/*
 * export/: a plan as a project for another tool (DESIGN.md "Commands":
 * kbfix export PLAN.json --format ansible -o DIR).
 *
 * The Ansible project carries out what `kbfix apply` would, for teams whose
 * changes must go through their own Ansible runs: one group and one play
 * per wave of the plan, in order; each host's actions in host_vars/ (the
 * registry workarounds, multicast forwarding, the packages by their bundle
 * file names); tasks from the ansible.windows and community.windows
 * collections; the maintenance window and --max-fail as the plays' guards.
 * Hosts the plan leaves to a runbook (transport "manual") are listed but
 * not targeted.
 *
 * export_ansible_new() checks the plan against the options and the bundle
 * (bad input: NULL with err_set() naming the host and field, exit 2);
 * export_ansible_write() writes the project into dir, which must not
 * exist or be an empty folder, under a temporary name renamed into place,
 * so that DIR appears whole or not at all (-1 with err_set(), exit 1).
 */
#ifndef KBFIX_EXPORT_H
#define KBFIX_EXPORT_H

#include <stddef.h>

struct plan;

struct export_options {
	const char	*plan_path;	/* named in the files' headers */
	const char	*bundle_dir;	/* kbfix fetch's bundle; NULL: none */
	int		 canary;	/* hosts of the first wave run alone first */
	int		 max_fail;	/* percent of a wave that may fail */
	int		 reboot_timeout_s;
	int		 reboot_delay_s;	/* shutdown /r /t N */
};

struct export_project;

struct export_project *export_ansible_new(const struct plan *,
	    const struct export_options *);
int	export_ansible_write(const struct export_project *, const char *dir);
/* Hosts in the plays, hosts left to runbooks, plays (waves). */
void	export_ansible_counts(const struct export_project *, size_t *hosts,
	    size_t *manual, size_t *plays);
void	export_project_free(struct export_project *);

#endif
