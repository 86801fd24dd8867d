#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "util/util.h"
#include "transport/transport.h"
#include "discover/discover.h"
#include "plan/plan.h"
#include "discover/discover_int.h"

/* wmic parts arrive in UTF-16LE with a BOM inside the ANSI stream. */
static void
add_utf16(struct buf *b, const char *s)
{
	buf_add(b, "\xff\xfe", 2);
	for (; *s != '\0'; s++) {
		buf_addc(b, *s);
		buf_addc(b, 0);
	}
}

#define CV_KEY	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\" \
	"CurrentVersion"
#define CBS_KEY	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\" \
	"CurrentVersion\\Component Based Servicing"

/* The pending-reboot check's part (transport_win_pending_cmdline()). */
static void
sample_pending(struct buf *b, int pending)
{
	buf_adds(b, "==kbfix:pend-cbs== \r\n\r\n" CBS_KEY "\r\n"
	    "    LastTrustTime    REG_BINARY    0102\r\n\r\n" CBS_KEY
	    "\\Packages\r\n");
	if (pending == 2)
		buf_adds(b, CBS_KEY "\\RebootPending\r\n");
	buf_adds(b, "==kbfix:pend-wu== \r\n==kbfix:pend-sm== \r\n\r\n"
	    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\"
	    "Session Manager\r\n    BootExecute    REG_MULTI_SZ    "
	    "autocheck autochk *\r\n");
	if (pending == 3)
		buf_adds(b, "    PendingFileRenameOperations    REG_MULTI_SZ    "
		    "\\??\\C:\\Windows\\a.tmp\\0\\0\r\n");
	buf_adds(b, "\r\n==kbfix:pend-updates== \r\n==kbfix:pend-acn== \r\n"
	    "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\"
	    "ComputerName\\ActiveComputerName\r\n    ComputerName    REG_SZ"
	    "    WEB01\r\n\r\n==kbfix:pend-cn== \r\n\r\nHKEY_LOCAL_MACHINE"
	    "\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\"
	    "ComputerName\r\n    ComputerName    REG_SZ    ");
	buf_adds(b, pending == 3 ? "WEB02" : "WEB01");
	buf_adds(b, "\r\n\r\n==kbfix:pend-netlogon== \r\n"
	    "==kbfix:pend-srvmgr== \r\n");
}

/*
 * What discover_commands() prints on a Windows 7 SP1 host (os: its
 * ProductName), as reg, dism /English, wmic through a pipe and netsh
 * print it.
 */
