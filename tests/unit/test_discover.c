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

static void
sample(struct buf *b, int pending)
{
	buf_init(b, 0);
	buf_adds(b, "==kbfix:systeminfo== \r\n\r\n\"Host Name\",\"OS Name\","
	    "\"OS Version\",\"System Type\",\"Hotfix(s)\"\r\n\"WEB01\","
	    "\"Microsoft Windows 7 Professional \",\"6.1.7601 Service Pack 1 "
	    "Build 7601\",\"x64-based PC\",\"2 Hotfix(s) Installed.,[01]: "
	    "KB976902,[02]: KB4338823\"\r\n==kbfix:qfe== \r\n");
	add_utf16(b, "\r\r\n\r\r\nHotFixID=KB976902\r\r\n\r\r\n"
	    "HotFixID=KB4338823\r\r\n\r\r\nHotFixID=KB2479943\r\r\n");
	buf_adds(b, "==kbfix:dism== \r\n\r\nDeployment Image Servicing and "
	    "Management tool\r\nVersion: 6.1.7600.16385\r\n\r\n"
	    "Packages listing:\r\n\r\nPackage Identity : Package_for_KB4338823"
	    "~31bf3856ad364e35~amd64~~6.1.1.4\r\nState : Installed\r\n\r\n");
	if (pending == 1)
		buf_adds(b, "Package Identity : Package_for_KB4345459~31bf3856"
		    "ad364e35~amd64~~6.1.1.1\r\nState : Install Pending\r\n\r\n");
	buf_adds(b, "The operation completed successfully.\r\n"
	    "==kbfix:tcpip== \r\n");
	add_utf16(b, "\r\r\n\r\r\nVersion=6.1.7601.24168\r\r\n\r\r\n");
	buf_adds(b, "==kbfix:sqm== \r\n\r\nHKEY_LOCAL_MACHINE\\Software\\"
	    "Microsoft\\SQMClient\\Windows\r\n    CEIPEnable    REG_DWORD    "
	    "0x1\r\n    CEIPSampledIn    REG_DWORD    0x0\r\n\r\n"
	    "==kbfix:sqmpolicy== \r\n==kbfix:rac== \r\n\r\nHKEY_LOCAL_MACHINE"
	    "\\Software\\Microsoft\\Reliability Analysis\\RAC\r\n"
	    "    RacSampleNumber    REG_DWORD    0x2a\r\n\r\n"
	    "==kbfix:netsh== \r\nQuerying active state...\r\n\r\n"
	    "Multicast Forwarding                : enabled\r\n\r\n"
	    "==kbfix:cbs== \r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\"
	    "Windows\\CurrentVersion\\Component Based Servicing\\Packages\r\n");
	if (pending == 2)
		buf_adds(b, "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\"
		    "CurrentVersion\\Component Based Servicing\\"
		    "RebootPending\r\n");
	buf_adds(b, "==kbfix:wu== \r\n==kbfix:pfro== \r\n"
	    "==kbfix:boot== \r\n");
	add_utf16(b, "\r\r\n\r\r\nLastBootUpTime=20261121121712.076000+000"
	    "\r\r\n\r\r\n\r\r\n");
}

static void
test_discover_update_fields(void **state)
{
	cJSON *h = cJSON_Parse("{\"name\":\"web01\",\"roles\":[\"iis\"],"
	    "\"registry\":{\"HKLM\\\\SOFTWARE\\\\POLICIES\\\\Microsoft\\\\"
	    "SQMClient\\\\Windows\\\\CEIPEnable\":0},\"custom\":42}");
	struct buf b;
	char *s;

	(void)state;
	sample(&b, 0);
	assert_int_equal(discover_update(h, b.data, b.len), 0);
	s = cJSON_PrintUnformatted(h);
	assert_non_null(strstr(s, "\"os\":\"Microsoft Windows 7 Professional\""));
	assert_non_null(strstr(s, "\"version\":\"6.1.7601\""));
	assert_non_null(strstr(s, "\"arch\":\"x64\""));
	assert_non_null(strstr(s, "\"installed\":[\"KB976902\",\"KB4338823\","
	    "\"KB2479943\"]"));
	assert_non_null(strstr(s, "\"tcpip.sys\":\"6.1.7601.24168\""));
	assert_non_null(strstr(s, "\"HKLM\\\\Software\\\\Microsoft\\\\"
	    "SQMClient\\\\Windows\\\\CEIPEnable\":1"));
	assert_non_null(strstr(s, "CEIPSampledIn\":0"));
	assert_non_null(strstr(s, "RacSampleNumber\":42"));
	/* The stale policy value is gone: the host has none. */
	assert_null(strstr(s, "POLICIES"));
	assert_non_null(strstr(s, "\"registry_absent\":[\"HKLM\\\\SOFTWARE\\\\"
	    "Policies\\\\Microsoft\\\\SQMClient\\\\Windows\\\\CEIPEnable\"]"));
	assert_non_null(strstr(s, "\"multicast_forwarding\":true"));
	assert_non_null(strstr(s, "\"pending_reboot\":false"));
	assert_non_null(strstr(s, "\"last_boot\":\"2026-11-21T12:17:12Z\""));
	assert_non_null(strstr(s, "\"roles\":[\"iis\"]"));
	assert_non_null(strstr(s, "\"custom\":42"));
	free(s);
	buf_release(&b);
	cJSON_Delete(h);
}

