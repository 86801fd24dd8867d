/*
 * transport: SSH to Windows hosts (Win32-OpenSSH, whose shell is cmd.exe)
 * with libssh2 in non-blocking mode, driven by one poll() loop, plus the
 * parsers of Windows command output (transport/winparse.c) and the one
 * builder of cmd.exe command lines.
 *
 * Model (as ssh-keyscan and rpki-client's http.c): a struct transport owns
 * every connection, timer and deadline; each connection is a state machine
 * (queued, connecting, handshake, host key, auth, ready, closing) advanced by
 * transport_run().  At most opts.parallel connections are open at a time;
 * further transport_connect() calls wait in a FIFO queue and start when a
 * slot is freed: by transport_close(), or when a connection fails (its
 * session is then torn down at once).
 *
 * Callbacks: every callback is called from inside transport_run(), never
 * from the function that registered it, so a callback may start new work
 * (connect, exec, upload, timer) or close its connection.  Pointers passed
 * to a callback (error strings, struct transport_result and its out/err)
 * are valid only during the callback: copy what you keep.
 *
 * Ownership: transport_connect() returns a handle the caller owns and
 * releases with transport_close() in every case, also after a failed
 * connect or a transport error (calling it from inside any callback of that
 * connection is allowed).  After transport_close() no callback of that
 * connection is called again: queued or running commands and uploads are
 * dropped silently.  transport_free() closes whatever is left.  Strings
 * passed in are copied.
 *
 * Errors: a function returning -1 leaves a message with err_set(); messages
 * handed to callbacks start with the host name ("web01: connection dropped
 * during command").
 */
#ifndef KBFIX_TRANSPORT_H
#define KBFIX_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

struct buf;

struct transport_opts {
	const char	*known_hosts;	/* NULL: ~/.ssh/known_hosts */
	int		 accept_new;	/* trust an unknown key on first use and
					   append it to known_hosts; a changed
					   key is still refused */
	const char	*key_file;	/* private key (no passphrase); NULL:
					   ssh-agent ($SSH_AUTH_SOCK) */
	const char	*user;		/* when a host has none; NULL: $USER */
	int		 connect_timeout_ms;	/* 0: 10 s; TCP + SSH + auth */
	int		 command_timeout_ms;	/* 0: 600 s; per exec/upload */
	int		 keepalive_s;	/* 0: 15 s; SSH keepalives while a
					   command runs */
	int		 parallel;	/* 0: 32 open connections at most */
	size_t		 output_max;	/* 0: 4 MiB; per stream, more is an
					   error */
};

struct transport_result {		/* valid during the callback only */
	int		 failed;	/* 1: transport error (the connection
					   is then unusable) or output over
					   output_max; see error */
	const char	*error;		/* "web01: command timed out after 600 s" */
	uint32_t	 exit_status;	/* unsigned 32-bit, as Windows returns
					   it (0x800f081e, not negative) */
	const char	*out, *err;	/* NUL-terminated, never NULL */
	size_t		 out_len, err_len;
};

struct transport;
struct transport_conn;

typedef void transport_connect_cb(struct transport_conn *, int ok,
    const char *error, void *arg);
typedef void transport_exec_cb(struct transport_conn *,
    const struct transport_result *, void *arg);
typedef void transport_upload_cb(struct transport_conn *, int ok,
    const char *error, void *arg);
typedef void transport_timer_cb(void *arg);

/* Returns NULL (err_set) when the known_hosts file cannot be read. */
struct transport *transport_new(const struct transport_opts *);
void	 transport_free(struct transport *);

/*
 * Queue a connection to address:port (port 0: 22; user NULL: opts.user)
 * under the parallel cap.  name is the host name used in messages.  The
 * address is resolved here, before the loop (a numeric address needs no
 * look-up; a name resolved once is cached, so reconnecting from a callback
 * never blocks the loop).  cb(conn, 1, NULL, arg) once authenticated, or
 * cb(conn, 0, "web01: ...", arg) on failure (unknown or changed host key
 * with its SHA256 fingerprint, auth refused, timeout, ...).  Returns NULL
 * (err_set) only when the address cannot be resolved.
 */
