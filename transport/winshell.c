/*
 * The shell check: kbfix writes cmd.exe command lines, and Win32-OpenSSH
 * runs them under its DefaultShell, which may be PowerShell.  The first
 * command of a session proves cmd.exe: cmd's echo prints its quotes,
 * PowerShell's (and a POSIX shell's) consumes them, and PowerShell also
 * refuses the " & " that joins kbfix's commands.
 */
#include <string.h>

#include "util/util.h"
#include "transport/transport.h"

#define PROBE		"kbfix shell probe"
#define PROBE_ECHOED	"\"" PROBE "\""

int
transport_win_shell_cmdline(struct buf *b)
{
	static const char *const argv[] = { "echo", PROBE, NULL };

	return transport_cmdline_join(b, argv);
}

int
transport_win_shell_check(const char *text)
{
	const char *p;

	for (p = text; (p = strstr(p, PROBE_ECHOED)) != NULL; p++)
		if (p == text || p[-1] == '\n')
			return 0;
	err_set("the SSH session's shell is not cmd.exe (kbfix sends cmd.exe "
	    "command lines; OpenSSH's DefaultShell is probably PowerShell): "
	    "remove the DefaultShell value, or set it to cmd.exe, as an "
	    "administrator on the host: reg add HKLM\\SOFTWARE\\OpenSSH /v "
	    "DefaultShell /t REG_SZ /d C:\\Windows\\System32\\cmd.exe /f");
	return -1;
}
