/*
 * cmd: one function per subcommand (cmd/<name>.c), each with its own
 * getopt_long and usage text.  They return the process exit status.
 */
#ifndef KBFIX_CMD_H
#define KBFIX_CMD_H

#include <signal.h>
#include <stddef.h>

enum {
	EXIT_OK = 0,		/* success, or nothing to do */
	EXIT_FAIL = 1,		/* runtime failure */
	EXIT_USAGE = 2,		/* bad usage or bad input */
	EXIT_PARTIAL = 3,	/* some hosts failed, others succeeded */
	EXIT_MANUAL = 4,	/* apply: the rest done, manual hosts remain */
};

/* Print "kbfix: <msg>" to stderr. */
void	warnmsg(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * Ctrl-C and SIGTERM for fetch and discover (cmd/interrupt.c): catch
 * returns the flag the first signal sets (a second one ends the process
 * at once); name is "SIGINT" or "SIGTERM"; exit, after the command's
 * clean-up, ends the process by the signal it got (nothing when none).
 * progress_line prints "<UTC time> kbfix: <msg>" to stderr, the form
 * progress takes when stderr is not a terminal.
 */
const volatile sig_atomic_t *cmd_interrupt_catch(void);
/* SIGINT and SIGTERM to handler (apply's and cmd_interrupt_catch()'s). */
void	cmd_signals_catch(void (*handler)(int));
const char *cmd_interrupt_name(void);
void	cmd_interrupt_exit(void);
void	cmd_progress_line(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
/* --name's value as an int in [min, max]; -1 after saying what is wrong. */
int	cmd_opt_int(const char *name, const char *v, int min, int max, int *out);

int	cmd_version(int, char **);
int	cmd_status(int, char **);

/* Shared by apply, resume and rollback (cmd/apply.c). */
struct deploy_progress;
struct deploy_result;
void	cmd_deploy_signals(void);
void	cmd_deploy_progress(const struct deploy_progress *, void *);
int	cmd_deploy_report(int rc, struct deploy_result *, int rollback);
int	cmd_apply(int, char **);
int	cmd_resume(int, char **);
int	cmd_rollback(int, char **);
int	cmd_discover(int, char **);
int	cmd_evidence(int, char **);

/*
 * SSH options (cmd/ssh_opts.c) of discover, evidence, apply, resume and
 * rollback: entries for a getopt_long table, CMD_SSH_LONGOPTS (short
 * options "p:k:u:"), or CMD_SSH_CONN_LONGOPTS (all but --parallel:
 * rollback), their usage lines (cmd_ssh_usage, cmd_ssh_conn_usage), and
 * cmd_ssh_opt(), which reads one into o: 1 taken, 0 not an SSH option,
 * -1 after a message.  cmd_ssh_deploy() puts the ones given (nonzero)
 * over a run's options.
 */
enum { CMD_OPT_KNOWN = 0x200, CMD_OPT_ACCEPT, CMD_OPT_CTIMEOUT,
	CMD_OPT_XTIMEOUT };
#define CMD_SSH_CONN_LONGOPTS \
	{ "known-hosts",	required_argument, NULL, CMD_OPT_KNOWN }, \
	{ "accept-new",		no_argument,	   NULL, CMD_OPT_ACCEPT }, \
	{ "key",		required_argument, NULL, 'k' }, \
	{ "user",		required_argument, NULL, 'u' }, \
	{ "connect-timeout",	required_argument, NULL, CMD_OPT_CTIMEOUT }, \
	{ "command-timeout",	required_argument, NULL, CMD_OPT_XTIMEOUT }
#define CMD_SSH_LONGOPTS \
	{ "parallel",		required_argument, NULL, 'p' }, \
	CMD_SSH_CONN_LONGOPTS
struct transport_opts;
struct deploy_opts;
extern const char cmd_ssh_usage[];
extern const char cmd_ssh_conn_usage[];
int	cmd_ssh_opt(int ch, const char *arg, struct transport_opts *o);
void	cmd_ssh_deploy(const struct transport_opts *, struct deploy_opts *);

int	cmd_export(int, char **);

/* Update Catalog commands (cmd/search.c, show.c, fetch.c, verify.c) */
int	cmd_search(int, char **);
int	cmd_show(int, char **);
int	cmd_supersede(int, char **);
int	cmd_fetch(int, char **);
int	cmd_verify(int, char **);

/*
 * Update Catalog options (cmd/catalog_opts.c): entries for a getopt_long
 * table, CMD_CATALOG_LONGOPTS (--catalog-url, --cacert, --request-timeout:
 * every Catalog command) and CMD_DOWNLOAD_LONGOPTS (--allow-host,
 * --download-timeout: the commands that download files), their usage
 * texts, and catalog_opts_parse(), which reads one into o: 1 taken, 0 not
 * a Catalog option, -1 after a message.
 */
enum { CMD_OPT_CATALOG_URL = 0x300, CMD_OPT_CACERT, CMD_OPT_RTIMEOUT,
	CMD_OPT_ALLOW_HOST, CMD_OPT_DTIMEOUT };
#define CMD_CATALOG_LONGOPTS \
	{ "catalog-url",	required_argument, NULL, CMD_OPT_CATALOG_URL }, \
	{ "cacert",		required_argument, NULL, CMD_OPT_CACERT }, \
	{ "request-timeout",	required_argument, NULL, CMD_OPT_RTIMEOUT }
#define CMD_DOWNLOAD_LONGOPTS \
	{ "allow-host",		required_argument, NULL, CMD_OPT_ALLOW_HOST }, \
	{ "download-timeout",	required_argument, NULL, CMD_OPT_DTIMEOUT }
struct catalog_client;
struct catalog_opts {
	const char	*url;
	const char	*cacert;
	const char	**hosts;
	size_t		 nhosts;
	int		 request_timeout, download_timeout;	/* s, 0: default */
};
void	catalog_opts_init(struct catalog_opts *);
int	catalog_opts_parse(int ch, const char *arg, struct catalog_opts *);
/* The client, or NULL after a message (a bad URL or host is bad usage). */
struct catalog_client *catalog_opts_client(struct catalog_opts *);
void	catalog_opts_release(struct catalog_opts *);
extern const char catalog_opts_usage[];
extern const char catalog_opts_download_usage[];
int	cmd_plan(int, char **);
int	cmd_report(int, char **);
/* 1: stdout is a terminal and NO_COLOR is unset or empty (cmd/report.c). */
int	cmd_color(void);
int	cmd_explain(int, char **);
int	cmd_advisories(int, char **);

/* Shared by plan, explain, advisories (cmd/plan.c). */
#include "util/util.h"
struct advisory_set;
struct advisory_set *cmd_load_advisories(const char *dir);
struct plan_supersede;
/* The built-in supersedence data plus dir's files (--supersede DIR). */
struct plan_supersede *cmd_load_supersede(const char *dir);
int	cmd_created(const char *arg, char out[21], const char **created);
int	cmd_write_output(const char *path, struct buf *);

#endif
