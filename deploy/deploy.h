/*
 * deploy: carrying out a plan (kbfix apply, resume, rollback).
 *
 * The engine runs one state machine per host (a table of steps, one
 * function per step: docs/DEVELOPERS.md) on the transport's poll loop, wave after wave, and
 * writes every step to the run journal (rollback/) before and after each
 * remote change.  The scheduling rules (waves, canary, failure threshold,
 * maintenance window, reboot groups) are pure functions below so they can
 * be tested without hosts.
 *
 * Run directory: RUN_DIR/run.json records the options of the apply (plan
 * and bundle paths, made absolute, window, parallel, ...) so resume and
 * rollback need only RUN_DIR; RUN_DIR/plan.json is a copy of the plan;
 * RUN_DIR/journal.jsonl the journal; RUN_DIR/runbooks/<host>.cmd and
 * <host>-rollback.cmd the scripts for manual hosts; RUN_DIR/retry the
 * hosts an apply or resume left unfinished, one a line (absent when
 * none), for --limit @RUN_DIR/retry.  A resume records the options it was
 * given in run.json, so the next resume and rollback use them.
 */
#ifndef KBFIX_DEPLOY_H
#define KBFIX_DEPLOY_H

#include <stddef.h>
#include <stdint.h>

struct deploy_opts {
	const char	*plan_path;
	const char	*bundle_dir;
	const char	*run_dir;
	const char	*window;	/* plan_window_parse() form, or NULL */
	int		 parallel;	/* 0: 32 */
	int		 canary;	/* -1: default 1 */
	int		 max_fail_pct;	/* 0..100 */
	int		 reboot_timeout_s;	/* 0: 600 */
	int		 reboot_delay_s;	/* shutdown /t N; -1: 5 */
	int		 no_auto_rollback;
	const char	*known_hosts;
	int		 accept_new;
	const char	*key_file;
	const char	*user;
	int		 connect_timeout_ms;	/* 0: transport default */
	int		 command_timeout_ms;	/* 0: transport default */
	const char	*only_host;	/* rollback --host */
	const char	*limit;		/* "HOST,HOST" or "@FILE": only
					   these hosts run (apply, resume) */
	int		 check;		/* apply --check: connect, preflight
					   and capture only; no journal */
	int		 retry_failed;	/* resume: failed and rolled-back
					   hosts start again */
	int		 save_opts;	/* resume: options were given: record
					   them in run.json */
	const char	*plan_source;	/* run.json "plan": the plan file
					   the run was made from */
	int		 force;		/* rollback --force: restore a value
					   changed since kbfix set it */
	uint64_t	 kill_after;	/* TEST ONLY: SIGKILL self after this
					   many journal records (0: never) */
};

/* One host's outcome, for the summary table. */
struct deploy_hostres {
	char		*name;
	char		*state;	/* done, failed, drifted, deferred, ... */
	char		*step;
	char		*error;
	int		 wave;	/* as progress labels it; -1: manual or
				   not in this run */
	char		*check;	/* --check: what would change, lines */
};

struct deploy_result {
	struct deploy_hostres *hosts;
	size_t		 nhosts;
	size_t		 ndone;		/* rollback: rolled back */
	size_t		 nfailed;	/* failed, rollback-failed */
	size_t		 nrolledback;	/* apply: undone after a failure */
	size_t		 ninterrupted;
	size_t		 nmanual;	/* runbook written: work remains */
	size_t		 nother;	/* deferred, drifted, not-started */
	size_t		 nchecked;	/* --check: hosts read */
	int		 stopped;	/* max-fail, canary or signal */
	char		*stop_reason;
	int		 bad_input;	/* -1 came from the plan, bundle,
					   window or run directory given */
};

/*
 * Live progress, called from inside the loop (cmd/ prints it).  wave is
 * the run wave's index (0 first); label is its number as the operator
 * reads it everywhere (progress, summary, the plan and its estimate):
 * 0 the canary wave, then the plan's wave numbers (or 1, 2, ... for
 * chunks of --parallel).
 */
enum deploy_pev {
	DEPLOY_PEV_TICK,	/* about every 200 ms: the live line */
	DEPLOY_PEV_STEP,	/* host starts a step (step) */
	DEPLOY_PEV_END,		/* host reached an end state (state, error) */
	DEPLOY_PEV_WAVE,	/* a wave finished: its final counts */
	DEPLOY_PEV_WAIT,	/* nothing can start before wait_until */
	DEPLOY_PEV_STOP		/* a stop was asked for (stop_reason) */
};

