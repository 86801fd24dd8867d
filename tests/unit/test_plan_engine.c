#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static struct advisory_set *set;
static struct plan_supersede *sup;	/* the built-in data (seed 001) */
/* the tests of the hotfix models predate --hotfix-policy: exposed */
static enum plan_hotfix_policy policy = PLAN_HOTFIX_EXPOSED;

static int
setup(void **state)
{
	(void)state;
	set = plan_advisory_builtin();
	sup = plan_supersede_builtin();
	return set && sup ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	plan_advisory_set_free(set);
	plan_supersede_free(sup);
	return 0;
}

/* Plans a CSV inventory (header + rows) with the built-in advisories. */
static struct plan *
plan_csv(const char *csv, enum plan_prefer prefer)
{
	struct plan_options o = { .prefer = prefer, .created = "2026-11-21T12:00:00Z",
	    .supersede = sup, .hotfix_policy = policy };
	struct plan_inventory *inv;
	struct plan *p;

	inv = plan_inventory_parse("t.csv", csv, strlen(csv));
	if (inv == NULL)
		fail_msg("inventory: %s", err_msg());
	p = plan_build(inv, set, &o);
	plan_inventory_free(inv);
	return p;
}

static const struct plan_finding *
finding(const struct plan_host *h, const char *advisory)
{
	size_t i;

	for (i = 0; i < h->nfindings; i++)
		if (strcmp(h->findings[i].advisory, advisory) == 0)
			return &h->findings[i];
	fail_msg("no finding %s", advisory);
	return NULL;
}

static size_t
count_kind(const struct plan_host *h, enum plan_action_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < h->nactions; i++)
		n += h->actions[i].kind == k;
	return n;
}

static const char *
only_install(const struct plan_host *h)
{
	size_t i;
	const char *kb = NULL;

	for (i = 0; i < h->nactions; i++)
		if (h->actions[i].kind == ACTION_INSTALL) {
			if (kb)
				fail_msg("%s: two installs", h->name);
			kb = h->actions[i].kb;
		}
	return kb;
}

#define HDR "name,os,version,arch,channel,installed,files,wfp_callout_drivers,multicast_forwarding,registry\n"

/* Every row of the July 2018 table (FACTS.md 1) with each --prefer. */
static const struct {
	const char	*os, *version, *channel, *installed;
	const char	*channel_kb, *minimal_kb, *latest_kb;
} july[] = {
	{ "Windows 10 Enterprise", "10.0.17134", "", "KB4338819", "KB4345421", "KB4345421", "KB4343909" },
	{ "Windows 10 Pro", "10.0.16299", "", "KB4338825", "KB4345420", "KB4345420", "KB4343897" },
	{ "Windows 10 Pro", "10.0.15063", "", "KB4338826", "KB4345419", "KB4345419", "KB4343885" },
	{ "Windows 10 Enterprise", "10.0.14393", "", "KB4338814", "KB4345418", "KB4345418", "KB4343887" },
	{ "Windows Server 2016 Standard", "10.0.14393", "", "KB4338814", "KB4345418", "KB4345418", "KB4343887" },
	{ "Windows 10 Enterprise", "10.0.10240", "", "KB4338829", "KB4345455", "KB4345455", "KB4343892" },
	{ "Windows 8.1 Pro", "6.3.9600", "security-only", "KB4338824", "KB4345424", "KB4345424", "KB4343888" },
	{ "Windows Server 2012 R2 Standard", "6.3.9600", "", "KB4338824", "KB4345424", "KB4345424", "KB4343888" },
	{ "Windows 8.1 Pro", "6.3.9600", "", "KB4338815", "KB4338831", "KB4345424", "KB4343898" },
	{ "Windows Server 2012 R2 Standard", "6.3.9600", "monthly-rollup", "KB4338815", "KB4338831", "KB4345424", "KB4343898" },
	{ "Windows Server 2012 Standard", "6.2.9200", "", "KB4338820", "KB4345425", "KB4345425", "KB4343896" },
	{ "Windows Server 2012 Standard", "6.2.9200", "", "KB4338830", "KB4338816", "KB4345425", "KB4343901" },
	{ "Windows 7 Professional", "6.1.7601", "", "KB4338823", "KB4345459", "KB4345459", "KB4343899" },
	{ "Windows Server 2008 R2 Enterprise", "6.1.7601", "security-only", "KB4338823", "KB4345459", "KB4345459", "KB4343899" },
	{ "Windows 7 Professional", "6.1.7601", "", "KB4338818", "KB4338821", "KB4345459", "KB4343900" },
	{ "Windows Server 2008 R2 Enterprise", "6.1.7601", "", "KB4338818", "KB4338821", "KB4345459", "KB4343900" },
	{ "Windows Server 2008 Standard", "6.0.6002", "", "KB4295656", "KB4345397", "KB4345397", "KB4345397" },
};

static void
test_plan_build_july_row_selects_fix(void **state)
{
	static const enum plan_prefer prefs[] = { PLAN_PREFER_CHANNEL,
	    PLAN_PREFER_MINIMAL, PLAN_PREFER_LATEST };
	char csv[1024];
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(july) / sizeof(july[0]); i++)
		for (k = 0; k < 3; k++) {
			const char *want = k == 0 ? july[i].channel_kb :
			    k == 1 ? july[i].minimal_kb : july[i].latest_kb;
			struct plan *p;

			snprintf(csv, sizeof(csv), HDR "h1,%s,%s,x64,%s,%s,,,,\n",
			    july[i].os, july[i].version, july[i].channel,
			    july[i].installed);
			p = plan_csv(csv, prefs[k]);
			if (only_install(&p->hosts[0]) == NULL ||
			    strcmp(only_install(&p->hosts[0]), want) != 0)
				fail_msg("row %zu (%s %s) prefer %zu: %s, want %s",
				    i, july[i].os, july[i].installed, k,
				    only_install(&p->hosts[0]), want);
			assert_int_equal(finding(&p->hosts[0],
			    "tcpip-2018-07")->state, FINDING_AFFECTED);
			assert_int_equal(p->hosts[0].status, PLAN_NEEDS_ACTION);
			assert_int_equal(count_kind(&p->hosts[0], ACTION_REBOOT), 1);
			plan_free(p);
		}
}

static void
test_plan_build_july_fix_or_august_is_compliant(void **state)
{
	static const char *const rows[] = {
		"h1,Windows 7 Enterprise,6.1.7601,x64,,KB4338823;KB4345459,,,,",
		"h1,Windows 7 Enterprise,6.1.7601,x64,,KB4338818;KB4338821,,,,",
		"h1,Windows 7 Enterprise,6.1.7601,x64,,KB4338818;KB4345459,,,,",
		"h1,Windows 7 Enterprise,6.1.7601,x64,,KB4343900,,,,",
		"h1,Windows Server 2008 R2 Standard,6.1.7601,x64,,KB4338823;KB4343899,,,,",
		"h1,Windows 10 Pro,10.0.17134,x64,,KB4338819;KB4343909,,,,",
		"h1,Windows Server 2012 Standard,6.2.9200,x64,,KB4338830;KB4343896,,,,",
		"h1,Windows Server 2012 R2 Standard,6.3.9600,x64,,KB4338815;KB4343888,,,,",
		"h1,Windows Server 2008 Standard,6.0.6002,x86,,KB4295656;KB4345397,,,,",
	};
	char csv[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct plan *p;

		snprintf(csv, sizeof(csv), HDR "%s\n", rows[i]);
		p = plan_csv(csv, PLAN_PREFER_CHANNEL);
		if (finding(&p->hosts[0], "tcpip-2018-07")->state != FINDING_FIXED)
			fail_msg("%s: %s", rows[i],
			    finding(&p->hosts[0], "tcpip-2018-07")->reason);
		assert_int_equal(p->hosts[0].nactions, 0);
		plan_free(p);
	}
}

static void
test_plan_build_july_absent_names_replacement(void **state)
{
	struct plan *p;
	const struct plan_finding *f;

	(void)state;
	p = plan_csv(HDR "h1,Windows Server 2008 R2 Standard,6.1.7601,x64,,KB4284826,,,,\n"
	    "h2,Windows 7 Enterprise,6.1.7601,x64,monthly-rollup,,,,,\n",
	    PLAN_PREFER_CHANNEL);
	f = finding(&p->hosts[0], "tcpip-2018-07");
	assert_int_equal(f->state, FINDING_NOT_AFFECTED);
	assert_non_null(strstr(f->reason, "KB4345459 instead of KB4338823"));
	assert_non_null(strstr(f->reason, "KB4338821 instead of KB4338818"));
	assert_int_equal(p->hosts[0].status, PLAN_NOT_APPLICABLE);
	/* installed empty cell: the fact is absent, so unknown */
	f = finding(&p->hosts[1], "tcpip-2018-07");
	assert_int_equal(f->state, FINDING_UNKNOWN);
	assert_non_null(strstr(f->reason, "collect installed"));
	plan_free(p);
}

