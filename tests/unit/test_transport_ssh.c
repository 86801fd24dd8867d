/*
 * The transport against a real OpenSSH sshd on loopback (as OpenSSH's own
 * regress tests do): started by the group setup with its own host key and
 * an authorized client key for the current user; commands run in that
 * user's shell.  Skipped when sshd or ssh-keygen is missing or the tests
 * do not run as root (sshd needs it for its privilege separation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "transport/transport.h"

#define ADDR	"127.0.3.250"

static char dir[] = "/tmp/kbfix-sshd.XXXXXX";
static char path_kh[256], path_key[256], path_badkey[256], path_khbad[256];
static int have_sshd;
static pid_t sshd_pid = -1;
static int PORT;	/* per process: an orphan of a crashed run cannot answer */
static char hostport[64];

static int
run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/*
 * sshd in the foreground (-D), as our child, told to die with us: it never
 * outlives the test, even when the test is killed before its teardown.
 */
static int
start_sshd(void)
{
	char cfg[256], log[256];

	snprintf(cfg, sizeof(cfg), "%s/sshd_config", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	if ((sshd_pid = fork()) == -1)
		return -1;
	if (sshd_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-f", cfg, "-E", log,
		    (char *)NULL);
		_exit(127);
	}
	return 0;
}

/*
 * Until sshd accepts on ADDR:port (30 s at most: a loaded machine starts
 * it slowly); 0 when it does.
 */
static int
wait_listening(int port)
{
	struct sockaddr_in sin;
	int i, fd, ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = inet_addr(ADDR);
	for (i = 0; i < 600; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return -1;
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (ok)
			return 0;
		if (waitpid(sshd_pid, NULL, WNOHANG) != 0)
			return -1;	/* sshd died: see its log */
		usleep(50000);
	}
	return -1;
}