static void
sample_os(struct buf *b, int pending, const char *os)
{
	buf_init(b, 0);
	buf_adds(b, "\"kbfix shell probe\" \r\n==kbfix:os== \r\n\r\n"
	    CV_KEY "\r\n    SystemRoot    REG_SZ    C:\\Windows\r\n"
	    "    CurrentBuildNumber    REG_SZ    7601\r\n"
	    "    CurrentVersion    REG_SZ    6.1\r\n"
	    "    CSDVersion    REG_SZ    Service Pack 1\r\n"
	    "    EditionID    REG_SZ    Professional\r\n"
	    "    InstallationType    REG_SZ    Client\r\n"
	    "    ProductName    REG_SZ    ");
	buf_adds(b, os);
	buf_adds(b, "\r\n\r\n" CV_KEY "\\AeDebug\r\n==kbfix:env== \r\n\r\n"
	    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\"
	    "Session Manager\\Environment\r\n    PROCESSOR_ARCHITECTURE    "
	    "REG_SZ    AMD64\r\n\r\n==kbfix:lang== \r\n\r\n"
	    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Nls\\"
	    "Language\r\n    Default    REG_SZ    0407\r\n"
	    "    InstallLanguage    REG_SZ    0409\r\n\r\n==kbfix:qfe== \r\n");
	/* a host whose wmic writes UTF-16LE inside the ANSI stream */
	add_utf16(b, "\r\r\n\r\r\nHotFixID=KB976902\r\r\n\r\r\n"
	    "HotFixID=KB4338823\r\r\n\r\r\nHotFixID=KB2479943\r\r\n"
	    "\r\r\nHotFixID=KB4056894\r\r\n\r\r\n\r\r\n");
	buf_adds(b, "==kbfix:dism== \r\n\r\nDeployment Image Servicing and "
	    "Management tool\r\nVersion: 6.1.7600.16385\r\n\r\n"
	    "Packages listing:\r\n\r\nPackage Identity : Package_3_for_"
	    "KB2706045~31bf3856ad364e35~amd64~~6.1.1.0\r\nState : Installed"
	    "\r\n\r\nPackage Identity : Package_for_KB2706045_SP1~31bf3856"
	    "ad364e35~amd64~~6.1.1.0\r\nState : Installed\r\n\r\n"
	    "Package Identity : Package_for_KB4056894~31bf3856ad364e35~amd64"
	    "~~6.1.1.2\r\nState : Superseded\r\n\r\n"
	    "Package Identity : Package_for_KB4338823"
	    "~31bf3856ad364e35~amd64~~6.1.1.4\r\nState : Installed\r\n\r\n"
	    "Package Identity : Package_for_RollupFix~31bf3856ad364e35~amd64~~"
	    "7601.24002.1.4\r\nState : Superseded\r\n\r\n"
	    "Package Identity : Package_for_RollupFix~31bf3856ad364e35~amd64~~"
	    "7601.24168.1.5\r\nState : Installed\r\n\r\n");
	if (pending == 1)
		buf_adds(b, "Package Identity : Package_for_KB4345459~31bf3856"
		    "ad364e35~amd64~~6.1.1.1\r\nState : Install Pending\r\n\r\n");
	buf_adds(b, "The operation completed successfully.\r\n"
	    "==kbfix:tcpip== \r\n\r\r\n\r\r\nVersion=6.1.7601.24168\r\r\n"
	    "\r\r\n\r\r\n");
	buf_adds(b, "==kbfix:sqm== \r\n\r\nHKEY_LOCAL_MACHINE\\Software\\"
	    "Microsoft\\SQMClient\\Windows\r\n    CEIPEnable    REG_DWORD    "
	    "0x1\r\n    CEIPSampledIn    REG_DWORD    0x0\r\n\r\n"
	    "==kbfix:sqmpolicy== \r\n==kbfix:rac== \r\n\r\nHKEY_LOCAL_MACHINE"
	    "\\Software\\Microsoft\\Reliability Analysis\\RAC\r\n"
	    "    RacSampleNumber    REG_DWORD    0x2a\r\n\r\n"
	    /* Windows 7: no MSFT_NetIPv4Protocol (wmic's error on stderr) */
	    "==kbfix:cim== \r\n"
	    "==kbfix:netsh== \r\nQuerying active state...\r\n\r\n"
	    "Multicast Forwarding                : enabled\r\n\r\n"
	    "==kbfix:boot== \r\n\r\r\n\r\r\nLastBootUpTime="
	    "20261121131712.076000+060\r\r\n\r\r\n\r\r\n");
	sample_pending(b, pending);
}

static void
sample(struct buf *b, int pending)
{
	sample_os(b, pending, "Windows 7 Professional");
}

/*
 * The planner's reading of doc, host 0 edited by discover_update() with
 * output out, then written by the one writer: the new document (caller
 * frees), which the planner must read back.
 */
static char *
discover_doc(const char *doc, size_t len, const struct buf *out, int want)
{
	struct plan_inventory *inv = plan_inventory_parse("inv", doc, len), *back;
	struct buf b;

	if (inv == NULL)
		fail_msg("%s", err_msg());
	assert_int_equal(discover_update(inv, &inv->hosts[0], out->data,
	    out->len), want);
	buf_init(&b, 0);
	if (plan_inventory_write(inv, doc, len, &b) == -1)
		fail_msg("%s", err_msg());
	if ((back = plan_inventory_parse("out.json", b.data, b.len)) == NULL)
		fail_msg("plan refuses discover's output: %s\n%s", err_msg(),
		    buf_str(&b));
	assert_int_equal(back->nhosts, inv->nhosts);
	plan_inventory_free(back);
	plan_inventory_free(inv);
	return buf_detach(&b, NULL);
}

static void
contains(const char *s, const char *want)
{
	if (strstr(s, want) == NULL)
		fail_msg("\"%s\" not in\n%s", want, s);
}