static void
test_plan_build_channel_inferred_with_reason(void **state)
{
	struct plan *p;

	(void)state;
	p = plan_csv(HDR "h1,Windows 7 Enterprise,6.1.7601,x64,,KB4338818,,,,\n"
	    "h2,Windows 7 Enterprise,6.1.7601,x64,,KB4338823,,,,\n"
	    "h3,Windows Server 2012 Standard,6.2.9200,x64,,KB4338830,,,,\n",
	    PLAN_PREFER_CHANNEL);
	assert_string_equal(only_install(&p->hosts[0]), "KB4338821");
	assert_non_null(strstr(finding(&p->hosts[0], "tcpip-2018-07")->reason,
	    "channel monthly-rollup inferred from installed KB4338818"));
	assert_string_equal(only_install(&p->hosts[1]), "KB4345459");
	assert_non_null(strstr(finding(&p->hosts[1], "tcpip-2018-07")->reason,
	    "channel security-only inferred from installed KB4338823"));
	assert_string_equal(only_install(&p->hosts[2]), "KB4338816");
	plan_free(p);
	/* the inventory's channel is used, and a contradiction is named */
	p = plan_csv(HDR "h1,Windows 7 Enterprise,6.1.7601,x64,security-only,KB4338818,,,,\n",
	    PLAN_PREFER_CHANNEL);
	assert_non_null(strstr(finding(&p->hosts[0], "tcpip-2018-07")->reason,
	    "KB4338818 is a monthly-rollup update although the inventory says "
	    "security-only"));
	plan_free(p);
}

static void
test_plan_build_kb976527_branches(void **state)
{
	struct plan *p;
	const struct plan_host *h;

	(void)state;
	p = plan_csv(HDR
	    "gdr,Windows 7 Enterprise,6.1.7600,x86,,,tcpip.sys=6.1.7600.16385,1,,\n"
	    "ldr,Windows Server 2008 R2 Standard,6.1.7600,x64,,,tcpip.sys=6.1.7600.20600,1,,\n"
	    "gdrfixed,Windows 7 Enterprise,6.1.7600,x86,,,tcpip.sys=6.1.7600.16512,1,,\n"
	    "ldrfixed,Windows 7 Enterprise,6.1.7600,x86,,,tcpip.sys=6.1.7600.20628,1,,\n"
	    "nodrv,Windows 7 Enterprise,6.1.7600,x86,,,tcpip.sys=6.1.7600.16385,0,,\n"
	    "nocount,Windows 7 Enterprise,6.1.7600,x86,,,tcpip.sys=6.1.7600.16385,,,\n"
	    "nofile,Windows 7 Enterprise,6.1.7600,x86,,,,1,,\n"
	    "sp1,Windows 7 Enterprise,6.1.7601,x86,,,tcpip.sys=6.1.7601.17514,3,,\n",
	    PLAN_PREFER_CHANNEL);
	h = plan_host_find(p, "gdr");
	assert_string_equal(only_install(h), "KB976527");
	assert_string_equal(h->actions[0].tcpip_min, "6.1.7600.16512");
	assert_string_equal(h->actions[0].advisory, "wfp-classify-handle");
	h = plan_host_find(p, "ldr");
	assert_string_equal(h->actions[0].tcpip_min, "6.1.7600.20628");
	assert_int_equal(finding(plan_host_find(p, "gdrfixed"),
	    "wfp-classify-handle")->state, FINDING_FIXED);
	assert_int_equal(finding(plan_host_find(p, "ldrfixed"),
	    "wfp-classify-handle")->state, FINDING_FIXED);
	assert_int_equal(finding(plan_host_find(p, "nodrv"),
	    "wfp-classify-handle")->state, FINDING_NOT_AFFECTED);
	assert_non_null(strstr(finding(plan_host_find(p, "nocount"),
	    "wfp-classify-handle")->reason, "collect wfp_callout_drivers"));
	assert_non_null(strstr(finding(plan_host_find(p, "nofile"),
	    "wfp-classify-handle")->reason, "collect files.tcpip.sys"));
	assert_int_equal(plan_host_find(p, "nofile")->status, PLAN_UNKNOWN);
	h = plan_host_find(p, "sp1");
	assert_int_equal(finding(h, "wfp-classify-handle")->state,
	    FINDING_NOT_AFFECTED);
	assert_non_null(strstr(finding(h, "wfp-classify-handle")->reason,
	    "Later service pack"));
	assert_int_equal(finding(h, "wfp-two-callouts")->state,
	    FINDING_NOT_AFFECTED);
	plan_free(p);
}

static void
test_plan_build_kb979278_covers_kb976527(void **state)
{
	struct plan *p;
	const struct plan_host *h;

	(void)state;
	p = plan_csv(HDR
	    "w7,Windows 7 Enterprise,6.1.7600,x64,,,tcpip.sys=6.1.7600.16385,2,,\n"
	    "s08,Windows Server 2008 Standard,6.0.6001,x64,,,tcpip.sys=6.0.6001.18000,2,true,\n"
	    "v2,Windows Vista Business,6.0.6002,x86,,,tcpip.sys=6.0.6002.22300,2,,\n",
	    PLAN_PREFER_CHANNEL);
	h = plan_host_find(p, "w7");
	assert_string_equal(only_install(h), "KB979278");
	assert_string_equal(h->actions[0].tcpip_min, "6.1.7600.20648");
	assert_int_equal(finding(h, "wfp-classify-handle")->state,
	    FINDING_AFFECTED);
	assert_non_null(strstr(finding(h, "wfp-classify-handle")->reason,
	    "Planned instead: KB979278"));
	/* 6.0.6001.22611 (KB979278) >= 6.0.6001.22222 (KB943650) */
	h = plan_host_find(p, "s08");
	assert_string_equal(only_install(h), "KB979278");
	assert_int_equal(count_kind(h, ACTION_MULTICAST), 0);
	assert_string_equal(h->transport, "manual");
	h = plan_host_find(p, "v2");
	assert_string_equal(only_install(h), "KB979278");
	assert_string_equal(h->actions[0].tcpip_min, "6.0.6002.22319");
	plan_free(p);
}

static void
test_plan_build_kb943650_vista_rtm_blocked_with_workaround(void **state)
{
	struct plan *p;
	const struct plan_host *h;
	const struct plan_finding *f;

	(void)state;
	p = plan_csv(HDR
	    "rtm,Windows Vista Business,6.0.6000,x86,,,tcpip.sys=6.0.6000.16386,0,true,\n"
	    "rtmoff,Windows Vista Business,6.0.6000,x86,,,,0,false,\n"
	    "sp1,Windows Vista Business,6.0.6001,x86,,,tcpip.sys=6.0.6001.22222,0,true,\n"
	    "sp2,Windows Server 2008 Standard,6.0.6002,x64,,,,0,true,\n",
	    PLAN_PREFER_CHANNEL);
	h = plan_host_find(p, "rtm");
	f = finding(h, "multicast-forwarding");
	assert_int_equal(f->state, FINDING_BLOCKED);
	assert_non_null(strstr(f->reason, "Windows Vista SP1"));
	assert_int_equal(h->nactions, 2);
	assert_int_equal(h->actions[0].kind, ACTION_MULTICAST);
	assert_string_equal(h->actions[0].family, "ipv4");
	assert_int_equal(h->actions[0].enabled, 0);
	assert_int_equal(h->actions[1].kind, ACTION_VERIFY);
	assert_int_equal(h->status, PLAN_NEEDS_ACTION);
	assert_int_equal(finding(plan_host_find(p, "rtmoff"),
	    "multicast-forwarding")->state, FINDING_NOT_AFFECTED);
	assert_int_equal(finding(plan_host_find(p, "sp1"),
	    "multicast-forwarding")->state, FINDING_FIXED);
	f = finding(plan_host_find(p, "sp2"), "multicast-forwarding");
	assert_int_equal(f->state, FINDING_NOT_AFFECTED);
	assert_non_null(strstr(f->reason, "SP2"));
	plan_free(p);
}

static void
test_plan_build_kb979278_vista_rtm_blocked(void **state)
{
	struct plan *p;
	const struct plan_host *h;

	(void)state;
	p = plan_csv(HDR "rtm,Windows Vista Business,6.0.6000,x86,,,"
	    "tcpip.sys=6.0.6000.16386,2,false,\n", PLAN_PREFER_CHANNEL);
	h = &p->hosts[0];
	assert_int_equal(finding(h, "wfp-two-callouts")->state, FINDING_BLOCKED);
	assert_int_equal(h->nactions, 0);
	assert_int_equal(h->status, PLAN_BLOCKED);
	plan_free(p);
}