struct transport_conn *transport_connect(struct transport *, const char *name,
    const char *address, int port, const char *user,
    transport_connect_cb *cb, void *arg);

/*
 * Run cmdline (build it with transport_cmdline()) on one exec channel of
 * the connection's session.  Commands and uploads on one connection run one
 * after the other in the order queued; call before the connect callback is
 * fine (they start once connected, or fail if the connect fails).  The
 * command deadline (opts.command_timeout_ms)
 * counts from the start of this command; keepalives are sent meanwhile;
 * a command (or upload) past its deadline fails the connection ("web01:
 * command timed out after 600 s"): reconnect to go on.
 * The command's stdin is closed at once (wmic would wait for it).  The
 * callback gets the exit status, stdout and stderr; result.failed is set
 * on a transport error (the connection is then unusable) and also when
 * stdout or stderr exceeded opts.output_max (the connection stays usable;
 * the kept part is in out/err).  Returns -1 (err_set) only on a closed
 * handle.
 */
int	 transport_exec(struct transport_conn *, const char *cmdline,
	    transport_exec_cb *cb, void *arg);

/*
 * transport_cmdline(argv) then transport_exec(): -1 (err_set naming the
 * argument, nothing queued, no callback) when an argument is refused.
 */
int	 transport_exec_argv(struct transport_conn *, const char *const argv[],
	    transport_exec_cb *cb, void *arg);

/*
 * SFTP upload of local_path to remote_path, a Windows path as the SFTP
 * server names it: "/C:/Windows/Temp/kbfix/KB4345459.msu" (the leading
 * slash is required).  The file is written, then its size is read back
 * with an SFTP stat and its content re-read over SFTP and compared by
 * SHA-256 with the local file; any difference fails the upload.  An
 * existing file is replaced.  Missing parent directories are not created
 * (run mkdir first).  An SFTP refusal (no such directory, permission) fails
 * only the upload; a broken session fails the connection.
 */
int	 transport_upload(struct transport_conn *, const char *local_path,
	    const char *remote_path, transport_upload_cb *cb, void *arg);

/*
 * 1: the connection failed because its host key was refused (changed or
 * unknown): the host answered, and retrying will not help.
 */
int	 transport_conn_key_refused(const struct transport_conn *);

/*
 * A deadline for everything on this connection (time_now_ms() clock):
 * the connect and each command or upload end by at_ms at the latest,
 * whatever the connect and command timeouts leave, and fail as a
 * timeout would ("web01: command stopped at its deadline").  Call right
 * after transport_connect(), or between commands; at_ms 0: no limit.
 */
void	 transport_conn_limit(struct transport_conn *, int64_t at_ms);

/* Disconnect (politely, inside the loop) and free the handle; NULL: no-op. */
void	 transport_close(struct transport_conn *);

/* cb(arg) once, from transport_run(), after delay_ms (no cancelling: let
 * the callback check its own state).  Returns 0. */
int	 transport_timer(struct transport *, int64_t delay_ms,
	    transport_timer_cb *cb, void *arg);

/*
 * Run the loop until nothing is pending (no queued or unfinished connect,
 * command, upload, timer or closing connection; idle connected handles do
 * not count) or transport_stop() is called.  0, or -1 (err_set) when poll()
 * fails.  May be called again to go on (e.g. after queueing more work);
 * not from inside a callback.
 */
int	 transport_run(struct transport *);
void	 transport_stop(struct transport *);

