/*
 * deploy internals: the engine (engine.c), the host machine (host*.c),
 * the bundle, Windows output and runbooks.  Not a public header.
 */
#ifndef KBFIX_DEPLOY_INT_H
#define KBFIX_DEPLOY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "deploy/deploy.h"
#include "plan/plan.h"
#include "rollback/rollback.h"
#include "transport/transport.h"
#include "util/util.h"

#define REMOTE_SFTP_DIR	DEPLOY_SFTP_DIR
#define REBOOT_PENDING_KEY "HKLM\\SOFTWARE\\Microsoft\\Windows\\" \
	"CurrentVersion\\Component Based Servicing\\RebootPending"
#define FREE_DISK_MIN	((uint64_t)500 << 20)	/* bytes on C: */

/* Bundle: the package files, checked against the manifest (bundle.c). */
struct catalog_bundle;
struct catalog_bundle_file;
struct bundle_file {
	const struct catalog_bundle_file *src;
	const char *name;	/* file name, e.g. windows6.1-kb...msu */
	char	*path;		/* local path */
	const char *package_cab; /* the .cab inside, for dism */
	uint64_t size;
	/* the file as checked: a later change is checked again */
	uint64_t dev, ino;
	int64_t	 mtime_ns;
};
struct bundle {
	struct catalog_bundle *cb;
	struct bundle_file *files;
	size_t	 nfiles;
};
int	 bundle_read(const char *dir, struct bundle *);
void	 bundle_release(struct bundle *);
/* 0: the file is still what bundle_read() checked (else it is hashed
 * again); -1 (err_set) when it is no longer the manifest's file. */
int	 bundle_file_unchanged(const struct bundle_file *);
const struct bundle_file *bundle_find(const struct bundle *, const char *kb,
	    const char *host, const char *arch);

/* Output of Windows commands (FACTS.md section 4). */
char	*wo_text(const char *out, size_t len);	/* UTF-16LE -> ASCII */
int	 wo_value(const char *out, const char *name, char **val);
int	 wo_dism_package(const char *out, const char *want, char **identity,
	    char **state);	/* want: an exact identity, or a KB */
/*
 * 1 when LastBootUpTime after says the host rebooted since before was
 * read, given the host's clock (LocalDateTime) when shutdown /r was sent,
 * or NULL (then: after later than before); BOOT_DRIFT_US (deploy.h).
 */
int	 wo_rebooted(const char *after, const char *before, const char *clock);
/* 1 when the answer says the host has no wmic.exe; WO_NO_WMIC says so. */
int	 wo_wmic_missing(const struct transport_result *);
#define WO_NO_WMIC	"this host has no wmic.exe (removed in Windows 11 " \
	"24H2 and Windows Server 2025); kbfix reads free space, the tcpip.sys " \
	"version and the boot time with it: " TRANSPORT_WMIC_FIX " or " \
	"update this host by hand"

/*
 * Host steps in run order; undo steps follow STEP_DONE.  One step sends
 * one command and takes its answer (host.c's table, docs/DEVELOPERS.md
 * "deploy"); steps of one group share the name the journal records, e.g.
 * the four of "install".
 */
enum host_step {
	STEP_CONNECT,
	STEP_PREFLIGHT,
	STEP_PREFLIGHT_DISK,
	STEP_CAPTURE,
	STEP_WORKAROUND,
	STEP_WORKAROUND_SET,
	STEP_WORKAROUND_GPO,
	STEP_UPLOAD,
	STEP_UPLOAD_MKDIR,
	STEP_UPLOAD_SEND,
	STEP_INSTALL,
	STEP_INSTALL_EXPAND,
	STEP_INSTALL_ADD,
	STEP_INSTALL_CONFIRM,
	STEP_REBOOT,
	STEP_REBOOT_ISSUE,
	STEP_REBOOT_RETRY,
	STEP_WAIT,
	STEP_VERIFY,
	STEP_VERIFY_TCPIP,
	STEP_CLEANUP,
	STEP_DONE,
	STEP_RB_CONNECT,
	STEP_RB_REMOVE,
	STEP_RB_REMOVE_DISM,
	STEP_RB_REMOVE_CONFIRM,
	STEP_RB_REGISTRY,
	STEP_RB_REGISTRY_SET,
	STEP_RB_MULTICAST,
	STEP_RB_MULTICAST_SET,
	STEP_RB_REBOOT,
	STEP_RB_REBOOT_ISSUE,
	STEP_RB_REBOOT_RETRY,
	STEP_RB_WAIT,
	STEP_RB_VERIFY,
	STEP_RB_DONE,
	STEP_N
};