static void
test_discover_update_fields(void **state)
{
	static const char in[] = "{\"hosts\": [{\"name\": \"web01\", "
	    "\"roles\": [\"iis\"], \"registry\": {\"HKLM\\\\SOFTWARE\\\\"
	    "POLICIES\\\\Microsoft\\\\SQMClient\\\\Windows\\\\CEIPEnable\": 0},"
	    " \"custom\": 42}]}";
	struct buf b;
	char *s;

	(void)state;
	sample(&b, 0);
	s = discover_doc(in, strlen(in), &b, 0);
	contains(s, "{\"name\": \"web01\", \"roles\": [\"iis\"], \"registry\": "
	    "{\"HKLM\\\\Software\\\\Microsoft\\\\SQMClient\\\\Windows\\\\"
	    "CEIPEnable\": 1, ");
	contains(s, "\"custom\": 42, \"os\": \"Windows 7 "
	    "Professional\", \"version\": \"6.1.7601\", \"arch\": \"x64\"");
	/* sub-packages say nothing; a superseded KB is not installed even
	 * where qfe lists it */
	contains(s, "\"installed\": [\"KB976902\", \"KB4338823\", "
	    "\"KB2479943\"]");
	contains(s, "\"superseded\": [\"KB4056894\"]");
	contains(s, "\"rollup\": \"7601.24168.1.5\"");
	contains(s, "\"ui_language\": \"de-DE\"");
	contains(s, "\"pending_reboot_reasons\": []");
	contains(s, "\"files\": {\"tcpip.sys\": \"6.1.7601.24168\"}");
	contains(s, "CEIPSampledIn\": 0");
	contains(s, "RacSampleNumber\": 42");
	/* The stale policy value is gone: the host has none. */
	assert_null(strstr(s, "POLICIES"));
	contains(s, "\"registry_absent\": [\"HKLM\\\\SOFTWARE\\\\Policies\\\\"
	    "Microsoft\\\\SQMClient\\\\Windows\\\\CEIPEnable\"]");
	contains(s, "\"multicast_forwarding\": true");
	contains(s, "\"pending_reboot\": false");
	contains(s, "\"last_boot\": \"2026-11-21T12:17:12Z\"");
	contains(s, "\"discovered\": \"20");
	free(s);
	buf_release(&b);
}

static void
test_discover_update_pending(void **state)
{
	static const char in[] = "{\"hosts\": [{\"name\": \"web01\"}]}";
	struct buf b;
	char *s;

	(void)state;
	sample(&b, 1);
	s = discover_doc(in, strlen(in), &b, 0);
	contains(s, "\"pending_reboot\": true");
	contains(s, "\"pending_updates\": [\"KB4345459\"]");
	contains(s, "\"pending_reboot_reasons\": [\"DISM package pending\"]");
	assert_null(strstr(s, "\"KB2479943\", \"KB4345459\""));
	free(s);
	buf_release(&b);
}

/* An empty RebootPending key: seen among the subkeys of its parent. */
static void
test_discover_update_cbs_key(void **state)
{
	static const char in[] = "{\"hosts\": [{\"name\": \"web01\"}]}";
	struct buf b;
	char *s;

	(void)state;
	sample(&b, 2);
	s = discover_doc(in, strlen(in), &b, 0);
	contains(s, "\"pending_updates\": []");
	contains(s, "\"pending_reboot\": true");
	contains(s, "\"pending_reboot_reasons\": [\"CBS RebootPending\"]");
	free(s);
	buf_release(&b);
	/* file renames queued and a computer rename: both named */
	sample(&b, 3);
	s = discover_doc(in, strlen(in), &b, 0);
	contains(s, "\"pending_reboot_reasons\": [\"PendingFileRenameOperations\", "
	    "\"computer rename\"]");
	free(s);
	buf_release(&b);
}

/* PowerShell as OpenSSH's DefaultShell: no cmd.exe echo, refused with
 * the fix. */
static void
test_discover_update_powershell(void **state)
{
	static const char in[] = "{\"hosts\": [{\"name\": \"web01\"}]}";
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 0);
	buf_adds(&b, "kbfix shell probe\r\n");
	s = discover_doc(in, strlen(in), &b, -1);
	contains(err_msg(), "web01: the SSH session's shell is not cmd.exe");
	contains(err_msg(), "DefaultShell");
	free(s);
	buf_release(&b);
}

