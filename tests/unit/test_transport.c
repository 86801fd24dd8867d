#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "transport/transport.h"

/* Real-format samples (FACTS.md section 4), as the bytes reach us. */

static const char reg_dword[] =
    "\r\nHKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows\r\n"
    "    CEIPEnable    REG_DWORD    0x1\r\n\r\n";

static const char reg_key[] =
    "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\r\n"
    "    BootExecute    REG_MULTI_SZ    autocheck autochk *\\0second item\r\n"
    "    PendingFileRenameOperations    REG_MULTI_SZ    \\??\\C:\\Windows\\a.tmp\\0\\0\r\n"
    "    ProtectionMode    REG_DWORD    0xffffffff\r\n"
    "    Big    REG_QWORD    0x1234567890abcdef\r\n"
    "    Blob    REG_BINARY    0100FFab\r\n"
    "    Path    REG_EXPAND_SZ    %SystemRoot%\\system32\r\n"
    "    Empty    REG_SZ    \r\n"
    "    ProductName    REG_SZ    Windows Server 2008 R2 Enterprise\r\n"
    "\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\AppCompatCache\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment\r\n";

static void
test_winparse_reg_query_dword(void **state)
{
	struct winreg_list l;
	const struct winreg_value *v;

	(void)state;
	assert_int_equal(transport_win_reg_query(reg_dword, sizeof(reg_dword) - 1,
	    &l), 0);
	assert_true(l.key_found);
	assert_int_equal(l.n, 1);
	v = transport_winreg_find(&l, "ceipenable");
	assert_non_null(v);
	assert_int_equal(v->type, WINREG_DWORD);
	assert_int_equal(v->num, 1);
	assert_string_equal(v->key,
	    "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows");
	transport_winreg_list_release(&l);
}

static void
test_winparse_reg_query_all_types(void **state)
{
	struct winreg_list l;
	const struct winreg_value *v;

	(void)state;
	assert_int_equal(transport_win_reg_query(reg_key, sizeof(reg_key) - 1,
	    &l), 0);
	assert_int_equal(l.n, 8);
	v = transport_winreg_find(&l, "BootExecute");
	assert_int_equal(v->type, WINREG_MULTI_SZ);
	assert_int_equal(v->nitems, 2);
	assert_string_equal(v->items[0], "autocheck autochk *");
	assert_string_equal(v->items[1], "second item");
	v = transport_winreg_find(&l, "PendingFileRenameOperations");
	assert_int_equal(v->nitems, 2);
	assert_string_equal(v->items[0], "\\??\\C:\\Windows\\a.tmp");
	assert_string_equal(v->items[1], "");
	assert_int_equal(transport_winreg_find(&l, "ProtectionMode")->num, 0xffffffffu);
	v = transport_winreg_find(&l, "Big");
	assert_int_equal(v->type, WINREG_QWORD);
	assert_true(v->num == 0x1234567890abcdefULL);
	v = transport_winreg_find(&l, "Blob");
	assert_int_equal(v->binlen, 4);
	assert_memory_equal(v->bin, "\x01\x00\xff\xab", 4);
	assert_string_equal(transport_winreg_find(&l, "Path")->data,
	    "%SystemRoot%\\system32");
	assert_int_equal(transport_winreg_find(&l, "Path")->type, WINREG_EXPAND_SZ);
	assert_string_equal(transport_winreg_find(&l, "Empty")->data, "");
	assert_string_equal(transport_winreg_find(&l, "ProductName")->data,
	    "Windows Server 2008 R2 Enterprise");
	assert_int_equal(l.nsubkeys, 2);
	assert_non_null(strstr(l.subkeys[1], "\\Environment"));
	assert_null(transport_winreg_find(&l, "Missing"));
	transport_winreg_list_release(&l);
}

static void
test_winparse_reg_query_missing(void **state)
{
	static const char missing[] = "\r\nERROR: The system was unable "
	    "to find the specified registry key or value.\r\n";
	struct winreg_list l;

	(void)state;
	/* reg.exe: exit 1, stdout empty, the error on stderr. */
	assert_int_equal(transport_win_reg_query("", 0, &l), 0);
	assert_false(l.key_found);
	assert_int_equal(l.n, 0);
	transport_winreg_list_release(&l);
	assert_int_equal(transport_win_reg_query(missing, sizeof(missing) - 1, &l),
	    0);
	assert_int_equal(l.n, 0);
	transport_winreg_list_release(&l);
}