static void
test_discover_update_pending(void **state)
{
	cJSON *h = cJSON_Parse("{\"name\":\"web01\"}");
	struct buf b;
	char *s;

	(void)state;
	sample(&b, 1);
	assert_int_equal(discover_update(h, b.data, b.len), 0);
	s = cJSON_PrintUnformatted(h);
	assert_non_null(strstr(s, "\"pending_reboot\":true"));
	assert_non_null(strstr(s, "\"pending_updates\":[\"KB4345459\"]"));
	assert_null(strstr(s, "\"installed\":[\"KB976902\",\"KB4338823\","
	    "\"KB2479943\",\"KB4345459\""));
	free(s);
	buf_release(&b);
	cJSON_Delete(h);
}

/* An empty RebootPending key: seen among the subkeys of its parent. */
static void
test_discover_update_cbs_key(void **state)
{
	cJSON *h = cJSON_Parse("{\"name\":\"web01\"}");
	struct buf b;
	char *s;

	(void)state;
	sample(&b, 2);
	assert_int_equal(discover_update(h, b.data, b.len), 0);
	s = cJSON_PrintUnformatted(h);
	assert_non_null(strstr(s, "\"pending_updates\":[]"));
	assert_non_null(strstr(s, "\"pending_reboot\":true"));
	free(s);
	buf_release(&b);
	cJSON_Delete(h);
}

static void
test_discover_update_garbage(void **state)
{
	cJSON *h = cJSON_Parse("{\"name\":\"web01\"}");

	(void)state;
	assert_int_equal(discover_update(h, "hello\r\n", 7), -1);
	assert_null(cJSON_GetObjectItem(h, "os"));
	cJSON_Delete(h);
}

static void
test_discover_valid_patterns(void **state)
{
	(void)state;
	assert_true(plan_valid_hostname("web-01.corp_x"));
	assert_false(plan_valid_hostname("web01&calc"));
	assert_false(plan_valid_hostname(""));
	assert_true(discover_valid_kb("KB4345459"));
	assert_false(discover_valid_kb("KB4345459&"));
	assert_false(discover_valid_kb("KB12"));
	assert_false(discover_valid_kb("4345459"));
	assert_true(discover_valid_registry_path(
	    "HKLM\\Software\\Microsoft\\Reliability Analysis\\RAC\\X"));
	assert_false(discover_valid_registry_path("HKLM\\A|B"));
	assert_false(discover_valid_registry_path("HKLM\\A\\\\B"));
	assert_false(discover_valid_registry_path("HKXX\\A"));
	assert_false(discover_valid_registry_path("HKLM\\A%PATH%"));
}

