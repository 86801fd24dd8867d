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
	PLAN_EXPOSED,		/* a hotfix withheld: no evidence (--hotfix-policy) */
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
	FINDING_EXPOSED,	/* affected, the hotfix withheld without evidence */
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
	/* the Group Policy Preferences setting that may set the value back
	 * (apply runs gpupdate and reads it again), or NULL */
	char		*group_policy;
	/* multicast-forwarding */
	char		*family;	/* "ipv4" or "ipv6" */
	int		 enabled;	/* target state */
};

/*
 * A host's evidence (issue 12), as discover read it from the event logs
 * and as the inventory and the plan carry it (README "Inventory"
 * "evidence"): per event that points to an advisory, only the named
 * fields (no message text), PLAN_EVIDENCE_MAX events at most (the
 * discover cap of a log, TRANSPORT_WINEVENT_MAX), the window read (since
 * to read_at, Unix seconds) and whether the log could not be read.
 * present 0: not read (no evidence member).
 */
#define PLAN_EVIDENCE_MAX	1000
#define PLAN_EVIDENCE_NAME_MAX	63	/* provider, module, service */
#define PLAN_EVIDENCE_ERROR_MAX	300

struct plan_evidence_event {
	char		*advisory;	/* advisory id */
	int64_t		 time;		/* Unix seconds, UTC */
	uint32_t	 id;		/* event id */
	char		*provider;	/* "Microsoft-Windows-WER-SystemErrorReporting" */
	uint32_t	 bugcheck;	/* 0: none */
	char		*module;	/* Application Error's faulting module, or NULL */
	char		*service;	/* Service Control Manager's service, or NULL */
};

struct plan_evidence {
	int		 present;
	int		 unknown;	/* a log could not be read */
	char		*error;		/* unknown: why, or NULL */
	int		 capped;	/* a log gave its cap: older ones not read */
	int64_t		 since, read_at; /* Unix seconds */
	struct plan_evidence_event *events;	/* newest first */
	size_t		 nevents;
};

/*
 * plan/inventory_evidence.c.  plan_evidence_write() appends ev as the
 * "evidence" JSON object (one line; README "Inventory").
 * plan_evidence_count(): ev's events that point to advisory.
 * plan_evidence_sentence(): what a finding of advisory says about ev, the
 * one wording every report uses: "experiencing: 3 bug checks 0xD1 in the
 * last 30 days (latest 2026-11-28T03:12Z)", "exposed, no crash seen in
 * the last 30 days", "evidence unknown: the System log could not be read
 * (...)"; nothing when ev is not present.
 * plan_evidence_counts(): per advisory, the plan's hosts with events
 * pointing to it (experiencing), and of the others the hosts it affects
 * (finding affected, exposed, blocked or unknown) with evidence read and
 * no event (exposed) or with no evidence / a log not read (unknown);
 * plan_evidence_known(): some host of the plan has evidence (the reports
 * show the counts only then); _counts_text(): "2 experiencing, 1 exposed
 * (no crash seen), 0 evidence unknown".
 */
struct plan;
struct plan_evidence_counts {
	size_t		 experiencing, exposed, unknown;
};
int		 plan_evidence_write(const struct plan_evidence *, struct buf *);
size_t		 plan_evidence_count(const struct plan_evidence *,
		    const char *advisory);
void		 plan_evidence_sentence(const struct plan_evidence *,
		    const char *advisory, struct buf *);
int		 plan_evidence_known(const struct plan *);
void		 plan_evidence_counts(const struct plan *, const char *advisory,
		    struct plan_evidence_counts *);
void		 plan_evidence_counts_text(const struct plan_evidence_counts *,
		    struct buf *);
void		 plan_evidence_release(struct plan_evidence *);

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
	char		**roles;	/* the inventory's roles (services) */
	size_t		 nroles;
	int		 wave;		/* 0: none assigned */
	int		 estimate_s;	/* estimated duration, reboot included */
	enum plan_status status;
	struct plan_finding *findings;
	size_t		 nfindings;
	struct plan_action *actions;
	size_t		 nactions;
	struct plan_evidence evidence;	/* the inventory's, or present 0 */
};

struct plan_package {
	char		*kb;
	char		*product;	/* as the Catalog names it: "Windows 7" */
	char		*arch;
	/* the Catalog / WSUS classification when the advisory gives it
	 * ("Updates": a WSUS that does not sync it never offers the
	 * package), or NULL */
	char		*classification;
	char		**hosts;
	size_t		 nhosts;
};

struct plan_advisory {
	char		*id;
	char		*title;
	char		*kb;		/* KB article, or NULL */
};

/*
 * A reboot group of the plan (issue 14): at most max_unavailable of its
 * members reboot at once (resolved from the inventory's "groups": a count,
 * or percent % of its members rounded down, at least 1; default 1).
 * members counts the plan's hosts of the group.  Sorted by name.
 */
struct plan_group {
	char		*name;
	int		 max_unavailable;
	int		 members;
	int		 percent;	/* 25 for "25%"; 0: a count or the default */
};

struct plan_arena;

