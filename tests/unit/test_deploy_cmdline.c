/* deploy/cmdline.c: the command lines apply sends and export writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "deploy/deploy.h"
#include "plan/plan.h"
#include "util/util.h"

static void
test_cmd_fixed_lines(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(deploy_cmd(DEPLOY_CMD_PREFLIGHT, &b), 0);
	/* the shell proved first, then the OS from the registry, then the
	 * pending-reboot signals */
	assert_true(strncmp(buf_str(&b), "echo \"kbfix shell probe\" & "
	    "echo ==kbfix:os== & reg query \"HKLM\\SOFTWARE\\Microsoft\\"
	    "Windows NT\\CurrentVersion\" & echo ==kbfix:pend-cbs== & ",
	    strlen("echo \"kbfix shell probe\" & echo ==kbfix:os== & reg query "
	    "\"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\" & "
	    "echo ==kbfix:pend-cbs== & ")) == 0);
	assert_null(strstr(buf_str(&b), "wmic os get Caption"));
	buf_reset(&b);
	assert_int_equal(deploy_cmd(DEPLOY_CMD_TCPIP, &b), 0);
	assert_string_equal(buf_str(&b), "wmic datafile where \"name='C:\\\\"
	    "Windows\\\\System32\\\\drivers\\\\tcpip.sys'\" get Version /value");
	buf_reset(&b);
	assert_int_equal(deploy_cmd(DEPLOY_CMD_CLEANUP, &b), 0);
	assert_string_equal(buf_str(&b), "rmdir /s /q C:\\Windows\\Temp\\kbfix");
	buf_reset(&b);
	/* the host's clock in the same line, before the shutdown */
	assert_int_equal(deploy_cmd_shutdown(5, 1, 1, &b), 0);
	assert_string_equal(buf_str(&b), "wmic os get localdatetime /value & "
	    "shutdown /a & shutdown /r /t 5 /d p:2:17 /c \"kbfix: rollback "
	    "reboot\"");
	buf_reset(&b);
	assert_int_equal(deploy_cmd_shutdown(0, 0, 0, &b), 0);
	assert_string_equal(buf_str(&b), "wmic os get localdatetime /value & "
	    "shutdown /r /t 0 /d p:2:17 /c \"kbfix: hotfix reboot\"");
	buf_release(&b);
}

static void
test_cmd_workaround_and_install(void **state)
{
	struct plan_action a;
	struct buf b;
	char *cab;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.kind = ACTION_REGISTRY;
	a.key = "HKLM\\Software\\Path With Space";
	a.value = "V (x86)";
	a.type = "REG_DWORD";
	a.data_num = 7;
	buf_init(&b, 4096);
	assert_int_equal(deploy_cmd_workaround_set(&a, &b), 0);
	assert_string_equal(buf_str(&b), "reg add \"HKLM\\Software\\Path With "
	    "Space\" /v \"V (x86)\" /t REG_DWORD /d 7 /f & reg query "
	    "\"HKLM\\Software\\Path With Space\" /v \"V (x86)\"");
	/* what cmd.exe would interpret is refused, the line left as it was */
	buf_reset(&b);
	a.value = "V%PATH%";
	assert_int_equal(deploy_cmd_workaround_set(&a, &b), -1);
	assert_int_equal(b.len, 0);
	buf_reset(&b);
	assert_int_equal(deploy_cmd_expand("w-kb1-x64_ab.msu", "KB1", &b), 0);
	assert_string_equal(buf_str(&b), "mkdir C:\\Windows\\Temp\\kbfix\\KB1 "
	    "& expand \"-F:*\" C:\\Windows\\Temp\\kbfix\\w-kb1-x64_ab.msu "
	    "C:\\Windows\\Temp\\kbfix\\KB1");
	cab = deploy_cab_name("w-kb1-x64_ab.msu", NULL);
	assert_string_equal(cab, "w-kb1-x64.cab");
	free(cab);
	cab = deploy_cab_name("noext", NULL);	/* no '_' nor '.' */
	assert_string_equal(cab, "noext.cab");
	free(cab);
	buf_release(&b);
}

/* The Group Policy refresh and the read after it (seed 002 note 2). */
static void
test_cmd_gpupdate_then_read(void **state)
{
	struct plan_action a;
	struct buf b;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.kind = ACTION_REGISTRY;
	a.key = "HKLM\\Software\\Microsoft\\SQMClient\\Windows";
	a.value = "CEIPEnable";
	a.type = "REG_DWORD";
	buf_init(&b, 4096);
	assert_int_equal(deploy_cmd_gpupdate(&a, 540, &b), 0);
	assert_string_equal(buf_str(&b), "gpupdate /target:computer /force "
	    "/wait:540 & reg query HKLM\\Software\\Microsoft\\SQMClient\\"
	    "Windows /v CEIPEnable");
	/* the runbook and the playbook: gpupdate's own wait */
	buf_reset(&b);
	assert_int_equal(deploy_cmd_gpupdate(&a, -1, &b), 0);
	assert_string_equal(buf_str(&b), "gpupdate /target:computer /force & "
	    "reg query HKLM\\Software\\Microsoft\\SQMClient\\Windows /v "
	    "CEIPEnable");
	/* a value cmd.exe would interpret: refused, nothing written */
	buf_reset(&b);
	a.value = "CEIP&calc";
	assert_int_equal(deploy_cmd_gpupdate(&a, 540, &b), -1);
	assert_int_equal(b.len, 0);
	assert_non_null(strstr(err_msg(), "would be interpreted by cmd.exe"));
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_fixed_lines),
		cmocka_unit_test(test_cmd_workaround_and_install),
		cmocka_unit_test(test_cmd_gpupdate_then_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