/* Output discover cannot read, or a fact the planner would refuse: the
 * record stays as read, and so does the document. */
/* The sample's wmic parts emptied, as on a host without wmic.exe. */
static void
strip_part(struct buf *b, const char *mark, const char *next)
{
	char *end = b->data + b->len, *s, *e;

	/* memmem: the qfe part holds UTF-16LE, NUL bytes included */
	s = memmem(b->data, b->len, mark, strlen(mark));
	assert_non_null(s);
	s += strlen(mark);
	e = memmem(s, (size_t)(end - s), next, strlen(next));
	assert_non_null(e);
	memmove(s, e, (size_t)(end - e) + 1);
	b->len -= (size_t)(e - s);
}

/*
 * A host without wmic.exe (Windows 11 24H2, Server 2025): discovered from
 * the registry and dism, tcpip.sys and last_boot left as they were, and
 * a warning naming the host, both fields and the fix; in German too (cmd
 * names the command in every language).
 */
static void
test_discover_update_no_wmic(void **state)
{
	static const char in[] = "{\"hosts\": [{\"name\": \"w11\", "
	    "\"files\": {\"tcpip.sys\": \"6.1.7601.1\"}, "
	    "\"last_boot\": \"2026-01-02T03:04:05Z\"}]}";
	static const char err_en[] = "'wmic' is not recognized as an internal "
	    "or external command,\r\noperable program or batch file.\r\n";
	static const char err_de[] = "Der Befehl \"wmic\" ist entweder falsch "
	    "geschrieben oder\r\nkonnte nicht gefunden werden.\r\n";
	struct buf b;
	char *s, *w;

	(void)state;
	sample(&b, 0);
	w = discover_wmic_warning("w7", b.data, b.len, "");
	assert_null(w);
	strip_part(&b, "==kbfix:qfe== \r\n", "==kbfix:dism==");
	strip_part(&b, "==kbfix:tcpip== \r\n", "==kbfix:sqm==");
	strip_part(&b, "==kbfix:boot== \r\n", "==kbfix:pend-");
	s = discover_doc(in, strlen(in), &b, 0);
	contains(s, "\"tcpip.sys\": \"6.1.7601.1\"");
	contains(s, "\"last_boot\": \"2026-01-02T03:04:05Z\"");
	contains(s, "\"os\": \"Windows 7 Professional\"");
	contains(s, "\"rollup\": \"7601.24168.1.5\"");
	/* dism's KBs only: KB976902 came from wmic qfe */
	contains(s, "\"installed\": [\"KB4338823\"]");
	free(s);
	w = discover_wmic_warning("w11", b.data, b.len, err_en);
	assert_non_null(w);
	assert_string_equal(w, "w11: no wmic.exe (removed in Windows 11 24H2 "
	    "and Windows Server 2025): files.tcpip.sys and last_boot not read, "
	    "left as they were, and installed holds only the KBs dism names (a "
	    "cumulative update shows as rollup); install the WMIC feature on "
	    "demand (DISM /Online /Add-Capability /CapabilityName:WMIC~~~~), "
	    "then discover it again");
	free(w);
	w = discover_wmic_warning("w11", b.data, b.len, err_de);
	contains(w, "w11: no wmic.exe (removed in Windows 11 24H2");
	free(w);
	/* wmic there but silent: said so, no wrong fix */
	w = discover_wmic_warning("w11", b.data, b.len, "");
	assert_string_equal(w, "w11: files.tcpip.sys and last_boot not read, "
	    "left as they were: wmic answered nothing for them");
	free(w);
	buf_release(&b);
}

static void
test_discover_update_garbage(void **state)
{
	static const char in[] = "{\"hosts\": [{\"name\": \"web01\", "
	    "\"installed\": [\"kb4338823\"], \"x\": 1}]}";
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 0);
	buf_adds(&b, "hello\r\n");
	s = discover_doc(in, strlen(in), &b, -1);
	assert_string_equal(s, "{\n  \"hosts\": [\n    {\"name\": \"web01\", "
	    "\"installed\": [\"kb4338823\"], \"x\": 1}\n  ]\n}\n");
	free(s);
	buf_release(&b);
	/* an os the host names is recorded, known or not: the planner
	 * answers for it (unknown, quoting it) */
	sample_os(&b, 0, "OS/2 Warp 4");
	s = discover_doc(in, strlen(in), &b, 0);
	assert_non_null(strstr(s, "\"os\": \"OS/2 Warp 4\""));
	free(s);
	buf_release(&b);
}

