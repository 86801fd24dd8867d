/*
 * deploy internals shared by the engine's files (not a public header).
 */
#ifndef KBFIX_DEPLOY_INT_H
#define KBFIX_DEPLOY_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "deploy/deploy.h"
#include "plan/plan.h"
#include "rollback/rollback.h"
#include "transport/transport.h"
#include "util/util.h"

#define REMOTE_DIR	"C:\\Windows\\Temp\\kbfix"
#define REMOTE_SFTP_DIR	"/C:/Windows/Temp/kbfix"
#define TCPIP_PATH	"C:\\Windows\\System32\\drivers\\tcpip.sys"
#define REBOOT_PENDING_KEY "HKLM\\SOFTWARE\\Microsoft\\Windows\\" \
	"CurrentVersion\\Component Based Servicing\\RebootPending"
#define FREE_DISK_MIN	((uint64_t)500 << 20)	/* bytes on C: */

/* Bundle: the package file for a KB and an architecture. */
struct bundle_file {
	char	*kb;
	char	*arch;
	char	*name;		/* file name, e.g. windows6.1-kb...msu */
	char	*path;		/* local path */
	char	*package_cab;	/* the .cab inside, for dism */
	char	**hosts;
	size_t	 nhosts;
	uint64_t size;
};
struct bundle {
	struct bundle_file *files;
	size_t	 nfiles;
};
int	 bundle_read(const char *dir, struct bundle *);
void	 bundle_release(struct bundle *);
const struct bundle_file *bundle_find(const struct bundle *, const char *kb,
	    const char *host, const char *arch);

/* Output of Windows commands (FACTS.md section 4). */
char	*wo_text(const char *out, size_t len);	/* UTF-16LE -> ASCII */
int	 wo_value(const char *out, const char *name, char **val);
int	 wo_reg_value(const char *out, const char *name, char **type,
	    char **data);
int	 wo_dism_package(const char *out, const char *kb, char **identity,
	    char **state);
int	 wo_multicast(const char *out, int *enabled);
int	 wo_version_cmp(const char *a, const char *b);

/* Prior state of one thing a host run changes. */
struct prior {
	enum rollback_kind kind;
	char	*key, *value, *type, *data;	/* registry */
	int	 existed;
	char	*family;			/* multicast */
	int	 enabled;
	char	*kb, *identity;			/* package */
	int	 installed;
};

struct engine;

struct hostrun {
	struct engine		*e;
	const struct plan_host	*ph;
	size_t			 idx;
	int			 wave;
	int			 rollback;	/* running rollback steps */
	int			 auto_rb;	/* rollback after a failure */
	enum deploy_step	 step;
	size_t			 ai;		/* action cursor */
	int			 sub;
	struct transport_conn	*conn;
	void			(*k)(struct hostrun *,
				    const struct transport_result *);
	struct prior		*priors;
	size_t			 npriors;
	int			 captured;
	char			*boot_before;
	char			*identity;
	int			 reboot_needed;
	int			 removed;
	uint32_t		 dism_exit;
	int			 reboot_issued;
	int			 retries;
	int			 install_recorded;
	enum deploy_step	 wait_next;	/* 0: after_wait() */
	int			 uploaded;
	int			 group_held;
	int			 parked;	/* waiting for its group */
	int64_t			 deadline_ms;
	int64_t			 backoff_ms;
	char			*error;
	char			*first_error;
	const char		*endstate;
	int			 started, finished;
	const struct bundle_file *const *files;	/* per install action */
	size_t			 ninstall;
};

struct engine {
	struct deploy_opts	 o;
	struct plan		*plan;
	struct bundle		 bundle;
	struct transport	*tp;
	struct rollback_journal	*j;
	struct rollback_replay	 rp;
	struct rollback_log	 log;
	struct hostrun		*h;
	size_t			 nh;
	int			 nwaves, wave;
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
};

/* engine.c */
int	 eng_journal(struct engine *, struct rollback_rec *);
void	 eng_host_finished(struct hostrun *);
void	 eng_progress(struct engine *, struct hostrun *);
int64_t	 eng_now(void);		/* wall clock, seconds */

/* host*.c: what the engine calls */
void	 host_start(struct hostrun *);
void	 host_step(struct hostrun *, enum deploy_step);
void	 host_group_retry(struct engine *);
void	 host_release(struct hostrun *);

/*
 * Between the host*.c files.  host.c: dispatch, end states, journal and
 * command helpers, connect; host_prep.c: preflight, capture;
 * host_change.c: workaround, upload, install; host_reboot.c: reboot, wait;
 * host_verify.c: verify, cleanup, rollback remove, restore and verify.
 */
typedef void kont(struct hostrun *, const struct transport_result *);

void	 host_end(struct hostrun *, const char *state);
void	 host_fail(struct hostrun *, int transport_err, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	 host_jwrite(struct hostrun *, enum rollback_ev, struct rollback_rec *);
int	 host_jsimple(struct hostrun *, enum rollback_ev, int action);
void	 host_hx(struct hostrun *, const char *const argv[], kont *);
void	 host_hx2(struct hostrun *, const char *const a[],
	    const char *const b[], kont *);
char	*host_res_text(const struct transport_result *);
char	*host_exit_text(enum winexit_tool, uint32_t code);
int	 host_pkg_present(const struct transport_result *, const char *kb,
	    char **identity, int *pending);
uint32_t host_dism_code(const struct transport_result *);
const struct plan_action *host_act(struct hostrun *, size_t i);
char	*host_reg_target_data(const struct plan_action *);
int	 host_reg_equal(const char *type, const char *qdata,
	    const char *want);
int	 host_value_as_planned(const struct plan_action *,
	    const struct transport_result *);

void	 host_step_preflight(struct hostrun *);
void	 host_step_capture(struct hostrun *);
void	 host_priors_load(struct hostrun *, const struct rollback_host *);

void	 host_step_workaround(struct hostrun *);
void	 host_step_upload(struct hostrun *);
void	 host_step_install(struct hostrun *);
void	 host_work_query(struct hostrun *, const struct plan_action *,
	    kont *);

void	 host_step_reboot(struct hostrun *);
void	 host_step_wait(struct hostrun *);

void	 host_step_verify(struct hostrun *);
void	 host_step_cleanup(struct hostrun *);
void	 host_step_rb_remove(struct hostrun *);
void	 host_step_rb_restore(struct hostrun *);
void	 host_step_rb_verify(struct hostrun *);

/* runbook.c */
int	 runbook_write(struct engine *, struct hostrun *);

#endif
