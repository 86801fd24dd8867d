/*
 * kbfix export --format ansible: the plan as an Ansible project.
 *
 *   ansible.cfg           inventory = inventory.yml; host keys checked
 *   inventory.yml         one group per wave (kbfix_wave_N), kbfix_manual
 *   group_vars/all.yml    bundle, remote folder, window, reboot timeout
 *   host_vars/HOST.yml    the host's actions, as data
 *   site.yml              one play per wave, in order, with the guards
 *   tasks/kbfix-host.yml  the steps of one host, in kbfix apply's order
 *   README.txt            how to run it, and what it needs
 *
 * Every string from the plan is written as a YAML double-quoted scalar
 * (buf_add_json_str: JSON's escapes are YAML's), and those a template
 * could read (registry data, file names) carry Ansible's !unsafe tag, so
 * that "{{" in a value stays text.  Names, addresses, users, keys and KBs
 * were validated by plan_parse(); they are checked again here, for plans
 * built in memory.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "deploy/deploy.h"
#include "export/export.h"
#include "export/export_int.h"
#include "plan/plan.h"
#include "rollback/rollback.h"
#include "util/util.h"

#define TASKS_FILE	"tasks/kbfix-host.yml"
#define ROLLBACK_TASKS	"tasks/kbfix-rollback.yml"

struct xhost {
	const struct plan_host *ph;
	/* per action: the bundle's .msu of an install */
	const struct catalog_bundle_file **files;
	const char	*tcpip_min;	/* highest of its installs, or NULL */
	int		 wave;
	int		 batch;		/* 0, 1, ...: its play within the wave */
};

struct export_project {
	const struct plan *p;
	struct export_options o;
	struct catalog_bundle *bundle;
	char		*bundle_abs;
	struct xhost	*hosts;		/* in the plays, in plan order */
	size_t		 nhosts;
	const struct plan_host **manual;
	size_t		 nmanual;
	int		*waves;		/* distinct, ascending */
	int		*nbatch;	/* per wave: plays (reboot group budgets) */
	size_t		 nwaves;
	char		 win_start[21], win_end[21];
	int		 has_window;
};


static int	host_vars_text(const struct export_project *,
		    const struct xhost *, struct buf *);

static int
valid_filename(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789.-_");

	return n >= 1 && n <= 255 && s[n] == '\0' && s[0] != '.';
}

