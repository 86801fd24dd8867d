/*
 * export internals: the task files of the Ansible project
 * (export/ansible_yml.c), written as they are.  Not a public header.
 */
#ifndef KBFIX_EXPORT_INT_H
#define KBFIX_EXPORT_INT_H

struct export_file {
	const char	*name;		/* "tasks/kbfix-host.yml" */
	const char	*text;
};

/* NULL-terminated */
extern const struct export_file export_task_files[];

#endif
