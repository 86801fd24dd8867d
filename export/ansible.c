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
#include "export/export.h"
#include "plan/plan.h"
#include "util/util.h"

#define TASKS_FILE	"tasks/kbfix-host.yml"

struct xhost {
	const struct plan_host *ph;
	/* per action: the bundle's .msu of an install */
	const struct catalog_bundle_file **files;
	const char	*tcpip_min;	/* highest of its installs, or NULL */
	int		 wave;
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
	size_t		 nwaves;
	char		 win_start[21], win_end[21];
	int		 has_window;
};


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
	return 0;
}

static int
int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
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

static void
inventory_text(const struct export_project *x, struct buf *b)
{
	size_t w, i;

	header(b, x, "Ansible inventory: one group per wave of the plan, in "
	    "order (site.yml runs\n# them one after the other). kbfix_manual "
	    "holds the hosts the plan leaves to a\n# runbook; no play "
	    "targets them.");
	buf_adds(b, "all:\n  vars:\n"
	    "    # Win32-OpenSSH, whose default shell is cmd.exe\n"
	    "    ansible_connection: ssh\n    ansible_shell_type: cmd\n"
	    "  children:\n");
	for (w = 0; w < x->nwaves; w++) {
		buf_addf(b, "    kbfix_wave_%d:\n      hosts:\n", x->waves[w]);
		for (i = 0; i < x->nhosts; i++) {
			const struct plan_host *ph = x->hosts[i].ph;
			if (x->hosts[i].wave != x->waves[w])
				continue;
			buf_adds(b, "        ");
			buf_add_json_str(b, ph->name);
			buf_adds(b, ":\n          ansible_host: ");
			buf_add_yaml_unsafe(b, ph->address ? ph->address : ph->name);
			buf_addf(b, "\n          ansible_port: %d\n",
			    ph->port ? ph->port : 22);
			if (ph->user) {
				buf_adds(b, "          ansible_user: ");
				buf_add_yaml_unsafe(b, ph->user);
				buf_adds(b, "\n");
			}
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
	header(b, x, "Settings of every host; host_vars/ holds each host's "
	    "actions.");
	buf_adds(b, "# kbfix fetch's bundle of this plan, on the controller "
	    "(override with\n# -e kbfix_bundle=DIR when it has moved)\n"
	    "kbfix_bundle: ");
	if (x->bundle_abs)
		buf_add_yaml_unsafe(b, x->bundle_abs);
	else
		buf_adds(b, "\"\"");
	buf_adds(b, "\n# where packages are copied on each host\n"
	    "kbfix_remote_dir: ");
	buf_add_json_str(b, PLAN_REMOTE_DIR);
	buf_addf(b, "\nkbfix_reboot_timeout: %d\n", x->o.reboot_timeout_s);
	if (x->has_window)
		buf_addf(b, "# the maintenance window (UTC): no wave starts "
		    "outside it\nkbfix_window_start: \"%s\"\n"
		    "kbfix_window_end: \"%s\"\n", x->win_start, x->win_end);
	buf_adds(b, "# what a host without an action of a kind does: "
	    "nothing\nkbfix_registry: []\nkbfix_multicast: []\n"
	    "kbfix_install: []\nkbfix_reboot: false\n");
}

/* "HKLM\Software\..." as win_regedit's "HKLM:\Software\...". */
static void
reg_path(struct buf *b, const char *key)
{
	const char *rest = strchr(key, '\\');
	char *path = xasprintf("HKLM:%s", rest ? rest : "");

	buf_add_yaml_unsafe(b, path);
	free(path);
}

static void
host_registry(struct buf *b, const struct plan_host *ph)
{
	const struct plan_action *a;
	size_t i, n = 0;

	for (i = 0; i < ph->nactions; i++) {
		a = &ph->actions[i];
		if (a->kind != ACTION_REGISTRY)
			continue;
		buf_adds(b, n++ ? "" : "kbfix_registry:\n");
		buf_adds(b, "  - path: ");
		reg_path(b, a->key);
		buf_adds(b, "\n    name: ");
		buf_add_yaml_unsafe(b, a->value);
		if (a->data_str) {
			buf_adds(b, "\n    type: string\n    data: ");
			buf_add_yaml_unsafe(b, a->data_str);
			buf_adds(b, "\n");
		} else
			buf_addf(b, "\n    type: dword\n    data: %u\n",
			    a->data_num);
	}
}

static void
host_multicast(struct buf *b, const struct plan_host *ph)
{
	const struct plan_action *a;
	size_t i, n = 0;

	for (i = 0; i < ph->nactions; i++) {
		a = &ph->actions[i];
		if (a->kind != ACTION_MULTICAST)
			continue;
		buf_adds(b, n++ ? "" : "kbfix_multicast:\n");
		buf_addf(b, "  - family: %s\n    state: %s\n",
		    strcmp(a->family, "ipv6") == 0 ? "ipv6" : "ipv4",
		    a->enabled ? "enabled" : "disabled");
	}
}

static void
host_install(struct buf *b, const struct xhost *h)
{
	const struct plan_host *ph = h->ph;
	size_t i, n = 0;

	for (i = 0; i < ph->nactions; i++) {
		if (ph->actions[i].kind != ACTION_INSTALL)
			continue;
		buf_adds(b, n++ ? "" : "kbfix_install:\n");
		buf_adds(b, "  - kb: ");
		buf_add_yaml_unsafe(b, ph->actions[i].kb);
		buf_adds(b, "\n    file: ");
		buf_add_yaml_unsafe(b, h->files[i]->name);
		buf_addf(b, "\n    sha256: \"%s\"\n", h->files[i]->sha256);
	}
	if (h->tcpip_min)
		buf_addf(b, "# tcpip.sys must be at least this after the "
		    "restart\nkbfix_tcpip_min: \"%s\"\n", h->tcpip_min);
}

static void
host_vars_text(const struct export_project *x, const struct xhost *h,
    struct buf *b)
{
	const struct plan_host *ph = h->ph;
	size_t i;
	int reboot = 0;

	buf_addf(b, "# %s: ", ph->name);
	buf_add_comment(b, ph->os ? ph->os : "Windows");
	buf_adds(b, " ");
	buf_add_comment(b, ph->version ? ph->version : "");
	buf_adds(b, " ");
	buf_add_comment(b, ph->arch ? ph->arch : "");
	buf_addf(b, ", wave %d.\n", ph->wave);
	header(b, x, "What site.yml does on this host, from the plan's "
	    "actions.");
	host_registry(b, ph);
	host_multicast(b, ph);
	host_install(b, h);
	for (i = 0; i < ph->nactions; i++)
		reboot |= ph->actions[i].kind == ACTION_REBOOT;
	buf_addf(b, "kbfix_reboot: %s\n", reboot ? "true" : "false");
}

static void
play_text(const struct export_project *x, size_t w, struct buf *b)
{
	size_t i, n = 0;

	for (i = 0; i < x->nhosts; i++)
		n += x->hosts[i].wave == x->waves[w];
	buf_addf(b, "\n- name: \"kbfix wave %d (%zu host%s)\"\n"
	    "  hosts: kbfix_wave_%d\n  gather_facts: false\n",
	    x->waves[w], n, n == 1 ? "" : "s", x->waves[w]);
	if (w == 0 && x->o.canary == 1 && n > 1)
		buf_adds(b, "  # canary: the first host alone, then the rest\n"
		    "  serial: [1, \"100%\"]\n");
	else if (w == 0 && x->o.canary > 1 && (size_t)x->o.canary < n)
		buf_addf(b, "  # canary: the first %d hosts alone, then the "
		    "rest\n  serial: [%d, \"100%%\"]\n", x->o.canary,
		    x->o.canary);
	buf_addf(b, "  # more failures than this stop the run before the "
	    "next wave\n  max_fail_percentage: %d\n", x->o.max_fail);
	if (x->has_window)
		buf_adds(b, "  pre_tasks:\n"
		    "    - name: \"the maintenance window is open\"\n"
		    "      tags: [window]\n"
		    "      ansible.builtin.assert:\n        that:\n"
		    "          - \"kbfix_window_start <= now(utc=true)."
		    "strftime('%Y-%m-%dT%H:%M:%SZ')\"\n"
		    "          - \"now(utc=true).strftime('%Y-%m-%dT%H:%M:%SZ') "
		    "< kbfix_window_end\"\n"
		    "        fail_msg: \"outside the window {{ kbfix_window_start "
		    "}} to {{ kbfix_window_end }}: no wave starts\"\n"
		    "      run_once: true\n      any_errors_fatal: true\n"
		    "      delegate_to: localhost\n");
	buf_adds(b, "  tasks:\n    - name: \"the host's steps\"\n"
	    "      ansible.builtin.import_tasks: " TASKS_FILE "\n");
}

static void
site_text(const struct export_project *x, struct buf *b)
{
	size_t w;

	header(b, x, "The plan's waves, one play each, in order. Run it from "
	    "this folder:\n#   ansible-playbook site.yml\n# (--check first "
	    "to see what would change; README.txt says what it needs)");
	buf_adds(b, "---");
	if (x->nwaves == 0)
		buf_adds(b, "\n- name: \"kbfix: no host of the plan needs an "
		    "action over SSH\"\n  hosts: localhost\n"
		    "  gather_facts: false\n  tasks: []\n");
	for (w = 0; w < x->nwaves; w++)
		play_text(x, w, b);
}

static const char tasks_yml[] =
"# The steps kbfix apply takes on one host, in its order: registry\n"
"# workarounds, multicast forwarding, packages, the restart, then the\n"
"# checks. Each host's values are in host_vars/<host>.yml.\n"
"# Before anything changes, the packages in the bundle are checked on the\n"
"# controller against the SHA-256 that kbfix fetch verified (also alone,\n"
"# before the window: ansible-playbook site.yml --tags check-bundle).\n"
"- name: \"bundle: the package's SHA-256\"\n"
"  ansible.builtin.stat:\n"
"    path: \"{{ kbfix_bundle }}/files/{{ item.file }}\"\n"
"    checksum_algorithm: sha256\n"
"    get_mime: false\n"
"  loop: \"{{ kbfix_install }}\"\n"
"  loop_control:\n"
"    label: \"{{ item.file }}\"\n"
"  register: kbfix_bundle_stat\n"
"  delegate_to: localhost\n"
"  vars:\n"
"    # the controller's own shell, not the Windows host's cmd.exe\n"
"    ansible_connection: local\n"
"    ansible_shell_type: sh\n"
"  tags: [check-bundle]\n"
"\n"
"- name: \"bundle: each package is the file kbfix fetch verified\"\n"
"  ansible.builtin.assert:\n"
"    that:\n"
"      - item.stat.exists\n"
"      - item.stat.checksum == item.item.sha256\n"
"    fail_msg: \"{{ kbfix_bundle }}/files/{{ item.item.file }}: missing, or not the file the plan was fetched with (kbfix verify names what changed)\"\n"
"    quiet: true\n"
"  loop: \"{{ kbfix_bundle_stat.results | default([]) }}\"\n"
"  loop_control:\n"
"    label: \"{{ item.item.file }}\"\n"
"  tags: [check-bundle]\n"
"\n"
"- name: registry workaround\n"
"  ansible.windows.win_regedit:\n"
"    path: \"{{ item.path }}\"\n"
"    name: \"{{ item.name }}\"\n"
"    type: \"{{ item.type }}\"\n"
"    data: \"{{ item.data }}\"\n"
"  loop: \"{{ kbfix_registry }}\"\n"
"  register: kbfix_registry_result\n"
"\n"
"- name: multicast forwarding, as it is\n"
"  ansible.windows.win_command: \"netsh interface {{ item.family }} show global\"\n"
"  loop: \"{{ kbfix_multicast }}\"\n"
"  register: kbfix_multicast_now\n"
"  changed_when: false\n"
"\n"
"- name: multicast forwarding\n"
"  ansible.windows.win_command: \"netsh interface {{ item.item.family }} set global multicastforwarding={{ item.item.state }}\"\n"
"  loop: \"{{ kbfix_multicast_now.results | default([]) }}\"\n"
"  when: \"item.stdout is not search('Multicast Forwarding\\\\s*:\\\\s*' ~ item.item.state, ignorecase=true)\"\n"
"  register: kbfix_multicast_result\n"
"\n"
"- name: package folder\n"
"  ansible.windows.win_file:\n"
"    path: \"{{ kbfix_remote_dir }}\"\n"
"    state: directory\n"
"  when: kbfix_install | length > 0\n"
"\n"
"- name: copy package from the bundle\n"
"  ansible.windows.win_copy:\n"
"    src: \"{{ kbfix_bundle }}/files/{{ item.file }}\"\n"
"    dest: \"{{ kbfix_remote_dir }}\\\\{{ item.file }}\"\n"
"  loop: \"{{ kbfix_install }}\"\n"
"\n"
"- name: install package\n"
"  community.windows.win_hotfix:\n"
"    hotfix_kb: \"{{ item.kb }}\"\n"
"    source: \"{{ kbfix_remote_dir }}\\\\{{ item.file }}\"\n"
"    state: present\n"
"  loop: \"{{ kbfix_install }}\"\n"
"  register: kbfix_install_result\n"
"\n"
"- name: restart\n"
"  ansible.windows.win_reboot:\n"
"    reboot_timeout: \"{{ kbfix_reboot_timeout }}\"\n"
"    msg: \"kbfix: hotfix reboot\"\n"
"  when: >-\n"
"    (kbfix_reboot and (kbfix_registry_result is changed or\n"
"    kbfix_multicast_result is changed or kbfix_install_result is changed))\n"
"    or (kbfix_install_result.results | default([])\n"
"    | selectattr('reboot_required', 'defined')\n"
"    | selectattr('reboot_required') | list | length > 0)\n"
"\n"
"- name: \"check: registry workarounds in place\"\n"
"  ansible.windows.win_regedit:\n"
"    path: \"{{ item.path }}\"\n"
"    name: \"{{ item.name }}\"\n"
"    type: \"{{ item.type }}\"\n"
"    data: \"{{ item.data }}\"\n"
"  loop: \"{{ kbfix_registry }}\"\n"
"  check_mode: true\n"
"  register: kbfix_registry_check\n"
"\n"
"- name: \"check: packages installed\"\n"
"  community.windows.win_hotfix:\n"
"    hotfix_kb: \"{{ item.kb }}\"\n"
"    source: \"{{ kbfix_remote_dir }}\\\\{{ item.file }}\"\n"
"    state: present\n"
"  loop: \"{{ kbfix_install }}\"\n"
"  check_mode: true\n"
"  register: kbfix_install_check\n"
"\n"
"- name: \"check: nothing left to change\"\n"
"  ansible.builtin.assert:\n"
"    that:\n"
"      - \"kbfix_registry_check.results | default([]) | selectattr('changed') | list | length == 0\"\n"
"      - \"kbfix_install_check.results | default([]) | selectattr('changed') | list | length == 0\"\n"
"    fail_msg: \"after the restart a registry value or a package is still not as planned\"\n"
"\n"
"- name: \"check: tcpip.sys version\"\n"
"  community.windows.win_file_version:\n"
"    path: 'C:\\Windows\\System32\\drivers\\tcpip.sys'\n"
"  register: kbfix_tcpip\n"
"  when: kbfix_tcpip_min is defined\n"
"\n"
"- name: \"check: tcpip.sys is new enough\"\n"
"  ansible.builtin.assert:\n"
"    that: \"kbfix_tcpip.file_version is version(kbfix_tcpip_min, '>=')\"\n"
"    fail_msg: \"tcpip.sys is {{ kbfix_tcpip.file_version }}, below {{ kbfix_tcpip_min }}\"\n"
"  when: kbfix_tcpip_min is defined\n";

static const char cfg_text[] =
"# Written by kbfix export.\n"
"[defaults]\n"
"inventory = inventory.yml\n"
"# host keys are checked against known_hosts, as kbfix apply does\n"
"host_key_checking = True\n"
"retry_files_enabled = False\n";

static void
readme_text(const struct export_project *x, struct buf *b)
{
	buf_addf(b, "kbfix export: the plan %s as an Ansible project\n\n",
	    x->o.plan_path ? x->o.plan_path : "");
	buf_addf(b, "%zu host(s) in %zu wave(s); %zu host(s) left to runbooks "
	    "(kbfix_manual: kbfix apply\nwrites their .cmd runbooks).\n\n",
	    x->nhosts, x->nwaves, x->nmanual);
	buf_adds(b,
"Run it from this folder (ansible.cfg names the inventory):\n"
"  ansible-playbook site.yml --tags check-bundle   the bundle, any time\n"
"  ansible-playbook site.yml --check     what would change\n"
"  ansible-playbook site.yml             carry it out, wave after wave\n\n"
"It needs, on the controller: the ansible.windows and community.windows\n"
"collections, and the bundle written by kbfix fetch for this plan\n"
"(group_vars/all.yml: kbfix_bundle). On each host: Win32-OpenSSH with\n"
"cmd.exe as its shell (ansible_shell_type: cmd), and PowerShell 3.0 or\n"
"later, which Ansible's Windows modules run on: Windows 7 and Server\n"
"2008 R2 ship 2.0 and need WMF 3.0 or later first.\n\n"
"What it does on a host, in kbfix apply's order (tasks/kbfix-host.yml):\n"
"registry workarounds (win_regedit), multicast forwarding (netsh), the\n"
"packages copied and installed (win_hotfix), the restart when the plan\n"
"asks for one and something changed, then the checks: the values and\n"
"packages in place, and tcpip.sys at least the fixed version.\n\n"
"The first wave starts with a canary; a wave with more failures than\n"
"max_fail_percentage stops the run before the next; no wave starts\n"
"outside the maintenance window. Undo with kbfix rollback, which keeps\n"
"a journal of what it changed; this project keeps none.\n");
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
	static const char *const sub[] = { "group_vars", "host_vars", "tasks" };
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
	    put_const(tmp, "ansible.cfg", cfg_text) == -1 ||
	    put_const(tmp, TASKS_FILE, tasks_yml) == -1)
		return -1;
	inventory_text(x, b);
	if (put(tmp, "inventory.yml", b) == -1)
		return -1;
	group_vars_text(x, b);
	if (put(tmp, "group_vars/all.yml", b) == -1)
		return -1;
	for (i = 0; i < x->nhosts; i++) {
		char *name = xasprintf("host_vars/%s.yml", x->hosts[i].ph->name);
		int rc;
		host_vars_text(x, &x->hosts[i], b);
		rc = put(tmp, name, b);
		free(name);
		if (rc == -1)
			return -1;
	}
	site_text(x, b);
	if (put(tmp, "site.yml", b) == -1)
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