static void
test_discover_commands_line(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(discover_commands(&b), 0);
	assert_true(strncmp(b.data, "echo \"kbfix shell probe\" & echo "
	    "==kbfix:os== & reg query \"HKLM\\SOFTWARE\\Microsoft\\"
	    "Windows NT\\CurrentVersion\" & ", 97) == 0);
	assert_non_null(strstr(b.data, " & dism /online /get-packages "
	    "/English & "));
	assert_non_null(strstr(b.data, " & wmic /namespace:\\\\root\\"
	    "StandardCimv2 path MSFT_NetIPv4Protocol get MulticastForwarding "
	    "/value & "));
	assert_null(strstr(b.data, "systeminfo"));
	assert_non_null(strstr(b.data, " & wmic datafile where \"name='C:\\\\"
	    "Windows\\\\System32\\\\drivers\\\\tcpip.sys'\" get Version "
	    "/value & "));
	assert_non_null(strstr(b.data, " & reg query \"HKLM\\Software\\"
	    "Microsoft\\Reliability Analysis\\RAC\" /v RacSampleNumber & "));
	assert_non_null(strstr(b.data, " & netsh interface ipv4 show global & "));
	assert_non_null(strstr(b.data, " & echo ==kbfix:boot== & wmic os get "
	    "lastbootuptime /value & "));
	assert_true(str_endswith(b.data, " & echo ==kbfix:pend-srvmgr== & "
	    "reg query HKLM\\SOFTWARE\\Microsoft\\ServerManager /v "
	    "CurrentRebootAttempts"));
	/* cmd.exe's line limit is 8191 characters. */
	assert_true(b.len < 8191);
	buf_release(&b);
}

