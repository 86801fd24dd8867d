/*
 * Private to plan/: the arena that holds the strings and arrays of
 * inventories and built plans (arena.c), and the engine's per-advisory
 * result (engine.c), used by the plan builder and explain (build.c).
 */
#ifndef KBFIX_PLAN_ENGINE_H
#define KBFIX_PLAN_ENGINE_H

#include <stddef.h>

#include "plan/plan.h"

/*
 * arena.c: a bump allocator (struct plan.arena, struct
 * plan_inventory.arena); everything is freed at once by plan_arena_free().
 * plan_arena_alloc() returns zeroed memory aligned for any member;
 * plan_arena_intern() returns the arena's one copy of a string.
 */
struct plan_arena *plan_arena_new(void);
void	*plan_arena_alloc(struct plan_arena *, size_t);
char	*plan_arena_strdup(struct plan_arena *, const char *);
char	*plan_arena_intern(struct plan_arena *, const char *);
void	 plan_arena_free(struct plan_arena *);

/* groups.c: the plan's reboot groups, budgets and waves (plan_build()). */
void	 plan_groups_assign(const struct plan_inventory *, struct plan *);

struct plan_eval {
	struct plan_arena	*arena;		/* reason and tcpip_min live here */
	const struct advisory	*adv;
	enum plan_state		 state;
	char			*reason;	/* in arena */
	const char		*kb;		/* install this, or NULL */
	char			*tcpip_min;	/* file version it brings (hotfix) */
	const char		*result_branch;	/* "ldr" */
	const struct advisory_target *target;	/* hotfix build */
	const char		*covered_by;	/* another install brings the fix */
	int			 workaround;	/* plan the advisory's workaround */
};

/*
 * plan_eval_run() sets every member of *e from the advisory and the host
 * alone; plan_eval_cover() then marks the installs another one covers.
 */
void	 plan_eval_run(struct plan_eval *, struct plan_arena *,
	    const struct advisory *,
	    const struct plan_inv_host *, const struct advisory_set *,
	    const struct plan_options *);
void	 plan_eval_cover(struct plan_eval *, size_t);
const char *plan_channel_infer(const struct advisory_set *,
	    const struct plan_inv_host *, const char **why_kb);

/*
 * plan_doc.c: the first key given twice in one object of a JSON value
 * (cJSON), at any depth, or NULL.  Readers refuse such documents: JSON
 * readers disagree on which of the two counts (cJSON and we took the
 * first, jq and Python the last).
 */
#define PLAN_JSON_KEYS_MAX	1024
#define PLAN_JSON_KEYS_MAX_S	"1024"
struct cJSON;
const char	*plan_json_dup_key(const struct cJSON *);

/*
 * inventory_evidence.c: the one reader of a host's "evidence" member (the
 * inventory's and the plan's).  Strings in ar, or malloc'd when ar is
 * NULL (plan_evidence_release() then frees them, also after -1).  0, or
 * -1 with what is wrong in msg ("events[2].bugcheck: must be ...").
 * plan_evidence_copy() copies src into a built plan's arena.
 */
int	 plan_evidence_read(const struct cJSON *, struct plan_arena *ar,
	    struct plan_evidence *, char *msg, size_t msglen);
void	 plan_evidence_copy(struct plan_arena *ar, struct plan_evidence *dst,
	    const struct plan_evidence *src);

/*
 * load.c: the data files of a reader (advisory.c, supersede.c).  add()
 * parses one file (name is used in its messages) and adds it to ctx; -1
 * with err_set() stops the load.  plan_load_dir() reads the *.json files
 * of dir in name order, each at most max bytes ("DIR: no *.json WHAT
 * files" when there is none); plan_load_embedded() reads the files
 * embedded at build time (tools/embed.c) and prefixes "built-in WHAT " to
 * a failure.
 */
struct plan_embedded {
	const char	*name;
	const char	*data;
	size_t		 len;
};

typedef int plan_load_fn(void *ctx, const char *name, const char *buf,
    size_t len);

int	 plan_load_dir(const char *dir, size_t max, const char *what,
	    plan_load_fn *add, void *ctx);
int	 plan_load_embedded(const struct plan_embedded *, size_t n,
	    const char *what, plan_load_fn *add, void *ctx);

#endif