struct engine;

/* Where a host is in the run, as the engine schedules it. */
enum host_life {
	HOST_QUEUED,		/* not started yet */
	HOST_SKIPPED,		/* ended without starting: deferred,
				   not-started */
	HOST_RUNNING,
	HOST_ENDED
};

/* What the host's machine is doing: the plan, or undoing it. */
enum host_mode {
	HOST_APPLY,
	HOST_UNDO		/* kbfix rollback, or apply undoing a host
				   after a command refused (first_error) */
};

/* The reboot of the current reboot step. */
enum host_reboot {
	REBOOT_NONE,
	REBOOT_PARKED,		/* its group's member is rebooting */
	REBOOT_ISSUED		/* shutdown /r sent: a drop is the reboot */
};

/*
 * One host's run.  The step says which function gets the next answer
 * (host.c's table); the fields below it are everything the steps learn
 * and decide on the way.  A resumed run rebuilds them from the journal
 * (host_start()) and from the host itself (each step reads first).
 */
struct host_run {
	struct engine		*e;
	const struct plan_host	*ph;
	int			 wave;
	enum host_life		 life;
	enum host_mode		 mode;

	enum host_step		 step;
	int64_t			 step_ms;	/* when its group started
						   (time_now_ms) */
	size_t			 action;	/* the plan action (undo: the
						   prior) the step is at */
	struct transport_conn	*conn;

	/* what was captured before any change, and what was installed */
	struct rollback_priors	 priors;
	int			 captured;	/* priors journaled */
	char			*identity;	/* dism package identity */
	int			 install_recorded;	/* by this run */
	uint32_t		 dism_exit;	/* of the last add or remove */

	/* the reboot */
	int			 reboot_owed;	/* install or removal said so */
	enum host_reboot	 reboot;
	int			 group_held;
	char			*boot_before;	/* boot time before it */
	char			*boot_clock;	/* the host's clock when
						   shutdown /r was sent, or
						   NULL (wo_rebooted()) */
	int64_t			 reboot_ms;	/* when shutdown /r was sent
						   (ms since 1970), 0 unknown */
	enum host_step		 after_wait;	/* 0 (STEP_CONNECT): the
						   verify step of the mode */
	int64_t			 deadline_ms;
	int64_t			 backoff_ms;

	int			 retries;	/* reconnects after drops */
	char			*error;
	char			*first_error;	/* the failure undone after */
	char			*kept;		/* undo: a value changed since
						   kbfix set it, left as is */
	char			*check;		/* apply --check's report */
	const char		*endstate;
};

/*
 * A reboot group held for a host the run does not wait for itself (its
 * reboot outlived the run that asked for it, or its reboot timeout):
 * the lease lasts until the host is seen up (host_reboot.c).
 */
struct lease_watch {
	struct engine		*e;
	char			*host, *address, *user, *group, *boot;
	char			*clock;		/* or NULL: wo_rebooted() */
	int			 port;
	struct transport_conn	*conn;
	int64_t			 due_ms;	/* the reboot's due time */
	int64_t			 deadline_ms;	/* parked members give up */
	int64_t			 backoff_ms;
	int			 same;		/* answers with the old boot
						   time after due_ms */
	int			 over;
};

struct engine {
	struct deploy_opts	 o;
	struct plan		*plan;
	struct bundle		 bundle;
	struct transport	*tp;
	struct rollback_journal	*j;
	struct rollback_replay	 rp;
	struct rollback_log	 log;
	struct host_run		*h;
	size_t			 nh;
	int			 nwaves, wave;
	int			*labels;	/* per run wave: deploy.h */
	int64_t			 win_start, win_dur;
	struct deploy_grouplock	 groups;
	int			 stopping;
	char			*stop_reason;
	int			 fatal;
	size_t			 running;
	deploy_progress_cb	*progress;
	void			*parg;
	int			 window_wait;
	int			 lockfd;
	int			 rollback_run;
	int			 bad_input;	/* see deploy_result */
	char			**limit;	/* --limit names, sorted */
	size_t			 nlimit;
	char			*plan_source;	/* apply --limit continuing */
	char			*intent_host;	/* resume of a rollback --host */
	char			*window_abs;	/* the window as instants */
	struct lease_watch	**watches;
	size_t			 nwatches;
};

/* engine.c */
int	 eng_journal(struct engine *, struct rollback_rec *);
void	 eng_host_finished(struct host_run *);
void	 eng_progress(struct engine *, enum deploy_pev, struct host_run *);
int64_t	 eng_now(void);		/* wall clock, seconds */