#define CEIP "HKLM\\Software\\Microsoft\\SQMClient\\Windows\\"
#define RAC "HKLM\\Software\\Microsoft\\Reliability Analysis\\RAC\\RacSampleNumber"
#define POLICY "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SQMClient\\Windows\\CEIPEnable"

static void
test_plan_build_ceip_cases(void **state)
{
	struct plan *p;
	const struct plan_host *h;
	const struct plan_finding *f;

	(void)state;
	p = plan_csv(HDR
	    "sampled,Windows 7 Pro,6.1.7601,x64,,,,,," CEIP "CEIPEnable=1;" CEIP "CEIPSampledIn=1\n"
	    "inrange,Windows 7 Pro,6.1.7601,x64,,,,,," CEIP "CEIPEnable=1;" CEIP "CEIPSampledIn=0;" RAC "=10000000\n"
	    "outrange,Windows 7 Pro,6.1.7601,x64,,,,,," CEIP "CEIPEnable=1;" CEIP "CEIPSampledIn=0;" RAC "=0x98765432\n"
	    "custom,Windows 7 Pro,6.1.7601,x64,,,,,," CEIP "CEIPEnable=1;" CEIP "CEIPSamplingRangeHigh=100;" RAC "=500\n"
	    "policy,Windows 7 Pro,6.1.7601,x64,,,,,," CEIP "CEIPEnable=0;" POLICY "=1;" CEIP "CEIPSampledIn=1\n"
	    "off,Windows 7 Pro,6.1.7601,x64,,,,,," CEIP "CEIPEnable=0;" CEIP "CEIPSampledIn=1\n"
	    "norac,Windows 7 Pro,6.1.7601,x64,,,,,," CEIP "CEIPEnable=1;" CEIP "CEIPSampledIn=0\n"
	    "noreg,Windows 7 Pro,6.1.7601,x64,,,,,,\n"
	    "server,Windows Server 2008 R2 Standard,6.1.7601,x64,,,,,," CEIP "CEIPEnable=1;" CEIP "CEIPSampledIn=1\n",
	    PLAN_PREFER_CHANNEL);
	h = plan_host_find(p, "sampled");
	assert_int_equal(finding(h, "ws2-unload-ceip")->state, FINDING_AFFECTED);
	assert_int_equal(h->nactions, 2);
	assert_int_equal(h->actions[0].kind, ACTION_REGISTRY);
	assert_string_equal(h->actions[0].key, "HKLM\\Software\\Microsoft\\SQMClient\\Windows");
	assert_string_equal(h->actions[0].value, "CEIPEnable");
	assert_string_equal(h->actions[0].type, "REG_DWORD");
	assert_int_equal(h->actions[0].data_num, 0);
	assert_int_equal(count_kind(h, ACTION_REBOOT), 0);
	assert_int_equal(finding(plan_host_find(p, "inrange"),
	    "ws2-unload-ceip")->state, FINDING_AFFECTED);
	assert_int_equal(finding(plan_host_find(p, "outrange"),
	    "ws2-unload-ceip")->state, FINDING_NOT_AFFECTED);
	assert_int_equal(finding(plan_host_find(p, "custom"),
	    "ws2-unload-ceip")->state, FINDING_NOT_AFFECTED);
	h = plan_host_find(p, "policy");
	f = finding(h, "ws2-unload-ceip");
	assert_int_equal(f->state, FINDING_BLOCKED);
	assert_non_null(strstr(f->reason, "Turn off Windows Customer "
	    "Experience Improvement Program"));
	assert_int_equal(h->nactions, 0);
	assert_int_equal(h->status, PLAN_BLOCKED);
	assert_int_equal(finding(plan_host_find(p, "off"),
	    "ws2-unload-ceip")->state, FINDING_NOT_AFFECTED);
	f = finding(plan_host_find(p, "norac"), "ws2-unload-ceip");
	assert_int_equal(f->state, FINDING_UNKNOWN);
	assert_non_null(strstr(f->reason, "RacSampleNumber"));
	f = finding(plan_host_find(p, "noreg"), "ws2-unload-ceip");
	assert_int_equal(f->state, FINDING_UNKNOWN);
	assert_non_null(strstr(f->reason, "collect registry"));
	assert_int_equal(finding(plan_host_find(p, "server"),
	    "ws2-unload-ceip")->state, FINDING_NOT_AFFECTED);
	plan_free(p);
}

static void
test_plan_build_status_precedence_and_order(void **state)
{
	struct plan *p;
	const struct plan_host *h;

	(void)state;
	p = plan_csv(HDR
	    "all,Windows 7 Pro,6.1.7601,x64,,KB4338823,,,," CEIP "CEIPEnable=1;" CEIP "CEIPSampledIn=1\n"
	    "blk,Windows 7 Pro,6.1.7601,x64,,,,,," POLICY "=1;" CEIP "CEIPSampledIn=1\n"
	    "unk,Windows 7 Pro,6.1.7601,x64,,KB4345459,,,,\n"
	    "ok,Windows 7 Pro,6.1.7601,x64,,KB4345459,,,,\n"
	    "na,Windows 8.1 Pro,6.3.9600,x64,,KB4284815,,,,\n"
	    "noarch,Windows 7 Pro,6.1.7601,,,KB4338823,,,,\n",
	    PLAN_PREFER_CHANNEL);
	h = plan_host_find(p, "all");
	assert_int_equal(h->status, PLAN_NEEDS_ACTION);
	assert_int_equal(h->nactions, 4);
	assert_int_equal(h->actions[0].kind, ACTION_REGISTRY);
	assert_int_equal(h->actions[1].kind, ACTION_INSTALL);
	assert_int_equal(h->actions[2].kind, ACTION_REBOOT);
	assert_int_equal(h->actions[3].kind, ACTION_VERIFY);
	assert_int_equal(h->estimate_s, PLAN_EST_WORKAROUND + PLAN_EST_INSTALL +
	    PLAN_EST_REBOOT + PLAN_EST_VERIFY);
	assert_string_equal(h->address, "all");
	assert_int_equal(h->port, 22);
	assert_string_equal(h->transport, "ssh");
	assert_string_equal(h->os, "Windows 7");
	assert_string_equal(h->arch, "x64");
	assert_int_equal(h->wave, 1);
	/* blocked (CEIP) beats unknown (installed missing) */
	assert_int_equal(plan_host_find(p, "blk")->status, PLAN_BLOCKED);
	/* unknown (registry not collected) beats compliant */
	assert_int_equal(plan_host_find(p, "unk")->status, PLAN_UNKNOWN);
	assert_int_equal(plan_host_find(p, "na")->status, PLAN_NOT_APPLICABLE);
	h = plan_host_find(p, "noarch");
	assert_int_equal(finding(h, "tcpip-2018-07")->state, FINDING_UNKNOWN);
	assert_non_null(strstr(finding(h, "tcpip-2018-07")->reason,
	    "collect arch"));
	assert_int_equal(h->wave, 0);
	plan_free(p);
}

static void
test_plan_build_packages_per_product_and_arch(void **state)
{
	struct plan *p;
	size_t i, found = 0;

	(void)state;
	p = plan_csv(HDR
	    "a,Windows 7 Pro,6.1.7601,x64,,KB4338823,,,,\n"
	    "b,Windows Server 2008 R2 Standard,6.1.7601,x64,,KB4338823,,,,\n"
	    "c,Windows 7 Pro,6.1.7601,x64,,KB4338823,,,,\n"
	    "d,Windows 7 Pro,6.1.7601,x86,,KB4338823,,,,\n",
	    PLAN_PREFER_CHANNEL);
	assert_int_equal(p->npackages, 3);
	for (i = 0; i < p->npackages; i++) {
		const struct plan_package *pk = &p->packages[i];

		assert_string_equal(pk->kb, "KB4345459");
		if (strcmp(pk->product, "Windows 7") == 0 &&
		    strcmp(pk->arch, "x64") == 0) {
			assert_int_equal(pk->nhosts, 2);
			assert_string_equal(pk->hosts[0], "a");
			assert_string_equal(pk->hosts[1], "c");
			found++;
		} else if (strcmp(pk->product, "Windows Server 2008 R2") == 0) {
			assert_int_equal(pk->nhosts, 1);
			found++;
		}
	}
	assert_int_equal(found, 2);
	plan_free(p);
}