static int
valid_sha256(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

/*
 * Every command line of the host, built once to see that the builders
 * take the plan's values (bad input, exit 2, rather than a half-written
 * project); the placeholders the rollback fills in must not occur in
 * them.
 */
static int
vars_check(struct export_project *x, const char *plan, struct xhost *h)
{
	const struct plan_action *a;
	struct buf b;
	size_t i;
	int rc;

	for (i = 0; i < h->ph->nactions; i++) {
		a = &h->ph->actions[i];
		if ((a->key && strstr(a->key, "KBFIX_")) ||
		    (a->value && strstr(a->value, "KBFIX_"))) {
			err_set("%s: host %s: actions[%zu]: 'KBFIX_' is reserved "
			    "in registry paths and value names", plan,
			    h->ph->name, i);
			return -1;
		}
	}
	buf_init(&b, 64 << 20);
	rc = host_vars_text(x, h, &b);
	buf_release(&b);
	if (rc == -1)
		err_prefix("%s", plan);
	return rc;
}

static int
host_check(struct export_project *x, const char *plan, struct xhost *h)
{
	const struct plan_host *ph = h->ph;
	const struct catalog_bundle_update *u;
	const struct plan_action *a;
	size_t i;

	if (ph->address && !plan_valid_address(ph->address)) {
		err_set("%s: host %s: address: not a host name or IP address",
		    plan, ph->name);
		return -1;
	}
	if (ph->user && !plan_valid_user(ph->user)) {
		err_set("%s: host %s: user: not a plain user name (user, "
		    "DOMAIN\\user or user@domain)", plan, ph->name);
		return -1;
	}
	h->files = xcalloc(ph->nactions, sizeof(*h->files));
	for (i = 0; i < ph->nactions; i++) {
		a = &ph->actions[i];
		if (a->kind != ACTION_INSTALL)
			continue;
		if (x->bundle == NULL) {
			err_set("%s: host %s installs %s: give --bundle DIR "
			    "(kbfix fetch's bundle of this plan)", plan,
			    ph->name, a->kb);
			return -1;
		}
		u = catalog_bundle_find(x->bundle, a->kb, ph->name, ph->arch);
		h->files[i] = u ? &u->files[0] : NULL;
		if (h->files[i] == NULL || !valid_filename(h->files[i]->name) ||
		    !valid_sha256(h->files[i]->sha256)) {
			err_set("%s: host %s: %s (%s) is not in the bundle %s; "
			    "fetch this plan again", plan, ph->name, a->kb,
			    ph->arch ? ph->arch : "any architecture",
			    x->o.bundle_dir);
			return -1;
		}
		if (a->tcpip_min && !plan_valid_fileversion(a->tcpip_min)) {
			err_set("%s: host %s: %s: tcpip_min: not a file version",
			    plan, ph->name, a->kb);
			return -1;
		}
		if (a->tcpip_min && (h->tcpip_min == NULL ||
		    plan_version_cmp(a->tcpip_min, h->tcpip_min) > 0))
			h->tcpip_min = a->tcpip_min;
	}
	return vars_check(x, plan, h);
}

static int
int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * Reboot group budgets inside a wave: a play runs its tasks on all its
 * hosts together (the linear strategy), so every member in one play is
 * down at once.  A wave holding more members of a group than the group's
 * max_unavailable (explicit inventory waves; the planner never packs one)
 * is split into batches, one play each, in order: the k-th member of a
 * group in the wave goes to batch k / max_unavailable, hosts without a
 * group to the first.
 */
struct gcount {
	const char	*group;
	int		 n;
};

static void
batches_assign(struct export_project *x)
{
	struct gcount *c = xcalloc(x->nhosts + 1, sizeof(*c));
	size_t w, i, k, nc;
	int b;

	x->nbatch = xcalloc(x->nwaves + 1, sizeof(*x->nbatch));
	for (w = 0; w < x->nwaves; w++) {
		x->nbatch[w] = 1;
		nc = 0;
		for (i = 0; i < x->nhosts; i++) {
			const char *g = x->hosts[i].ph->group;

			if (x->hosts[i].wave != x->waves[w] || g == NULL)
				continue;
			for (k = 0; k < nc && strcmp(c[k].group, g) != 0; k++)
				;
			if (k == nc)
				c[nc++] = (struct gcount){ g, 0 };
			b = c[k].n++ / plan_group_budget(x->p, g);
			x->hosts[i].batch = b;
			if (b + 1 > x->nbatch[w])
				x->nbatch[w] = b + 1;
		}
	}
	free(c);
}

/* The hosts in the plays, grouped by wave (the plan's order within one),
 * and the distinct waves. */
static int
hosts_collect(struct export_project *x, const char *plan)
{
	const struct plan *p = x->p;
	size_t i, w;

	x->hosts = xcalloc(p->nhosts + 1, sizeof(*x->hosts));
	x->manual = xcalloc(p->nhosts + 1, sizeof(*x->manual));
	x->waves = xcalloc(p->nhosts + 1, sizeof(*x->waves));
	for (i = 0; i < p->nhosts; i++) {
		const struct plan_host *ph = &p->hosts[i];
		if (ph->status != PLAN_NEEDS_ACTION || ph->nactions == 0)
			continue;
		if (plan_transport_manual(ph->transport)) {
			x->manual[x->nmanual++] = ph;
			continue;
		}
		x->hosts[x->nhosts].ph = ph;
		x->hosts[x->nhosts].wave = ph->wave;
		if (host_check(x, plan, &x->hosts[x->nhosts++]) == -1)
			return -1;
		x->waves[x->nwaves++] = ph->wave;
	}
	qsort(x->waves, x->nwaves, sizeof(*x->waves), int_cmp);
	for (i = w = 0; i < x->nwaves; i++)
		if (w == 0 || x->waves[w - 1] != x->waves[i])
			x->waves[w++] = x->waves[i];
	x->nwaves = w;
	batches_assign(x);
	return 0;
}

static int
window_set(struct export_project *x, const char *plan)
{
	int64_t start;

	if (x->p->window_start == NULL)
		return 0;
	if (time_parse_iso8601(x->p->window_start, &start) == -1) {
		err_set("%s: window.start: not an ISO 8601 time like "
		    "2026-11-21T22:00:00Z", plan);
		return -1;
	}
	time_iso8601(start, x->win_start);
	time_iso8601(start + x->p->window_duration_s, x->win_end);
	x->has_window = 1;
	return 0;
}

struct export_project *
export_ansible_new(const struct plan *p, const struct export_options *o)
{
	struct export_project *x = xcalloc(1, sizeof(*x));
	const char *plan = o->plan_path ? o->plan_path : "plan";

	x->p = p;
	x->o = *o;
	if (o->bundle_dir != NULL) {
		if ((x->bundle = catalog_bundle_read(o->bundle_dir)) == NULL)
			goto fail;
		if ((x->bundle_abs = realpath(o->bundle_dir, NULL)) == NULL) {
			err_setx_errno("%s", o->bundle_dir);
			goto fail;
		}
	}
	if (window_set(x, plan) == -1 || hosts_collect(x, plan) == -1)
		goto fail;
	return x;
fail:
	export_project_free(x);
	return NULL;
}

void
export_ansible_counts(const struct export_project *x, size_t *hosts,
    size_t *manual, size_t *plays)
{
	*hosts = x->nhosts;
	*manual = x->nmanual;
	*plays = x->nwaves;
}

void
export_project_free(struct export_project *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->nhosts; i++)
		free(x->hosts[i].files);
	free(x->hosts);
	free(x->manual);
	free(x->waves);
	free(x->nbatch);
	catalog_bundle_free(x->bundle);
	free(x->bundle_abs);
	free(x);
}

/* Writing. */

static void
header(struct buf *b, const struct export_project *x, const char *what)
{
	buf_addf(b, "# %s\n# Written by kbfix export from ", what);
	buf_add_comment(b, x->o.plan_path ? x->o.plan_path : "a plan");
	buf_adds(b, " (plan created ");
	buf_add_comment(b, x->p->created ? x->p->created : "?");
	buf_adds(b, "); kbfix plan and\n# kbfix export again rather than "
	    "edit.\n");
}

/* The hosts of wave w (of its batch, unless batch is -1). */
static void
inventory_hosts(const struct export_project *x, size_t w, int batch,
    const char *ind, struct buf *b)
{
	size_t i;

	for (i = 0; i < x->nhosts; i++) {
		const struct plan_host *ph = x->hosts[i].ph;

		if (x->hosts[i].wave != x->waves[w] ||
		    (batch >= 0 && x->hosts[i].batch != batch))
			continue;
		buf_adds(b, ind);
		buf_add_json_str(b, ph->name);
		buf_addf(b, ":\n%s  ansible_host: ", ind);
		buf_add_yaml_unsafe(b, ph->address ? ph->address : ph->name);
		buf_addf(b, "\n%s  ansible_port: %d\n", ind,
		    ph->port ? ph->port : 22);
		if (ph->user) {
			buf_addf(b, "%s  ansible_user: ", ind);
			buf_add_yaml_unsafe(b, ph->user);
			buf_adds(b, "\n");
		}
	}
}

