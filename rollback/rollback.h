/*
 * rollback: the run journal (RUN_DIR/journal.jsonl) and what it tells about
 * each host (how far it got, how it ended, the prior state it recorded),
 * and the undo steps that put a host back to that prior state (below).
 * Depends on transport/ (command lines, Windows output), plan/ (the
 * registry rules of plan/domain.c) and util/.
 *
 * The journal is append-only, one JSON object a line.  Every record is
 * written with one write() on an O_APPEND descriptor and fsync'd before
 * rollback_journal_append() returns, so a crash leaves every record that
 * was reported written plus at most one torn last line, which
 * rollback_log_read() ignores (DESIGN.md "Run directory").  Record
 * format (fields absent when empty):
 *
 *   {"seq":7,"ts":"2026-11-21T13:00:00Z","ms":1795264800123,"ev":"intent",
 *    "host":"web01","step":"workaround","action":1, ...}
 *
 *   ms      the same time as ts in milliseconds (durations, benchmarks)
 *
 *   ev      begin | end        a run of apply, resume or rollback ("op");
 *                              begin names what the run does ("intent":
 *                              apply or rollback; a resume continues the
 *                              last one) and a rollback's --host ("host")
 *           lease              the host, whose reboot the run stopped
 *                              waiting for, was seen up: its reboot group
 *                              ("group") is free again
 *           intent             a remote change is about to start
 *           done | fail        a step finished ("error" on fail)
 *           prior              the state before any change (capture step):
 *                              kind registry {key,value,existed,type,data},
 *                              multicast {family,enabled},
 *                              package {kb,installed,identity}
 *           state              the host reached an end state ("state",
 *                              "error"): done, failed, drifted, deferred,
 *                              not-started, interrupted, manual,
 *                              rolled-back, rollback-failed
 *   group   on a reboot intent: the reboot group the host holds until
 *           it is seen up again (a reboot done or a lease record)
 *   boot    on reboot records: the boot time before ("boot") and after
 *           ("boot_after"), from wmic os get lastbootuptime
 *   clock   on a second reboot intent, once shutdown /r answered: the
 *           host's clock read in the same command line (wmic os get
 *           LocalDateTime); the new boot must be later (deploy's
 *           BOOT_DRIFT_US).  Older journals lack it: boot against boot.
 *   identity on install done: the dism package identity installed
 */
#ifndef KBFIX_ROLLBACK_H
#define KBFIX_ROLLBACK_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct transport_result;

enum rollback_ev {
	RB_EV_BEGIN,
	RB_EV_END,
	RB_EV_INTENT,
	RB_EV_DONE,
	RB_EV_FAIL,
	RB_EV_PRIOR,
	RB_EV_STATE,
	RB_EV_LEASE,
	RB_EV_N
};

enum rollback_kind {
	RB_KIND_NONE,
	RB_KIND_REGISTRY,
	RB_KIND_MULTICAST,
	RB_KIND_PACKAGE
};

/*
 * One record.  Strings are borrowed by rollback_journal_append() and owned
 * by the struct rollback_log after rollback_log_read().  seq and ts are
 * set by the writer.  action is the plan action index, -1 for none.
 * existed/enabled/installed are -1 when not set.
 */
struct rollback_rec {
	uint64_t		 seq;
	const char		*ts;
	int64_t			 at_ms;		/* wall clock, ms since 1970 */
	enum rollback_ev	 ev;
	const char		*op;
	const char		*intent;	/* begin: apply or rollback */
	const char		*host;
	const char		*step;
	const char		*state;
	const char		*group;		/* reboot group (lease) */
	const char		*error;
	int			 action;
	enum rollback_kind	 kind;
	const char		*key, *value, *type, *data;
	int			 existed;
	const char		*family;
	int			 enabled;
	const char		*kb, *identity;
	int			 installed;
	const char		*boot, *boot_after;
	const char		*clock;		/* host clock at shutdown */
};

void		 rollback_rec_init(struct rollback_rec *);