static void
test_plan_build_waves_split_reboot_groups(void **state)
{
	const char *csv = "name,os,version,arch,installed,group,wave\n"
	    "a,Windows 7 Pro,6.1.7601,x64,KB4338823,sql,\n"
	    "b,Windows 7 Pro,6.1.7601,x64,KB4338823,sql,1\n"
	    "c,Windows 7 Pro,6.1.7601,x64,KB4338823,sql,\n"
	    "d,Windows 7 Pro,6.1.7601,x64,KB4338823,,\n"
	    "e,Windows 7 Pro,6.1.7601,x64,KB4345459,sql,\n";
	struct plan *p;

	(void)state;
	p = plan_csv(csv, PLAN_PREFER_CHANNEL);
	assert_int_equal(plan_host_find(p, "b")->wave, 1);
	assert_int_equal(plan_host_find(p, "a")->wave, 2);
	assert_int_equal(plan_host_find(p, "c")->wave, 3);
	assert_int_equal(plan_host_find(p, "d")->wave, 1);
	assert_int_equal(plan_host_find(p, "e")->wave, 0);
	assert_string_equal(plan_host_find(p, "a")->group, "sql");
	plan_free(p);
}

/*
 * Reboot group budgets (issue 14 item 6): a JSON inventory of n members of
 * group "web" (Windows 7 needing KB4345459) with groups given as JSON.
 */
static struct plan *
plan_group_json(int n, const char *groups, const char *extra)
{
	struct buf b;
	struct plan *p;
	int i;

	buf_init(&b, 1 << 20);
	buf_addf(&b, "{\"groups\": %s, \"hosts\": [", groups);
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s{\"name\": \"w%02d\", \"os\": \"Windows 7 "
		    "Pro\", \"version\": \"6.1.7601\", \"arch\": \"x64\", "
		    "\"installed\": [\"KB4338823\"], \"group\": \"web\"}",
		    i ? ", " : "", i);
	buf_addf(&b, "%s]}", extra);
	p = plan_csv(b.data, PLAN_PREFER_CHANNEL);
	buf_release(&b);
	return p;
}

/* Members per wave of group g: counts[w] for waves 0..7. */
static void
group_waves(const struct plan *p, const char *g, int counts[8])
{
	size_t i;

	memset(counts, 0, 8 * sizeof(*counts));
	for (i = 0; i < p->nhosts; i++)
		if (p->hosts[i].group && strcmp(p->hosts[i].group, g) == 0 &&
		    p->hosts[i].wave < 8)
			counts[p->hosts[i].wave]++;
}

static void
test_plan_groups_quarter_of_40_in_4_waves(void **state)
{
	struct plan *p = plan_group_json(40,
	    "{\"web\": {\"max_unavailable\": \"25%\"}}", "");
	const struct plan_group *g;
	int c[8];

	(void)state;
	group_waves(p, "web", c);
	assert_int_equal(c[1], 10);
	assert_int_equal(c[2], 10);
	assert_int_equal(c[3], 10);
	assert_int_equal(c[4], 10);
	assert_int_equal(c[5], 0);
	g = plan_group_find(p, "web");
	assert_non_null(g);
	assert_int_equal(g->max_unavailable, 10);
	assert_int_equal(g->members, 40);
	assert_int_equal(g->percent, 25);
	plan_free(p);
}

static void
test_plan_groups_count_and_percentages(void **state)
{
	static const struct {
		int		 n;
		const char	*budget;
		int		 max, waves[4];
	} t[] = {
		{ 3, "2", 2, { 0, 2, 1, 0 } },
		{ 10, "\"15%\"", 1, { 0, 1, 1, 1 } },	/* 1.5 rounds down */
		{ 3, "\"10%\"", 1, { 0, 1, 1, 1 } },	/* 0.3: at least 1 */
		{ 7, "\"50%\"", 3, { 0, 3, 3, 1 } },
		{ 3, "\"100%\"", 3, { 0, 3, 0, 0 } },
		{ 3, "99", 99, { 0, 3, 0, 0 } },	/* more than members */
	};
	char groups[128];
	struct plan *p;
	size_t i;
	int c[8], w;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(groups, sizeof(groups), "{\"web\": "
		    "{\"max_unavailable\": %s}, \"empty\": "
		    "{\"max_unavailable\": 5}}", t[i].budget);
		p = plan_group_json(t[i].n, groups, "");
		group_waves(p, "web", c);
		assert_int_equal(plan_group_budget(p, "web"), t[i].max);
		for (w = 0; w < 4; w++)
			assert_int_equal(c[w], t[i].waves[w]);
		/* a group without members is not in the plan */
		assert_null(plan_group_find(p, "empty"));
		plan_free(p);
	}
	/* no groups object: today's rule, one member per wave */
	p = plan_group_json(3, "{}", "");
	group_waves(p, "web", c);
	assert_int_equal(c[1], 1);
	assert_int_equal(c[2], 1);
	assert_int_equal(c[3], 1);
	assert_int_equal(plan_group_budget(p, "web"), 1);
	assert_int_equal(plan_group_budget(p, "nosuch"), 1);
	plan_free(p);
}

/* Explicit waves count against the budget; the others fill around them. */
static void
test_plan_groups_explicit_waves_count(void **state)
{
	struct plan *p = plan_group_json(3,
	    "{\"web\": {\"max_unavailable\": 2}}",
	    ", {\"name\": \"x1\", \"os\": \"Windows 7 Pro\", "
	    "\"version\": \"6.1.7601\", \"arch\": \"x64\", "
	    "\"installed\": [\"KB4338823\"], \"group\": \"web\", "
	    "\"wave\": 1}");
	int c[8];

	(void)state;
	group_waves(p, "web", c);
	assert_int_equal(plan_host_find(p, "x1")->wave, 1);
	assert_int_equal(plan_host_find(p, "w00")->wave, 1);
	assert_int_equal(plan_host_find(p, "w01")->wave, 2);
	assert_int_equal(plan_host_find(p, "w02")->wave, 2);
	assert_int_equal(plan_group_find(p, "web")->members, 4);
	plan_free(p);
}

/* Bad budgets are refused naming the field; an explicit wave over the
 * budget is kept, with a warning. */
static void
test_plan_groups_bad_input(void **state)
{
	static const struct {
		const char *groups, *msg;
	} t[] = {
		{ "{\"web\": {\"max_unavailable\": 0}}",
		  "groups.web.max_unavailable: 0 must be a count of at least 1" },
		{ "{\"web\": {\"max_unavailable\": -2}}",
		  "groups.web.max_unavailable: -2 must be" },
		{ "{\"web\": {\"max_unavailable\": 1.5}}",
		  "groups.web.max_unavailable: 1.5 must be" },
		{ "{\"web\": {\"max_unavailable\": \"101%\"}}",
		  "groups.web.max_unavailable: '101%' must be" },
		{ "{\"web\": {\"max_unavailable\": \"0%\"}}",
		  "groups.web.max_unavailable: '0%' must be" },
		{ "{\"web\": {\"max_unavailable\": \"a quarter\"}}",
		  "groups.web.max_unavailable: 'a quarter' must be" },
		{ "{\"web\": {\"max_unavailable\": true}}",
		  "groups.web.max_unavailable: must be" },
		{ "{\"web\": {\"max_unavailble\": 2}}",
		  "groups.web.max_unavailble: unknown field" },
		{ "{\"web\": {}}", "groups.web.max_unavailable: missing" },
		{ "{\"web\": 2}", "groups.web.max_unavailable: missing" },
		{ "[]", "t.json: groups: must be an object" },
		{ "{\"web\": {\"max_unavailable\": 1}, \"web\": "
		  "{\"max_unavailable\": 2}}", "\"web\" given twice" },
	};
	struct plan_inventory *inv;
	char doc[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(doc, sizeof(doc), "{\"groups\": %s, \"hosts\": "
		    "[{\"name\": \"a\", \"group\": \"web\"}]}", t[i].groups);
		inv = plan_inventory_parse("t.json", doc, strlen(doc));
		assert_null(inv);
		if (strstr(err_msg(), t[i].msg) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", t[i].groups,
			    err_msg(), t[i].msg);
	}
	snprintf(doc, sizeof(doc), "{\"groups\": {\"web\": "
	    "{\"max_unavailable\": 1}}, \"hosts\": [{\"name\": \"a\", "
	    "\"group\": \"web\", \"wave\": 2}, {\"name\": \"b\", "
	    "\"group\": \"web\", \"wave\": 2}]}");
	inv = plan_inventory_parse("t.json", doc, strlen(doc));
	assert_non_null(inv);
	assert_int_equal(inv->nwarnings, 1);
	assert_non_null(strstr(inv->warnings[0], "t.json: wave 2 holds 2 "
	    "members of reboot group web, over its max_unavailable 1"));
	plan_inventory_free(inv);
}

static void
reason_has(const struct plan_host *h, const char *adv, const char *want)
{
	const struct plan_finding *f = finding(h, adv);

	if (strstr(f->reason, want) == NULL)
		fail_msg("%s %s: '%s' lacks '%s'", h->name, adv, f->reason,
		    want);
}

/*
 * Issue 11 item 1: the build revision decides the July 2018 advisory on
 * Windows 10 / Server 2016 (seed 001's OS builds), whatever the installed
 * list says; the version keeps its four fields in the plan.
 */
