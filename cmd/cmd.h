/*
 * cmd: one function per subcommand (cmd/<name>.c), each with its own
 * getopt_long and usage text.  They return the process exit status.
 */
#ifndef KBFIX_CMD_H
#define KBFIX_CMD_H

enum {
	EXIT_OK = 0,		/* success, or nothing to do */
	EXIT_FAIL = 1,		/* runtime failure */
	EXIT_USAGE = 2,		/* bad usage or bad input */
	EXIT_PARTIAL = 3,	/* some hosts failed, others succeeded */
};

/* Print "kbfix: <msg>" to stderr. */
void	warnmsg(const char *, ...) __attribute__((format(printf, 1, 2)));

int	cmd_version(int, char **);
int	cmd_plan(int, char **);
int	cmd_explain(int, char **);
int	cmd_advisories(int, char **);

/* Shared by plan, explain, advisories (cmd/plan.c). */
#include "util/util.h"
struct advisory_set;
struct advisory_set *cmd_load_advisories(const char *dir);
int	cmd_created(const char *arg, char out[21], const char **created);
int	cmd_write_output(const char *path, struct buf *);

#endif