static char *
write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/kbfix-test-disc.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
parse_fails(const char *doc, const char *want)
{
	assert_null(discover_parse("inv", doc, strlen(doc)));
	if (strstr(err_msg(), want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err_msg(), want);
}

/* What reaches a connection or a command line, checked by the planner's
 * reader before any connection: its messages name the field. */
static void
test_discover_parse_refuses_metacharacters(void **state)
{
	struct discover *d;
	static const char ok[] = "{\"defaults\":{\"port\":2222},\"hosts\":["
	    "{\"name\":\"w\",\"transport\":\"manual\"}]}";

	(void)state;
	parse_fails("{\"hosts\":[{\"name\":\"a&b\"}]}", "hosts[0].name");
	parse_fails("{\"hosts\":[{\"name\":\"ok\"},{\"name\":\"web2\","
	    "\"installed\":[\"KB1234567|x\"]}]}",
	    "hosts[1] (web2).installed: 'KB1234567|x' is not a KB id");
	parse_fails("{\"hosts\":[{\"name\":\"w\",\"registry\":{\"HKLM\\\\A^B"
	    "\":1}}]}", "(w).registry: 'HKLM\\A^B'");
	parse_fails("{\"hosts\":[{\"name\":\"w\",\"address\":\"1.2.3.4;x\"}]}",
	    "(w).address");
	parse_fails("{\"defaults\":{\"user\":\"a&b\"},\"hosts\":[{\"name\":"
	    "\"w\"}]}", "(w).user: 'a&b'");
	parse_fails("{\"hosts\":[{\"name\":\"w\"},{\"name\":\"W\"}]}",
	    "duplicate");
	parse_fails("{\"hosts\":[{\"name\":\"w\",\"port\":70000}]}", "port");
	parse_fails("[1]", "hosts: missing");
	parse_fails("{", "invalid JSON");
	d = discover_parse("inv", ok, strlen(ok));
	assert_non_null(d);
	assert_int_equal(discover_nhosts(d), 1);
	assert_true(discover_host_skipped(d, 0));
	discover_free(d);
	discover_free(NULL);
}

/*
 * The planner's rules, no looser: a lower-case KB id is read as the
 * planner reads it (KB4338823), a KB id of five digits and a registry
 * path outside HKLM are refused (kbfix discover exits 2), naming the field.
 */
static void
test_discover_parse_planner_rules(void **state)
{
	static const char lower[] = "{\"hosts\":[{\"name\":\"w\","
	    "\"installed\":[\"kb4338823\"]}]}";
	struct plan_inventory *inv;
	struct discover *d;

	(void)state;
	d = discover_parse("inv", lower, strlen(lower));
	assert_non_null(d);
	discover_free(d);
	inv = plan_inventory_parse("inv", lower, strlen(lower));
	assert_string_equal(inv->hosts[0].installed[0], "KB4338823");
	plan_inventory_free(inv);
	parse_fails("{\"hosts\":[{\"name\":\"w\",\"installed\":[\"kb12345\"]}]}",
	    "inv: hosts[0] (w).installed: 'kb12345' is not a KB id");
	parse_fails("{\"hosts\":[{\"name\":\"w\",\"registry\":{\"HKCU\\\\"
	    "Software\\\\X\\\\Y\":1}}]}",
	    "inv: hosts[0] (w).registry: 'HKCU\\Software\\X\\Y' is not a "
	    "plain HKLM");
	parse_fails("{\"hosts\":[{\"name\":\"w\",\"arch\":\"sparc\"}]}",
	    "(w).arch: 'sparc'");
}

/* The planner's default: Vista / Server 2008 without a transport are
 * manual (no Win32-OpenSSH), so discover does not contact them; an
 * explicit "ssh" (any case) does, "Manual" in any case skips. */
static void
test_discover_load_manual_by_default(void **state)
{
	struct discover *d;
	char *path;

	(void)state;
	path = write_tmp("{\"hosts\":["
	    "{\"name\":\"s08\",\"os\":\"Windows Server 2008 Standard\"},"
	    "{\"name\":\"vis\",\"os\":\"windows-vista\"},"
	    "{\"name\":\"s08ssh\",\"os\":\"windows-server-2008\","
	    "\"transport\":\"SSH\"},"
	    "{\"name\":\"r2\",\"os\":\"Windows Server 2008 R2 Enterprise\"},"
	    "{\"name\":\"noos\"},"
	    "{\"name\":\"w7m\",\"os\":\"windows-7\",\"transport\":\"Manual\"}]}");
	d = discover_load(path, 0);
	assert_non_null(d);
	assert_int_equal(discover_nhosts(d), 6);
	assert_true(discover_host_skipped(d, 0));
	assert_true(discover_host_skipped(d, 1));
	assert_false(discover_host_skipped(d, 2));
	assert_false(discover_host_skipped(d, 3));
	assert_false(discover_host_skipped(d, 4));
	assert_true(discover_host_skipped(d, 5));
	discover_free(d);
	unlink(path);
	free(path);
	assert_null(discover_load("/nonexistent/inv.json", 0));
}

/* Not JSON: the planner's CSV / AD-export reader; written as JSON. */
static void
test_discover_load_csv(void **state)
{
	static const char bom[] = "\xef\xbb\xbf {\"hosts\":[{\"name\":\"w\"}]}";
	struct discover *d;
	struct buf b;
	char *path, *out;

	(void)state;
	path = write_tmp("name,address,port,transport,group,installed\r\n"
	    "web01,127.0.0.9,2222,,web,kb4338823\r\n"
	    "man01,,,manual,,\r\n");
	d = discover_load(path, 0);
	assert_non_null(d);
	assert_int_equal(discover_nhosts(d), 2);
	assert_string_equal(discover_host_name(d, 0), "web01");
	assert_false(discover_host_skipped(d, 0));
	assert_true(discover_host_skipped(d, 1));
	out = xstrdup("/tmp/kbfix-test-disc-out.XXXXXX");
	close(mkstemp(out));
	assert_int_equal(discover_write(d, out), 0);
	assert_int_equal(file_read(out, 1 << 20, &b), 0);
	assert_string_equal(buf_str(&b), "{\n  \"hosts\": [\n"
	    "    {\"name\": \"web01\", \"address\": \"127.0.0.9\", \"port\": "
	    "2222, \"group\": \"web\", \"installed\": [\"KB4338823\"]},\n"
	    "    {\"name\": \"man01\", \"transport\": \"manual\"}\n  ]\n}\n");
	buf_release(&b);
	discover_free(d);
	unlink(out);
	free(out);
	unlink(path);
	free(path);
	parse_fails("name,port\na,22\nb,0\n", "line 3 (b): port: '0'");
	parse_fails("name,user\na,ops\n\nb,a&b\n", "line 4 (b): user");
	parse_fails("", "empty inventory");
	/* a byte order mark before JSON */
	d = discover_parse("inv", bom, strlen(bom));
	assert_non_null(d);
	discover_free(d);
}

/*
 * Round trips: what discover writes, the planner reads; every member a
 * record does not own survives (compared parsed, with cJSON) and the
 * members keep their order.
 */
static const char *const owned[] = {
	"name", "address", "port", "user", "transport", "group", "wave", "os",
	"version", "arch", "channel", "installed", "files", "registry",
	"multicast_forwarding", "wfp_callout_drivers", "roles",
	"pending_reboot", "registry_absent", "pending_updates", "last_boot",
	"discovered", NULL
};

static int
is_owned(const char *k)
{
	size_t i;

	for (i = 0; owned[i] != NULL; i++)
		if (strcmp(owned[i], k) == 0)
			return 1;
	return 0;
}

static cJSON *
json_doc(const char *s)
{
	cJSON *j;

	if (strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	if ((j = cJSON_Parse(s)) == NULL)
		fail_msg("not JSON:\n%s", s);
	return j;
}

/* a's members in order are b's first members; the unowned ones equal. */
static void
members_kept(const cJSON *a, const cJSON *b, int top)
{
	const cJSON *m, *n = b->child;

	cJSON_ArrayForEach(m, a) {
		if (n == NULL || strcmp(m->string, n->string) != 0)
			fail_msg("member \"%s\" moved or lost", m->string);
		if ((top ? strcmp(m->string, "hosts") != 0 :
		    !is_owned(m->string)) && !cJSON_Compare(m, n, 1))
			fail_msg("member \"%s\" changed", m->string);
		n = n->next;
	}
}

static void
doc_kept(const char *orig, const char *out)
{
	cJSON *a = json_doc(orig), *b = json_doc(out), *ha, *hb, *x, *y;

	members_kept(a, b, 1);
	ha = cJSON_GetObjectItemCaseSensitive(a, "hosts");
	hb = cJSON_GetObjectItemCaseSensitive(b, "hosts");
	assert_int_equal(cJSON_GetArraySize(ha), cJSON_GetArraySize(hb));
	for (x = ha->child, y = hb->child; x != NULL; x = x->next, y = y->next)
		members_kept(x, y, 0);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* Discover host 0 of doc, then check what the planner and cJSON read. */
static char *
round_trip(const char *doc, size_t len)
{
	struct buf b;
	char *s;

	sample(&b, 0);
	s = discover_doc(doc, len, &b, 0);
	buf_release(&b);
	contains(s, "\"KB976902\"");
	contains(s, "\"last_boot\": \"2026-11-21T12:17:12Z\"");
	return s;
}

static void
test_discover_round_trip_examples(void **state)
{
	static const char *const ex[] = { "examples/inventory.json",
	    "examples/inventory.csv", "examples/ad-export.csv" };
	const char *top = getenv("TOP");
	struct buf in;
	char path[512], *s;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", top ? top : ".", ex[i]);
		if (file_read(path, 1 << 20, &in) == -1)
			fail_msg("%s", err_msg());
		s = round_trip(in.data, in.len);
		if (i == 0)
			doc_kept(in.data, s);
		else
			assert_null(strstr(s, "defaults"));
		free(s);
		buf_release(&in);
	}
}

/* Defaults, unknown members at every level, odd order and spellings,
 * unicode: host 0 is discovered, host 1 not (it stays as written). */
#define ODD_HEAD \
    "\xef\xbb\xbf{\"notes\": \"Z\\u00fcrich \xe2\x98\x83\",\n" \
    " \"defaults\": {\"user\": \"ops\", \"port\": 2222, \"installed\": []," \
    " \"x-owner\": \"net\"},\n" \
    " \"hosts\": [\n" \
    "  {\"winsim\": {\"wmic_utf16\": true, \"faults\": {}}, \"name\": " \
    "\"web01\", \"installed\": [\"kb4338823\"], \"registry\": " \
    "{\"HKEY_LOCAL_MACHINE\\\\Software\\\\Microsoft\\\\SQMClient\\\\" \
    "Windows\\\\CEIPENABLE\": 1, \"HKLM\\\\Software\\\\Kept\\\\V\": " \
    "\"a \\\"b\\\"\"}, \"files\": {\"TCPIP.SYS\": \"6.1.7600.16385\", " \
    "\"afd.sys\": \"6.1.7600.16385\"}, \"notes\": [1.5, null, 1e300], " \
    "\"os\": \"windows-7\"},\n"
#define ODD_TAIL \
    " \"installed\": [\"kb4338823\"], \"z\": {\"deep\": [{\"a\": -0.25}]}," \
    " \"owner\": \"J\\u00f6rg \xe2\x98\x83\"}\n" \
    " ],\n" \
    " \"trailer\": {\"k\": 12345678901234}}\n"

static const char odd[] = ODD_HEAD
    "  {\"name\": \"cafe-1\", \"version\": \"6.1 (7601)\", \"arch\": "
    "\"64-bit\", \"os\": \"Windows 7 Enterprise\"," ODD_TAIL;
static const char odd_bad[] = ODD_HEAD
    "  {\"name\": \"caf\\u00e9\", \"os\": \"Windows 7 Entreprise\","
    ODD_TAIL;

static void
test_discover_round_trip_odd(void **state)
{
	struct plan_inventory *inv;
	struct buf b;
	char *out, *again;

	(void)state;
	/* a host name the planner refuses: refused, named */
	parse_fails(odd_bad, "hosts[1].name");
	out = round_trip(odd, strlen(odd));
	doc_kept(odd, out);
	/* the defaults' user and port stay with the defaults */
	assert_null(strstr(out, "\"web01\", \"user\""));
	/* an unchanged CEIPEnable keeps its spelling; new ones append */
	contains(out, "\"registry\": {\"HKEY_LOCAL_MACHINE\\\\Software\\\\"
	    "Microsoft\\\\SQMClient\\\\Windows\\\\CEIPENABLE\": 1, "
	    "\"HKLM\\\\Software\\\\Kept\\\\V\": \"a \\\"b\\\"\", ");
	/* a changed value: in place, spelled as the planner does */
	contains(out, "\"files\": {\"tcpip.sys\": \"6.1.7601.24168\", "
	    "\"afd.sys\": \"6.1.7600.16385\"}");
	contains(out, "\"notes\": [1.5, null, 1e+300]");
	/* host 1 was not discovered: as written (unicode as UTF-8) */
	contains(out, "    {\"name\": \"cafe-1\", \"version\": \"6.1 "
	    "(7601)\", \"arch\": \"64-bit\", \"os\": \"Windows 7 "
	    "Enterprise\", \"installed\": [\"kb4338823\"], \"z\": "
	    "{\"deep\": [{\"a\": -0.25}]}, \"owner\": \"J\xc3\xb6rg "
	    "\xe2\x98\x83\"}\n");
	contains(out, "{\n  \"notes\": \"Z\xc3\xbcrich \xe2\x98\x83\",\n");
	contains(out, "\"trailer\": {\"k\": 12345678901234}\n}\n");
	/* written again with nothing learnt: the same bytes */
	inv = plan_inventory_parse("out", out, strlen(out));
	assert_non_null(inv);
	buf_init(&b, 0);
	assert_int_equal(plan_inventory_write(inv, out, strlen(out), &b), 0);
	again = buf_detach(&b, NULL);
	assert_string_equal(again, out);
	free(again);
	plan_inventory_free(inv);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_update_fields),
		cmocka_unit_test(test_discover_update_pending),
		cmocka_unit_test(test_discover_update_cbs_key),
		cmocka_unit_test(test_discover_update_no_wmic),
		cmocka_unit_test(test_discover_update_garbage),
		cmocka_unit_test(test_discover_update_powershell),
		cmocka_unit_test(test_discover_commands_line),
		cmocka_unit_test(test_discover_parse_refuses_metacharacters),
		cmocka_unit_test(test_discover_parse_planner_rules),
		cmocka_unit_test(test_discover_load_manual_by_default),
		cmocka_unit_test(test_discover_load_csv),
		cmocka_unit_test(test_discover_round_trip_examples),
		cmocka_unit_test(test_discover_round_trip_odd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