/*
 * Appending.  rollback_journal_open() creates RUN_DIR/journal.jsonl if
 * needed and continues its sequence numbers; a torn last line left by a
 * crash is cut off first (it never reached fsync, so nothing relied on it).
 * rollback_journal_append() sets seq and ts, writes and fsyncs; -1 with
 * err_set() when the write or fsync fails (the part written is cut off,
 * the message has the failing write's errno: ENOSPC on a full disk) or
 * when the reader would refuse the record (a prior rollback_prior_check()
 * refuses, a malformed identity); the run must then stop: a change
 * without its record could not be undone.
 */
struct rollback_journal;
struct rollback_journal *rollback_journal_open(const char *run_dir);
int		 rollback_journal_append(struct rollback_journal *,
		    struct rollback_rec *);
uint64_t	 rollback_journal_count(const struct rollback_journal *);
void		 rollback_journal_close(struct rollback_journal *);

/*
 * Reading.  rollback_log_parse() reads journal text and checks every
 * record (numbers whole, strings strings, priors as
 * rollback_prior_check() says); a last line without its newline that
 * starts like a record ({"seq":) is a torn write, ignored and counted in
 * torn; any other bad line, the last one included, is an error naming the
 * line.
 */
struct rollback_log {
	struct rollback_rec	*recs;
	size_t			 nrecs;
	int			 torn;
};

int		 rollback_log_parse(const char *name, const char *text,
		    size_t len, struct rollback_log *);
int		 rollback_log_read(const char *run_dir, struct rollback_log *);
void		 rollback_log_release(struct rollback_log *);

/*
 * Replay: the journal folded into one struct per host, in order of first
 * appearance.  Pointers point into the log, which must outlive the replay.
 *   state   the last end state, or "running" when the host has records but
 *           no end state since the last begin of a run touching it, or
 *           "interrupted" when that run ended (begin/end) without one
 *   step    the last step completed (done); inflight: a step with an
 *           intent and no outcome yet (a crash in the middle of a change)
 *   priors  the first capture only: a resumed run never overwrites the
 *           state that existed before kbfix touched the host
 */
struct rollback_host {
	const char		*name;
	const char		*state;
	const char		*step;
	const char		*inflight;
	const char		*error;
	const struct rollback_rec **priors;
	size_t			 npriors;
	const char		*identity;	/* installed package identity */
	const char		*reboot_boot;	/* boot time before an
						   unfinished reboot, or NULL */
	const char		*reboot_step;	/* its step: reboot or
						   rb-reboot */
	const char		*reboot_clock;	/* the host's clock when it
						   was asked, or NULL */
	int			 rebooted;	/* a reboot completed */
	int			 installed;	/* install step done */
	int			 install_started;	/* an install intent */
	int			 reboot_needed;	/* install said so, no reboot
						   since */
	int			 undoing;	/* its last step was an undo
						   step (rb-*) */
	const char		*lease_group;	/* reboot group held: a reboot
						   began and the host was not
						   seen up since */
	const char		*lease_boot;	/* boot time before it */
	const char		*lease_clock;	/* the host's clock then */
	int64_t			 reboot_ms;	/* when the unfinished reboot
						   was asked for */
	const char		**done;		/* steps done, in order */
	size_t			 ndone;
};

struct rollback_replay {
	struct rollback_host	*hosts;
	size_t			 nhosts;
	int			 open_run;	/* last begin without end */
	const char		*last_op;
	/* what the runs are doing: "apply" or "rollback" (the last begin
	 * with an intent; older journals: its op unless "resume"), and the
	 * one host a rollback --host was given (NULL: all) */
	const char		*intent;
	const char		*intent_host;
	/* hosts by name (replay.c): open addressing, index + 1, 0 empty;
	 * replay and lookup stay linear in hosts */
	size_t			*slots;
	size_t			 nslots;	/* a power of two */
	size_t			 cap;		/* room in hosts */
};

int		 rollback_replay(const struct rollback_log *,
		    struct rollback_replay *);
void		 rollback_replay_release(struct rollback_replay *);
const struct rollback_host *rollback_replay_host(
		    const struct rollback_replay *, const char *name);
int		 rollback_host_done(const struct rollback_host *, const char *step);

/* status output: a text table or a JSON document (format kbfix-status/1). */
int		 rollback_status_text(const struct rollback_replay *,
		    struct buf *);