/*
 * The one builder of cmd.exe command lines.  argv[0] is the program, the
 * rest its arguments, NULL-terminated.  An argument is written bare when it
 * holds only [A-Za-z0-9_.:/\\=+,@{}~-]; otherwise (spaces, parentheses,
 * ', a registry path with spaces, the < and > of a wevtutil query) it is
 * quoted with "...".  Refused (-1, err_set naming the argument): an empty
 * argv, program or argument, & | ^ % " and ! (cmd.exe interprets % and ^
 * even inside quotes, and a " would end the quoting), control characters
 * and bytes >= 0x80.  Appends
 * to out; on error out is left as it was.
 *
 * transport_cmdline_join() appends " & " (unless out is empty) and a
 * further command: cmd.exe runs them one after the other whatever their
 * exit codes (the only chaining kbfix uses).
 */
int	 transport_cmdline(struct buf *out, const char *const argv[]);
int	 transport_cmdline_join(struct buf *out, const char *const argv[]);

/*
 * Parsers of Windows command output (FACTS.md section 4), as received over
 * SSH: ANSI/UTF-8 or UTF-16LE (with a BOM, as wmic writes), CRLF or the
 * CR CR LF that wmic writes through a pipe.  They need no connection: each
 * takes bytes and a length.  Strings they return are the caller's (free()
 * or the matching _release()).
 */

/* Decode to NUL-terminated text with "\n" line ends (UTF-16 -> UTF-8). */
char	*transport_win_text(const char *, size_t, size_t *outlen);

enum winreg_type {
	WINREG_SZ, WINREG_EXPAND_SZ, WINREG_MULTI_SZ, WINREG_DWORD,
	WINREG_QWORD, WINREG_BINARY, WINREG_NONE, WINREG_OTHER
};

struct winreg_value {
	char		*key;		/* "HKEY_LOCAL_MACHINE\\Software\\..." */
	char		*name;		/* "(Default)" for the default value */
	enum winreg_type type;
	char		*data;		/* as reg.exe prints it ("0x1", "a\\0b") */
	uint64_t	 num;		/* DWORD, QWORD */
	char		**items;	/* MULTI_SZ, nitems strings */
	size_t		 nitems;
	unsigned char	*bin;		/* BINARY, binlen bytes */
	size_t		 binlen;
};

struct winreg_list {
	struct winreg_value *v;
	size_t		 n;
	char		**subkeys;	/* key lines with no values under them:
					   the subkeys a query lists */
	size_t		 nsubkeys;
	int		 key_found;	/* some key line was printed */
	char		**keys;		/* every key line, in order */
	size_t		 nkeys;
};

/*
 * `reg query KEY [/v NAME] [/s]` stdout.  0, or -1 (err_set) on a line
 * that is not reg.exe's.  A missing key or value gives an empty list
 * (reg.exe exits 1 and prints "ERROR: The system was unable to find the
 * specified registry key or value." on stderr).  Beware: a key that exists
 * but holds no values prints no line of its own (only its subkeys), so
 * without the exit code its existence is told by querying its parent and
 * looking for it with transport_winreg_has_key().
 */
int	 transport_win_reg_query(const char *, size_t, struct winreg_list *);
const struct winreg_value *transport_winreg_find(const struct winreg_list *,
	    const char *name);	/* case-insensitive, as Windows */
/* 1 when reg.exe printed the key path ("HKLM\..." or "HKEY_LOCAL_MACHINE\
 * ..."), case-insensitively; 0 otherwise. */
int	 transport_winreg_has_key(const struct winreg_list *, const char *path);
void	 transport_winreg_list_release(struct winreg_list *);
const char *transport_winreg_type_name(enum winreg_type);

enum dism_state {
	DISM_INSTALLED, DISM_INSTALL_PENDING, DISM_UNINSTALL_PENDING,
	DISM_STAGED, DISM_SUPERSEDED, DISM_OTHER
};