/* A key with no values prints no line of its own, only its subkeys. */
static void
test_winparse_reg_query_subkeys_only(void **state)
{
	static const char cbs[] = "\r\n"
	    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
	    "\\Component Based Servicing\\Packages\r\n"
	    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
	    "\\Component Based Servicing\\RebootPending\r\n";
	struct winreg_list l;

	(void)state;
	assert_int_equal(transport_win_reg_query(cbs, sizeof(cbs) - 1, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.nkeys, 2);
	assert_int_equal(l.nsubkeys, 2);
	assert_true(transport_winreg_has_key(&l, "HKLM\\SOFTWARE\\Microsoft\\Windows\\"
	    "CurrentVersion\\Component Based Servicing\\rebootpending"));
	assert_true(transport_winreg_has_key(&l, "HKEY_LOCAL_MACHINE\\SOFTWARE\\"
	    "Microsoft\\Windows\\CurrentVersion\\Component Based Servicing"
	    "\\RebootPending"));
	assert_false(transport_winreg_has_key(&l, "HKLM\\SOFTWARE\\Microsoft\\Windows"
	    "\\CurrentVersion\\Component Based Servicing\\RebootPend"));
	transport_winreg_list_release(&l);
	assert_int_equal(transport_win_reg_query(reg_dword, sizeof(reg_dword) - 1,
	    &l), 0);
	assert_int_equal(l.nsubkeys, 0);
	assert_true(transport_winreg_has_key(&l,
	    "HKLM\\Software\\Microsoft\\SQMClient\\Windows"));
	transport_winreg_list_release(&l);
}

static void
test_winparse_reg_query_garbage(void **state)
{
	struct winreg_list l;
	static const char bad[] = "HKEY_LOCAL_MACHINE\\X\r\nhello world\r\n";
	static const char badnum[] = "HKEY_LOCAL_MACHINE\\X\r\n"
	    "    V    REG_DWORD    0x1ffffffff\r\n";

	(void)state;
	assert_int_equal(transport_win_reg_query(bad, sizeof(bad) - 1, &l), -1);
	assert_non_null(strstr(err_msg(), "line 2"));
	assert_int_equal(transport_win_reg_query(badnum, sizeof(badnum) - 1, &l),
	    -1);
}

static const char dism_out[] =
    "\r\nDeployment Image Servicing and Management tool\r\n"
    "Version: 6.1.7600.16385\r\n\r\nImage Version: 6.1.7601.18489\r\n\r\n"
    "Packages listing:\r\n\r\n"
    "Package Identity : Package_for_KB4338823~31bf3856ad364e35~amd64~~6.1.1.4\r\n"
    "State : Installed\r\nRelease Type : Security Update\r\n"
    "Install Time : 7/11/2018 3:14 AM\r\n\r\n"
    "Package Identity : Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1\r\n"
    "State : Install Pending\r\nRelease Type : Update\r\n"
    "Install Time : \r\n\r\n"
    "Package Identity : Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24168.1.5\r\n"
    "State : Superseded\r\nRelease Type : Update\r\n\r\n"
    "The operation completed successfully.\r\n";

static void
test_winparse_dism_packages_states(void **state)
{
	struct dism_list l;

	(void)state;
	assert_int_equal(transport_win_dism_packages(dism_out,
	    sizeof(dism_out) - 1, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.p[0].kb, "KB4338823");
	assert_int_equal(l.p[0].state, DISM_INSTALLED);
	assert_string_equal(l.p[1].identity,
	    "Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1");
	assert_int_equal(l.p[1].state, DISM_INSTALL_PENDING);
	assert_string_equal(l.p[2].kb, "");
	assert_int_equal(l.p[2].state, DISM_SUPERSEDED);
	transport_dism_list_release(&l);
	assert_int_equal(transport_win_dism_packages("Error: 740\r\n", 12, &l), -1);
}

/* wmic through a pipe: UTF-16LE with a BOM and CR CR LF line ends. */
static char *
utf16(const char *s, size_t *len)
{
	size_t n = strlen(s), i;
	char *p = xmalloc(2 * n + 2);

	p[0] = (char)0xff;
	p[1] = (char)0xfe;
	for (i = 0; i < n; i++) {
		p[2 + 2 * i] = s[i];
		p[3 + 2 * i] = 0;
	}
	*len = 2 * n + 2;
	return p;
}

static void
test_winparse_wmic_qfe_utf16(void **state)
{
	char *p, **kbs = NULL;
	size_t len, n = 0, i;

	(void)state;
	p = utf16("\r\r\n\r\r\nHotFixID=KB2479943\r\r\n\r\r\n\r\r\n"
	    "HotFixID=KB4338823\r\r\n\r\r\nHotFixID=KB2479943\r\r\n", &len);
	assert_int_equal(transport_win_wmic_qfe(p, len, &kbs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(kbs[0], "KB2479943");
	assert_string_equal(kbs[1], "KB4338823");
	for (i = 0; i < n; i++)
		free(kbs[i]);
	free(kbs);
	free(p);
}

static void
test_winparse_wmic_qfe_table_ansi(void **state)
{
	static const char t[] = "HotFixID   \r\r\nKB976932   \r\r\n"
	    "KB4338823  \r\r\n\r\r\n";
	char **kbs = NULL;
	size_t n = 0;

	(void)state;
	transport_win_wmic_qfe(t, sizeof(t) - 1, &kbs, &n);
	assert_int_equal(n, 2);
	assert_string_equal(kbs[0], "KB976932");
	free(kbs[0]);
	free(kbs[1]);
	free(kbs);
}

static void
test_winparse_wmic_value_lastboot(void **state)
{
	char *p, *v;
	size_t len;
	int64_t t;

	(void)state;
	p = utf16("\r\r\n\r\r\nLastBootUpTime=20261121121712.076000+000\r\r\n"
	    "\r\r\n\r\r\n", &len);
	v = transport_win_wmic_value(p, len, "lastbootuptime");
	assert_string_equal(v, "20261121121712.076000+000");
	assert_int_equal(transport_win_wmi_datetime(v, &t), 0);
	assert_int_equal(t, 1795263432);	/* 2026-11-21T12:17:12Z */
	assert_int_equal(transport_win_wmi_datetime("20261121141712.000000+120",
	    &t), 0);
	assert_int_equal(t, 1795263432);
	assert_int_equal(transport_win_wmi_datetime("2026112112171", &t), -1);
	free(v);
	free(p);
	v = transport_win_wmic_value("Version=6.1.7601.24168\r\r\n", 25, "Version");
	assert_string_equal(v, "6.1.7601.24168");
	free(v);
	assert_null(transport_win_wmic_value("No Instance(s) Available.\r\n", 27,
	    "Version"));
}

static const char netsh_out[] =
    "Querying active state...\r\n\r\nGeneral Global Parameters\r\n"
    "---------------------------------------------\r\n"
    "Default Hop Limit                   : 128 hops\r\n"
    "Neighbor Cache Limit                : 256 entries per interface\r\n"
    "Route Cache Limit                   : 128 entries per compartment\r\n"
    "Reassembly Limit                    : 32893088 bytes\r\n"
    "ICMP Redirects                      : enabled\r\n"
    "Source Routed Packets               : dontforward\r\n"
    "Task Offload                        : enabled\r\n"
    "Dhcp Media Sense                    : enabled\r\n"
    "Media Sense Logging                 : disabled\r\n"
    "MLD Level                           : all\r\n"
    "MLD Version                         : version3\r\n"
    "Multicast Forwarding                : enabled\r\n"
    "Group Forwarded Fragments           : disabled\r\n"
    "Randomize Identifiers               : enabled\r\n"
    "Address Mask Reply                  : disabled\r\n\r\n";

static void
test_winparse_netsh_multicast_states(void **state)
{
	char *v;

	(void)state;
	assert_int_equal(transport_win_netsh_multicast(netsh_out,
	    sizeof(netsh_out) - 1), 1);
	v = transport_win_netsh_value(netsh_out, sizeof(netsh_out) - 1,
	    "Default Hop Limit");
	assert_string_equal(v, "128 hops");
	free(v);
	assert_int_equal(transport_win_netsh_multicast("Multicast Forwarding : "
	    "disabled\r\n", 33), 0);
	assert_int_equal(transport_win_netsh_multicast("nothing\r\n", 9), -1);
}

/* systeminfo /fo csv: read by column position (labels are translated). */
static void
test_winparse_systeminfo_csv_fields(void **state)
{
	static const char *const head[] = { "Nome host", "Nome SO",
	    "Versione SO" };
	struct winsysinfo si;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < 33; i++)
		buf_addf(&b, "%s\"%s %zu\"", i ? "," : "",
		    i < 3 ? head[i] : "Campo", i);
	buf_adds(&b, "\r\n");
	for (i = 0; i < 33; i++)
		buf_addf(&b, "%s\"%s\"", i ? "," : "",
		    i == 0 ? "WEB01" : i == 1 ? "Microsoft Windows Server 2008 "
		    "R2 Enterprise " : i == 2 ? "6.1.7601 Service Pack 1 Build "
		    "7601" : i == 13 ? "x64-based PC" : i == 30 ? "3 Hotfix(s) "
		    "Installed.,[01]: KB2479943,[02]: KB976902,[03]: KB4338823" :
		    i == 31 ? "[01]: Intel(R) \"\"PRO\"\"/1000 MT KB1234567" :
		    "x");
	buf_adds(&b, "\r\n");
	assert_int_equal(transport_win_systeminfo_csv(b.data, b.len, &si), 0);
	assert_string_equal(si.host, "WEB01");
	assert_string_equal(si.os_name,
	    "Microsoft Windows Server 2008 R2 Enterprise");
	assert_string_equal(si.os_version, "6.1.7601");
	assert_string_equal(si.arch, "x64");
	assert_int_equal(si.nhotfixes, 3);	/* not the NIC's "KB" */
	assert_string_equal(si.hotfixes[2], "KB4338823");
	transport_winsysinfo_release(&si);
	buf_release(&b);
	assert_int_equal(transport_win_systeminfo_csv("\"Host Name\"\r\n", 13,
	    &si), -1);
	/* too few columns to be systeminfo's */
	assert_int_equal(transport_win_systeminfo_csv("\"a\",\"b\",\"c\"\r\n"
	    "\"A\",\"B\",\"6.1.7601\"\r\n", 30, &si), -1);
}

static void
test_winparse_text_eol_and_bom(void **state)
{
	char *s;
	size_t len;

	(void)state;
	s = transport_win_text("a\r\r\nb\r\nc\rd\n", 12, &len);
	assert_string_equal(s, "a\nb\nc\nd\n");
	free(s);
	s = transport_win_text("\xef\xbb\xbfx\r\n", 6, &len);
	assert_string_equal(s, "x\n");
	free(s);
	/* UTF-16LE without a BOM, and a non-ASCII character (é). */
	s = transport_win_text("o\0k\0\xe9\0\r\0\n\0", 10, &len);
	assert_string_equal(s, "ok\xc3\xa9\n");
	free(s);
	/* `echo a & wmic ... & echo b`: UTF-16LE inside ANSI text. */
	s = transport_win_text("a \r\n\xff\xfeV\0=\0" "1\0\r\0\r\0\n\0b \r\n",
	    22, &len);
	assert_string_equal(s, "a \nV=1\nb \n");
	free(s);
}

static void
test_winexit_describe_codes(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	transport_winexit_describe(&b, WINEXIT_DISM, 0x800f081e);
	assert_string_equal(b.data, "0x800f081e (package not applicable)");
	buf_reset(&b);
	/* cmd.exe shows it as -2146498530: the same unsigned code. */
	transport_winexit_describe(&b, WINEXIT_DISM, (uint32_t)-2146498530);
	assert_string_equal(b.data, "0x800f081e (package not applicable)");
	buf_reset(&b);
	transport_winexit_describe(&b, WINEXIT_WUSA, 3010);
	assert_string_equal(b.data, "3010 (success, reboot required)");
	buf_reset(&b);
	transport_winexit_describe(&b, WINEXIT_DISM, 0x80070002);
	assert_string_equal(b.data, "0x80070002 (unknown)");
	buf_release(&b);
	assert_int_equal(transport_winexit_classify(WINEXIT_WUSA, 0x00240006),
	    WINEXIT_ALREADY);
	assert_int_equal(transport_winexit_classify(WINEXIT_WUSA, 0x80240017),
	    WINEXIT_NOT_APPLICABLE);
	assert_int_equal(transport_winexit_classify(WINEXIT_WUSA, 5), WINEXIT_DENIED);
	assert_int_equal(transport_winexit_classify(WINEXIT_DISM, 1641),
	    WINEXIT_REBOOTING);
	assert_int_equal(transport_winexit_classify(WINEXIT_SHUTDOWN, 1190),
	    WINEXIT_BUSY);
	assert_int_equal(transport_winexit_classify(WINEXIT_SHUTDOWN, 3010),
	    WINEXIT_FAILED);
	assert_int_equal(transport_winexit_classify(WINEXIT_DISM, 1618), WINEXIT_BUSY);
}

static void
test_transport_cmdline_quotes(void **state)
{
	struct buf b;
	const char *reg[] = { "reg", "query",
	    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", "/v",
	    "ProductName", NULL };
	const char *dism[] = { "dism", "/online", "/add-package",
	    "/packagepath:C:\\Windows\\Temp\\kbfix\\Windows6.1-KB4345459-x64.cab",
	    "/quiet", "/norestart", NULL };
	const char *netsh[] = { "netsh", "interface", "ipv4", "set", "global",
	    "multicastforwarding=disabled", NULL };
	const char *wevt[] = { "wevtutil", "qe", "System", "/q:*[System["
	    "TimeCreated[timediff(@SystemTime) <= 86400000]]]", "/c:5", NULL };
	const char *gt[] = { "x", "a>b", NULL };

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(transport_cmdline(&b, reg), 0);
	assert_string_equal(b.data, "reg query \"HKLM\\SOFTWARE\\Microsoft\\"
	    "Windows NT\\CurrentVersion\" /v ProductName");
	buf_reset(&b);
	assert_int_equal(transport_cmdline(&b, dism), 0);
	assert_string_equal(b.data, "dism /online /add-package /packagepath:"
	    "C:\\Windows\\Temp\\kbfix\\Windows6.1-KB4345459-x64.cab /quiet "
	    "/norestart");
	assert_int_equal(transport_cmdline_join(&b, netsh), 0);
	assert_non_null(strstr(b.data, "/norestart & netsh interface ipv4 "
	    "set global multicastforwarding=disabled"));
	/* < and > only ever inside quotes, where cmd.exe does not redirect */
	buf_reset(&b);
	assert_int_equal(transport_cmdline(&b, wevt), 0);
	assert_string_equal(b.data, "wevtutil qe System \"/q:*[System["
	    "TimeCreated[timediff(@SystemTime) <= 86400000]]]\" /c:5");
	buf_reset(&b);
	assert_int_equal(transport_cmdline(&b, gt), 0);
	assert_string_equal(b.data, "x \"a>b\"");
	buf_release(&b);
}

static void
refused(const char *arg, const char *why)
{
	struct buf b;
	const char *argv[] = { "reg", "query", arg, NULL };

	buf_init(&b, 0);
	buf_adds(&b, "keep");
	assert_int_equal(transport_cmdline(&b, argv), -1);
	assert_string_equal(b.data, "keep");
	assert_non_null(strstr(err_msg(), why));
	buf_release(&b);
}

static void
test_transport_cmdline_refuses_metacharacters(void **state)
{
	struct buf b;
	const char *none[] = { NULL };

	(void)state;
	refused("HKLM\\X & del C:\\boot.ini", "'&'");
	refused("a|b", "'|'");
	refused("a^b", "'^'");
	refused("%PATH%", "'%'");
	refused("a\"b", "'\"'");
	refused("a!b", "'!'");
	refused("a\nb", "control");
	refused("a\rb", "control");
	refused("a\tb", "control");
	refused("caf\xc3\xa9", "non-ASCII");
	refused("", "empty");
	refused("C:\\dir with space\\", "backslash");
	buf_init(&b, 0);
	assert_int_equal(transport_cmdline(&b, none), -1);
	assert_int_equal(transport_cmdline(&b, NULL), -1);
	buf_release(&b);
}

/* The OS from reg query (never translated): Windows 10 says 6.3 in
 * CurrentVersion; the major/minor numbers and UBR make 10.0.17134.165. */
static void
test_winparse_os_from_registry(void **state)
{
	static const char cv10[] = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\"
	    "Microsoft\\Windows NT\\CurrentVersion\r\n"
	    "    CurrentVersion    REG_SZ    6.3\r\n"
	    "    CurrentBuildNumber    REG_SZ    17134\r\n"
	    "    EditionID    REG_SZ    Enterprise\r\n"
	    "    InstallationType    REG_SZ    Client\r\n"
	    "    ProductName    REG_SZ    Windows 10 Enterprise\r\n"
	    "    CurrentMajorVersionNumber    REG_DWORD    0xa\r\n"
	    "    CurrentMinorVersionNumber    REG_DWORD    0x0\r\n"
	    "    UBR    REG_DWORD    0xa5\r\n\r\n";
	static const char cv7[] = "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\"
	    "Microsoft\\Windows NT\\CurrentVersion\r\n"
	    "    CurrentVersion    REG_SZ    6.1\r\n"
	    "    CurrentBuildNumber    REG_SZ    7601\r\n"
	    "    CSDVersion    REG_SZ    Service Pack 1\r\n"
	    "    ProductName    REG_SZ    Windows 7 Enterprise\r\n\r\n";
	static const char env[] = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\"
	    "CurrentControlSet\\Control\\Session Manager\\Environment\r\n"
	    "    PROCESSOR_ARCHITECTURE    REG_SZ    AMD64\r\n\r\n";
	static const char nls[] = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\"
	    "CurrentControlSet\\Control\\Nls\\Language\r\n"
	    "    Default    REG_SZ    040C\r\n"
	    "    InstallLanguage    REG_SZ    0409\r\n\r\n";
	struct winreg_list l, e;
	struct winos os;

	(void)state;
	assert_int_equal(transport_win_reg_query(cv10, sizeof(cv10) - 1, &l), 0);
	assert_int_equal(transport_win_reg_query(env, sizeof(env) - 1, &e), 0);
	assert_int_equal(transport_win_os(&l, &e, &os), 0);
	assert_string_equal(os.product, "Windows 10 Enterprise");
	assert_string_equal(os.version, "10.0.17134.165");
	assert_string_equal(os.build, "10.0.17134");
	assert_int_equal(os.ubr, 165);
	assert_string_equal(os.edition, "Enterprise");
	assert_string_equal(os.installation, "Client");
	assert_string_equal(os.arch, "x64");
	assert_null(os.csd);
	transport_winos_release(&os);
	transport_winreg_list_release(&l);
	assert_int_equal(transport_win_reg_query(cv7, sizeof(cv7) - 1, &l), 0);
	assert_int_equal(transport_win_os(&l, NULL, &os), 0);
	assert_string_equal(os.version, "6.1.7601");
	assert_string_equal(os.csd, "Service Pack 1");
	assert_null(os.arch);
	transport_winos_release(&os);
	transport_winreg_list_release(&l);
	/* the language: Default (the system UI language) first */
	assert_int_equal(transport_win_reg_query(nls, sizeof(nls) - 1, &l), 0);
	assert_string_equal(transport_win_ui_language(&l), "fr-FR");
	transport_winreg_list_release(&l);
	/* without ProductName: refused, naming it */
	assert_int_equal(transport_win_os(&e, NULL, &os), -1);
	assert_non_null(strstr(err_msg(), "ProductName"));
	assert_null(transport_win_ui_language(&e));
	transport_winreg_list_release(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_winparse_reg_query_dword),
		cmocka_unit_test(test_winparse_reg_query_all_types),
		cmocka_unit_test(test_winparse_reg_query_missing),
		cmocka_unit_test(test_winparse_reg_query_subkeys_only),
		cmocka_unit_test(test_winparse_reg_query_garbage),
		cmocka_unit_test(test_winparse_dism_packages_states),
		cmocka_unit_test(test_winparse_wmic_qfe_utf16),
		cmocka_unit_test(test_winparse_wmic_qfe_table_ansi),
		cmocka_unit_test(test_winparse_wmic_value_lastboot),
		cmocka_unit_test(test_winparse_netsh_multicast_states),
		cmocka_unit_test(test_winparse_systeminfo_csv_fields),
		cmocka_unit_test(test_winparse_text_eol_and_bom),
		cmocka_unit_test(test_winparse_os_from_registry),
		cmocka_unit_test(test_winexit_describe_codes),
		cmocka_unit_test(test_transport_cmdline_quotes),
		cmocka_unit_test(test_transport_cmdline_refuses_metacharacters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
