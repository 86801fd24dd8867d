/*
 * Private to the inventory readers: what inventory.c shares with the JSON
 * reader (inventory_jsonscan.c, inventory_jsonread.c) and the CSV reader
 * (inventory_csv.c), so that a field is checked and normalised the same way
 * in every format.
 */
#ifndef KBFIX_PLAN_INVENTORY_INT_H
#define KBFIX_PLAN_INVENTORY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"

/*
 * A reader's position for messages: inv_fail() sets "name: where field:
 * msg" with err_set() and returns -1.
 */
struct ird {
	const char	*name;		/* file name */
	struct plan_arena *arena;	/* where the hosts' strings go */
	char		 where[128];	/* "hosts[2] (web01)." or "line 4 (web01): " */
};

int	 inv_fail(const struct ird *r, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Strings and arrays in r->arena; inv_agrow() makes room for element n. */
char	*inv_adup(const struct ird *r, const char *s);
void	*inv_agrow(const struct ird *r, void *v, size_t n, size_t size);

/*
 * A host's facts, validated and normalised: 0, or -1 with err_set().
 * inv_set_str() returns 1 when field is not one of its string fields.
 */
int	 inv_add_file(const struct ird *r, struct plan_inv_host *h,
	    const char *name, const char *version);
int	 inv_add_reg(const struct ird *r, struct plan_inv_host *h,
	    const char *path, int is_num, uint32_t num, const char *str);
int	 inv_add_reg_text(const struct ird *r, struct plan_inv_host *h,
	    const char *path, const char *val);
int	 inv_set_str(const struct ird *r, struct plan_inv_host *h,
	    const char *field, const char *v);
/*
 * The list fields (installed, superseded, experiencing,
 * pending_reboot_reasons, roles): inv_is_list() says whether field is one;
 * inv_list_given() marks the list given even when empty (1: not a list
 * field); inv_add_item() checks, normalises (KB ids upper case) and
 * appends one entry, 1 when field is not a list field.
 */
int	 inv_is_list(const char *field);
int	 inv_list_given(struct plan_inv_host *h, const char *field);
int	 inv_add_item(const struct ird *r, struct plan_inv_host *h,
	    const char *field, const char *item);

/*
 * Every host starts from inv_host_init() (absent facts) and ends with
 * inv_host_finish() (product, build, channel, transport, user, address);
 * inv_check_duplicates() then refuses a name seen twice (csv: the message
 * counts records, else hosts[i]).
 */
void	 inv_host_init(struct plan_inv_host *h);
int	 inv_host_finish(const struct ird *r, struct plan_inv_host *h);
int	 inv_check_duplicates(struct plan_inventory *inv, int csv,
	    unsigned flags);
/*
 * --skip-invalid: a host's error (err_msg()) kept in inv->skipped and the
 * host marked for removal (name NULL); inv_drop_skipped() compacts.
 * inv_skip() returns 0 when flags skip, else -1 (the error stands).
 */
int	 inv_skip(struct plan_inventory *inv, struct plan_inv_host *h,
	    unsigned flags);
void	 inv_drop_skipped(struct plan_inventory *inv);

/*
 * inv_json_scan() checks the syntax of a JSON inventory (strict RFC 8259:
 * "name: line 3, column 7: invalid JSON") and the shape of its root (an
 * object with a "hosts" array), and says where the first "defaults" value
 * and each element of the first "hosts" array are, as byte ranges of the
 * document: patch when it is not NULL, else buf.  patch is a copy of buf
 * where each number of 64 bytes or more is written over as 1e300 (cJSON
 * reads at most 63; such a number is out of every range a field accepts).
 * 0, or -1 with err_set(); release x in both cases.
 */
struct inv_jspan {
	size_t		 off, len;
};

struct inv_jindex {
	int		 has_defaults, has_groups;
	struct inv_jspan defaults, groups;
	struct inv_jspan *hosts;
	size_t		 nhosts, cap;
	char		*patch;		/* NULL, or a patched copy of buf */
};

int	 inv_json_scan(const char *name, const char *buf, size_t len,
	    struct inv_jindex *x);
void	 inv_jindex_release(struct inv_jindex *x);

/* inv->warnings gets a copy of msg (stderr of kbfix plan). */
void	 inv_warn(struct plan_inventory *inv, const char *msg);

/*
 * Reboot groups (groups.c): inv_groups_read() reads the JSON "groups"
 * object (a cJSON object) into inv->groups, -1 with err_set() naming the
 * field; inv_groups_check() warns about explicit waves over a budget.
 */
struct cJSON;
int	 inv_groups_read(struct plan_inventory *inv, const struct cJSON *o);
void	 inv_groups_check(struct plan_inventory *inv);

/* The readers, called by plan_inventory_parse(): 0, or -1 with err_set(). */
int	 inv_parse_json(struct plan_inventory *inv, const char *buf, size_t len,
	    unsigned flags);
int	 inv_parse_csv(struct plan_inventory *inv, const char *buf, size_t len,
	    unsigned flags);

#endif