static void
test_discover_commands_line(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(discover_commands(&b), 0);
	assert_true(strncmp(b.data, "echo ==kbfix:systeminfo== & systeminfo "
	    "/fo csv & echo ==kbfix:qfe== & wmic qfe get HotFixID "
	    "/format:list & ", 95) == 0);
	assert_non_null(strstr(b.data, " & wmic datafile where \"name='C:\\\\"
	    "Windows\\\\System32\\\\drivers\\\\tcpip.sys'\" get Version "
	    "/value & "));
	assert_non_null(strstr(b.data, " & reg query \"HKLM\\Software\\"
	    "Microsoft\\Reliability Analysis\\RAC\" /v RacSampleNumber & "));
	assert_non_null(strstr(b.data, " & netsh interface ipv4 show global & "));
	assert_true(str_endswith(b.data, " & echo ==kbfix:boot== & wmic os get "
	    "lastbootuptime /value"));
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
load_fails(const char *json, const char *want)
{
	char *path = write_tmp(json);

	assert_null(discover_load(path));
	if (strstr(err_msg(), want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err_msg(), want);
	unlink(path);
	free(path);
}

static void
test_discover_load_refuses_metacharacters(void **state)
{
	struct discover *d;
	char *path;

	(void)state;
	load_fails("{\"hosts\":[{\"name\":\"a&b\"}]}", "hosts[0]: field \"name\"");
	load_fails("{\"hosts\":[{\"name\":\"ok\"},{\"name\":\"web2\","
	    "\"installed\":[\"KB1234567|x\"]}]}",
	    "hosts[1] (web2): field \"installed\"");
	load_fails("{\"hosts\":[{\"name\":\"w\",\"registry\":{\"HKLM\\\\A^B"
	    "\":1}}]}", "(w): field \"registry\": key");
	load_fails("{\"hosts\":[{\"name\":\"w\",\"registry\":{\"HKLM\\\\A\":"
	    "\"x & del\"}}]}", "(w): field \"registry\": value");
	load_fails("{\"hosts\":[{\"name\":\"w\",\"address\":\"1.2.3.4;x\"}]}",
	    "field \"address\"");
	load_fails("{\"defaults\":{\"user\":\"a b\"},\"hosts\":[]}",
	    "defaults: field \"user\"");
	load_fails("{\"hosts\":[{\"name\":\"w\"},{\"name\":\"W\"}]}",
	    "duplicate");
	load_fails("{\"hosts\":[{\"name\":\"w\",\"port\":70000}]}", "port");
	load_fails("[1]", "expected");
	load_fails("{", "not valid JSON");
	path = write_tmp("{\"defaults\":{\"port\":2222},\"hosts\":[{\"name\":"
	    "\"w\",\"transport\":\"manual\"}]}");
	d = discover_load(path);
	assert_non_null(d);
	assert_int_equal(discover_nhosts(d), 1);
	assert_true(discover_host_skipped(d, 0));
	discover_free(d);
	unlink(path);
	free(path);
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
	    "\"transport\":\"ssh\"},"
	    "{\"name\":\"r2\",\"os\":\"Windows Server 2008 R2 Enterprise\"},"
	    "{\"name\":\"noos\"},"
	    "{\"name\":\"w7m\",\"os\":\"windows-7\",\"transport\":\"Manual\"}]}");
	d = discover_load(path);
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
}

/* Not JSON: read by the planner's CSV / AD-export reader, then as JSON. */
static void
test_discover_load_csv(void **state)
{
	struct discover *d;
	struct buf b;
	char *path, *out;

	(void)state;
	path = write_tmp("name,address,port,transport,group,installed\r\n"
	    "web01,127.0.0.9,2222,,web,kb4338823\r\n"
	    "man01,,,manual,,\r\n");
	d = discover_load(path);
	assert_non_null(d);
	assert_int_equal(discover_nhosts(d), 2);
	assert_string_equal(discover_host_name(d, 0), "web01");
	assert_false(discover_host_skipped(d, 0));
	assert_true(discover_host_skipped(d, 1));
	out = xstrdup("/tmp/kbfix-test-disc-out.XXXXXX");
	close(mkstemp(out));
	assert_int_equal(discover_write(d, out), 0);
	assert_int_equal(file_read(out, 1 << 20, &b), 0);
	assert_non_null(strstr(buf_str(&b), "\"port\":\t2222,"));
	assert_non_null(strstr(buf_str(&b), "\"installed\":\t[\"KB4338823\"]"));
	assert_non_null(strstr(buf_str(&b), "\"group\":\t\"web\""));
	buf_release(&b);
	discover_free(d);
	unlink(out);
	free(out);
	unlink(path);
	free(path);
	/* the planner's messages; discover's own checks name the line too */
	load_fails("name,port\na,22\nb,0\n", "line 3 (b): port: '0'");
	load_fails("name,user\na,ops\n\nb,a b\n",
	    "line 4 (b): field \"user\"");
	load_fails("", "empty inventory");
	/* a byte order mark before JSON */
	path = write_tmp("\xef\xbb\xbf {\"hosts\":[{\"name\":\"w\"}]}");
	d = discover_load(path);
	assert_non_null(d);
	discover_free(d);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_update_fields),
		cmocka_unit_test(test_discover_update_pending),
		cmocka_unit_test(test_discover_update_cbs_key),
		cmocka_unit_test(test_discover_update_garbage),
		cmocka_unit_test(test_discover_valid_patterns),
		cmocka_unit_test(test_discover_commands_line),
		cmocka_unit_test(test_discover_load_refuses_metacharacters),
		cmocka_unit_test(test_discover_load_manual_by_default),
		cmocka_unit_test(test_discover_load_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