static void
test_plan_build_july_by_build_revision(void **state)
{
	struct plan *p;

	(void)state;
	p = plan_csv("name,os,version,arch,installed\n"
	    "a,Windows 10 Pro,10.0.17134.165,x64,\n"
	    "b,Windows 10 Pro,10.0.17134.228,x64,KB4338819\n"
	    "c,Windows Server 2016 Standard,10.0.14393.2368,x64,KB4345418\n"
	    "d,Windows 10 Pro,10.0.17134.112,x64,\n"
	    "e,Windows 10 Pro,10.0.17134.165,x64,KB4345421\n"
	    "f,Windows 10 Pro,10.0.16299.550,x86,\n"
	    "g,Windows 10 Pro,10.0.10240.17918,x64,KB4338829\n",
	    PLAN_PREFER_CHANNEL);
	assert_string_equal(p->hosts[0].version, "10.0.17134.165");
	assert_int_equal(finding(&p->hosts[0], "tcpip-2018-07")->state,
	    FINDING_AFFECTED);
	assert_string_equal(only_install(&p->hosts[0]), "KB4345421");
	reason_has(&p->hosts[0], "tcpip-2018-07", "Build 10.0.17134.165 is at "
	    "or after 10.0.17134.165 (the July 2018 update KB4338819) and "
	    "before 10.0.17134.167 (KB4345421): affected; install KB4345421.");
	assert_int_equal(finding(&p->hosts[1], "tcpip-2018-07")->state,
	    FINDING_FIXED);
	assert_null(only_install(&p->hosts[1]));
	assert_int_equal(p->hosts[1].status, PLAN_COMPLIANT);
	assert_int_equal(finding(&p->hosts[2], "tcpip-2018-07")->state,
	    FINDING_FIXED);
	assert_int_equal(p->hosts[2].nactions, 0);
	assert_int_equal(finding(&p->hosts[3], "tcpip-2018-07")->state,
	    FINDING_NOT_AFFECTED);
	reason_has(&p->hosts[3], "tcpip-2018-07", "before 10.0.17134.165");
	assert_int_equal(finding(&p->hosts[4], "tcpip-2018-07")->state,
	    FINDING_UNKNOWN);
	reason_has(&p->hosts[4], "tcpip-2018-07", "restart the host");
	assert_int_equal(p->hosts[4].nactions, 0);
	assert_string_equal(only_install(&p->hosts[5]), "KB4345420");
	assert_int_equal(finding(&p->hosts[6], "tcpip-2018-07")->state,
	    FINDING_FIXED);
	plan_free(p);
	/* --prefer latest: the newest update with the fix */
	p = plan_csv("name,os,version,arch\na,Windows 10 Pro,10.0.17134.166,x64\n",
	    PLAN_PREFER_LATEST);
	assert_string_equal(only_install(&p->hosts[0]), "KB4343909");
	plan_free(p);
}

/*
 * Issue 11 item 2: every host gets an answer.  Products outside every
 * advisory are not applicable; Server 1709/1803 (semi-annual, "Windows
 * Server Datacenter") is in the July table as the Catalog's "Windows
 * Server 2016"; an os kbfix does not know is unknown with the string
 * quoted; facts that disagree make the host unknown; the rest is planned.
 */
static void
test_plan_build_every_host_answered(void **state)
{
	struct plan *p;
	size_t i;

	(void)state;
	p = plan_csv("name,os,version,arch,installed\n"
	    "w11,Windows 11 Pro,10.0.22631.2861,arm64,\n"
	    "s19,Windows Server 2019 Datacenter,10.0.17763.1,x64,\n"
	    "s22,Windows Server 2022 Standard,10.0.20348,x64,\n"
	    "s25,Windows Server 2025 Datacenter,,x64,\n"
	    "sac,Windows Server Datacenter,10.0.17134.165,x64,\n"
	    "xp,Windows XP Professional,5.1.2600,x86,\n"
	    "w7,Windows 7 Professional,6.3.9600,x64,KB4338823\n"
	    "ok,Windows 7 Professional,6.1.7601,x64,KB4338823\n",
	    PLAN_PREFER_CHANNEL);
	for (i = 0; i < 4; i++) {
		assert_int_equal(p->hosts[i].status, PLAN_NOT_APPLICABLE);
		assert_int_equal(p->hosts[i].nactions, 0);
	}
	assert_string_equal(p->hosts[0].arch, "arm64");
	assert_string_equal(p->hosts[4].os, "Windows Server 2016");
	assert_string_equal(only_install(&p->hosts[4]), "KB4345421");
	assert_int_equal(p->hosts[5].status, PLAN_UNKNOWN);
	reason_has(&p->hosts[5], "tcpip-2018-07", "The os 'Windows XP "
	    "Professional' is not a Windows product kbfix knows");
	assert_int_equal(p->hosts[6].status, PLAN_UNKNOWN);
	reason_has(&p->hosts[6], "wfp-two-callouts", "The facts disagree: "
	    "version 6.3.9600 is not a build of Windows 7");
	assert_string_equal(only_install(&p->hosts[7]), "KB4345459");
	for (i = 0; i < p->npackages; i++)
		if (strcmp(p->packages[i].kb, "KB4345421") == 0)
			assert_string_equal(p->packages[i].product,
			    "Windows Server 2016");
	plan_free(p);
}

/*
 * Issue 11 item 3: one table of products and architectures.  An
 * impossible combination is the host's unknown, never a package; the
 * July 2018 fixes do not exist for Itanium (support ended 2018-07-10).
 */
static void
test_plan_build_arch_table(void **state)
{
	struct plan *p;
	size_t i;

	(void)state;
	p = plan_csv("name,os,version,arch,installed\n"
	    "r2x86,Windows Server 2008 R2 Enterprise,6.1.7601,x86,KB4338818\n"
	    "w7ia64,Windows 7 Professional,6.1.7601,ia64,KB4338818\n"
	    "s12x86,Windows Server 2012 Standard,6.2.9200,x86,KB4338830\n"
	    "s16x86,Windows Server 2016 Standard,10.0.14393.2363,x86,\n"
	    "w1607arm,Windows 10 Pro,10.0.14393.2363,arm64,\n"
	    "w1803arm,Windows 10 Pro,10.0.17134.165,arm64,\n"
	    "r2ia64,Windows Server 2008 R2 Datacenter,6.1.7601,ia64,KB4338818\n"
	    "s8ia64,Windows Server 2008 Datacenter,6.0.6002,ia64,KB4295656\n",
	    PLAN_PREFER_CHANNEL);
	for (i = 0; i < 5; i++) {
		assert_int_equal(p->hosts[i].status, PLAN_UNKNOWN);
		assert_int_equal(p->hosts[i].nactions, 0);
	}
	reason_has(&p->hosts[0], "tcpip-2018-07", "Windows Server 2008 R2 has "
	    "no x86 edition (it ships for x64 ia64 only)");
	reason_has(&p->hosts[1], "tcpip-2018-07", "Windows 7 has no ia64 "
	    "edition");
	reason_has(&p->hosts[2], "tcpip-2018-07", "Windows Server 2012 has no "
	    "x86 edition");
	reason_has(&p->hosts[3], "tcpip-2018-07", "Windows Server 2016 has no "
	    "x86 edition");
	reason_has(&p->hosts[4], "tcpip-2018-07", "no arm64 edition before "
	    "build 10.0.16299");
	assert_string_equal(only_install(&p->hosts[5]), "KB4345421");
	for (i = 6; i < 8; i++) {
		assert_int_equal(finding(&p->hosts[i], "tcpip-2018-07")->state,
		    FINDING_BLOCKED);
		reason_has(&p->hosts[i], "tcpip-2018-07", "no ia64 package of");
		reason_has(&p->hosts[i], "tcpip-2018-07", "Itanium support "
		    "ended on 2018-07-10");
		assert_null(only_install(&p->hosts[i]));
	}
	for (i = 0; i < p->npackages; i++)
		if (strcmp(p->packages[i].arch, "arm64") != 0)
			fail_msg("package %s %s %s", p->packages[i].kb,
			    p->packages[i].product, p->packages[i].arch);
	plan_free(p);
}

/*
 * Issue 11 item 2 (servicing level): superseded KBs are evidence of the
 * level reached, never the update to install; the rollup level gives a
 * Windows 10 host its revision; the supersedence data says which later
 * updates contain the fix; a July 2018 package is never planned for a host
 * past it.
 */