static void
inventory_text(const struct export_project *x, struct buf *b)
{
	size_t w, i;
	int k;

	header(b, x, "Ansible inventory: one group per wave of the plan, in "
	    "order (site.yml runs\n# them one after the other). kbfix_manual "
	    "holds the hosts the plan leaves to a\n# runbook; no play "
	    "targets them.");
	buf_adds(b, "all:\n  vars:\n"
	    "    # Win32-OpenSSH with cmd.exe as its shell. The tasks send "
	    "cmd.exe command\n    # lines with ansible.builtin.raw, which "
	    "goes out unchanged only with a POSIX\n    # shell type: with "
	    "ansible_shell_type cmd (or powershell) Ansible's ssh\n"
	    "    # connection wraps every command in \"chcp.com 65001 && "
	    "PowerShell\n    # -EncodedCommand ...\", which needs PowerShell "
	    "on the host.\n"
	    "    ansible_connection: ssh\n    ansible_shell_type: sh\n"
	    "    # no pty: a console would add escape sequences to the "
	    "output\n    ansible_ssh_use_tty: false\n"
	    "  children:\n");
	for (w = 0; w < x->nwaves; w++) {
		buf_addf(b, "    kbfix_wave_%d:\n", x->waves[w]);
		if (x->nbatch[w] == 1) {
			buf_adds(b, "      hosts:\n");
			inventory_hosts(x, w, -1, "        ", b);
			continue;
		}
		buf_addf(b, "      # %d plays: no reboot group over its "
		    "max_unavailable in one\n      children:\n", x->nbatch[w]);
		for (k = 0; k < x->nbatch[w]; k++) {
			buf_addf(b, "        kbfix_wave_%d_batch_%d:\n"
			    "          hosts:\n", x->waves[w], k + 1);
			inventory_hosts(x, w, k, "            ", b);
		}
	}
	buf_adds(b, "    kbfix_manual:\n      hosts:");
	buf_adds(b, x->nmanual ? "\n" : " {}\n");
	for (i = 0; i < x->nmanual; i++) {
		buf_adds(b, "        ");
		buf_add_json_str(b, x->manual[i]->name);
		buf_adds(b, ": {}\n");
	}
}

static void
group_vars_text(const struct export_project *x, struct buf *b)
{
	size_t i, j, n = 0;

	header(b, x, "Settings of every host; host_vars/ holds each host's "
	    "command lines.");
	buf_adds(b, "# kbfix fetch's bundle of this plan, on the controller "
	    "(override with\n# -e kbfix_bundle=DIR when it has moved)\n"
	    "kbfix_bundle: ");
	if (x->bundle_abs)
		buf_add_yaml_unsafe(b, x->bundle_abs);
	else
		buf_adds(b, "\"\"");
	buf_adds(b, "\n# the packages site.yml uploads, checked on the "
	    "controller first\nkbfix_bundle_files:");
	for (i = 0; i < x->nhosts; i++)
		for (j = 0; j < x->hosts[i].ph->nactions; j++) {
			const struct catalog_bundle_file *f = x->hosts[i].files[j];
			size_t k, seen = 0;
			if (f == NULL)
				continue;
			for (k = 0; k < i && !seen; k++) {
				size_t m;
				for (m = 0; m < x->hosts[k].ph->nactions; m++)
					seen |= x->hosts[k].files[m] == f;
			}
			for (k = 0; k < j && !seen; k++)
				seen |= x->hosts[i].files[k] == f;
			if (seen)
				continue;
			buf_adds(b, "\n  - file: ");
			buf_add_yaml_unsafe(b, f->name);
			buf_addf(b, "\n    sha256: \"%s\"", f->sha256);
			n++;
		}
	buf_adds(b, n ? "\n" : " []\n");
	buf_adds(b, "# the state before kbfix, one file a host (rollback.yml "
	    "restores it), and\n# the copies of uploads read back for their "
	    "SHA-256\nkbfix_prior_dir: \"{{ playbook_dir }}/prior\"\n");
	buf_addf(b, "# how long a restart may take\nkbfix_reboot_timeout: %d\n",
	    x->o.reboot_timeout_s);
	buf_addf(b, "# a restart is seen when the new boot time is later than "
	    "the host's clock\n# at the shutdown less this many seconds "
	    "(kbfix apply's rule)\nkbfix_boot_drift_s: %g\n",
	    (double)BOOT_DRIFT_US / 1e6);
	buf_adds(b, "# options of the controller's own scp and ssh (upload, "
	    "the wait for a\n# restart), e.g. [\"-o\", \"UserKnownHostsFile="
	    "/path\"]; ansible_ssh_private_key_file\n# is passed as -i. "
	    "Host keys are checked: BatchMode never asks.\nkbfix_ssh_opts: []\n"
	    "kbfix_ssh_opts_all: >-\n  {{ ['-o', 'BatchMode=yes'] + (['-i', "
	    "ansible_ssh_private_key_file]\n  if ansible_ssh_private_key_file "
	    "is defined else []) + kbfix_ssh_opts }}\n");
	if (x->has_window)
		buf_addf(b, "# the maintenance window (UTC): no wave starts "
		    "outside it\nkbfix_window_start: \"%s\"\n"
		    "kbfix_window_end: \"%s\"\n", x->win_start, x->win_end);
	buf_adds(b, "# what a host without an action of a kind does: "
	    "nothing\nkbfix_changes: []\nkbfix_install: []\n"
	    "kbfix_reboot: false\nkbfix_os: \"\"\nkbfix_version: \"\"\n");
}

