/*
 * catalog: the advisory catalog and the Microsoft Update Catalog client.
 */
#ifndef KBFIX_CATALOG_H
#define KBFIX_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/*
 * Advisories
 *
 * An advisory is data (catalog/advisories/NAME.json, format in README.md
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
 * catalog_advisory_set_free().  Strings are never NULL unless noted.
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
};

struct advisory_set {
	struct advisory	**items;
	size_t		  n;
};

#define CATALOG_ADVISORY_MAX	((size_t)1 << 20)	/* bytes per file */

/*
 * catalog_advisory_parse() reads one advisory file from a buffer; name is
 * the file name used in messages ("x.json: rows[2].fix: must look like
 * KB4345459").  NULL with err_set() on bad input.
 */
struct advisory	*catalog_advisory_parse(const char *name, const char *buf,
		    size_t len);
void		 catalog_advisory_free(struct advisory *);

/* The advisories embedded at build time. */
struct advisory_set *catalog_advisory_builtin(void);
/*
 * Adds every *.json of dir to set (sorted by file name); an advisory with
 * the id of one already in the set replaces it.  -1 with err_set() naming
 * the file and the field.
 */
int		 catalog_advisory_load_dir(struct advisory_set *, const char *dir);
void		 catalog_advisory_set_free(struct advisory_set *);
const struct advisory *catalog_advisory_find(const struct advisory_set *,
		    const char *id);
const char	*catalog_advisory_model_name(enum advisory_model);
/* A JSON array describing the set ("kbfix advisories --json"). */
int		 catalog_advisory_write_json(const struct advisory_set *,
		    struct buf *);

#endif