static int
setup(void **state)
{
	(void)state;
	if (geteuid() != 0 || access("/usr/sbin/sshd", X_OK) != 0 ||
	    mkdtemp(dir) == NULL)
		return 0;
	mkdir("/run/sshd", 0755);
	PORT = 20000 + (int)(getpid() % 20000);
	snprintf(hostport, sizeof(hostport), "[%s]:%d", ADDR, PORT);
	if (run("cd %s && ssh-keygen -q -t ed25519 -N '' -f hostkey && "
	    "ssh-keygen -q -t ed25519 -N '' -f id && "
	    "ssh-keygen -q -t ed25519 -N '' -f badid && "
	    "ssh-keygen -q -t ed25519 -N '' -f otherhost && "
	    "cp id.pub authorized_keys && "
	    "printf '[%s]:%d %%s\\n' \"$(cut -d' ' -f1,2 hostkey.pub)\" "
	    "> known_hosts && "
	    "printf '[%s]:%d %%s\\n' \"$(cut -d' ' -f1,2 otherhost.pub)\" "
	    "> known_hosts_bad && "
	    "printf 'ListenAddress %s:%d\\nHostKey %s/hostkey\\n"
	    "AuthorizedKeysFile %s/authorized_keys\\nPidFile %s/pid\\n"
	    "PermitRootLogin prohibit-password\\nUsePAM no\\nStrictModes no\\n"
	    "Subsystem sftp internal-sftp\\nMaxSessions 50\\nLogLevel DEBUG1\\n"
	    "ListenAddress %s:%d\\nMatch LocalPort %d\\n"
	    "  ForceCommand /bin/false\\n' > sshd_config",
	    dir, ADDR, PORT, ADDR, PORT, ADDR, PORT, dir, dir, dir,
	    ADDR, PORT + 2, PORT + 2) != 0)
		return 0;
	if (start_sshd() == -1)
		return 0;
	snprintf(path_kh, sizeof(path_kh), "%s/known_hosts", dir);
	snprintf(path_khbad, sizeof(path_khbad), "%s/known_hosts_bad", dir);
	snprintf(path_key, sizeof(path_key), "%s/id", dir);
	snprintf(path_badkey, sizeof(path_badkey), "%s/badid", dir);
	have_sshd = access(path_kh, R_OK) == 0 && wait_listening(PORT) == 0 &&
	    wait_listening(PORT + 2) == 0;
	if (!have_sshd)
		fprintf(stderr, "# sshd on %s port %d did not start (see %s/log):"
		    " the sshd tests are skipped\n", ADDR, PORT, dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (sshd_pid > 0) {
		kill(sshd_pid, SIGTERM);
		waitpid(sshd_pid, NULL, 0);
	}
	if (dir[sizeof(dir) - 2] != 'X') {
		/* every agent the tests started on our socket path */
		run("pkill -f '^ssh-agent -a %s/agent.sock'; rm -rf %s", dir,
		    dir);
	}
	return 0;
}

#define NEED_SSHD() do { if (!have_sshd) skip(); } while (0)

struct rec {
	int		 connected, connect_failed;
	char		 error[512];
	int		 nexec;
	uint32_t	 status[8];
	char		 out[8][256];
	char		 err[8][256];
	int		 failed[8];
	char		 exec_error[8][256];
	int		 upload_ok, upload_done;
	int		 timer_fired;
	struct transport_conn *conn;
	int		 close_on_connect_fail;
};

static void
on_connect(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct rec *r = arg;

	(void)c;
	if (ok)
		r->connected = 1;
	else {
		r->connect_failed = 1;
		snprintf(r->error, sizeof(r->error), "%s", error);
	}
}

static void
on_exec(struct transport_conn *c, const struct transport_result *res,
    void *arg)
{
	struct rec *r = arg;
	int i = r->nexec++;

	(void)c;
	r->status[i] = res->exit_status;
	r->failed[i] = res->failed;
	snprintf(r->out[i], sizeof(r->out[i]), "%.*s", (int)res->out_len,
	    res->out);
	snprintf(r->err[i], sizeof(r->err[i]), "%.*s", (int)res->err_len,
	    res->err);
	snprintf(r->exec_error[i], sizeof(r->exec_error[i]), "%s",
	    res->error ? res->error : "");
}

static void
on_upload(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct rec *r = arg;

	(void)c;
	r->upload_done++;
	r->upload_ok += ok;
	if (error != NULL)
		snprintf(r->error, sizeof(r->error), "%s", error);
}

/*
 * cmd_ms: the command timeout.  Tests that are not about it give it room
 * (20 s), so that a loaded machine does not fail them; the timeout test
 * gives 2 s.  The connect timeout is 30 s: a login under valgrind on a
 * loaded machine took more than 3.
 */
static struct transport *
mk_timed(const char *kh, const char *key, int accept, int cmd_ms)
{
	struct transport_opts o;
	struct transport *t;

	memset(&o, 0, sizeof(o));
	o.known_hosts = kh;
	o.key_file = key;
	o.user = getpwuid(geteuid())->pw_name;
	o.accept_new = accept;
	o.command_timeout_ms = cmd_ms;
	o.connect_timeout_ms = 30000;
	o.output_max = 1000;
	t = transport_new(&o);
	assert_non_null(t);
	return t;
}

static struct transport *
mk(const char *kh, const char *key, int accept)
{
	return mk_timed(kh, key, accept, 20000);
}

static void
test_transport_exec_status_and_streams(void **state)
{
	const char *bad[] = { "echo", "a & rm -rf /", NULL };
	const char *good[] = { "exit", "0", NULL };
	struct transport *t;
	struct rec r;

	(void)state;
	NEED_SSHD();
	memset(&r, 0, sizeof(r));
	t = mk(path_kh, path_key, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	assert_non_null(r.conn);
	transport_exec(r.conn, "echo out; echo err >&2; exit 7", on_exec, &r);
	transport_exec(r.conn, "printf 'a\\r\\nb'", on_exec, &r);
	assert_int_equal(transport_exec_argv(r.conn, bad, on_exec, &r), -1);
	assert_non_null(strstr(err_msg(), "'&' would be interpreted"));
	assert_int_equal(transport_exec_argv(r.conn, good, on_exec, &r), 0);
	/* stdin is closed at once: a command reading it does not hang. */
	transport_exec(r.conn, "cat; echo done", on_exec, &r);
	assert_int_equal(transport_run(t), 0);
	assert_true(r.connected);
	assert_int_equal(r.nexec, 4);
	assert_string_equal(r.out[3], "done\n");
	assert_int_equal(r.status[0], 7);
	assert_string_equal(r.out[0], "out\n");
	assert_string_equal(r.err[0], "err\n");
	assert_string_equal(r.out[1], "a\r\nb");
	assert_int_equal(r.failed[2], 0);
	transport_close(r.conn);
	assert_int_equal(transport_run(t), 0);
	transport_free(t);
}

static void
test_transport_exec_output_bounded(void **state)
{
	struct transport *t;
	struct rec r;

	(void)state;
	NEED_SSHD();
	memset(&r, 0, sizeof(r));
	t = mk(path_kh, path_key, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_exec(r.conn, "head -c 100000 /dev/zero", on_exec, &r);
	transport_exec(r.conn, "echo still usable", on_exec, &r);
	transport_run(t);
	assert_int_equal(r.nexec, 2);
	assert_true(r.failed[0]);
	assert_non_null(strstr(r.exec_error[0], "h1: command output exceeds "
	    "1000 bytes"));
	assert_int_equal(r.failed[1], 0);
	assert_string_equal(r.out[1], "still usable\n");
	transport_free(t);
}

static void
test_transport_exec_timeout(void **state)
{
	struct transport *t;
	struct rec r;
	int64_t t0;

	(void)state;
	NEED_SSHD();
	memset(&r, 0, sizeof(r));
	t = mk_timed(path_kh, path_key, 0, 2000);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_exec(r.conn, "sleep 30", on_exec, &r);
	t0 = time_now_ms();
	transport_run(t);
	assert_true(time_now_ms() - t0 < 5000);
	assert_int_equal(r.nexec, 1);
	assert_true(r.failed[0]);
	assert_string_equal(r.exec_error[0], "h1: command timed out after 2 s");
	transport_free(t);
}

static void
test_transport_exec_connection_dropped(void **state)
{
	struct transport *t;
	struct rec r;

	(void)state;
	NEED_SSHD();
	memset(&r, 0, sizeof(r));
	t = mk(path_kh, path_key, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	/* The shell's parent is this connection's sshd process. */
	transport_exec(r.conn, "echo partial; kill -9 $PPID; sleep 5",
	    on_exec, &r);
	transport_exec(r.conn, "echo never", on_exec, &r);
	transport_run(t);
	assert_int_equal(r.nexec, 2);
	assert_true(r.failed[0]);
	assert_non_null(strstr(r.exec_error[0], "h1: connection dropped "
	    "during command"));
	assert_true(r.failed[1]);
	transport_free(t);
}

static void
test_transport_upload_verified(void **state)
{
	struct transport *t;
	struct rec r;
	char local[300], remote[300], nodir[300], *want;
	struct buf a, b;

	(void)state;
	NEED_SSHD();
	memset(&r, 0, sizeof(r));
	snprintf(local, sizeof(local), "%s/payload", dir);
	snprintf(remote, sizeof(remote), "%s/uploaded", dir);
	snprintf(nodir, sizeof(nodir), "%s/missing/uploaded", dir);
	assert_int_equal(run("head -c 300000 /dev/urandom > %s", local), 0);
	t = mk(path_kh, path_key, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_upload(r.conn, local, remote, on_upload, &r);
	transport_run(t);
	assert_int_equal(r.upload_ok, 1);
	buf_init(&a, 0);
	buf_init(&b, 0);
	assert_int_equal(file_read(local, 1 << 20, &a), 0);
	assert_int_equal(file_read(remote, 1 << 20, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	buf_release(&a);
	buf_release(&b);
	transport_upload(r.conn, nodir, nodir, on_upload, &r);
	transport_upload(r.conn, local, nodir, on_upload, &r);
	transport_run(t);
	assert_int_equal(r.upload_done, 3);
	assert_int_equal(r.upload_ok, 1);
	assert_non_null(strstr(r.error, "cannot create: no such file"));
	/* the host, then which upload (op_fail()) */
	want = xasprintf("h1: upload of %s to %s: cannot create: ", local,
	    nodir);
	if (strncmp(r.error, want, strlen(want)) != 0)
		fail_msg("'%s' does not start with '%s'", r.error, want);
	free(want);
	transport_free(t);
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * A host whose sftp-server exits at once (here: every session on PORT + 2 runs
 * /bin/false): the upload fails with the reason within the connect
 * timeout, not the command timeout, and waiting costs no CPU.
 */
static void
test_transport_upload_sftp_exits(void **state)
{
	struct transport_opts o;
	struct transport *t;
	struct rec r;
	char local[300], remote[300];
	int64_t t0;
	double c0;

	(void)state;
	NEED_SSHD();
	memset(&r, 0, sizeof(r));
	memset(&o, 0, sizeof(o));
	snprintf(local, sizeof(local), "%s/payload-sftp", dir);
	snprintf(remote, sizeof(remote), "%s/never", dir);
	assert_int_equal(run("head -c 1000 /dev/urandom > %s && "
	    "sed 's/^\\[%s\\]:%d /[%s]:%d /' %s > %s.2", local, ADDR, PORT,
	    ADDR, PORT + 2, path_kh, path_kh), 0);
	snprintf(remote, sizeof(remote), "%s.2", path_kh);
	o.known_hosts = remote;
	o.key_file = path_key;
	o.user = getpwuid(geteuid())->pw_name;
	o.command_timeout_ms = 60000;
	o.connect_timeout_ms = 4000;
	t = transport_new(&o);
	assert_non_null(t);
	snprintf(remote, sizeof(remote), "%s/never", dir);
	t0 = time_now_ms();
	c0 = cpu_seconds();
	r.conn = transport_connect(t, "h1", ADDR, PORT + 2, NULL, on_connect,
	    &r);
	transport_upload(r.conn, local, remote, on_upload, &r);
	transport_run(t);
	assert_int_equal(r.upload_done, 1);
	assert_int_equal(r.upload_ok, 0);
	assert_non_null(strstr(r.error, "SFTP subsystem did not start"));
	/* the connect timeout (and the handshake), not the command's 60 s */
	assert_true(time_now_ms() - t0 < 15000);
	assert_true(cpu_seconds() - c0 < 0.5);
	transport_free(t);
}

static void
test_transport_hostkey_unknown_and_changed(void **state)
{
	struct transport *t;
	struct rec r;
	char empty[300];
	struct buf kh;

	(void)state;
	NEED_SSHD();
	snprintf(empty, sizeof(empty), "%s/kh_new", dir);
	unlink(empty);
	memset(&r, 0, sizeof(r));
	t = mk(empty, path_key, 0);
	transport_close(transport_connect(t, "h1", ADDR, PORT, NULL,
	    on_connect, &r));
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_exec(r.conn, "echo no", on_exec, &r);
	transport_run(t);
	assert_true(r.connect_failed);
	assert_non_null(strstr(r.error, "host key for "));
	assert_non_null(strstr(r.error, hostport));
	assert_non_null(strstr(r.error, "is not known (ssh-ed25519 SHA256:"));
	assert_int_equal(r.nexec, 1);
	assert_true(r.failed[0]);
	transport_free(t);

	memset(&r, 0, sizeof(r));
	t = mk(path_khbad, path_key, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_run(t);
	assert_non_null(strstr(r.error, "HOST KEY CHANGED for "));
	assert_non_null(strstr(r.error, hostport));
	transport_free(t);

	memset(&r, 0, sizeof(r));
	t = mk(empty, path_key, 1);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_run(t);
	assert_true(r.connected);
	transport_free(t);
	buf_init(&kh, 0);
	assert_int_equal(file_read(empty, 1 << 16, &kh), 0);
	assert_non_null(strstr(kh.data, hostport));
	assert_non_null(strstr(kh.data, " ssh-ed25519 AAAA"));
	buf_release(&kh);
	/* Recorded: now known without --accept-new. */
	memset(&r, 0, sizeof(r));
	t = mk(empty, path_key, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_run(t);
	assert_true(r.connected);
	transport_free(t);
}

/* A peer that accepts TCP but never speaks: the connect deadline. */
static void
test_transport_connect_timeout_in_handshake(void **state)
{
	struct transport_opts o;
	struct sockaddr_in sin;
	struct transport *t;
	struct rec r;
	socklen_t len = sizeof(sin);
	int64_t t0;
	int s;

	(void)state;
	NEED_SSHD();
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = inet_addr(ADDR);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s, 8), 0);
	getsockname(s, (struct sockaddr *)&sin, &len);
	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.known_hosts = path_kh;
	o.key_file = path_key;
	o.connect_timeout_ms = 1000;
	t = transport_new(&o);
	r.conn = transport_connect(t, "mute", ADDR, ntohs(sin.sin_port), "x",
	    on_connect, &r);
	t0 = time_now_ms();
	transport_run(t);
	assert_true(time_now_ms() - t0 < 3000);
	assert_string_equal(r.error, "mute: connect timed out after 1 s "
	    "(during SSH handshake)");
	transport_free(t);
	close(s);
}

static int
keepalives(void)
{
	char cmd[512];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "grep -c 'rtype keepalive@' "
	    "%s/log", dir);
	if ((f = popen(cmd, "r")) != NULL) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

/* Keepalives every second during a 3 s command, which they do not
 * disturb. */
static void
test_transport_keepalive_long_command(void **state)
{
	struct transport_opts o;
	struct transport *t;
	struct rec r;
	int before;

	(void)state;
	NEED_SSHD();
	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	o.known_hosts = path_kh;
	o.key_file = path_key;
	o.user = getpwuid(geteuid())->pw_name;
	o.keepalive_s = 1;
	t = transport_new(&o);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	before = keepalives();
	transport_exec(r.conn, "sleep 3; echo slept", on_exec, &r);
	transport_run(t);
	assert_int_equal(r.failed[0], 0);
	assert_string_equal(r.out[0], "slept\n");
	transport_free(t);
	/* sshd logs each one at DEBUG1. */
	assert_true(keepalives() - before >= 2);
}

/* No key file: the keys of ssh-agent, in turn. */
static void
test_transport_auth_agent(void **state)
{
	struct transport *t;
	struct rec r;
	char sock[300];

	(void)state;
	NEED_SSHD();
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	assert_int_equal(run("cd %s && ssh-agent -a %s > agent.env && "
	    "SSH_AUTH_SOCK=%s ssh-add -q badid 2>/dev/null", dir, sock, sock),
	    0);
	setenv("SSH_AUTH_SOCK", sock, 1);
	memset(&r, 0, sizeof(r));
	t = mk(path_kh, NULL, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_run(t);
	assert_non_null(strstr(r.error, "h1: public key authentication "
	    "refused for user"));
	assert_non_null(strstr(r.error, "no ssh-agent key accepted"));
	transport_free(t);
	assert_int_equal(run("SSH_AUTH_SOCK=%s ssh-add -q %s 2>/dev/null",
	    sock, path_key), 0);
	memset(&r, 0, sizeof(r));
	t = mk(path_kh, NULL, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_exec(r.conn, "echo via agent", on_exec, &r);
	transport_run(t);
	assert_true(r.connected);
	assert_string_equal(r.out[0], "via agent\n");
	transport_free(t);
	setenv("SSH_AUTH_SOCK", "/nonexistent", 1);
	memset(&r, 0, sizeof(r));
	t = mk(path_kh, NULL, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_run(t);
	assert_non_null(strstr(r.error, "cannot reach ssh-agent"));
	transport_free(t);
	unsetenv("SSH_AUTH_SOCK");
}

static void
test_transport_auth_refused(void **state)
{
	struct transport *t;
	struct rec r;

	(void)state;
	NEED_SSHD();
	memset(&r, 0, sizeof(r));
	t = mk(path_kh, path_badkey, 0);
	r.conn = transport_connect(t, "h1", ADDR, PORT, NULL, on_connect, &r);
	transport_run(t);
	assert_true(r.connect_failed);
	assert_non_null(strstr(r.error, "h1: public key authentication refused"));
	transport_free(t);
}

static void
test_transport_connect_refused_and_timer(void **state)
{
	struct transport *t;
	struct rec r, r2;

	(void)state;
	NEED_SSHD();
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	t = mk(path_kh, path_key, 0);
	r.conn = transport_connect(t, "down", ADDR, PORT + 1, NULL, on_connect,
	    &r);
	r2.conn = transport_connect(t, "up", ADDR, PORT, NULL, on_connect, &r2);
	transport_exec(r2.conn, "echo up", on_exec, &r2);
	transport_run(t);
	assert_non_null(strstr(r.error, "down: connect to " ADDR " port "));
	assert_non_null(strstr(r.error, ": Connection refused"));
	assert_string_equal(r2.out[0], "up\n");
	transport_free(t);
}

struct capctx {
	struct transport *t;
	int		 open, max, done;
};

static void
cap_exec(struct transport_conn *c, const struct transport_result *res,
    void *arg)
{
	struct capctx *x = arg;

	(void)res;
	x->open--;
	x->done++;
	transport_close(c);
}

static void
cap_connect(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct capctx *x = arg;

	(void)c;
	(void)error;
	assert_true(ok);
	if (++x->open > x->max)
		x->max = x->open;
}

static void
timer_cb(void *arg)
{
	(*(int *)arg)++;
}

static void
test_transport_parallel_cap(void **state)
{
	struct transport_opts o;
	struct capctx x;
	struct transport_conn *c;
	int i, fired = 0;

	(void)state;
	NEED_SSHD();
	memset(&o, 0, sizeof(o));
	memset(&x, 0, sizeof(x));
	o.known_hosts = path_kh;
	o.key_file = path_key;
	o.user = getpwuid(geteuid())->pw_name;
	o.parallel = 3;
	o.connect_timeout_ms = 30000;	/* not what this test is about */
	x.t = transport_new(&o);
	for (i = 0; i < 8; i++) {
		c = transport_connect(x.t, "h", ADDR, PORT, NULL, cap_connect,
		    &x);
		transport_exec(c, "sleep 0.2", cap_exec, &x);
	}
	transport_timer(x.t, 100, timer_cb, &fired);
	assert_int_equal(transport_run(x.t), 0);
	assert_int_equal(x.done, 8);
	assert_int_equal(x.max, 3);
	assert_int_equal(fired, 1);
	transport_free(x.t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport_exec_status_and_streams),
		cmocka_unit_test(test_transport_exec_output_bounded),
		cmocka_unit_test(test_transport_exec_timeout),
		cmocka_unit_test(test_transport_exec_connection_dropped),
		cmocka_unit_test(test_transport_upload_verified),
		cmocka_unit_test(test_transport_upload_sftp_exits),
		cmocka_unit_test(test_transport_hostkey_unknown_and_changed),
		cmocka_unit_test(test_transport_auth_refused),
		cmocka_unit_test(test_transport_auth_agent),
		cmocka_unit_test(test_transport_connect_timeout_in_handshake),
		cmocka_unit_test(test_transport_keepalive_long_command),
		cmocka_unit_test(test_transport_connect_refused_and_timer),
		cmocka_unit_test(test_transport_parallel_cap),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