/* One command line, built by the caller into line, as a YAML value. */
static int
put_line(struct buf *b, const char *indent, const char *key, struct buf *line,
    int rc)
{
	if (rc == -1)
		return -1;
	buf_addf(b, "%s%s: ", indent, key);
	buf_add_yaml_unsafe(b, buf_str(line));
	buf_adds(b, "\n");
	buf_reset(line);
	return 0;
}

/*
 * What the host prints when a change is in place, as the tasks compare
 * it: one output line with its runs of spaces made one and trimmed,
 * "CEIPEnable REG_DWORD 0x0" or "Multicast Forwarding : disabled".
 */
static void
planned_line(struct buf *b, const struct plan_action *a)
{
	struct buf t;
	const char *p;
	char *raw;
	int sp = 0;

	if (a->kind == ACTION_MULTICAST) {
		buf_adds(b, a->enabled ? "\"Multicast Forwarding : enabled\"" :
		    "\"Multicast Forwarding : disabled\"");
		return;
	}
	raw = a->data_str ? xasprintf("%s %s %s", a->value, a->type,
	    a->data_str) : xasprintf("%s %s 0x%x", a->value, a->type,
	    a->data_num);
	buf_init(&t, 4096);
	for (p = raw; *p == ' '; p++)
		;
	for (; *p; p++) {
		if (*p < 0x20 || *p > 0x7e)
			continue;
		if (*p == ' ') {
			sp = 1;
			continue;
		}
		if (sp && t.len > 0)
			buf_addc(&t, ' ');
		sp = 0;
		buf_addc(&t, *p);
	}
	buf_add_yaml_unsafe(b, buf_str(&t));
	buf_release(&t);
	free(raw);
}

/* A prior for rollback_restore_cmd(), of a's thing. */
static void
prior_of(const struct plan_action *a, struct rollback_prior *p)
{
	memset(p, 0, sizeof(*p));
	p->kind = a->kind == ACTION_REGISTRY ? RB_KIND_REGISTRY :
	    RB_KIND_MULTICAST;
	p->key = a->key;
	p->value = a->value;
	p->family = a->family;
}

#define PH_TYPE	"KBFIX_TYPE"
#define PH_DATA	"KBFIX_DATA"
#define PH_ID	"KBFIX_IDENTITY"

static int
host_change(struct buf *b, const struct plan_action *a, struct buf *l)
{
	struct rollback_prior p;
	char *label;

	prior_of(a, &p);
	if (a->kind == ACTION_REGISTRY) {
		buf_adds(b, "  - kind: registry\n    label: ");
		label = xasprintf("%s\\%s", a->key, a->value);
		buf_add_yaml_unsafe(b, label);
		free(label);
		buf_adds(b, "\n    value: ");
		buf_add_yaml_unsafe(b, a->value);
		buf_adds(b, "\n");
	} else
		buf_addf(b, "  - kind: multicast\n    label: \"%s multicast "
		    "forwarding\"\n", strcmp(a->family, "ipv6") == 0 ? "ipv6" :
		    "ipv4");
	if (put_line(b, "    ", "query", l, rollback_prior_query(&p, l)) ||
	    put_line(b, "    ", "set", l, deploy_cmd_workaround_set(a, l)))
		return -1;
	buf_adds(b, "    planned: ");
	planned_line(b, a);
	buf_adds(b, "\n");
	/* a value Group Policy Preferences may write back: refreshed and
	 * read again (playbook "workaround: Group Policy refresh") */
	if (a->kind == ACTION_REGISTRY && a->group_policy != NULL) {
		if (put_line(b, "    ", "gpupdate", l, deploy_cmd_gpupdate(a,
		    -1, l)) == -1)
			return -1;
		buf_adds(b, "    group_policy: ");
		buf_add_yaml_unsafe(b, a->group_policy);
		buf_adds(b, "\n");
	}
	if (a->kind == ACTION_MULTICAST) {
		p.enabled = 1;
		if (put_line(b, "    ", "enable", l, rollback_restore_cmd(&p,
		    l)) == -1)
			return -1;
		p.enabled = 0;
		return put_line(b, "    ", "disable", l,
		    rollback_restore_cmd(&p, l));
	}
	/* the value was absent before: deleted; else put back with the
	 * type and data the capture read, validated (tasks) */
	p.existed = 0;
	if (put_line(b, "    ", "delete", l, rollback_restore_cmd(&p, l)))
		return -1;
	p.existed = 1;
	p.type = (char *)PH_TYPE;
	p.data = (char *)PH_DATA;
	return put_line(b, "    ", "restore", l, rollback_restore_cmd(&p, l));
}