int		 rollback_status_json(const struct rollback_replay *,
		    const char *run_dir, struct buf *);

/*
 * Undo (undo.c): the prior state of each thing a run changes, and the
 * steps that put it back.  What kbfix undoes is only what it changed: the
 * packages the capture found absent (removed first), then registry values
 * and multicast forwarding in reverse order, then each is checked back.
 * These functions build the command lines (through transport_cmdline())
 * and judge the hosts' answers; deploy's host machine sends them, one
 * command a step, and journals around them.  Every judgement is made on a
 * fresh read of the host, so an undo step may be repeated after a crash.
 */
struct rollback_prior {
	enum rollback_kind kind;
	char	*key, *value, *type, *data;	/* registry */
	int	 existed;
	char	*family;			/* multicast */
	int	 enabled;
	char	*kb, *identity;			/* package */
	int	 installed;
	int	 kept;		/* changed by someone since kbfix set it:
				   left as it is (undo without --force) */
};

/* Priors of one host, in capture order; strings owned by the list. */
struct rollback_priors {
	struct rollback_prior	*p;
	size_t			 n;
};

/* Adds p (its strings now owned by the list). */
void	 rollback_priors_add(struct rollback_priors *, struct rollback_prior *);
/* The host's priors from the journal, the first record of each thing. */
void	 rollback_priors_load(struct rollback_priors *,
	    const struct rollback_host *);
void	 rollback_priors_release(struct rollback_priors *);
void	 rollback_prior_release(struct rollback_prior *);
/* p as a journal record (ev prior); strings borrowed from p. */
void	 rollback_prior_rec(const struct rollback_prior *,
	    struct rollback_rec *);

/*
 * Reading a thing's state: rollback_prior_query() is the command (reg
 * query, netsh show global, dism /get-packages) for p's thing;
 * rollback_prior_read() fills p's state fields from its answer (-1,
 * err_set, when netsh printed no multicast line).
 */
int	 rollback_prior_query(const struct rollback_prior *, struct buf *line);
int	 rollback_prior_read(struct rollback_prior *,
	    const struct transport_result *);

/*
 * 0 when a prior record holds what undo can put back: a registry value
 * under HKLM (plan_valid_regkey, plan_valid_regvalue) that existed as
 * REG_DWORD or REG_SZ with matching data, or did not exist (no type, no
 * data); multicast ipv4 or ipv6 with enabled; a package with its KB,
 * installed and a well-formed identity.  Else -1, err_set() naming the
 * field.  Capture checks what it read the same way before journaling it.
 */
int	 rollback_prior_check(const struct rollback_rec *);
/* 1: s is a dism package identity ([A-Za-z0-9_~.-], 1..255). */
int	 rollback_identity_valid(const char *s);

/* 1: kbfix changed this thing and undoes it (not a package that was
 * installed before the run). */
int	 rollback_prior_undoable(const struct rollback_prior *);
/* 1: the answer to rollback_prior_query() shows the thing as p says. */
int	 rollback_prior_holds(const struct rollback_prior *,
	    const struct transport_result *);
/* p's state as an operator reads it: "REG_DWORD 0x1", "absent",
 * "enabled", "disabled", "installed", "not installed". */
void	 rollback_prior_describe(const struct rollback_prior *, struct buf *);
/* Put a registry value or the multicast state back, then query it. */
int	 rollback_restore_cmd(const struct rollback_prior *, struct buf *line);
/* dism /remove-package of an installed package identity. */
int	 rollback_remove_cmd(const char *identity, struct buf *line);
/*
 * After the removal, from dism /get-packages: 1 gone (also Uninstall
 * Pending, which sets *reboot), 0 still Installed or Install Pending
 * (*state: as printed, to free).
 */
int	 rollback_package_gone(const struct rollback_prior *,
	    const struct transport_result *, int *reboot, char **state);

/* reg query prints a DWORD as 0x1: REG_DWORD and REG_QWORD compare as
 * numbers, other types as text. */
int	 rollback_reg_equal(const char *type, const char *qdata,
	    const char *want);

#endif