struct dism_package {
	char		*identity;	/* Package_for_KB4345459~31bf...~amd64~~6.1.1.1 */
	char		*name;		/* its first part: "Package_for_RollupFix";
					   the whole identity when it has not
					   the five ~ parts */
	char		*arch;		/* "amd64", or NULL */
	char		*version;	/* "7601.24002.1.4", or NULL */
	char		 kb[16];	/* "KB4345459" when the name holds one
					   (sub-packages too), or "" */
	int		 sub;		/* a hotfix's sub-package
					   (Package_3_for_KB2706045,
					   Package_for_KB2706045_SP1): never
					   the package itself */
	enum dism_state	 state;
	char		*state_text;	/* as printed; "" when the block had no
					   State line (DISM_OTHER) */
	char		*release_type;	/* "Security Update", or NULL */
	char		*install_time;	/* as printed ("10/13/2016 6:26 PM":
					   the host's date format; "" when
					   blank), or NULL */
};

struct dism_list {
	struct dism_package *p;
	size_t		 n;
};

/*
 * `dism /online /get-packages /English` stdout (every DISM call of kbfix
 * passes /English: without it the labels are translated); -1 when no
 * package block parses.  transport_dism_find(): the package whose identity
 * is exactly identity (case-insensitive, as CBS compares), or NULL.
 */
int	 transport_win_dism_packages(const char *, size_t, struct dism_list *);
const struct dism_package *transport_dism_find(const struct dism_list *,
	    const char *identity);
void	 transport_dism_list_release(struct dism_list *);

/*
 * `wmic ... get NAME` in table form (a header line of padded column
 * names, then rows): the first row's value under NAME, trimmed, or NULL.
 * Columns are found by the header's positions, so values with spaces
 * stay whole.  Caller frees.
 */
char	*transport_win_wmic_column(const char *, size_t, const char *name);

/*
 * `wmic ... /value` or `/format:list` output: the value of NAME= (first
 * occurrence, trimmed), or NULL when absent.  Caller frees.
 */
char	*transport_win_wmic_value(const char *, size_t, const char *name);

/*
 * KB ids ("KB4338823") in `wmic qfe get HotFixID` (list or table form):
 * appends each new one to *kbs (caller frees each and the array).
 */
int	 transport_win_wmic_qfe(const char *, size_t, char ***kbs, size_t *n);

/* The fix for a host without wmic.exe (Windows 11 24H2, Server 2025),
 * as deploy and discover tell it. */
#define TRANSPORT_WMIC_FIX	"install the WMIC feature on demand " \
	"(DISM /Online /Add-Capability /CapabilityName:WMIC~~~~)"

/* WMI datetime "20261121121712.076000+000" to Unix time (UTC). */
int	 transport_win_wmi_datetime(const char *, int64_t *epoch);

/*
 * `netsh interface ipv4 show global`: the value of a "Name : value" line,
 * or NULL.  transport_win_netsh_multicast(): 1 enabled, 0 disabled, -1
 * unknown, with err_set() saying why: netsh translates its labels and
 * values on a non-English Windows, and kbfix reads only the English
 * "Multicast Forwarding : enabled|disabled" (never a guess).
 */
char	*transport_win_netsh_value(const char *, size_t, const char *name);
int	 transport_win_netsh_multicast(const char *, size_t);

/*
 * MulticastForwarding= of `wmic /namespace:\\root\StandardCimv2 path
 * MSFT_NetIPv4Protocol get MulticastForwarding /value` (Windows 8 / 2012
 * and later; WMI property names and numbers are never translated): 1
 * enabled, 0 disabled, -1 absent (err_set).
 */
int	 transport_win_cim_multicast(const char *, size_t);

/*
 * systeminfo, CSV (`/fo csv`) or list format, read by position, not by
 * label (labels and CSV headers are translated on non-English Windows):
 * 0 Host Name, 1 OS Name, 2 OS Version, 13 System Type, 30 Hotfix(s), the
 * same order in every language (tests/fixtures/windows/systeminfo).  In
 * list format a field's continuation lines start with blanks.
 */
struct winsysinfo {
	char		*host;		/* "WEB01" */
	char		*os_name;	/* "Microsoft Windows Server 2008 R2 Enterprise" */
	char		*os_version;	/* "6.1.7601" (build part only) */
	char		*os_version_text; /* "6.1.7601 Service Pack 1 Build 7601" */
	char		*arch;		/* "x64", "x86", "ia64" */
	char		**hotfixes;	/* "KB2479943", ... */
	size_t		 nhotfixes;
};