struct deploy_progress {
	enum deploy_pev	 ev;
	int		 wave, nwaves, label;
	/* the wave's hosts */
	size_t		 done, failed, rolledback, interrupted, other;
	size_t		 running, total;
	const char	*host;		/* STEP, END: the host */
	const char	*step;
	const char	*state;		/* END */
	const char	*error;
	/* the running host longest in its current step (TICK) */
	const char	*long_host, *long_step;
	int64_t		 long_ms;
	int64_t		 window_end;	/* epoch s, 0: no window */
	const char	*wait_for;	/* WAIT, TICK while waiting */
	int64_t		 wait_until;	/* epoch s */
	const char	*stop_reason;	/* STOP */
};
typedef void deploy_progress_cb(const struct deploy_progress *, void *);

/*
 * deploy_apply() runs (or, with resume, continues) the plan; deploy_rollback()
 * undoes the hosts of a run (only_host: one).  0 when the run itself
 * worked (hosts may have failed: see the result), -1 (err_set) when it
 * could not run, with res->bad_input set when the cause is the input
 * (exit 2) rather than the run (exit 1).  deploy_run_load() fills opts from
 * RUN_DIR/run.json (strings owned by the loaded struct, freed with
 * deploy_run_release()).  deploy_stop() may be called from a signal
 * handler: the first call stops the run (nothing new starts, running
 * steps end at their next safe point, hosts waiting for a window, a
 * reboot or their reboot group end interrupted); a second call ends the
 * process at once (_exit 130): every journal record is whole (one
 * write() each), so the journal reads as after a crash and resume
 * continues it.
 */
int	 deploy_apply(const struct deploy_opts *, int resume,
	    deploy_progress_cb *, void *arg, struct deploy_result *);
int	 deploy_rollback(const struct deploy_opts *,
	    deploy_progress_cb *, void *arg, struct deploy_result *);
void	 deploy_result_release(struct deploy_result *);
void	 deploy_stop(void);

/*
 * kbfix status RUN_DIR --import RESULT: a manual host's runbook result
 * file (kbfix-result/1, written by RUN_DIR/runbooks/<host>.cmd and
 * <host>-rollback.cmd) into the journal as the host's state: done,
 * failed, manual (reboot pending, or a removal left to do by hand),
 * rolled-back or rollback-failed.  -1 (err_set) for a file that is not
 * one, a host that is not a manual host of the run, a locked run.
 */
int	 deploy_runbook_import(const char *run_dir, const char *result,
	    char **host, char **state);

struct deploy_run {
	struct deploy_opts opts;
	char		*strs[8];
};
int	 deploy_run_load(const char *run_dir, struct deploy_run *);
void	 deploy_run_release(struct deploy_run *);

/*
 * The review of the run in run_dir (plan.h "struct plan_review"), from
 * its run.json, plan copy and journal, without the run lock: safe beside
 * a running apply.  -1 with err_set() when the directory holds no run.
 */
struct plan_review;
int	 deploy_review_build(const char *run_dir, struct plan_review *);

/* Scheduling rules (pure). */

struct deploy_slot {
	const char	*name;
	const char	*group;		/* reboot group or NULL */
	int		 plan_wave;	/* 0: none */
	int		 manual;	/* not scheduled */
};

/*
 * Assign waves: the first `canary` schedulable hosts (plan order, lowest
 * plan wave first) form wave 0; the rest follow the plan's waves in
 * ascending order (hosts without one last), or, when no host has a plan
 * wave, chunks of `parallel`.  wave[i] gets the wave number, -1 for manual
 * hosts.  Returns the number of waves.
 */
int	 deploy_waves(const struct deploy_slot *, size_t n, int canary,
	    int parallel, int *wave);

/* How far a host got, for the share of its estimate still ahead. */
enum deploy_phase {
	DEPLOY_PHASE_START,	/* connect to workaround */
	DEPLOY_PHASE_INSTALL,	/* upload and install */
	DEPLOY_PHASE_REBOOT,	/* reboot and wait */
	DEPLOY_PHASE_VERIFY,	/* verify and cleanup */
	DEPLOY_PHASE_DONE
};