static void
test_plan_build_servicing_level(void **state)
{
	static const char later[] = "{\"format\": \"kbfix-supersede/1\", "
	    "\"product\": \"Windows 7\", \"refreshed\": "
	    "\"2026-12-02T08:00:00Z\", \"source\": \"test\", \"updates\": ["
	    "{\"advisory\": \"tcpip-2018-07\", \"fix\": \"KB4338821\", "
	    "\"kb\": \"KB4457144\", \"date\": \"2018-09-11\", \"title\": "
	    "\"2018-09 Security Monthly Quality Rollup for Windows 7 for "
	    "x64-based Systems (KB4457144)\"}]}";
	static const char inv[] = "name,os,version,arch,installed,superseded,"
	    "rollup\n"
	    "sup,Windows 7 Professional,6.1.7601,x64,KB4457144,KB4338818,\n"
	    "fixsup,Windows 7 Professional,6.1.7601,x64,,KB4345459,\n"
	    "sept,Windows 7 Professional,6.1.7601,x64,KB4338818;KB4457144,,\n"
	    "aug,Windows 7 Professional,6.1.7601,x64,KB4338818,KB4343900,\n"
	    "r228,Windows 10 Pro,10.0.17134,x64,,,17134.228.1.7\n"
	    "r165,Windows 10 Pro,10.0.17134,x64,,,17134.165.1.6\n"
	    "other,Windows 10 Pro,10.0.17134,x64,,,16299.551.1.2\n";
	struct plan_options o = { .created = "2026-11-21T12:00:00Z",
	    .supersede = sup };
	struct plan_supersede *more;
	struct plan_inventory *in;
	struct plan *p;
	size_t i;

	(void)state;
	p = plan_csv(inv, PLAN_PREFER_CHANNEL);
	assert_int_equal(finding(&p->hosts[0], "tcpip-2018-07")->state,
	    FINDING_FIXED);
	reason_has(&p->hosts[0], "tcpip-2018-07", "KB4338818 is Superseded "
	    "on the host (DISM)");
	assert_int_equal(finding(&p->hosts[1], "tcpip-2018-07")->state,
	    FINDING_FIXED);
	/* the built-in data knows only August 2018: KB4457144 is not known */
	assert_string_equal(only_install(&p->hosts[2]), "KB4338821");
	assert_int_equal(finding(&p->hosts[3], "tcpip-2018-07")->state,
	    FINDING_FIXED);
	reason_has(&p->hosts[3], "tcpip-2018-07", "KB4343900");
	assert_int_equal(finding(&p->hosts[4], "tcpip-2018-07")->state,
	    FINDING_FIXED);
	reason_has(&p->hosts[4], "tcpip-2018-07", "10.0.17134.228");
	assert_string_equal(only_install(&p->hosts[5]), "KB4345421");
	assert_int_equal(finding(&p->hosts[6], "tcpip-2018-07")->state,
	    FINDING_UNKNOWN);
	reason_has(&p->hosts[6], "tcpip-2018-07", "UBR");
	for (i = 0; i < p->npackages; i++)
		if (strcmp(p->packages[i].kb, "KB4345459") == 0 ||
		    strcmp(p->packages[i].kb, "KB4338818") == 0)
			fail_msg("a package for a host past it: %s",
			    p->packages[i].kb);
	plan_free(p);

	/* refreshed data: KB4457144 contains KB4338821's fix */
	more = plan_supersede_builtin();
	assert_int_equal(plan_supersede_add(more, plan_supersede_parse("w7.json",
	    later, strlen(later))), 0);
	o.supersede = more;
	in = plan_inventory_parse("t.csv", inv, strlen(inv));
	p = plan_build(in, set, &o);
	assert_int_equal(finding(&p->hosts[2], "tcpip-2018-07")->state,
	    FINDING_FIXED);
	reason_has(&p->hosts[2], "tcpip-2018-07", "KB4457144 (2018-09 Security "
	    "Monthly Quality Rollup for Windows 7 for x64-based Systems "
	    "(KB4457144), 2018-09-11) is installed and contains the fix "
	    "KB4338821");
	reason_has(&p->hosts[2], "tcpip-2018-07", "refreshed "
	    "2026-12-02T08:00:00Z");
	assert_int_equal(p->hosts[2].nactions, 0);
	plan_free(p);
	plan_inventory_free(in);
	plan_supersede_free(more);
}

/*
 * Issue 11 item 5: --hotfix-policy evidence (the default) plans KB976527,
 * KB979278 and KB943650 only for hosts whose experiencing names the
 * advisory; an exposed host without it is "exposed" with the service pack
 * that includes the fix and the seed's advice, never hidden as compliant.
 */
static void
test_plan_build_hotfix_policy_evidence(void **state)
{
	static const char inv[] = "name,os,version,arch,files,"
	    "wfp_callout_drivers,multicast_forwarding,experiencing,installed,"
	    "registry\n"
	    "exp,Windows 7 Professional,6.1.7600,x64,tcpip.sys=6.1.7600.16385,"
	    "2,,,-,-\n"
	    "says,Windows 7 Professional,6.1.7600,x64,tcpip.sys=6.1.7600.16385,"
	    "2,,wfp-two-callouts,-,-\n"
	    "vista,Windows Vista Business,6.0.6001,x86,tcpip.sys=6.0.6001.18000,"
	    "0,true,,-,-\n";
	struct plan *p;
	const struct plan_host *h;

	(void)state;
	policy = PLAN_HOTFIX_EVIDENCE;
	p = plan_csv(inv, PLAN_PREFER_CHANNEL);
	policy = PLAN_HOTFIX_EXPOSED;
	/* the host that experiences a problem comes first (wave order) */
	assert_string_equal(p->hosts[0].name, "says");
	assert_string_equal(p->hosts[1].name, "exp");
	h = plan_host_find(p, "exp");
	assert_int_equal(h->nactions, 0);
	assert_int_equal(finding(h, "wfp-two-callouts")->state, FINDING_EXPOSED);
	assert_int_equal(finding(h, "wfp-classify-handle")->state,
	    FINDING_EXPOSED);
	assert_int_equal(h->status, PLAN_EXPOSED);
	assert_string_equal(plan_status_name(h->status), "exposed");
	reason_has(h, "wfp-two-callouts", "Exposed: tcpip.sys 6.1.7600.16385 "
	    "(gdr) lacks the fix");
	reason_has(h, "wfp-two-callouts", "Windows 7 SP1 / Windows Server 2008 "
	    "R2 SP1 includes the fix.");
	reason_has(h, "wfp-two-callouts", "Apply this hotfix only to systems "
	    "that are experiencing the problem described in this article");
	reason_has(h, "wfp-two-callouts", "--hotfix-policy exposed");
	/* experiencing names one advisory: its hotfix is planned, and it
	 * covers KB976527's fix */
	h = plan_host_find(p, "says");
	assert_string_equal(only_install(h), "KB979278");
	reason_has(h, "wfp-two-callouts", "experiences the problem");
	assert_int_equal(finding(h, "wfp-classify-handle")->state,
	    FINDING_AFFECTED);
	reason_has(h, "wfp-classify-handle", "its hotfix KB976527 is not "
	    "planned without evidence, but KB979278 (tcpip.sys "
	    "6.1.7600.20648), planned for wfp-two-callouts, covers this fix "
	    "too.");
	h = plan_host_find(p, "vista");
	assert_int_equal(finding(h, "multicast-forwarding")->state,
	    FINDING_EXPOSED);
	reason_has(h, "multicast-forwarding", "Windows Vista SP2 / Windows "
	    "Server 2008 SP2 includes the fix.");
	assert_int_equal(h->nactions, 0);
	plan_free(p);
	/* exposed: as before */
	p = plan_csv(inv, PLAN_PREFER_CHANNEL);
	assert_string_equal(only_install(plan_host_find(p, "exp")), "KB979278");
	assert_string_equal(only_install(plan_host_find(p, "vista")), "KB943650");
	plan_free(p);
}

/* Issue 11 item 7: each reason fixed. */

/* Channel inference from the host's own product only, naming the KB. */
static void
test_plan_reason_channel_own_product(void **state)
{
	struct plan *p;

	(void)state;
	p = plan_csv("name,os,version,arch,installed\n"
	    "w7,Windows 7 Pro,6.1.7601,x64,KB4338815;KB4338823\n",
	    PLAN_PREFER_CHANNEL);
	assert_string_equal(only_install(&p->hosts[0]), "KB4345459");
	reason_has(&p->hosts[0], "tcpip-2018-07", "(channel security-only "
	    "inferred from installed KB4338823)");
	plan_free(p);
}

/* No broken sentence for a channel no row has; --prefer is followed. */
static void
test_plan_reason_not_affected_sentences(void **state)
{
	struct plan *p;
	const struct plan_finding *f;

	(void)state;
	p = plan_csv("name,os,version,arch,channel,installed\n"
	    "cu,Windows 7 Pro,6.1.7601,x64,cumulative,-\n"
	    "so,Windows 7 Pro,6.1.7601,x64,security-only,-\n",
	    PLAN_PREFER_LATEST);
	f = finding(&p->hosts[0], "tcpip-2018-07");
	assert_int_equal(f->state, FINDING_NOT_AFFECTED);
	assert_null(strstr(f->reason, "deploy ."));
	reason_has(&p->hosts[0], "tcpip-2018-07", "deploy KB4343899 instead "
	    "of KB4338823 (security-only), or KB4343900 instead of KB4338818 "
	    "(monthly-rollup). (No row of the table is for channel "
	    "cumulative.)");
	reason_has(&p->hosts[1], "tcpip-2018-07", "deploy KB4343899 instead "
	    "of KB4338823 (security-only).");
	plan_free(p);
}