static int
host_install(struct buf *b, const struct xhost *h, struct buf *l)
{
	const struct plan_host *ph = h->ph;
	const struct catalog_bundle_file *f;
	char *cab, *sftp;
	size_t i, n = 0;
	int rc;

	for (i = 0; i < ph->nactions; i++) {
		if (ph->actions[i].kind != ACTION_INSTALL)
			continue;
		f = h->files[i];
		buf_adds(b, n++ ? "" : "kbfix_install:\n");
		buf_adds(b, "  - kb: ");
		buf_add_yaml_unsafe(b, ph->actions[i].kb);
		buf_adds(b, "\n    file: ");
		buf_add_yaml_unsafe(b, f->name);
		buf_addf(b, "\n    sha256: \"%s\"\n    sftp: ", f->sha256);
		sftp = xasprintf("%s/%s", DEPLOY_SFTP_DIR, f->name);
		buf_add_yaml_unsafe(b, sftp);
		free(sftp);
		buf_adds(b, "\n");
		cab = deploy_cab_name(f->name, f->package_cab);
		rc = put_line(b, "    ", "expand", l, deploy_cmd_expand(f->name,
		    ph->actions[i].kb, l)) == -1 || put_line(b, "    ", "add",
		    l, deploy_cmd_dism_add(ph->actions[i].kb, cab, l)) == -1 ||
		    put_line(b, "    ", "remove", l, rollback_remove_cmd(PH_ID,
		    l)) == -1 ? -1 : 0;
		free(cab);
		if (rc == -1)
			return -1;
	}
	if (h->tcpip_min)
		buf_addf(b, "# tcpip.sys must be at least this after the "
		    "restart\nkbfix_tcpip_min: \"%s\"\n", h->tcpip_min);
	return 0;
}

static int
host_cmds(const struct export_project *x, struct buf *b, struct buf *l)
{
	static const struct {
		const char *key;
		enum deploy_cmd c;
	} cmds[] = {
		{ "preflight", DEPLOY_CMD_PREFLIGHT },
		{ "disk", DEPLOY_CMD_DISK },
		{ "packages", DEPLOY_CMD_PACKAGES },
		{ "mkdir", DEPLOY_CMD_MKDIR },
		{ "boot", DEPLOY_CMD_BOOT },
		{ "boot_pending", DEPLOY_CMD_BOOT_PENDING },
		{ "tcpip", DEPLOY_CMD_TCPIP },
		{ "cleanup", DEPLOY_CMD_CLEANUP },
	};
	int d = x->o.reboot_delay_s;
	size_t i;

	buf_adds(b, "kbfix_cmd:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (put_line(b, "  ", cmds[i].key, l, deploy_cmd(cmds[i].c,
		    l)) == -1)
			return -1;
	return put_line(b, "  ", "reboot", l, deploy_cmd_shutdown(d, 0, 0,
	    l)) == -1 || put_line(b, "  ", "reboot_retry", l,
	    deploy_cmd_shutdown(d, 0, 1, l)) == -1 || put_line(b, "  ",
	    "rb_reboot", l, deploy_cmd_shutdown(d, 1, 0, l)) == -1 ||
	    put_line(b, "  ", "rb_reboot_retry", l, deploy_cmd_shutdown(d, 1, 1,
	    l)) == -1 ? -1 : 0;
}

/* -1 (err_set) when a command line refuses a value of the plan. */
static int
host_vars_text(const struct export_project *x, const struct xhost *h,
    struct buf *b)
{
	const struct plan_host *ph = h->ph;
	struct buf l;
	size_t i, n = 0;
	int rc = 0;

	buf_addf(b, "# %s: ", ph->name);
	buf_add_comment(b, ph->os ? ph->os : "Windows");
	buf_adds(b, " ");
	buf_add_comment(b, ph->version ? ph->version : "");
	buf_adds(b, " ");
	buf_add_comment(b, ph->arch ? ph->arch : "");
	buf_addf(b, ", wave %d.\n", ph->wave);
	header(b, x, "What site.yml does on this host: the command lines "
	    "kbfix apply sends,\n# built by the same functions, and what the "
	    "host prints once a change is\n# in place (planned).");
	if (ph->os) {
		buf_adds(b, "kbfix_os: ");
		buf_add_yaml_unsafe(b, ph->os);
		buf_adds(b, "\n");
	}
	if (ph->version) {
		buf_adds(b, "kbfix_version: ");
		buf_add_yaml_unsafe(b, ph->version);
		buf_adds(b, "\n");
	}
	if (ph->group) {
		buf_adds(b, "# reboot group: at most kbfix_group_max_unavailable "
		    "of its members\n# reboot at once (waves, and batches "
		    "within a wave)\nkbfix_group: ");
		buf_add_yaml_unsafe(b, ph->group);
		buf_addf(b, "\nkbfix_group_max_unavailable: %d\n",
		    plan_group_budget(x->p, ph->group));
	}
	buf_init(&l, 64 << 10);
	if (host_cmds(x, b, &l) == -1)
		rc = -1;
	for (i = 0; i < ph->nactions && rc == 0; i++) {
		const struct plan_action *a = &ph->actions[i];
		if (a->kind != ACTION_REGISTRY && a->kind != ACTION_MULTICAST)
			continue;
		buf_adds(b, n++ ? "" : "kbfix_changes:\n");
		rc = host_change(b, a, &l);
	}
	if (rc == 0)
		rc = host_install(b, h, &l);
	buf_release(&l);
	if (rc == -1) {
		err_prefix("host %s", ph->name);
		return -1;
	}
	buf_addf(b, "kbfix_reboot: %s\n",
	    plan_host_has(ph, ACTION_REBOOT) ? "true" : "false");
	return 0;
}

static void
play_text(const struct export_project *x, size_t w, int batch, int rollback,
    struct buf *b)
{
	size_t i, n = 0;
	int nb = x->nbatch[w];

