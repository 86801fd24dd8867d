/*
 * plan: inventories in, remediation plans out.
 *
 * This header starts with the plan document (format "kbfix-plan/1", see
 * DESIGN.md "Plan"), the contract between `plan` and the commands that read
 * a plan (`fetch`, `apply`, `export`).  plan_read() parses and validates a
 * plan file; plan_write_json() writes one.  All strings are owned by the
 * struct plan and freed by plan_free().
 *
 * Fields beyond DESIGN.md's example (address, port, user, transport, os,
 * version, arch, group, estimate_s on hosts; window on the plan; advisory and
 * tcpip_min on installs) are optional and documented in README.md.
 */
#ifndef KBFIX_PLAN_H
#define KBFIX_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define PLAN_FORMAT	"kbfix-plan/1"

enum plan_status {		/* host status, in precedence order */
	PLAN_NEEDS_ACTION,
	PLAN_BLOCKED,
	PLAN_UNKNOWN,
	PLAN_COMPLIANT,
	PLAN_NOT_APPLICABLE,
	PLAN_NSTATUS
};

enum plan_state {		/* finding state */
	FINDING_AFFECTED,
	FINDING_FIXED,
	FINDING_NOT_AFFECTED,
	FINDING_UNKNOWN,
	FINDING_BLOCKED,
	FINDING_NSTATE
};

enum plan_action_kind {		/* in the order a host carries them out */
	ACTION_REGISTRY,
	ACTION_MULTICAST,
	ACTION_INSTALL,
	ACTION_REBOOT,
	ACTION_VERIFY
};

struct plan_finding {
	char		*advisory;
	enum plan_state	 state;
	char		*reason;
};

struct plan_action {
	enum plan_action_kind kind;
	/* install */
	char		*kb;		/* "KB4345459" */
	char		*advisory;	/* NULL when not recorded */
	char		*tcpip_min;	/* tcpip.sys version to verify, or NULL */
	/* registry: key "HKLM\\Software\\...", value name, type REG_DWORD|REG_SZ */
	char		*key;
	char		*value;
	char		*type;
	char		*data_str;	/* REG_SZ data, else NULL */
	uint32_t	 data_num;	/* REG_DWORD data */
	/* multicast-forwarding */
	char		*family;	/* "ipv4" or "ipv6" */
	int		 enabled;	/* target state */
};

struct plan_host {
	char		*name;
	char		*address;	/* NULL: same as name */
	int		 port;		/* 0: 22 */
	char		*user;		/* NULL: default */
	char		*transport;	/* "ssh" or "manual" */
	char		*os;		/* normalised product, e.g. "Windows 7" */
	char		*version;	/* build as planned, e.g. "6.1.7601" */
	char		*arch;		/* x86, x64, ia64 */
	char		*group;		/* reboot group or NULL */
	int		 wave;		/* 0: none assigned */
	int		 estimate_s;	/* estimated duration, reboot included */
	enum plan_status status;
	struct plan_finding *findings;
	size_t		 nfindings;
	struct plan_action *actions;
	size_t		 nactions;
};

struct plan_package {
	char		*kb;
	char		*product;	/* as the Catalog names it: "Windows 7" */
	char		*arch;
	char		**hosts;
	size_t		 nhosts;
};

struct plan_advisory {
	char		*id;
	char		*title;
};

struct plan {
	char		*created;	/* ISO 8601 */
	char		*window_start;	/* NULL when no window */
	int64_t		 window_duration_s;
	struct plan_advisory *advisories;
	size_t		 nadvisories;
	struct plan_package *packages;
	size_t		 npackages;
	struct plan_host *hosts;
	size_t		 nhosts;
};

const char	*plan_status_name(enum plan_status);
const char	*plan_state_name(enum plan_state);
const char	*plan_action_name(enum plan_action_kind);
int		 plan_status_parse(const char *, enum plan_status *);

/*
 * plan_parse() reads a plan document from a buffer; name is used in error
 * messages ("plan.json: hosts[3].actions[0].kb: ...").  plan_read() reads a
 * file (at most 1 GiB).  Both return NULL with err_set() on bad input.
 */
struct plan	*plan_parse(const char *name, const char *buf, size_t len);
struct plan	*plan_read(const char *path);
void		 plan_free(struct plan *);
int		 plan_write_json(const struct plan *, struct buf *);
const struct plan_host *plan_host_find(const struct plan *, const char *name);

/* Validators shared by readers and by transport callers. */
int		 plan_valid_hostname(const char *);	/* [A-Za-z0-9._-]{1,63} */
int		 plan_valid_kb(const char *);		/* KB[0-9]{6,7} */
int		 plan_valid_regkey(const char *);	/* HKLM\... plain chars */
int		 plan_valid_regvalue(const char *);

#endif