int	 transport_win_systeminfo(const char *, size_t, struct winsysinfo *);
int	 transport_win_systeminfo_csv(const char *, size_t, struct winsysinfo *);
void	 transport_winsysinfo_release(struct winsysinfo *);

/*
 * The OS from `reg query "HKLM\SOFTWARE\Microsoft\Windows NT\
 * CurrentVersion"` (reg query's output is never translated) and the
 * PROCESSOR_ARCHITECTURE of `reg query "HKLM\SYSTEM\CurrentControlSet\
 * Control\Session Manager\Environment" /v PROCESSOR_ARCHITECTURE` (env
 * may be NULL).  version is "6.1.7601", or "10.0.17134.165" with UBR
 * (CurrentMajorVersionNumber / CurrentMinorVersionNumber where they
 * exist: CurrentVersion says 6.3 on Windows 10).  0, or -1 (err_set)
 * when ProductName or the build is missing.
 */
struct winos {
	char		*product;	/* ProductName "Windows 7 Professional" */
	char		*version;	/* "6.1.7601", "10.0.17134.165" */
	char		*build;		/* "6.1.7601": without UBR */
	char		*csd;		/* "Service Pack 1", or NULL */
	char		*edition;	/* EditionID "Professional", or NULL */
	char		*installation;	/* InstallationType "Client", or NULL */
	unsigned	 ubr;		/* 0 when absent */
	char		*arch;		/* "x64", "x86", "arm64", "ia64", or NULL */
};

int	 transport_win_os(const struct winreg_list *cv,
	    const struct winreg_list *env, struct winos *);
void	 transport_winos_release(struct winos *);

/*
 * The display language of `reg query "HKLM\SYSTEM\CurrentControlSet\
 * Control\Nls\Language"` as BCP 47 ("de-DE"): the LCID of its Default
 * value (the system's UI language, what a service such as sshd runs
 * under), else of InstallLanguage; NULL when neither is a language kbfix
 * knows (never a guess).  Static string.
 */
const char *transport_win_ui_language(const struct winreg_list *nls);

/*
 * The pending-reboot check (transport/winpending.c), the one both discover
 * and apply's preflight run: about ten registry signals (FACTS.md 5).
 * transport_win_pending_cmdline() appends its reg queries, each after an
 * echoed "==kbfix:pend-NAME==" marker, joined with " & ".
 * transport_win_pending_read() reads them from the decoded output
 * (transport_win_text(), other parts may surround them) and appends the
 * names of the signals that fire to *reasons ("CBS RebootPending",
 * "CBS RebootInProgress", "CBS PackagesPending", "WU RebootRequired",
 * "WU PostRebootReporting", "Netlogon JoinDomain", "Netlogon AvoidSpnSet",
 * "PendingFileRenameOperations", "PendingFileRenameOperations2",
 * "UpdateExeVolatile", "computer rename",
 * "ServerManager CurrentRebootAttempts"): returns how many fired, or -1
 * (err_set) when a part is missing or is not reg query output.
 * transport_win_pending_describe() appends "A, B".
 */
int	 transport_win_pending_cmdline(struct buf *);
int	 transport_win_pending_read(const char *text, char ***reasons,
	    size_t *n);
int	 transport_win_pending_describe(struct buf *, char *const reasons[],
	    size_t n);

/*
 * The shell check (transport/winshell.c), the first command of discover
 * and of apply's preflight: transport_win_shell_cmdline() appends
 * `echo "kbfix shell probe"` (joined with " & "); cmd.exe echoes the
 * quotes, PowerShell does not (and refuses " & ").
 * transport_win_shell_check() on the decoded stdout: 0 when a line starts
 * with the quoted probe, else -1 with err_set() naming the fix (OpenSSH's
 * DefaultShell registry value).
 */