	for (i = 0; i < x->nhosts; i++)
		n += x->hosts[i].wave == x->waves[w] &&
		    (nb == 1 || x->hosts[i].batch == batch);
	buf_addf(b, "\n- name: \"kbfix %swave %d", rollback ? "rollback, " :
	    "", x->waves[w]);
	if (nb > 1)
		buf_addf(b, ", batch %d of %d", batch + 1, nb);
	buf_addf(b, " (%zu host%s)\"\n", n, n == 1 ? "" : "s");
	if (nb > 1)
		buf_addf(b, "  # reboot groups: at most max_unavailable members "
		    "in one play\n  hosts: kbfix_wave_%d_batch_%d\n",
		    x->waves[w], batch + 1);
	else
		buf_addf(b, "  hosts: kbfix_wave_%d\n", x->waves[w]);
	buf_adds(b, "  gather_facts: false\n");
	if (!rollback && w == 0 && batch == 0 && x->o.canary >= 1 &&
	    (size_t)x->o.canary < n)
		buf_addf(b, "  # canary: the first %d host%s alone, then the "
		    "rest\n  serial: [%d, \"100%%\"]\n", x->o.canary,
		    x->o.canary == 1 ? "" : "s", x->o.canary);
	buf_addf(b, "  # more failures than this stop the run before the "
	    "next wave\n  max_fail_percentage: %d\n", x->o.max_fail);
	if (x->has_window && !rollback)
		buf_adds(b, "  pre_tasks:\n"
		    "    - name: \"the maintenance window is still open\"\n"
		    "      ansible.builtin.import_tasks: tasks/kbfix-window.yml\n");
	buf_addf(b, "  tasks:\n    - name: \"the host's steps\"\n"
	    "      ansible.builtin.import_tasks: %s\n",
	    rollback ? ROLLBACK_TASKS : TASKS_FILE);
}

static void
site_text(const struct export_project *x, int rollback, struct buf *b)
{
	size_t w;
	int k;

	if (rollback)
		header(b, x, "Undo of site.yml: each host back to the state "
		    "site.yml captured before\n# its first change (prior/HOST.json "
		    "on this controller). Run it from this\n# folder, for every "
		    "host or some: ansible-playbook rollback.yml [--limit HOST]");
	else
		header(b, x, "The plan's waves, one play each, in order. Run it "
		    "from this folder:\n#   ansible-playbook site.yml\n# "
		    "(README.txt says what it needs; rollback.yml undoes it)");
	buf_adds(b, "---\n- name: \"kbfix: on the controller, before any "
	    "host\"\n  hosts: localhost\n  gather_facts: false\n"
	    "  vars:\n    ansible_connection: local\n"
	    "    ansible_shell_type: sh\n  tasks:\n");
	if (!rollback && x->has_window)
		buf_adds(b, "    - name: \"the maintenance window is open\"\n"
		    "      ansible.builtin.import_tasks: tasks/kbfix-window.yml\n");
	buf_adds(b, "    - name: \"the controller's folder of prior "
	    "states\"\n      ansible.builtin.file:\n"
	    "        path: \"{{ kbfix_prior_dir }}\"\n"
	    "        state: directory\n        mode: \"0700\"\n");
	if (!rollback)
		buf_adds(b, "    - name: \"the bundle's packages\"\n"
		    "      ansible.builtin.import_tasks: tasks/kbfix-bundle.yml\n");
	if (x->nwaves == 0)
		return;
	if (rollback)
		for (w = x->nwaves; w-- > 0;)
			for (k = x->nbatch[w]; k-- > 0;)
				play_text(x, w, k, 1, b);
	else
		for (w = 0; w < x->nwaves; w++)
			for (k = 0; k < x->nbatch[w]; k++)
				play_text(x, w, k, 0, b);
}

static const char cfg_text[] =
"# Written by kbfix export.\n"
"[defaults]\n"
"inventory = inventory.yml\n"
"# host keys are checked against known_hosts, as kbfix apply does\n"
"host_key_checking = True\n"
"retry_files_enabled = False\n"
"# no Python on the hosts: nothing to discover\n"
"interpreter_python = auto_silent\n";

static void
readme_text(const struct export_project *x, struct buf *b)
{
	buf_adds(b, "kbfix export: the plan ");
	buf_add_comment(b, x->o.plan_path ? x->o.plan_path : "");
	buf_adds(b, " as an Ansible project\n\n");
	buf_addf(b, "%zu host(s) in %zu wave(s); %zu host(s) left to runbooks "
	    "(kbfix_manual: kbfix apply\nwrites their .cmd runbooks).\n\n",
	    x->nhosts, x->nwaves, x->nmanual);
	buf_adds(b,
"Run it from this folder (ansible.cfg names the inventory):\n"
"  ansible-playbook site.yml --tags check-bundle   the bundle, any time\n"
"  ansible-playbook site.yml             carry it out, wave after wave\n"
"  ansible-playbook rollback.yml [--limit HOST]   undo, from the capture\n\n"
"Controller: ansible-core 2.14 or later, OpenSSH 8.7 or later (scp -s),\n"
"the bundle written by kbfix fetch for this plan (group_vars/all.yml:\n"
"kbfix_bundle), and the hosts' keys in known_hosts. Give the key and\n"
"known_hosts to both Ansible and the controller's own scp/ssh, e.g.\n"
"  -e ansible_ssh_private_key_file=KEY\n"
"  -e '{\"kbfix_ssh_opts\": [\"-o\", \"UserKnownHostsFile=FILE\"]}'\n"
"No collection is needed.\n\n"
"Hosts: Win32-OpenSSH with cmd.exe as its shell (its default). Nothing\n"
"else: no PowerShell, no .NET, no Python, so Windows Vista / Server 2008\n"
"and later work, as with kbfix apply. Every task on a host is\n"
"ansible.builtin.raw with the cmd.exe command line kbfix apply sends\n"
"(host_vars/HOST.yml); the inventory sets ansible_shell_type to sh\n"
"because with cmd Ansible wraps each command in PowerShell.\n\n"
"What it does on a host, in kbfix apply's order (tasks/kbfix-host.yml):\n"
"preflight (OS and build as planned, no reboot pending, free space);\n"
"the state before any change into prior/HOST.json on the controller;\n"
"registry workarounds and multicast forwarding, each set and read back;\n"
"the packages uploaded with scp -s, read back and compared by SHA-256,\n"
"expanded and added with dism; shutdown /r when a reboot is pending and\n"
"a wait on the controller until the boot time changed; the checks\n"
"(packages Installed, tcpip.sys, values, multicast); clean-up. A second\n"
"run changes nothing.\n\n"
"The first wave starts with a canary (serial); a wave with more failures\n"
"than max_fail_percentage stops the run before the next; no wave starts\n"
"outside the maintenance window. A failed host is left as it failed:\n"
"rollback.yml --limit HOST undoes it. Keep prior/: it is what\n"
"rollback.yml restores.\n");
}

