/*
 * Inside plan/report*.c: the figures and the planned schedule every plan
 * report draws from (so that text, Markdown and HTML say the same).
 */
#ifndef KBFIX_PLAN_REPORT_INT_H
#define KBFIX_PLAN_REPORT_INT_H

#include "plan/plan.h"

struct rpt_totals {
	size_t	 status[PLAN_NSTATUS];
	size_t	 reboots, actions, waves;
	int64_t	 duration_s;	/* waves one after another, hosts in parallel */
};

/*
 * The planned schedule: the plan's waves one after another, the hosts of
 * a wave in parallel, a wave as long as its longest host estimate (what
 * apply does with its defaults, the canary aside).  Times are seconds
 * from the start of the window (or of the run when the plan has none).
 */
struct rpt_wave {
	int	 wave;
	int64_t	 start_s, end_s;
	size_t	 nhosts, nreboots, nmanual;
	const char **roles;	/* distinct roles of its hosts, plan's strings */
	size_t	 nroles;
	const char **groups;	/* distinct reboot groups */
	size_t	 ngroups;
};

struct rpt_sched {
	struct rpt_wave *waves;
	size_t	 nwaves;
	int64_t	 t0;		/* window start (epoch), or -1 */
	int64_t	 end_s;		/* end of the last wave */
	size_t	 largest;	/* index of the wave with most hosts */
};

/* A host's estimate as work (workarounds, installs), reboot and verify. */
struct rpt_phases {
	int64_t	 work_s, reboot_s, verify_s;
};

void	 rpt_totals(const struct plan *, struct rpt_totals *);
/*
 * Advisory i's evidence counts as "tcpip-2018-07: 1 experiencing, ..."
 * appended to b: 1, or 0 (nothing appended) when no host of the plan has
 * evidence or none is counted for it.
 */
int	 rpt_evidence_line(const struct plan *, size_t i, struct buf *b);
void	 rpt_action_text(const struct plan_action *, struct buf *);
/* A host's actions on one line, comma-separated ("-" for none). */
void	 rpt_actions_line(const struct plan_host *, struct buf *);
void	 rpt_window_line(const struct plan *, const struct rpt_totals *,
	    struct buf *);
void	 rpt_groups_line(const struct plan *, struct buf *,
	    int (*name)(struct buf *, const char *));
void	 rpt_sched_build(const struct plan *, struct rpt_sched *);
void	 rpt_sched_release(struct rpt_sched *);
const struct rpt_wave *rpt_sched_wave(const struct rpt_sched *, int wave);
int	 rpt_host_scheduled(const struct plan_host *);
void	 rpt_host_phases(const struct plan_host *, struct rpt_phases *);
/* "2026-11-21T22:00:00Z" or, offset given, "23:00 (+01:00)" forms. */
void	 rpt_time_utc(int64_t epoch, char out[26]);
void	 rpt_time_local(int64_t epoch, int off_s, char out[26]);
/* The plan's SHA-256: of its file when given, else of plan_write_json. */
void	 rpt_plan_sha256(const struct plan *, const char *given, char out[65]);

/*
 * A text table row folded to its columns: cell i takes width[i]
 * characters a line (the last may be 0: the rest of 100 columns), longer
 * cells continue on the next lines, broken at a space where there is one.
 * Cells are written through buf_add_term().
 */
#define RPT_TEXT_COLS	100
void	 rpt_text_row(struct buf *, const char *const *cells,
	    const int *width, size_t n, const char *sgr);
/* The SGR sequence that starts a row in colour c, or NULL (ctx->color 0). */
enum rpt_color { RPT_NONE, RPT_RED, RPT_YELLOW, RPT_BLUE, RPT_GREEN };
const char *rpt_color(const struct plan_report_ctx *, enum rpt_color);
/* "45s", "12m", "1h05m": a duration for a table cell. */
void	 rpt_duration(int64_t seconds, char out[16]);

extern const char rpt_css[];	/* the pages' style sheet */

void	 rpt_markdown(const struct plan *, const struct plan_report_ctx *,
	    struct buf *);
void	 rpt_html(const struct plan *, const struct plan_report_ctx *,
	    struct buf *);

#endif