int	 transport_win_shell_cmdline(struct buf *);
int	 transport_win_shell_check(const char *text);

/*
 * Meaning of exit codes of wusa, dism and shutdown (FACTS.md section 4),
 * compared as unsigned 32-bit.  transport_winexit_lookup() is NULL for a code the
 * table does not know.  transport_winexit_describe() appends "0x800f081e (package
 * not applicable)" (codes above 0xffff in hex, small ones in decimal,
 * "3010 (success, reboot required)"; unknown: "0x80070002 (unknown)").
 */
enum winexit_tool { WINEXIT_WUSA, WINEXIT_DISM, WINEXIT_SHUTDOWN };

enum winexit_class {
	WINEXIT_OK,		/* done */
	WINEXIT_OK_REBOOT,	/* done, reboot required */
	WINEXIT_REBOOTING,	/* done, reboot started */
	WINEXIT_ALREADY,	/* already installed / uninstalled */
	WINEXIT_NOT_APPLICABLE,	/* package does not apply to this host */
	WINEXIT_BUSY,		/* try later: installer or shutdown busy */
	WINEXIT_DENIED,		/* access denied (wusa over SSH) */
	WINEXIT_FAILED,		/* anything else */
};

struct winexit {
	uint32_t	 code;
	enum winexit_class class;
	const char	*meaning;
};

const struct winexit *transport_winexit_lookup(enum winexit_tool, uint32_t code);
enum winexit_class transport_winexit_classify(enum winexit_tool, uint32_t code);
int	 transport_winexit_describe(struct buf *, enum winexit_tool, uint32_t code);

/*
 * `wevtutil qe LOG /f:xml` stdout (transport/winevent.c): <Event>
 * elements one after the other with no root element, as wevtutil prints
 * them (tests/fixtures/windows/events).  One record per event, in the
 * order printed; only these fields are kept (no message text, user,
 * computer name or path):
 *   time      TimeCreated SystemTime, Unix seconds UTC (fraction dropped)
 *   provider  Provider Name ("Microsoft-Windows-Kernel-Power")
 *   id        EventID
 *   bugcheck  the bug check code and its 4 parameters: 1001 of
 *             WER-SystemErrorReporting (BugCheck), param1 "0x000000d1 (p1,
 *             p2, p3, p4)"; Kernel-Power 41, BugcheckCode (decimal) and
 *             BugcheckParameter1-4.  has_bugcheck 0 when there is none
 *             (41 with BugcheckCode 0: power loss or a hang)
 *   module    Application Error 1000: the faulting module (ModuleName,
 *             or the 4th unnamed Data of the older layout)
 *   service   Service Control Manager: the service (param2 of 7009 and
 *             7011, "Timeout (%1 ms) ... the %2 service"; param1 else)
 * A module or service name that is not printable ASCII or longer than
 * WINEVENT_NAME_MAX - 1 is left empty.  Bounds: more than
 * TRANSPORT_WINEVENT_BYTES of input or TRANSPORT_WINEVENT_MAX events is
 * an error.  0, or -1 (err_set "event 3: no EventID ...") when the output
 * is not wevtutil's; the list is then empty.  Empty output: no events.
 */
#define TRANSPORT_WINEVENT_MAX		1000
#define TRANSPORT_WINEVENT_BYTES	((size_t)4 << 20)
#define WINEVENT_NAME_MAX		64

struct winevent {
	int64_t		 time;
	uint32_t	 id;
	char		 provider[WINEVENT_NAME_MAX];
	int		 has_bugcheck;
	uint32_t	 bugcheck;
	uint64_t	 param[4];
	char		 module[WINEVENT_NAME_MAX];
	char		 service[WINEVENT_NAME_MAX];
};

struct winevent_list {
	struct winevent	*v;
	size_t		 n;
};

int	 transport_winevent_parse(const char *, size_t, struct winevent_list *);
void	 transport_winevent_list_release(struct winevent_list *);

#endif