struct plan {
	char		*created;	/* ISO 8601 */
	char		*window_start;	/* NULL when no window */
	int64_t		 window_duration_s;
	int		 window_offset_s; /* the window's UTC offset, as given */
	struct plan_advisory *advisories;
	size_t		 nadvisories;
	struct plan_package *packages;
	size_t		 npackages;
	struct plan_host *hosts;
	size_t		 nhosts;
	struct plan_group *groups;	/* every group a host names, by name */
	size_t		 ngroups;
	/*
	 * Plans from plan_build() keep their strings, hosts, findings and
	 * actions in an arena (the packages and their host arrays are
	 * malloc'd; package host names point to the hosts' names): do not
	 * free() or replace their strings one by one.  Parsed plans have
	 * arena NULL and own every string.  plan_free() knows which.
	 */
	struct plan_arena *arena;
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
/*
 * The same document handed to sink a piece at a time (a few MB at most in
 * memory); sink returns 0 or -1 with err_set().  plan_write_json() is this
 * with a sink appending to the buffer.
 */
typedef int	(*plan_sink_fn)(void *arg, const char *data, size_t len);
int		 plan_write_json_stream(const struct plan *, plan_sink_fn,
		    void *arg);
const struct plan_host *plan_host_find(const struct plan *, const char *name);
/*
 * Reboot groups (plan/groups.c): a group's entry, or NULL (a plan written
 * before budgets: its budget is 1); plan_group_budget() is its
 * max_unavailable, 1 for a group the plan does not list.
 */
const struct plan_group *plan_group_find(const struct plan *,
		    const char *name);
int		 plan_group_budget(const struct plan *, const char *name);
/* 1: the host has an action of that kind (a reboot, an install...). */
int		 plan_host_has(const struct plan_host *, enum plan_action_kind);

/* Validators shared by readers and by transport callers. */
int		 plan_valid_hostname(const char *);	/* [A-Za-z0-9][A-Za-z0-9._-]{0,62} */
/* Host names, IPv4 and IPv6 addresses, up to 253 characters, no leading '-' */
int		 plan_valid_address(const char *);
/* "ops", "CORP\ops", "ops@corp.example.com": letters, digits, . _ - and
 * one \ or @, starting with a letter or digit (it reaches ssh command
 * lines and Ansible inventories) */
int		 plan_valid_user(const char *);
/* An advisory id as advisory files write it: 1-64 of [a-z0-9-] (inventory.c) */
int		 plan_valid_advisory_id(const char *);


/*
 * Inventory (DESIGN.md "Inventory"): JSON, CSV with the same field names,
 * or an Active Directory export CSV.  Readers normalise as they read: the
 * product name (plan_norm_os), the build (plan_norm_version), the
 * architecture, KB ids (upper case), file names (lower case) and registry
 * paths (plan_norm_regpath), and validate names, KB ids, versions and
 * registry paths.  A fact the inventory does not give stays "absent"
 * (NULL, -1 or has_* = 0): the engine reports it unknown, never guesses.
 */
#define PLAN_INVENTORY_MAX	((size_t)256 << 20)	/* bytes */

struct plan_inv_file {
	char		*name;		/* lower case: "tcpip.sys" */
	char		*version;	/* "6.1.7600.16385" */
};

struct plan_inv_reg {
	char		*path;		/* normalised, plan_norm_regpath() */
	int		 is_num;
	uint32_t	 num;		/* REG_DWORD */
	char		*str;		/* REG_SZ when !is_num */
};

struct plan_inv_host {
	char		*name;
	char		*address, *user, *transport, *group;	/* or NULL */
	int		 port;		/* 0: not given */
	int		 wave;		/* 0: not given */
	char		*os_raw;	/* as written in the inventory, or NULL */
	const char	*product;	/* normalised product, static, or NULL
					 * (os absent or not a product kbfix
					 * knows: os_raw says which) */
	char		*version;	/* "10.0.17134.165": major.minor.build and
					 * the build revision (UBR) when known,
					 * or NULL */
	const char	*arch;		/* "x86", "x64", "ia64", "arm64" or NULL */
	char		*channel;	/* security-only, monthly-rollup or NULL */
	char		**installed;	/* KB ids, upper case */
	size_t		 ninstalled;
	int		 has_installed;
	struct plan_inv_file *files;
	size_t		 nfiles;
	int		 has_files;
	struct plan_inv_reg *registry;
	size_t		 nregistry;
	int		 has_registry;
	int		 multicast;	/* -1 absent, 0, 1 */
	int		 wfp_drivers;	/* -1 absent */
	int		 pending_reboot; /* -1 absent, 0, 1 (discover) */
	int		 shared_address; /* 1: the address (and port) is shared
					  * with other hosts on purpose */
	char		**roles;
	size_t		 nroles;
	/*
	 * Facts that contradict each other ("version 6.3.9600 is not a
	 * build of Windows 7"): every finding of the host is unknown with
	 * this text; the rest of the inventory is planned.  NULL when none.
	 */
	char		*fact_error;
	/*
	 * Servicing level and operator facts (issue 11): the version of the
	 * highest installed Package_for_RollupFix ("7601.24168.1.5"), KB ids
	 * DISM lists as Superseded (evidence of the level reached, never an
	 * update to install), the UI language (BCP 47, "de-DE"), advisory
	 * ids the operator says the host experiences, and the signals behind
	 * pending_reboot ("CBS RebootPending").  Absent: NULL / has_* = 0.
	 */
	char		*rollup;
	char		**superseded;
	size_t		 nsuperseded;
	int		 has_superseded;
	char		*ui_language;
	char		**experiencing;
	size_t		 nexperiencing;
	int		 has_experiencing;
	char		**pending_reboot_reasons;
	size_t		 npending_reboot_reasons;
	int		 has_pending_reboot_reasons;
	struct plan_evidence evidence;	/* discover's, or present 0 */
	int		 line;		/* CSV: first line of its record; JSON: 0 */
	size_t		 src;		/* its place among the document's hosts
					   (JSON element, CSV record), counting
					   those --skip-invalid left out */
	/*
	 * What discover learns beyond the planner's facts (the readers do
	 * not fill them; plan ignores them): absent is NULL / has_* = 0.
	 */
	char		**registry_absent;	/* plan_norm_regpath() paths */
	size_t		 nregistry_absent;
	int		 has_registry_absent;
	char		**pending_updates;	/* KB ids or DISM package ids */
	size_t		 npending_updates;
	int		 has_pending_updates;
	char		*last_boot;	/* ISO 8601 */
	char		*discovered;	/* ISO 8601 */
	/* fields set by plan_inv_host_set*(), which the writer writes as
	 * the record says even when the document says the same otherwise */
	unsigned	 edited;
};

/*
 * The inventory's "groups" object, as given: {"web": {"max_unavailable":
 * 10}} or "25%".  count or percent is set, the other 0.
 */
struct plan_inv_group {
	char		*name;
	int		 count;
	int		 percent;	/* 1 to 100 */
};

struct plan_arena;

struct plan_inventory {
	char		*name;		/* file name */
	struct plan_arena *arena;	/* every host string and array */
	struct plan_inv_host *hosts;
	size_t		 nhosts;
	struct plan_inv_group *groups;	/* JSON "groups", in the arena */
	size_t		 ngroups;
	/* messages for the user (stderr), in the arena */
	char		**warnings;	/* addresses shared on purpose */
	size_t		 nwarnings;
	char		**skipped;	/* PLAN_INV_SKIP_INVALID: every bad host */
	size_t		 nskipped;
};

/*
 * plan_inventory_parse() reads an inventory from a buffer (JSON when the
 * first non-blank byte is '{', else CSV; an AD export is recognised by its
 * header); name is used in messages ("inv.csv: line 4: ...",
 * "inv.json: hosts[2] (web01).port: ...").  plan_inventory_read() reads a
 * file of at most PLAN_INVENTORY_MAX bytes.  NULL with err_set().
 */
struct plan_inventory *plan_inventory_parse(const char *name, const char *buf,
		    size_t len);
struct plan_inventory *plan_inventory_read(const char *path);
/*
 * With PLAN_INV_SKIP_INVALID a host (JSON element, CSV record) with a bad
 * field or a duplicate name or address is left out and its message added
 * to inv->skipped, every one of them; what cannot be read at all (syntax,
 * CSV header, file) is still refused.  Host names are unique regardless
 * of case; two hosts on one address and port are refused unless both say
 * shared_address: true (then inv->warnings says so).
 */
#define PLAN_INV_SKIP_INVALID	0x1
struct plan_inventory *plan_inventory_parse_flags(const char *name,
		    const char *buf, size_t len, unsigned flags);
struct plan_inventory *plan_inventory_read_flags(const char *path,
		    unsigned flags);
void		 plan_inventory_free(struct plan_inventory *);
const struct plan_inv_host *plan_inventory_find(const struct plan_inventory *,
		    const char *name);
/*
 * The one inventory writer.  plan_inventory_write() appends inv's hosts to
 * out as an inventory JSON document.  orig (len bytes) is the document inv
 * was read from, or NULL:
 *  - orig is JSON: the document is orig with each host object edited, so
 *    every member a record does not own (unknown fields such as "notes" or
 *    a simulator's "winsim", top-level members such as "defaults") and the
 *    order of members are kept.  A field is written only when the
 *    record's value differs from what reading orig gives (the operator's
 *    spelling of an unchanged value stays, a value the defaults give stays
 *    with the defaults); it is replaced in place, or appended to the host.
 *    In "files" and "registry" each member is edited alone.
 *  - orig is CSV or an AD export, or NULL: the hosts are written from the
 *    records (name first, defaults folded, normalised values, absent facts
 *    left out).  CSV columns the reader does not know are not kept.
 * A host is one line; plan_inventory_parse() reads the result back as
 * inv's hosts.  -1 with err_set() when orig does not match inv or out is
 * full.
 */
int		 plan_inventory_write(const struct plan_inventory *inv,
		    const char *orig, size_t len, struct buf *out);

/*
 * Editing the hosts of a parsed inventory (discover): the readers' checks
 * and normalisation (KB ids upper case, file names lower case, registry
 * paths plan_norm_regpath()), so that what is written is read back.
 * Strings and arrays are new copies in inv (arrays shared between hosts by
 * the defaults are never changed in place), so a copy of the struct taken
 * before editing restores the host, as a caller must after -1 (the host
 * may be half edited).  0, or -1 with err_set("HOST: FIELD: ...").
 *
 * plan_inv_host_set(): a string field by its JSON name (address, user,
 * transport, group, os, version, arch, channel, rollup, ui_language,
 * last_boot, discovered);
 * plan_inv_host_check() then runs the checks that end a reader's host
 * (os known, version of that os, ...), after a batch of fields.
 * plan_inv_host_set_list(): installed, superseded, experiencing,
 * pending_reboot_reasons, pending_updates, registry_absent or roles.  plan_inv_host_set_file() sets one file's version;
 * plan_inv_host_set_reg() one registry value (str NULL: REG_DWORD num),
 * replacing the path in any spelling; plan_inv_host_del_reg() removes it.
 * Both make the host's registry collected (has_registry), even if empty:
 * the planner then knows the values are absent, not unknown.
 */
int		 plan_inv_host_set(struct plan_inventory *, struct plan_inv_host *,
		    const char *field, const char *value);
int		 plan_inv_host_check(struct plan_inventory *,
		    struct plan_inv_host *);
int		 plan_inv_host_set_list(struct plan_inventory *,
		    struct plan_inv_host *, const char *field, char *const *v,
		    size_t n);
int		 plan_inv_host_set_file(struct plan_inventory *,
		    struct plan_inv_host *, const char *name, const char *version);
int		 plan_inv_host_set_reg(struct plan_inventory *,
		    struct plan_inv_host *, const char *path, uint32_t num,
		    const char *str);
int		 plan_inv_host_del_reg(struct plan_inventory *,
		    struct plan_inv_host *, const char *path);
/*
 * plan_inv_host_set_evidence(): the host's evidence (discover), checked
 * as the readers check it (written, then read back into the arena).
 */
int		 plan_inv_host_set_evidence(struct plan_inventory *,
		    struct plan_inv_host *, const struct plan_evidence *);

/*
 * Normalisation.  plan_norm_os() maps a product name as Windows or AD
 * writes it ("Windows Server 2008 R2 Enterprise", "Microsoft Windows 7
 * Professional", "Windows Server(R) 2008 Standard") or an id
 * ("windows-server-2008-r2") to the Update Catalog's product name
 * ("Windows Server 2008 R2"), or NULL.  plan_norm_version() (domain.c)
 * writes "6.1.7601", "10.0.17134.165" (the build revision kept) or AD's
 * "6.1 (7601)" as "6.1.7601" in out (at least 24 bytes); -1 on anything
 * else.  plan_norm_arch() accepts
 * x86/32-bit, x64/AMD64/64-bit/x86_64, ia64/Itanium.  plan_norm_regpath()
 * writes "HKLM\<rest>" with the root spelled either way and any case,
 * for comparison with plan_regpath_eq() (case-insensitive, as Windows).
 * plan_win10_release() names a Windows 10 build ("1803", revision or
 * not) or NULL.
 */
const char	*plan_norm_os(const char *);
int		 plan_norm_version(const char *, char *out, size_t outlen);
const char	*plan_norm_arch(const char *);
/*
 * The product a build makes of a product name: "Windows 10" at build
 * 22000 or later is Windows 11; "Windows Server" (a semi-annual channel
 * name without a year, "Windows Server Datacenter") at 16299 or 17134 is
 * what the Catalog calls "Windows Server 2016 (1709)" / "(1803)".
 */
const char	*plan_product_for_build(const char *product, const char *version);
const char	*plan_win10_release(const char *version);
/* 0 when version ("6.1.7601") is a build of product, else -1 with err_set(). */
int		 plan_os_version_check(const char *product, const char *version);
/*
 * 0 when product (at version, or NULL) ships for arch, else -1 with
 * err_set() ("Windows 7 has no ia64 edition (it ships for x86 x64
 * only)"): the one table of products and architectures.
 */
int		 plan_arch_check(const char *product, const char *version,
		    const char *arch);

/*
 * The domain rules every module shares, each defined once (plan/domain.c,
 * pinned by tests/unit/test_plan_domain.c).  KB ids are util's
 * str_is_kb(); the bundle file lookup is catalog_bundle_find().
 *
 * Registry value paths: a key under HKLM, spelled "HKLM\" or
 * "HKEY_LOCAL_MACHINE\" in any case, at most 255 printable ASCII
 * characters without cmd.exe's metacharacters (& | < > ^ % "), no empty
 * component; a value name has the same characters, no backslash, at most
 * 16,383 of them; REG_SZ data a workaround writes, at most 1,024 of
 * them (plan_valid_regdata).  plan_norm_regpath() writes "HKLM\<rest>" (NULL when
 * invalid, else the caller frees it); plan_regpath_eq() compares two paths
 * as Windows does: case-insensitive, either spelling of the root.
 */
int		 plan_valid_regkey(const char *);
int		 plan_valid_regvalue(const char *);
int		 plan_valid_regdata(const char *);
char		*plan_norm_regpath(const char *);
int		 plan_regpath_eq(const char *, const char *);

/*
 * Versions, of Windows ("6.1.7601", "10.0.17134.165") and of files
 * ("6.1.7601.24168"): 2 to 4 dotted fields of 1 to 5 digits, the fourth
 * (the build revision) kept.  Missing fields compare as 0, so "6.1" =
 * "6.1.0" and "6.1.7601" = "6.1.7601.0".  plan_version_cmp() compares two
 * strings (<0, 0, >0; an invalid one compares as 0.0.0.0: validate
 * first).  plan_valid_version() checks for exactly `fields` fields; a
 * file version (plan_valid_fileversion) has all four.
 */
struct plan_version {
	unsigned	 f[4];
	int		 n;		/* fields given, 2 to 4 */
};
int		 plan_version_parse(const char *, struct plan_version *);
int		 plan_version_cmpv(const struct plan_version *,
		    const struct plan_version *);
int		 plan_version_cmp(const char *, const char *);
int		 plan_valid_version(const char *, int fields);
int		 plan_valid_fileversion(const char *);
/*
 * Windows versions: the build is the first three fields, the revision
 * (UBR) the fourth.  plan_version_same_build() is 1 when a and b (3 or 4
 * fields each) are the same build ("10.0.17134.165" and "10.0.17134"):
 * the advisories' rows, the product check and apply's drift check key on
 * the build; plan_version_revision() is the fourth field, or -1 when the
 * version has none.
 */
int		 plan_version_same_build(const char *a, const char *b);
int		 plan_version_revision(const char *);

/*
 * Maintenance windows, the same for plan, apply and export:
 * "START/DURATION".  START is ISO 8601 UTC ("2026-11-21T22:00:00Z") or
 * "now" (the now argument).  DURATION is number-unit groups with units d,
 * h, m, s in any case ("90m", "4h", "1h30m", "2d"), a bare number of
 * seconds ("3600"), or ISO 8601 ("PT4H", "P1DT2H"); 1 second to 31 days.
 * 0, or -1 with err_set() naming the part that is wrong.
 */
#define PLAN_DURATION_MAX	(31 * 86400)
int		 plan_duration_parse(const char *, int64_t *seconds);
int		 plan_window_parse(const char *, int64_t now, int64_t *start,
		    int64_t *duration_s);

/*
 * The manual-transport rule: a host is manual (kbfix writes a runbook, no
 * remote access) when its transport is "manual"; a host whose inventory
 * names no transport is manual when its product (plan_norm_os's name, or
 * NULL) is Vista or Server 2008, where Win32-OpenSSH does not run
 * (FACTS.md 4).
 */
int		 plan_transport_manual(const char *transport);
int		 plan_manual_by_default(const char *product);

/* Where apply and the Ansible export put packages on a host. */
#define PLAN_REMOTE_DIR		"C:\\Windows\\Temp\\kbfix"

/*
 * Advisories
 *
 * An advisory is data (plan/advisories/NAME.json, format in README.md
 * "Advisories"): the files are embedded in the binary at build time and
 * more can be loaded from a directory (--advisories DIR).  Three models
 * cover the five advisories of FACTS.md section 1:
 *
 *   update-table  a problem update and its fix per OS build and servicing
 *                 channel (the July 2018 tcpip.sys table, seed 001);
 *   hotfix        a file-version fix per build and service branch
 *                 (GDR/LDR), with a trigger fact, service-pack
 *                 prerequisites and the builds whose service pack already
 *                 includes it (KB976527, KB979278, KB943650);
 *   registry      a risky registry state with a registry workaround, a
 *                 policy value that overrides it and a sampling range
 *                 (KB2979267, CEIP).
 *
 * Everything is owned by the struct advisory_set and freed by
 * plan_advisory_set_free().  Strings are never NULL unless noted.
 */

enum advisory_model {
	ADVISORY_UPDATE_TABLE,
	ADVISORY_HOTFIX,
	ADVISORY_REGISTRY
};

/* A match on the host's normalised product and "major.minor.build". */
struct advisory_match {
	char		**os;		/* Catalog product names */
	size_t		  nos;
	char		 *build;	/* "6.1.7601" */
};

struct advisory_row {			/* update-table: one table row */
	struct advisory_match match;
	char		 *label;	/* "Windows 7 SP1 / Windows Server 2008 R2 SP1" */
	char		 *channel;	/* security-only, monthly-rollup, any */
	char		**problem;	/* the July updates that bring the bug */
	size_t		  nproblem;
	char		 *fix;		/* what --prefer channel installs */
	char		**minimal;	/* "or A + B": the KBs of that pair */
	size_t		  nminimal;
	char		 *latest;	/* newest update with the fix, or NULL */
	char		**superseded_by; /* any of these installed: fixed */
	size_t		  nsuperseded;
	/*
	 * Windows 10 / Server 2016 (seed 001's OS builds): the build the
	 * problem update brings ("10.0.17134.165") and the fix's
	 * ("10.0.17134.167"), or NULL.  A host whose version has a revision
	 * is decided by it: before the problem's, not affected; from it to
	 * before the fix's, affected; at or after the fix's, fixed.
	 */
	char		 *problem_build;
	char		 *fix_build;
};

struct advisory_branch {		/* service branch by 4th version field */
	char		 *name;		/* "gdr", "ldr" */
	uint32_t	  lo, hi;
	char		 *fixed;	/* fixed version in this branch, or NULL */
};

struct advisory_target {		/* hotfix: a build it fixes */
	struct advisory_match match;
	struct advisory_branch *branches;
	size_t		  nbranches;
};

struct advisory_note {			/* hotfix: prerequisite or inclusion */
	struct advisory_match match;
	char		 *text;		/* "Windows Vista SP1" */
};

struct advisory_trigger {
	char		 *fact;		/* wfp_callout_drivers, multicast_forwarding */
	int		  is_bool;
	int64_t		  min;		/* numeric facts: value >= min */
	int		  equals;	/* boolean facts */
	char		 *text;		/* "a third-party WFP callout driver" */
};

struct advisory_workaround {
	int		  present;
	int		  only_blocked;	/* only when the fix cannot be planned */
	int		  is_registry;	/* else multicast forwarding */
	char		 *key, *value;	/* registry: HKLM\... and value name */
	uint32_t	  data;		/* REG_DWORD data */
	char		 *family;	/* multicast: ipv4 or ipv6 */
	int		  enabled;	/* multicast target state */
	char		 *text;		/* one sentence for reports */
	/* registry: the Group Policy Preferences setting that may write
	 * the value back (apply refreshes Group Policy and reads it
	 * again), or NULL */
	char		 *group_policy;
};

struct advisory_range {
	char		 *path;		/* registry value path */
	uint32_t	  dflt;
};

struct advisory_registry {		/* registry model (CEIP) */
	char		 *enable;	/* local value that must be 1 */
	char		 *policy;	/* policy value overriding it */
	char		 *gpo;		/* the Group Policy setting's name */
	char		 *sampled_in;	/* 1: at risk now */
	char		 *sample_number; /* in [low, high]: at risk soon */
	struct advisory_range low, high;
};

/*
 * What a host shows when it experiences the problem (issue 12): events
 * of its event log that point to this advisory.  A bug check code (1001
 * BugCheck, Kernel-Power 41), an event by provider and id (a service name
 * for Service Control Manager events), a faulting module of Application
 * Error 1000.  present 0: the advisory names no evidence.
 */
struct advisory_event {
	char		 *provider;	/* "AFD", "Service Control Manager" */
	uint32_t	  id;		/* 16002, 7011 */
	char		 *service;	/* "W3SVC", or NULL: any */
};

struct advisory_evidence {
	int		  present;
	uint32_t	 *bugchecks;	/* 0xd1 */
	size_t		  nbugchecks;
	struct advisory_event *events;
	size_t		  nevents;
	char		**modules;	/* "ws2_32.dll" (case-insensitive) */
	size_t		  nmodules;
};

/* An architecture for which the advisory's fixes do not exist. */
struct advisory_nopkg {
	char		 *arch;		/* "ia64" */
	char		 *reason;	/* "Itanium support ended on 2018-07-10" */
};

struct advisory {
	char		 *id;		/* "tcpip-2018-07" */
	char		 *title;
	char		 *kb;		/* KB article, or NULL */
	char		 *source;	/* file it was loaded from */
	enum advisory_model model;
	int		  reboot;	/* the fix needs a restart */
	char		**os;		/* products the advisory concerns */
	size_t		  nos;
	char		 *file;		/* hotfix: "tcpip.sys" */
	char		 *problem_text;	/* update-table: "July 2018" */
	struct advisory_row *rows;
	size_t		  nrows;
	struct advisory_target *targets;
	size_t		  ntargets;
	struct advisory_note *prerequisites;
	size_t		  nprerequisites;
	struct advisory_note *included;
	size_t		  nincluded;
	struct advisory_trigger trigger;
	struct advisory_workaround workaround;
	struct advisory_registry registry;
	struct advisory_evidence evidence;
	struct advisory_nopkg *nopkg;	/* "no_package" */
	size_t		  nnopkg;
	char		 *guidance;	/* hotfix: the article's advice, or NULL */
	char		 *classification; /* of its fixes: "Updates", or NULL */
};

struct advisory_set {
	struct advisory	**items;
	size_t		  n;
};

#define PLAN_ADVISORY_MAX	((size_t)1 << 20)	/* bytes per file */

/*
 * plan_advisory_parse() reads one advisory file from a buffer; name is
 * the file name used in messages ("x.json: rows[2].fix: must look like
 * KB4345459").  NULL with err_set() on bad input.
 */
struct advisory	*plan_advisory_parse(const char *name, const char *buf,
		    size_t len);
void		 plan_advisory_free(struct advisory *);

/* The advisories embedded at build time. */
struct advisory_set *plan_advisory_builtin(void);
/*
 * Adds every *.json of dir to set (sorted by file name); an advisory with
 * the id of one already in the set replaces it.  -1 with err_set() naming
 * the file and the field.
 */
int		 plan_advisory_load_dir(struct advisory_set *, const char *dir);
void		 plan_advisory_set_free(struct advisory_set *);
const struct advisory *plan_advisory_find(const struct advisory_set *,
		    const char *id);
const char	*plan_advisory_model_name(enum advisory_model);
/* A JSON array describing the set ("kbfix advisories --json"). */
int		 plan_advisory_write_json(const struct advisory_set *,
		    struct buf *);

/*
 * Supersedence data (plan/supersede.c, format "kbfix-supersede/1" in
 * README.md): per product, the updates known to contain each fix an
 * advisory names, dated.  The files of plan/supersede/ (built from the
 * seeds) are embedded; `kbfix supersede --refresh` walks the Catalog's
 * "superseded by" links and writes newer ones with plan_supersede_write(),
 * which plan_supersede_load_dir() adds.  An installed or superseded KB
 * found here for the host's product, the advisory and the fix of its row
 * is evidence that the host is past the fix.
 */
#define PLAN_SUPERSEDE_FORMAT	"kbfix-supersede/1"
#define PLAN_SUPERSEDE_MAX	((size_t)16 << 20)	/* bytes per file */

struct plan_supersede_file;

struct plan_supersede_entry {
	const struct plan_supersede_file *file;
	char		*advisory;	/* "tcpip-2018-07" */
	char		*fix;		/* the advisory's fix: "KB4345459" */
	char		*kb;		/* an update containing it: "KB4343900" */
	char		*date;		/* "2018-08-14", or NULL */
	char		*title;		/* the Catalog's title, or NULL */
	char		*update_id;	/* the Catalog's id, or NULL */
};

struct plan_supersede_file {
	char		*name;		/* file it was read from */
	char		*product;	/* "Windows 7" */
	char		*refreshed;	/* ISO 8601 */
	char		*source;
	struct plan_supersede_entry *v;
	size_t		 n;
};

struct plan_supersede {
	struct plan_supersede_file **files;
	size_t		 nfiles;
	const struct plan_supersede_entry **v;	/* every entry, indexed */
	size_t		 n;
	size_t		*slots, cap;
};

struct plan_supersede_file *plan_supersede_parse(const char *name,
		    const char *buf, size_t len);
void		 plan_supersede_file_free(struct plan_supersede_file *);
/* Takes ownership of f. */
int		 plan_supersede_add(struct plan_supersede *,
		    struct plan_supersede_file *f);
struct plan_supersede *plan_supersede_builtin(void);
int		 plan_supersede_load_dir(struct plan_supersede *, const char *dir);
void		 plan_supersede_free(struct plan_supersede *);
/* The entries (at most max) saying kb contains a fix of advisory on product. */
size_t		 plan_supersede_find(const struct plan_supersede *,
		    const char *product, const char *advisory, const char *kb,
		    const struct plan_supersede_entry **out, size_t max);
int		 plan_supersede_write(const struct plan_supersede_file *,
		    struct buf *);

/*
 * The engine.  plan_build() evaluates every advisory of set for every host
 * and builds the plan document: findings, actions (workarounds, installs,
 * one reboot, verify), status, waves, estimates and packages.  The
 * advisories and the inventory are only read.  plan_explain() writes the
 * reasoning for one host as text (-1 with err_set() when there is no such
 * host).
 */

enum plan_prefer {
	PLAN_PREFER_CHANNEL,	/* the fix of the host's servicing channel */
	PLAN_PREFER_MINIMAL,	/* the smallest package on top of what is installed */
	PLAN_PREFER_LATEST	/* the newest update known to contain the fix */
};

/*
 * --hotfix-policy: evidence (the default, Microsoft's guidance in seeds
 * 000, 003, 004) plans a hotfix-model advisory's hotfix only for hosts
 * that experience the problem (plan_host_experiences()); an exposed host
 * without evidence gets the finding "exposed" and status "exposed".
 * exposed plans it on exposure alone.
 */
enum plan_hotfix_policy {
	PLAN_HOTFIX_EVIDENCE,
	PLAN_HOTFIX_EXPOSED
};
int		 plan_hotfix_policy_parse(const char *, enum plan_hotfix_policy *);
/*
 * Whether the host experiences advisory: the one check, reading what the
 * operator says (experiencing) and the events of its evidence that point
 * to it; *source names where it comes from ("experiencing", "evidence").
 */
int		 plan_host_experiences(const struct plan_inv_host *,
		    const char *advisory, const char **source);

struct plan_options {
	enum plan_prefer prefer;
	enum plan_hotfix_policy hotfix_policy;
	const struct plan_supersede *supersede;	/* or NULL: none */
	const char	*created;	/* ISO 8601, or NULL: now */
	const char	*window_start;	/* or NULL */
	int64_t		 window_duration_s;
	int		 window_offset_s;
};

/* Rough durations for estimate_s (seconds). */
#define PLAN_EST_WORKAROUND	15
#define PLAN_EST_INSTALL	420
#define PLAN_EST_REBOOT		300
#define PLAN_EST_VERIFY		30

int		 plan_prefer_parse(const char *, enum plan_prefer *);
struct plan	*plan_build(const struct plan_inventory *,
		    const struct advisory_set *, const struct plan_options *);
int		 plan_explain(const struct plan_inventory *,
		    const struct advisory_set *, const struct plan_options *,
		    const char *host, struct buf *out);

/*
 * Reports of a plan: text (summary, a table per host and per package),
 * json (plan_write_json), markdown (for a change request), html (one
 * self-contained page, everything escaped) and csv (a row per host action,
 * RFC 4180 quoting).
 */
enum plan_format {
	PLAN_FORMAT_TEXT,
	PLAN_FORMAT_JSON,
	PLAN_FORMAT_MARKDOWN,
	PLAN_FORMAT_HTML,
	PLAN_FORMAT_CSV
};

int		 plan_format_parse(const char *, enum plan_format *);
/*
 * Appends to b, for reports that list packages, one sentence naming the
 * packages classified "Updates" (seed 001: a WSUS that does not sync
 * that classification never offers them); 0 when there are none.
 */
int		 plan_classification_note(const struct plan *, struct buf *b);
int		 plan_report(const struct plan *, enum plan_format, struct buf *);
/*
 * The Markdown change request and the HTML page name the plan file and
 * its SHA-256 (the `kbfix apply --expect-plan` they print): plan_report()
 * names "plan.json" and hashes plan_write_json's document, which is the
 * file `kbfix plan -o` writes; a caller that read the plan from a file
 * passes its path and the SHA-256 of its bytes (either may be NULL).
 */
struct plan_report_ctx {
	const char	*plan_path;
	const char	*sha256;	/* 64 hex digits */
	int		 color;		/* text: ANSI colours (a terminal
					   without NO_COLOR: cmd decides) */
};
int		 plan_report_for(const struct plan *, enum plan_format,
		    const struct plan_report_ctx *, struct buf *);

/*
 * The review of a run after the window (`kbfix report RUN_DIR`): what was
 * planned beside what the journal says happened.  deploy_review_build()
 * fills it from a run directory; plan_review_report() writes it as text
 * (fits 100 columns), markdown, json (format "kbfix-review/1") or html.
 * Times: *_ms are wall clock ms since 1970 (0: none); plan_*_s are seconds
 * from the run's start.  Strings are owned by the review.
 */
enum plan_review_kind {		/* what a segment of a host's time was */
	REVIEW_WORK,		/* connect, preflight, workarounds, installs */
	REVIEW_REBOOT,		/* down for a restart */
	REVIEW_VERIFY,		/* verify and clean up */
	REVIEW_UNDO,		/* rollback steps */
	REVIEW_FAIL		/* a step that failed */
};

struct plan_review_seg {
	char		*step;
	enum plan_review_kind kind;
	int64_t		 start_ms, end_ms;
};

struct plan_review_host {
	char		*name;
	char		*state;		/* end state, or running / pending */
	char		*step;		/* last step done */
	char		*error;		/* or NULL */
	int		 wave;		/* apply's wave (0 canary), -1 manual */
	int64_t		 plan_start_s, plan_end_s;
	int64_t		 start_ms, end_ms;
	int64_t		 reboot_ms;	/* downtime: reboot intent to return */
	int		 rolled_back;
	struct plan_review_seg *segs;
	size_t		 nsegs;
};

struct plan_review_wave {
	int		 wave;
	size_t		 nhosts;
	int64_t		 plan_start_s, plan_end_s;
	int64_t		 start_ms, end_ms;	/* 0: no host started */
};

/*
 * What `kbfix evidence RUN_DIR` found (its kbfix-evidence/1 document,
 * which it writes to RUN_DIR/PLAN_REVIEW_EVIDENCE_FILE): per host and
 * advisory the events before the run (the window before it), during it
 * and after the host was fixed (or after the run), the host flagged when
 * it was fixed for the advisory and crashed again; a host whose logs
 * could not be read is one row with advisory NULL and unknown set.
 */
#define PLAN_REVIEW_EVIDENCE_FILE	"evidence.json"

struct plan_review_crash {
	char		*host;
	char		*advisory;	/* NULL: the host's evidence is unknown */
	size_t		 before, during, after;
	int		 crashed_after_fix;
	int		 unknown;
	char		*error;		/* unknown: why, or NULL */
};

struct plan_review {
	char		*run_dir;
	/* RUN_DIR/evidence.json when there is one (created NULL: none) */
	char		*evidence_created, *evidence_since;
	struct plan_review_crash *crashes;
	size_t		 ncrashes;
	char		*plan_sha256;	/* from run.json, or NULL */
	char		*run_state;	/* finished, interrupted, running */
	int64_t		 start_ms, end_ms;
	int64_t		 window_start;	/* epoch, or -1 */
	int64_t		 window_duration_s;
	int		 window_offset_s;
	struct plan_review_host *hosts;
	size_t		 nhosts;
	struct plan_review_wave *waves;
	size_t		 nwaves;
	int		 torn;		/* a torn last journal line ignored */
};

void		 plan_review_release(struct plan_review *);
int		 plan_review_report(const struct plan_review *, enum plan_format,
		    const struct plan_report_ctx *, struct buf *);
/*
 * One line for `kbfix status`: the wave running now (or next, or "all
 * waves finished") and the time left in the window at now (epoch).
 */
void		 plan_review_progress(const struct plan_review *, int64_t now,
		    struct buf *);

#endif