/* A tcpip.sys of a later service pack: the stale fact is the version. */
static void
test_plan_reason_stale_version(void **state)
{
	struct plan *p;

	(void)state;
	p = plan_csv("name,os,version,arch,files,wfp_callout_drivers\n"
	    "w7,Windows 7 Pro,6.1.7600,x64,tcpip.sys=6.1.7601.24168,2\n",
	    PLAN_PREFER_CHANNEL);
	reason_has(&p->hosts[0], "wfp-classify-handle", "tcpip.sys "
	    "6.1.7601.24168 is of build 6.1.7601, later than the inventory's "
	    "version 6.1.7600");
	reason_has(&p->hosts[0], "wfp-classify-handle", "collect version "
	    "again");
	assert_null(strstr(finding(&p->hosts[0], "wfp-classify-handle")->reason,
	    "collect files.tcpip.sys again"));
	plan_free(p);
}

/* Two spellings of one value with different data: unknown naming both;
 * the CEIP advisory does not ask for version; explain shows REG_SZ data. */
static void
test_plan_reason_registry_facts(void **state)
{
	static const char csv[] = "name,os,arch,registry\n"
	    "two,Windows 7 Pro,x64,HKLM\\Software\\Microsoft\\SQMClient\\"
	    "Windows\\CEIPEnable=1;hklm\\software\\microsoft\\sqmclient\\"
	    "windows\\ceipenable=0\n"
	    "nover,Windows 7 Pro,x64,HKLM\\Software\\Microsoft\\SQMClient\\"
	    "Windows\\CEIPEnable=1;HKLM\\Software\\Microsoft\\SQMClient\\"
	    "Windows\\CEIPSampledIn=1\n"
	    "sz,Windows 7 Pro,x64,HKLM\\Software\\Microsoft\\SQMClient\\"
	    "Windows\\CEIPEnable=enabled\n";
	struct plan_options o = { .created = "2026-11-21T12:00:00Z" };
	struct plan_inventory *inv;
	struct plan *p;
	struct buf b;

	(void)state;
	p = plan_csv(csv, PLAN_PREFER_CHANNEL);
	assert_int_equal(finding(&p->hosts[0], "ws2-unload-ceip")->state,
	    FINDING_UNKNOWN);
	reason_has(&p->hosts[0], "ws2-unload-ceip", "twice with different data "
	    "(1 as HKLM\\Software\\Microsoft\\SQMClient\\Windows\\"
	    "CEIPEnable and 0 as HKLM\\software\\microsoft\\sqmclient\\"
	    "windows\\ceipenable)");
	assert_int_equal(finding(&p->hosts[1], "ws2-unload-ceip")->state,
	    FINDING_AFFECTED);
	assert_int_equal(count_kind(&p->hosts[1], ACTION_REGISTRY), 1);
	plan_free(p);
	inv = plan_inventory_parse("t.csv", csv, strlen(csv));
	buf_init(&b, 1 << 20);
	assert_int_equal(plan_explain(inv, set, &o, "sz", &b), 0);
	if (strstr(buf_str(&b), "CEIPEnable = \"enabled\" (REG_SZ)") == NULL)
		fail_msg("%s", buf_str(&b));
	buf_release(&b);
	plan_inventory_free(inv);
}

/* Pending reboot: the reasons say nothing is planned until it restarts,
 * and no "the workaround is planned meanwhile". */
static void
test_plan_reason_pending_reboot_nothing_planned(void **state)
{
	struct plan *p;
	const struct plan_finding *f;

	(void)state;
	p = plan_csv("name,os,version,arch,files,multicast_forwarding,"
	    "wfp_callout_drivers,pending_reboot\n"
	    "v,Windows Vista Business,6.0.6000,x86,tcpip.sys=6.0.6000.16386,"
	    "true,0,true\n", PLAN_PREFER_CHANNEL);
	assert_int_equal(p->hosts[0].nactions, 0);
	f = finding(&p->hosts[0], "multicast-forwarding");
	assert_int_equal(f->state, FINDING_BLOCKED);
	assert_null(strstr(f->reason, "planned meanwhile"));
	reason_has(&p->hosts[0], "multicast-forwarding", "nothing is planned "
	    "for it until it restarts (the workaround neither)");
	plan_free(p);
}

/* Workaround actions carry their advisory, in the plan document too. */
static void
test_plan_reason_workaround_advisory(void **state)
{
	struct plan *p, *back;
	struct buf b;
	size_t i;

	(void)state;
	p = plan_csv("name,os,version,arch,installed,registry\n"
	    "c,Windows 7 Pro,6.1.7601,x64,-,HKLM\\Software\\Microsoft\\"
	    "SQMClient\\Windows\\CEIPEnable=1;HKLM\\Software\\Microsoft\\"
	    "SQMClient\\Windows\\CEIPSampledIn=1\n", PLAN_PREFER_CHANNEL);
	assert_int_equal(p->hosts[0].actions[0].kind, ACTION_REGISTRY);
	assert_string_equal(p->hosts[0].actions[0].advisory, "ws2-unload-ceip");
	buf_init(&b, 0);
	assert_int_equal(plan_write_json(p, &b), 0);
	assert_non_null(strstr(buf_str(&b), "\"data\": 0, \"advisory\": "
	    "\"ws2-unload-ceip\", \"group_policy\": \"in the GPO that "
	    "deploys CEIP, "));
	back = plan_parse("p.json", b.data, b.len);
	assert_non_null(back);
	for (i = 0; i < back->hosts[0].nactions; i++)
		if (back->hosts[0].actions[i].kind == ACTION_REGISTRY)
			assert_string_equal(back->hosts[0].actions[i].advisory,
			    "ws2-unload-ceip");
	/* issue 11 item 6: the GPO setting from the advisory file, kept */
	assert_string_equal(back->hosts[0].actions[0].group_policy,
	    p->hosts[0].actions[0].group_policy);
	plan_free(back);
	buf_release(&b);
	plan_free(p);
}

/*
 * Issue 11 item 8: the July fixes are classified "Updates" in the Catalog
 * and WSUS (seed 001); the packages say so and every report that lists
 * packages names them; the later updates of --prefer latest are not.
 */
static void
test_plan_packages_classification(void **state)
{
	static const char csv[] = "name,os,version,arch,installed\n"
	    "a,Windows 7 Pro,6.1.7601,x64,KB4338823\n";
	static const enum plan_format fmts[] = { PLAN_FORMAT_TEXT,
	    PLAN_FORMAT_MARKDOWN, PLAN_FORMAT_HTML };
	struct plan *p, *back;
	struct buf b;
	size_t i;

	(void)state;
	p = plan_csv(csv, PLAN_PREFER_CHANNEL);
	assert_string_equal(p->packages[0].classification, "Updates");
	for (i = 0; i < 3; i++) {
		buf_init(&b, 0);
		assert_int_equal(plan_report(p, fmts[i], &b), 0);
		if (strstr(buf_str(&b), "KB4345459 is classified &quot;Updates"
		    "&quot;") == NULL && strstr(buf_str(&b), "KB4345459 is "
		    "classified \"Updates\" in the Microsoft Update Catalog and "
		    "WSUS") == NULL)
			fail_msg("format %zu: %s", i, buf_str(&b));
		buf_release(&b);
	}
	buf_init(&b, 0);
	assert_int_equal(plan_write_json(p, &b), 0);
	assert_non_null(strstr(buf_str(&b), "\"arch\": \"x64\", "
	    "\"classification\": \"Updates\", \"hosts\": [\"a\"]"));
	back = plan_parse("p.json", b.data, b.len);
	assert_non_null(back);
	assert_string_equal(back->packages[0].classification, "Updates");
	plan_free(back);
	buf_release(&b);
	plan_free(p);
	p = plan_csv(csv, PLAN_PREFER_LATEST);
	assert_string_equal(p->packages[0].kb, "KB4343899");
	assert_null(p->packages[0].classification);
	buf_init(&b, 0);
	assert_int_equal(plan_classification_note(p, &b), 0);
	buf_release(&b);
	plan_free(p);
}