/* host.c: the machine, what the engine calls */
const char *host_step_name(const struct host_run *);
void	 host_start(struct host_run *);
void	 host_group_retry(struct engine *);
/* sched.c: "2026-12-02T08:00:00Z/3600s", the window as run.json keeps it */
char	*deploy_window_abs(int64_t start, int64_t duration_s);

void	 host_leases_take(struct engine *);	/* host_reboot.c */
void	 lease_watch_new(struct engine *, const struct plan_host *,
	    const char *group, const char *boot, const char *clock,
	    int64_t reboot_ms);
void	 host_lease_adopt(struct host_run *);
void	 host_leases_release(struct engine *);
void	 host_release(struct host_run *);

/* host.c: apply --check: the report from the capture, then the end */
void	 host_check_report(struct host_run *);

/* host.c: for the steps */
void	 host_goto(struct host_run *, enum host_step);
void	 host_continue(struct host_run *, enum host_step);
void	 host_next_action(struct host_run *);
void	 host_send(struct host_run *, const char *const argv[]);
void	 host_send2(struct host_run *, const char *const a[],
	    const char *const b[]);
void	 host_send_line(struct host_run *, struct buf *line);
void	 host_send_built(struct host_run *, int rc, struct buf *line);
/* host_send_built() of deploy_cmd(c) */
#define HOST_SEND_CMD(h, c) do {					\
	struct buf l_;							\
	buf_init(&l_, 8192);						\
	host_send_built((h), deploy_cmd((c), &l_), &l_);		\
} while (0)
void	 host_end(struct host_run *, const char *state);
void	 host_fail(struct host_run *, int transport_err, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* The host ends "blocked": something outside kbfix undoes its change
 * (Group Policy); what kbfix changed stays journaled for rollback. */
void	 host_block(struct host_run *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 host_journal(struct host_run *, enum rollback_ev,
	    struct rollback_rec *);
int	 host_journal_ev(struct host_run *, enum rollback_ev, int action);
char	*host_res_text(const struct transport_result *);
char	*host_exit_text(enum winexit_tool, uint32_t code);
int	 host_pkg_present(const struct transport_result *, const char *kb,
	    char **identity, int *pending);
uint32_t host_dism_code(const struct transport_result *);
const struct plan_action *host_action(const struct host_run *);
char	*host_reg_target_data(const struct plan_action *);
int	 host_value_as_planned(const struct plan_action *,
	    const struct transport_result *);
void	 host_value_query(struct host_run *, const struct plan_action *);

/*
 * The steps, one function each (host.c's table): called with res NULL to
 * start, then with the answer to the command the step sent.
 */
typedef void host_step_fn(struct host_run *, const struct transport_result *);

host_step_fn	 host_connect;			/* host_prep.c */
host_step_fn	 host_preflight;
host_step_fn	 host_preflight_disk;
host_step_fn	 host_capture;
const char	*host_pkg_want(struct host_run *);	/* host_change.c:
					   the identity (or KB) dism lists */
host_step_fn	 host_workaround;		/* host_change.c */
host_step_fn	 host_workaround_set;
host_step_fn	 host_workaround_gpo;
host_step_fn	 host_upload;
host_step_fn	 host_upload_mkdir;
host_step_fn	 host_upload_send;
host_step_fn	 host_install;
host_step_fn	 host_install_expand;
host_step_fn	 host_install_add;
host_step_fn	 host_install_confirm;
host_step_fn	 host_reboot;			/* host_reboot.c */
host_step_fn	 host_reboot_issue;
host_step_fn	 host_reboot_retry;
host_step_fn	 host_wait;
host_step_fn	 host_verify;			/* host_verify.c */
host_step_fn	 host_verify_tcpip;
host_step_fn	 host_cleanup;
host_step_fn	 host_undo_remove;		/* host_undo.c */
host_step_fn	 host_undo_remove_dism;
host_step_fn	 host_undo_remove_confirm;
host_step_fn	 host_undo_restore;
host_step_fn	 host_undo_restore_set;
host_step_fn	 host_undo_verify;

/* run.c: a fresh run directory (bad input if it holds a run; 1: an
 * apply --limit of the same plan continues it), its lock, run.json after
 * a resume, --limit, RUN_DIR/retry */
int	 run_dir_prepare(struct engine *);
int	 run_lock(struct engine *);
int	 run_json_update(struct engine *);
int	 run_limit_load(struct engine *);
int	 run_limit_has(const struct engine *, const char *name);
int	 run_retry_write(struct engine *, const struct rollback_replay *);

/* runbook.c */
int	 runbook_write(struct engine *, const struct plan_host *);

#endif
