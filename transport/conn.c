/*
 * One connection's steps: queued -> connect -> handshake -> host key ->
 * auth -> ready (operations one after the other) -> closing; any error
 * -> failed.  One function per step; each returns 1 when the step is done
 * (the next one may run at once), 0 when it waits for the socket, -1 on
 * failure (conn_fail() called).
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "transport/transport.h"
#include "transport/transport_int.h"

static const char *
step_name(enum conn_step s)
{
	switch (s) {
	case STEP_QUEUED:	return "queued";
	case STEP_CONNECT:	return "TCP connect";
	case STEP_HANDSHAKE:	return "SSH handshake";
	case STEP_HOSTKEY:	return "host key check";
	case STEP_AUTH:		return "authentication";
	case STEP_READY:	return "command";
	case STEP_CLOSING:	return "disconnect";
	case STEP_FAILED:	return "failed";
	}
	return "?";
}

static const char *
ssh_error(LIBSSH2_SESSION *s)
{
	char *msg = NULL;

	if (s == NULL)
		return "no session";
	libssh2_session_last_error(s, &msg, NULL, 0);
	return msg != NULL && *msg != '\0' ? msg : "unknown libssh2 error";
}

static void
release_slot(struct transport_conn *c)
{
	if (c->has_slot) {
		c->has_slot = 0;
		c->t->active--;
		c->t->kicked = 1;
	}
}

/*
 * Free the libssh2 objects of the connection.  Polite (force 0): may
 * return 0 to be called again when the socket is ready.  Forced: the
 * socket is shut down first so that nothing waits; 1 when done.
 */
static int
teardown_objects(struct transport_conn *c)
{
	struct tp_op *op = c->ops;
	int rc;

	if (op != NULL && op->channel != NULL) {
		if ((rc = libssh2_channel_free(op->channel)) ==
		    LIBSSH2_ERROR_EAGAIN)
			return 0;
		op->channel = NULL;
	}
	if (op != NULL && op->fh != NULL) {
		if (libssh2_sftp_close_handle(op->fh) == LIBSSH2_ERROR_EAGAIN)
			return 0;
		op->fh = NULL;
	}
	if (c->sftp != NULL) {
		if (libssh2_sftp_shutdown(c->sftp) == LIBSSH2_ERROR_EAGAIN)
			return 0;
		c->sftp = NULL;
	}
	if (c->agent != NULL) {
		libssh2_agent_disconnect(c->agent);
		libssh2_agent_free(c->agent);
		c->agent = NULL;
	}
	return 1;
}