/*
 * awx/configure.yml: the project as AWX / Automation Controller objects,
 * with the awx.awx collection: a job template per wave (site.yml limited
 * to the wave), one that checks every host (--tags verify), and a
 * workflow that asks for an approval, then runs the waves in order and
 * the check.
 */
static void
awx_text(const struct export_project *x, struct buf *b)
{
	size_t w;

	header(b, x, "The plan as AWX / Automation Controller objects (the "
	    "awx.awx collection).\n# Commit this folder to a git repository "
	    "the controller can read, then:\n#   CONTROLLER_HOST=https://awx "
	    "CONTROLLER_OAUTH_TOKEN=... \\\n#   ansible-playbook "
	    "awx/configure.yml -e kbfix_awx_scm_url=GIT_URL \\\n#   -e "
	    "kbfix_awx_credential=MACHINE_CREDENTIAL\n# README.txt: job "
	    "slicing, and where prior/ must live on a controller.");
	buf_adds(b, "---\n- name: \"kbfix: job templates and a workflow for "
	    "the plan\"\n  hosts: localhost\n  connection: local\n"
	    "  gather_facts: false\n  vars:\n"
	    "    kbfix_awx_name: ");
	buf_add_json_str(b, "kbfix");
	buf_adds(b, "\n    kbfix_awx_organization: Default\n"
	    "    kbfix_awx_scm_url: \"\"\n    kbfix_awx_scm_branch: \"\"\n"
	    "    # a Machine credential: the hosts' SSH key (known_hosts: "
	    "kbfix_ssh_opts)\n    kbfix_awx_credential: \"\"\n"
	    "    # how long the approval waits (s)\n"
	    "    kbfix_awx_approval_timeout: 86400\n"
	    "  tasks:\n"
	    "    - name: \"the project: this folder, from git\"\n"
	    "      awx.awx.project:\n"
	    "        name: \"{{ kbfix_awx_name }}\"\n"
	    "        organization: \"{{ kbfix_awx_organization }}\"\n"
	    "        scm_type: git\n        scm_url: \"{{ kbfix_awx_scm_url }}\"\n"
	    "        scm_branch: \"{{ kbfix_awx_scm_branch }}\"\n"
	    "        wait: true\n\n"
	    "    - name: \"the inventory\"\n      awx.awx.inventory:\n"
	    "        name: \"{{ kbfix_awx_name }}\"\n"
	    "        organization: \"{{ kbfix_awx_organization }}\"\n\n"
	    "    - name: \"its hosts, groups and variables: inventory.yml, "
	    "group_vars, host_vars\"\n"
	    "      awx.awx.inventory_source:\n"
	    "        name: \"{{ kbfix_awx_name }} inventory.yml\"\n"
	    "        inventory: \"{{ kbfix_awx_name }}\"\n"
	    "        organization: \"{{ kbfix_awx_organization }}\"\n"
	    "        source: scm\n"
	    "        source_project: \"{{ kbfix_awx_name }}\"\n"
	    "        source_path: inventory.yml\n        overwrite: true\n"
	    "        update_on_launch: true\n\n");
	for (w = 0; w <= x->nwaves; w++) {
		if (w < x->nwaves)
			buf_addf(b, "    - name: \"job template: wave %d\"\n"
			    "      awx.awx.job_template:\n"
			    "        name: \"{{ kbfix_awx_name }} wave %d\"\n",
			    x->waves[w], x->waves[w]);
		else
			buf_adds(b, "    - name: \"job template: the check of "
			    "every host\"\n      awx.awx.job_template:\n"
			    "        name: \"{{ kbfix_awx_name }} verify\"\n");
		buf_adds(b, "        organization: \"{{ kbfix_awx_organization }}\"\n"
		    "        project: \"{{ kbfix_awx_name }}\"\n"
		    "        inventory: \"{{ kbfix_awx_name }}\"\n"
		    "        playbook: site.yml\n"
		    "        credentials: \"{{ [kbfix_awx_credential] if "
		    "kbfix_awx_credential else [] }}\"\n");
		if (w < x->nwaves)
			buf_addf(b, "        # the controller's play (window, bundle) "
			    "and this wave's\n        limit: \"localhost,"
			    "kbfix_wave_%d\"\n"
			    "        # one run: with slices, serial (the canary) and "
			    "max_fail_percentage\n        # would hold per slice "
			    "(README.txt)\n        job_slice_count: 1\n\n",
			    x->waves[w]);
		else
			buf_adds(b, "        job_tags: verify\n\n");
	}
	buf_adds(b, "    - name: \"the workflow\"\n"
	    "      awx.awx.workflow_job_template:\n"
	    "        name: \"{{ kbfix_awx_name }}\"\n"
	    "        organization: \"{{ kbfix_awx_organization }}\"\n"
	    "        inventory: \"{{ kbfix_awx_name }}\"\n\n");
	/* nodes last to first, so that each links to one that exists */
	buf_adds(b, "    - name: \"workflow: the check, last\"\n"
	    "      awx.awx.workflow_job_template_node:\n"
	    "        identifier: kbfix-verify\n"
	    "        workflow_job_template: \"{{ kbfix_awx_name }}\"\n"
	    "        organization: \"{{ kbfix_awx_organization }}\"\n"
	    "        unified_job_template: \"{{ kbfix_awx_name }} verify\"\n"
	    "        lookup_organization: \"{{ kbfix_awx_organization }}\"\n\n");
	for (w = x->nwaves; w-- > 0;) {
		buf_addf(b, "    - name: \"workflow: wave %d\"\n"
		    "      awx.awx.workflow_job_template_node:\n"
		    "        identifier: kbfix-wave-%d\n"
		    "        workflow_job_template: \"{{ kbfix_awx_name }}\"\n"
		    "        organization: \"{{ kbfix_awx_organization }}\"\n"
		    "        unified_job_template: \"{{ kbfix_awx_name }} wave "
		    "%d\"\n"
		    "        lookup_organization: \"{{ kbfix_awx_organization "
		    "}}\"\n        success_nodes: [", x->waves[w], x->waves[w],
		    x->waves[w]);
		if (w + 1 < x->nwaves)
			buf_addf(b, "kbfix-wave-%d]\n\n", x->waves[w + 1]);
		else
			buf_adds(b, "kbfix-verify]\n\n");
	}
	buf_adds(b, "    - name: \"workflow: an approval first\"\n"
	    "      awx.awx.workflow_job_template_node:\n"
	    "        identifier: kbfix-approve\n"
	    "        workflow_job_template: \"{{ kbfix_awx_name }}\"\n"
	    "        organization: \"{{ kbfix_awx_organization }}\"\n"
	    "        approval_node:\n"
	    "          name: \"{{ kbfix_awx_name }}: approve the change\"\n"
	    "          timeout: \"{{ kbfix_awx_approval_timeout }}\"\n");
	if (x->nwaves > 0)
		buf_addf(b, "        success_nodes: [kbfix-wave-%d]\n",
		    x->waves[0]);
	else
		buf_adds(b, "        success_nodes: [kbfix-verify]\n");
}