/* Seconds left of an estimated host run when resuming at phase `from`. */
int64_t	 deploy_remaining_s(int estimate_s, enum deploy_phase from);

/* 1: a host whose remaining work takes remaining_s may start at now. */
int	 deploy_window_fits(int64_t now, int64_t start, int64_t duration_s,
	    int64_t remaining_s);

/* 1: failed hosts exceed pct percent of the finished ones (0: any). */
int	 deploy_max_fail_exceeded(size_t failed, size_t finished, int pct);

/*
 * Reboot groups: a counted lease, at most the group's budget of members
 * (max_unavailable, the plan's; 1 unless deploy_group_budget() says
 * otherwise) hold it at once.  acquire: 1 acquired (or already held, or
 * no group), 0 the group is full.  take: hold it whatever the budget (a
 * lease the journal says a down host still holds).
 */
struct deploy_group {
	const char	*name;
	int		 max;
	const char	**holder;
	size_t		 nholder;
};
struct deploy_grouplock {
	struct deploy_group *g;
	size_t		 n;
};
void	 deploy_group_budget(struct deploy_grouplock *, const char *group,
	    int max);
int	 deploy_group_acquire(struct deploy_grouplock *, const char *group,
	    const char *host);
void	 deploy_group_take(struct deploy_grouplock *, const char *group,
	    const char *host);
void	 deploy_group_release(struct deploy_grouplock *, const char *group,
	    const char *host);
int	 deploy_group_held(const struct deploy_grouplock *, const char *group);
void	 deploy_grouplock_release(struct deploy_grouplock *);

/*
 * Command lines (deploy/cmdline.c): what apply sends at each step, built
 * with transport_cmdline() (0, or -1 with err_set() naming a refused
 * argument; appended to line).  export/ writes the same lines.
 */
struct buf;
struct plan_action;

/* PLAN_REMOTE_DIR as the SFTP server names it (uploads) */
#define DEPLOY_SFTP_DIR	"/C:/Windows/Temp/kbfix"

/* The line that marks the CurrentVersion query in the preflight output. */
#define DEPLOY_PF_MARK	"==kbfix:os=="

enum deploy_cmd {
	DEPLOY_CMD_PREFLIGHT,	/* shell proof, CurrentVersion, pending-reboot signals */
	DEPLOY_CMD_DISK,	/* wmic logicaldisk C: FreeSpace */
	DEPLOY_CMD_PACKAGES,	/* dism /online /get-packages */
	DEPLOY_CMD_MKDIR,	/* mkdir PLAN_REMOTE_DIR */
	DEPLOY_CMD_BOOT,	/* wmic os get lastbootuptime /value */
	DEPLOY_CMD_BOOT_PENDING, /* the boot time & RebootPending */
	DEPLOY_CMD_TCPIP,	/* wmic datafile tcpip.sys Version */
	DEPLOY_CMD_CLEANUP	/* rmdir /s /q PLAN_REMOTE_DIR */
};
int	 deploy_cmd(enum deploy_cmd, struct buf *line);
/* reg add ... /f & reg query, or netsh set global & show global */
int	 deploy_cmd_workaround_set(const struct plan_action *, struct buf *);
/* gpupdate /target:computer /force [/wait:S] & reg query KEY /v VALUE
 * (wait_s < 0: gpupdate's own wait) */
int	 deploy_cmd_gpupdate(const struct plan_action *, int wait_s,
	    struct buf *);
/* mkdir DIR\KB & expand -F:* DIR\MSU DIR\KB */
int	 deploy_cmd_expand(const char *msu_name, const char *kb, struct buf *);
/* the package .cab inside an .msu (package_cab, or from its name) */
char	*deploy_cab_name(const char *msu_name, const char *package_cab);
int	 deploy_cmd_dism_add(const char *kb, const char *cab, struct buf *);
/*
 * A reboot is seen when the new boot time is later than the old one and
 * than the host's clock at the shutdown less this much: how far a boot
 * time may seem to precede that clock (the clock set back while the host
 * restarted), README "Carrying out a plan".  export's wait uses it too.
 */
#define BOOT_DRIFT_US	((int64_t)2000000)
/* wmic os get localdatetime /value & [shutdown /a &] shutdown /r /t N
 * /d p:2:17 /c "kbfix: ... reboot": the host clock read with the reboot */
int	 deploy_cmd_shutdown(int delay_s, int undo, int abort_first,
	    struct buf *);

#endif