void
conn_teardown(struct transport_conn *c, int force)
{
	int rc;

	if (force && c->fd != -1)
		shutdown(c->fd, SHUT_RDWR);
	if (c->session != NULL) {
		if (!teardown_objects(c) && !force)
			return;
		if (!c->disconnect_sent) {
			rc = libssh2_session_disconnect(c->session,
			    "kbfix done");
			if (rc == LIBSSH2_ERROR_EAGAIN && !force)
				return;
			c->disconnect_sent = 1;
		}
		rc = libssh2_session_free(c->session);
		if (rc == LIBSSH2_ERROR_EAGAIN && !force)
			return;
		c->session = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	c->deadline = 0;
	c->keepalive_at = 0;
	release_slot(c);
}

void
conn_destroy(struct transport_conn *c)
{
	struct tp_op *op, *next;

	for (op = c->ops; op != NULL; op = next) {
		next = op->next;
		op_free(op);
	}
	free(c->name);
	free(c->address);
	free(c->user);
	free(c->error);
	free(c);
}

/* Fail queued operations (the session is gone); stops if closed. */
static void
fail_ops(struct transport_conn *c)
{
	struct tp_op *op;

	while (!c->closed && (op = c->ops) != NULL) {
		c->ops = op->next;
		if (c->ops == NULL)
			c->ops_tail = &c->ops;
		op_report(c, op, c->error);
		op_free(op);
	}
}

void
conn_fail(struct transport_conn *c, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	buf_init(&b, 0);
	buf_addf(&b, "%s: ", c->name);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(c->error);
	c->error = buf_detach(&b, NULL);
	conn_teardown(c, 1);
	c->step = STEP_FAILED;
	if (!c->connect_reported) {
		c->connect_reported = 1;
		if (c->connect_cb != NULL)
			c->connect_cb(c, 0, c->error, c->connect_arg);
	}
	fail_ops(c);
}

static int
step_connect(struct transport_conn *c)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int soerr = 0;
	socklen_t slen = sizeof(soerr);

	if (c->fd == -1) {
		c->fd = socket(c->addr.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd == -1) {
			conn_fail(c, "socket: %s", strerror(errno));
			return -1;
		}
		if (connect(c->fd, (struct sockaddr *)&c->addr,
		    c->addrlen) == 0)
			return 1;
		if (errno != EINPROGRESS) {
			conn_fail(c, "connect to %s port %d: %s", c->address,
			    c->port, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) == -1)
		soerr = errno;
	if (soerr != 0) {
		conn_fail(c, "connect to %s port %d: %s", c->address, c->port,
		    strerror(soerr));
		return -1;
	}
	return getpeername(c->fd, (struct sockaddr *)&peer, &len) == 0;
}

static int
step_handshake(struct transport_conn *c)
{
	int rc;

	if (c->session == NULL) {
		c->session = libssh2_session_init_ex(NULL, NULL, NULL, c);
		if (c->session == NULL) {
			conn_fail(c, "cannot create an SSH session");
			return -1;
		}
		libssh2_session_set_blocking(c->session, 0);
		libssh2_session_method_pref(c->session,
		    LIBSSH2_METHOD_HOSTKEY, knownhosts_prefs(c));
	}
	rc = libssh2_session_handshake(c->session, c->fd);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (rc != 0) {
		conn_fail(c, "SSH handshake with %s port %d failed: %s",
		    c->address, c->port, ssh_error(c->session));
		return -1;
	}
	return 1;
}

static int
step_hostkey(struct transport_conn *c)
{
	if (knownhosts_check(c) == -1) {
		c->key_refused = 1;
		conn_fail(c, "%s", err_msg());
		return -1;
	}
	return 1;
}

static int
auth_agent(struct transport_conn *c)
{
	int rc;

	if (c->agent == NULL) {
		if ((c->agent = libssh2_agent_init(c->session)) == NULL ||
		    libssh2_agent_connect(c->agent) != 0) {
			conn_fail(c, "cannot reach ssh-agent (set "
			    "SSH_AUTH_SOCK or give a key file with -k)");
			return -1;
		}
		if (libssh2_agent_list_identities(c->agent) != 0 ||
		    libssh2_agent_get_identity(c->agent, &c->identity,
		    NULL) != 0) {
			conn_fail(c, "ssh-agent holds no key");
			return -1;
		}
	}
	for (;;) {
		rc = libssh2_agent_userauth(c->agent, c->user, c->identity);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return 0;
		if (rc == 0)
			return 1;
		if (libssh2_agent_get_identity(c->agent, &c->identity,
		    c->identity) != 0) {
			conn_fail(c, "public key authentication refused for "
			    "user %s (no ssh-agent key accepted)", c->user);
			return -1;
		}
	}
}

static int
step_auth(struct transport_conn *c)
{
	const char *key = c->t->key_file;
	int rc;

	if (key == NULL)
		return auth_agent(c);
	rc = libssh2_userauth_publickey_fromfile_ex(c->session, c->user,
	    (unsigned)strlen(c->user), NULL, key, NULL);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (rc == LIBSSH2_ERROR_FILE) {
		conn_fail(c, "cannot use key file %s: %s", key,
		    ssh_error(c->session));
		return -1;
	}
	if (rc != 0) {
		conn_fail(c, "public key authentication refused for user %s "
		    "(key %s)", c->user, key);
		return -1;
	}
	return 1;
}

static void
became_ready(struct transport_conn *c)
{
	c->step = STEP_READY;
	c->deadline = 0;
	libssh2_keepalive_config(c->session, 1,
	    (unsigned)c->t->opts.keepalive_s);
	c->connect_reported = 1;
	if (c->connect_cb != NULL)
		c->connect_cb(c, 1, NULL, c->connect_arg);
}

static void
finish_op(struct transport_conn *c, struct tp_op *op)
{
	c->ops = op->next;
	if (c->ops == NULL)
		c->ops_tail = &c->ops;
	c->deadline = 0;
	op_report(c, op, op->error);
	op_free(op);
}

static void
keepalive(struct transport_conn *c, int64_t now)
{
	int secs = 0;

	if (c->keepalive_at != 0 && c->keepalive_at > now)
		return;
	if (libssh2_keepalive_send(c->session, &secs) != 0)
		secs = 1;
	c->keepalive_at = now + (int64_t)(secs > 0 ? secs : 1) * 1000;
}

/*
 * An SFTP subsystem that exits at once (sftp-server missing, or failing to
 * start) closes its channel before answering; libssh2_sftp_init() then
 * waits for the version packet forever (libssh2 1.10 reads the channel's
 * EOF as "no data yet").  The subsystem answers within one round trip, so
 * it gets the connect timeout, not the command timeout.
 */
static int
sftp_stalled(struct transport_conn *c, struct tp_op *op, int64_t now)
{
	int64_t limit = op->deadline - c->t->opts.command_timeout_ms +
	    c->t->opts.connect_timeout_ms;

	if (op->kind != OP_UPLOAD || c->sftp != NULL) {
		c->deadline = op->deadline;
		return 0;
	}
	if (now < limit) {
		if (limit < c->deadline)
			c->deadline = limit;	/* the loop wakes for it */
		return 0;
	}
	conn_fail(c, "the SFTP subsystem did not start within %d s (is "
	    "sftp-server installed, and named by the host's sshd_config "
	    "Subsystem line?)", c->t->opts.connect_timeout_ms / 1000);
	return 1;
}

static int
step_ready(struct transport_conn *c, int64_t now)
{
	struct tp_op *op;
	int rc;

	while (!c->closed && (op = c->ops) != NULL) {
		if (op->deadline == 0) {
			op->deadline = now + c->t->opts.command_timeout_ms;
			if (c->limit != 0 && c->limit < op->deadline)
				op->deadline = c->limit;
			c->deadline = op->deadline;
		}
		rc = op_advance(c, op, now);
		if (rc == 1) {
			finish_op(c, op);
			continue;
		}
		if (rc == -1)
			return -1;
		if (sftp_stalled(c, op, now))
			return -1;
		if (now >= op->deadline && op->deadline == c->limit) {
			conn_fail(c, "%s stopped at its deadline",
			    op->kind == OP_EXEC ? "command" : "upload");
			return -1;
		}
		if (now >= op->deadline) {
			conn_fail(c, "%s timed out after %d s",
			    op->kind == OP_EXEC ? "command" : "upload",
			    c->t->opts.command_timeout_ms / 1000);
			return -1;
		}
		/* Only while a command runs quietly: an upload keeps the
		 * session busy itself, and a keepalive must not cut into a
		 * packet libssh2 is still sending. */
		if (op->kind == OP_EXEC && op->step == OPS_IO)
			keepalive(c, now);
		return 0;
	}
	c->keepalive_at = 0;
	return 0;
}

static void
close_step(struct transport_conn *c, int64_t now)
{
	if (c->session == NULL && c->fd == -1) {
		release_slot(c);
		return;
	}
	if (c->step != STEP_CLOSING) {
		c->step = STEP_CLOSING;
		c->deadline = now + CLOSE_MS;
		c->keepalive_at = 0;
	}
	/* A session that never became ready has nothing to say goodbye to. */
	conn_teardown(c, now >= c->deadline || !c->connect_reported);
}

static int
connect_deadline(struct transport_conn *c, int64_t now)
{
	if (c->step > STEP_QUEUED && c->step < STEP_READY &&
	    c->deadline != 0 && now >= c->deadline) {
		if (c->deadline == c->limit)
			conn_fail(c, "connect stopped at its deadline (during "
			    "%s)", step_name(c->step));
		else
			conn_fail(c, "connect timed out after %d s (during %s)",
			    c->t->opts.connect_timeout_ms / 1000,
			    step_name(c->step));
		return -1;
	}
	return 0;
}

void
conn_advance(struct transport_conn *c, int64_t now)
{
	int rc = 0;

	for (;;) {
		if (c->closed) {
			close_step(c, now);
			return;
		}
		switch (c->step) {
		case STEP_QUEUED:
			return;
		case STEP_CONNECT:	rc = step_connect(c); break;
		case STEP_HANDSHAKE:	rc = step_handshake(c); break;
		case STEP_HOSTKEY:	rc = step_hostkey(c); break;
		case STEP_AUTH:		rc = step_auth(c); break;
		case STEP_READY:	step_ready(c, now); return;
		case STEP_CLOSING:	return;
		case STEP_FAILED:	fail_ops(c); return;
		}
		if (rc == -1)
			continue;	/* failed: fail_ops or close */
		if (rc == 0) {
			connect_deadline(c, now);
			return;
		}
		if (c->step == STEP_AUTH)
			became_ready(c);
		else
			c->step++;
	}
}

short
conn_poll_events(struct transport_conn *c)
{
	int dir;
	short ev = 0;

	if (c->step == STEP_CONNECT)
		return POLLOUT;
	if (c->session == NULL)
		return 0;
	if (c->step == STEP_READY && c->ops == NULL && !c->closed)
		return 0;
	dir = libssh2_session_block_directions(c->session);
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		ev |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		ev |= POLLOUT;
	return ev ? ev : POLLIN;
}