/* Writes one file of the project; -1 with err_set(). */
static int
put(const char *tmp, const char *name, struct buf *b)
{
	char *path = xasprintf("%s/%s", tmp, name);
	int rc;

	if (b->failed) {
		err_set("%s: too large", name);
		free(path);
		return -1;
	}
	rc = file_write_atomic(path, buf_str(b), b->len, 0644);
	free(path);
	buf_reset(b);
	return rc;
}

static int
put_const(const char *tmp, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmp, name);
	int rc = file_write_atomic(path, text, strlen(text), 0644);

	free(path);
	return rc;
}

static int
subdirs_make(const char *tmp)
{
	static const char *const sub[] = { "group_vars", "host_vars", "tasks",
	    "awx" };
	size_t i;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		char *d = xasprintf("%s/%s", tmp, sub[i]);
		int rc = mkdir(d, 0755);
		if (rc == -1)
			err_setx_errno("%s", d);
		free(d);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
files_write(const struct export_project *x, const char *tmp, struct buf *b)
{
	size_t i;

	if (subdirs_make(tmp) == -1 ||
	    put_const(tmp, "ansible.cfg", cfg_text) == -1)
		return -1;
	for (i = 0; export_task_files[i].name != NULL; i++)
		if (put_const(tmp, export_task_files[i].name,
		    export_task_files[i].text) == -1)
			return -1;
	inventory_text(x, b);
	if (put(tmp, "inventory.yml", b) == -1)
		return -1;
	group_vars_text(x, b);
	if (put(tmp, "group_vars/all.yml", b) == -1)
		return -1;
	for (i = 0; i < x->nhosts; i++) {
		char *name = xasprintf("host_vars/%s.yml", x->hosts[i].ph->name);
		int rc = host_vars_text(x, &x->hosts[i], b) == -1 ? -1 :
		    put(tmp, name, b);
		free(name);
		if (rc == -1)
			return -1;
	}
	site_text(x, 0, b);
	if (put(tmp, "site.yml", b) == -1)
		return -1;
	site_text(x, 1, b);
	if (put(tmp, "rollback.yml", b) == -1)
		return -1;
	awx_text(x, b);
	if (put(tmp, "awx/configure.yml", b) == -1)
		return -1;
	readme_text(x, b);
	return put(tmp, "README.txt", b);
}

int
export_ansible_write(const struct export_project *x, const char *dir)
{
	struct buf b;
	char *tmp;
	int rc = -1;

	if (dir_check_free(dir, 0) == -1 || (tmp = dir_tmp_beside(dir)) == NULL)
		return -1;
	buf_init(&b, 64 << 20);
	if (files_write(x, tmp, &b) == -1 || dir_commit(tmp, dir) == -1) {
		char *msg = xstrdup(err_msg());
		dir_remove_tree(tmp, 1);	/* nothing half-written stays */
		err_set("%s", msg);
		free(msg);
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	free(tmp);
	return rc;
}