static void
test_plan_build_missing_os_is_unknown(void **state)
{
	struct plan *p;
	size_t i;

	(void)state;
	p = plan_csv("name,address\nx1,10.0.0.1\n", PLAN_PREFER_CHANNEL);
	for (i = 0; i < p->hosts[0].nfindings; i++) {
		assert_int_equal(p->hosts[0].findings[i].state, FINDING_UNKNOWN);
		assert_non_null(strstr(p->hosts[0].findings[i].reason,
		    "collect os"));
	}
	assert_int_equal(p->hosts[0].status, PLAN_UNKNOWN);
	assert_string_equal(p->hosts[0].address, "10.0.0.1");
	plan_free(p);
}

static void
test_plan_explain_names_channel_reason(void **state)
{
	const char *csv = HDR "h1,Windows 7 Pro,6.1 (7601),AMD64,,KB4338818,,,,\n";
	struct plan_options o = { 0 };
	struct plan_inventory *inv;
	struct buf b;

	(void)state;
	inv = plan_inventory_parse("t.csv", csv, strlen(csv));
	assert_non_null(inv);
	buf_init(&b, 1 << 20);
	assert_int_equal(plan_explain(inv, set, &o, "h1", &b), 0);
	assert_non_null(strstr(buf_str(&b), "inferred from installed KB4338818"));
	assert_non_null(strstr(buf_str(&b), "install KB4338821"));
	assert_non_null(strstr(buf_str(&b), "needs-action"));
	buf_reset(&b);
	assert_int_equal(plan_explain(inv, set, &o, "nope", &b), -1);
	assert_non_null(strstr(err_msg(), "nope"));
	buf_release(&b);
	plan_inventory_free(inv);
}

/* A reboot pending from before (discover's pending_reboot): nothing is
 * planned, the findings that needed an action are blocked and say why;
 * JSON (host fields and defaults) and CSV read it alike. */
static void
test_plan_build_pending_reboot_blocks(void **state)
{
	static const char json[] = "{\"defaults\": {\"pending_reboot\": true},"
	    "\"hosts\": ["
	    "{\"name\": \"a\", \"os\": \"windows-7\", \"version\": \"6.1.7601\","
	    " \"arch\": \"x64\", \"installed\": [\"KB4338823\"], \"registry\": {"
	    "\"HKLM\\\\Software\\\\Microsoft\\\\SQMClient\\\\Windows\\\\CEIPEnable\": 1,"
	    "\"HKLM\\\\Software\\\\Microsoft\\\\SQMClient\\\\Windows\\\\CEIPSampledIn\": 1}},"
	    "{\"name\": \"b\", \"os\": \"windows-7\", \"version\": \"6.1.7601\","
	    " \"arch\": \"x64\", \"installed\": [\"KB4338823\"], \"registry\": {},"
	    " \"pending_reboot\": false},"
	    "{\"name\": \"c\", \"os\": \"windows-7\", \"version\": \"6.1.7601\","
	    " \"arch\": \"x64\", \"installed\": [\"KB4338823\", \"KB4345459\"],"
	    " \"registry\": {}}]}";
	struct plan_options o = { .created = "2026-11-21T12:00:00Z" };
	struct plan_inventory *inv;
	struct plan *p;
	const struct plan_finding *f;

	(void)state;
	inv = plan_inventory_parse("t.json", json, strlen(json));
	if (inv == NULL)
		fail_msg("inventory: %s", err_msg());
	p = plan_build(inv, set, &o);
	plan_inventory_free(inv);
	assert_int_equal(p->hosts[0].status, PLAN_BLOCKED);
	assert_int_equal(p->hosts[0].nactions, 0);
	assert_int_equal(p->hosts[0].estimate_s, 0);
	f = finding(&p->hosts[0], "tcpip-2018-07");
	assert_int_equal(f->state, FINDING_BLOCKED);
	assert_non_null(strstr(f->reason, "install KB4345459"));
	assert_non_null(strstr(f->reason, "a reboot is pending"));
	assert_int_equal(finding(&p->hosts[0], "ws2-unload-ceip")->state,
	    FINDING_BLOCKED);
	assert_int_equal(p->hosts[1].status, PLAN_NEEDS_ACTION);
	assert_string_equal(only_install(&p->hosts[1]), "KB4345459");
	assert_int_equal(p->hosts[2].status, PLAN_COMPLIANT);
	/* only b's package */
	assert_int_equal(p->npackages, 1);
	plan_free(p);

	p = plan_csv("name,os,version,arch,installed,pending_reboot\n"
	    "a,windows-7,6.1.7601,x64,KB4338823,yes\n"
	    "b,windows-7,6.1.7601,x64,KB4338823,no\n", PLAN_PREFER_CHANNEL);
	assert_int_equal(p->hosts[0].status, PLAN_BLOCKED);
	assert_int_equal(p->hosts[0].nactions, 0);
	assert_int_equal(p->hosts[1].status, PLAN_NEEDS_ACTION);
	plan_free(p);
}

/* Enough hosts for the two-thread paths of plan_build and plan_write_json. */
static void
test_plan_build_large_inventory_threaded(void **state)
{
	struct buf csv, json;
	struct plan *p, *q;
	size_t i, n = 9001;

	(void)state;
	buf_init(&csv, 1 << 24);
	buf_adds(&csv, "name,os,version,arch,installed\n");
	for (i = 0; i < n; i++)
		buf_addf(&csv, "h%05zu,%s,6.1.7601,x64,%s\n", i,
		    i % 2 ? "Windows 7 Pro" : "Windows Server 2008 R2 Standard",
		    i % 3 ? "KB4338823" : "KB4343899");
	p = plan_csv(buf_str(&csv), PLAN_PREFER_CHANNEL);
	assert_int_equal(p->nhosts, n);
	for (i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "h%05zu", i);
		assert_string_equal(p->hosts[i].name, name);
		/* Windows 7 hosts lack the CEIP registry facts: unknown */
		assert_int_equal(p->hosts[i].status, i % 3 ? PLAN_NEEDS_ACTION :
		    i % 2 ? PLAN_UNKNOWN : PLAN_COMPLIANT);
	}
	assert_int_equal(p->npackages, 2);
	assert_int_equal(p->packages[0].nhosts + p->packages[1].nhosts,
	    n - (n + 2) / 3);
	buf_init(&json, (size_t)1 << 30);
	assert_int_equal(plan_write_json(p, &json), 0);
	q = plan_parse("big.json", json.data, json.len);
	if (q == NULL)
		fail_msg("%s", err_msg());
	assert_int_equal(q->nhosts, n);
	for (i = 0; i < n; i++)
		assert_string_equal(q->hosts[i].name, p->hosts[i].name);
	plan_free(q);
	plan_free(p);
	buf_release(&json);
	buf_release(&csv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_build_july_row_selects_fix),
		cmocka_unit_test(test_plan_build_july_fix_or_august_is_compliant),
		cmocka_unit_test(test_plan_build_july_absent_names_replacement),
		cmocka_unit_test(test_plan_build_channel_inferred_with_reason),
		cmocka_unit_test(test_plan_build_kb976527_branches),
		cmocka_unit_test(test_plan_build_kb979278_covers_kb976527),
		cmocka_unit_test(test_plan_build_kb943650_vista_rtm_blocked_with_workaround),
		cmocka_unit_test(test_plan_build_kb979278_vista_rtm_blocked),
		cmocka_unit_test(test_plan_build_ceip_cases),
		cmocka_unit_test(test_plan_build_status_precedence_and_order),
		cmocka_unit_test(test_plan_build_packages_per_product_and_arch),
		cmocka_unit_test(test_plan_build_waves_split_reboot_groups),
		cmocka_unit_test(test_plan_groups_quarter_of_40_in_4_waves),
		cmocka_unit_test(test_plan_groups_count_and_percentages),
		cmocka_unit_test(test_plan_groups_explicit_waves_count),
		cmocka_unit_test(test_plan_groups_bad_input),
		cmocka_unit_test(test_plan_build_missing_os_is_unknown),
		cmocka_unit_test(test_plan_build_july_by_build_revision),
		cmocka_unit_test(test_plan_build_every_host_answered),
		cmocka_unit_test(test_plan_build_arch_table),
		cmocka_unit_test(test_plan_build_servicing_level),
		cmocka_unit_test(test_plan_build_hotfix_policy_evidence),
		cmocka_unit_test(test_plan_reason_channel_own_product),
		cmocka_unit_test(test_plan_reason_not_affected_sentences),
		cmocka_unit_test(test_plan_reason_stale_version),
		cmocka_unit_test(test_plan_reason_registry_facts),
		cmocka_unit_test(test_plan_reason_pending_reboot_nothing_planned),
		cmocka_unit_test(test_plan_reason_workaround_advisory),
		cmocka_unit_test(test_plan_packages_classification),
		cmocka_unit_test(test_plan_build_pending_reboot_blocks),
		cmocka_unit_test(test_plan_explain_names_channel_reason),
		cmocka_unit_test(test_plan_build_large_inventory_threaded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
