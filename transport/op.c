/*
 * Operations on a ready session: exec (one channel per command) and SFTP
 * upload with read-back verification.  op_advance() runs the operation's
 * steps until one would block: 1 finished (op->error says whether it
 * failed), 0 waiting for the socket, -1 the session broke (conn_fail()
 * called).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "transport/transport.h"
#include "transport/transport_int.h"

#define EAGAIN_SSH	LIBSSH2_ERROR_EAGAIN

static int
session_errno(struct transport_conn *c)
{
	return libssh2_session_last_errno(c->session);
}

static const char *
session_msg(struct transport_conn *c)
{
	char *msg = NULL;

	libssh2_session_last_error(c->session, &msg, NULL, 0);
	return msg != NULL ? msg : "unknown error";
}

void
op_fail(struct transport_conn *c, struct tp_op *op, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	if (op->error != NULL)
		return;
	buf_init(&b, 0);
	buf_addf(&b, "%s: ", c->name);
	if (op->kind == OP_UPLOAD)
		buf_addf(&b, "upload of %s to %s: ", op->local, op->remote);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	op->error = buf_detach(&b, NULL);
}

void
op_free(struct tp_op *op)
{
	if (op == NULL)
		return;
	free(op->error);
	free(op->cmdline);
	free(op->local);
	free(op->remote);
	buf_release(&op->out);
	buf_release(&op->err);
	if (op->fd != -1)
		close(op->fd);
	if (op->md != NULL)
		EVP_MD_CTX_free(op->md);
	free(op);
}

void
op_report(struct transport_conn *c, struct tp_op *op, const char *error)
{
	struct transport_result r;

	if (op->kind == OP_UPLOAD) {
		if (op->upload_cb != NULL)
			op->upload_cb(c, error == NULL, error, op->arg);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.failed = error != NULL;
	r.error = error;
	r.exit_status = op->exit_status;
	r.out = buf_str(&op->out);
	r.out_len = op->out.len;
	r.err = buf_str(&op->err);
	r.err_len = op->err.len;
	if (op->exec_cb != NULL)
		op->exec_cb(c, &r, op->arg);
}

/* Exec. */

static int
exec_open(struct transport_conn *c, struct tp_op *op)
{
	op->channel = libssh2_channel_open_session(c->session);
	if (op->channel != NULL)
		return 1;
	if (session_errno(c) == EAGAIN_SSH)
		return 0;
	conn_fail(c, "cannot open a channel: %s", session_msg(c));
	return -1;
}

/*
 * Send the command, then EOF on its stdin: nothing is ever typed into a
 * command, and a program that reads stdin (wmic waits for it, reg without
 * /f prompts) sees end of input instead of waiting forever.
 */
static int
exec_start(struct transport_conn *c, struct tp_op *op)
{
	int rc;

	if (!op->exec_sent) {
		rc = libssh2_channel_exec(op->channel, op->cmdline);
		if (rc == EAGAIN_SSH)
			return 0;
		if (rc != 0) {
			conn_fail(c, "cannot start a command: %s",
			    session_msg(c));
			return -1;
		}
		op->exec_sent = 1;
	}
	rc = libssh2_channel_send_eof(op->channel);
	if (rc == EAGAIN_SSH)
		return 0;
	if (rc != 0) {
		conn_fail(c, "connection dropped during command");
		return -1;
	}
	return 1;
}

/* Keep at most max bytes; the rest is read and dropped (window moves). */
static void
keep(struct buf *b, int *over, const char *p, size_t n)
{
	if (*over || buf_add(b, p, n) == -1)
		*over = 1;
}

static int
exec_io(struct transport_conn *c, struct tp_op *op)
{
	ssize_t n1, n2;

	for (;;) {
		n1 = libssh2_channel_read(op->channel, op->chunk,
		    sizeof(op->chunk));
		if (n1 > 0) {
			keep(&op->out, &op->out_over, op->chunk, (size_t)n1);
			continue;
		}
		n2 = libssh2_channel_read_stderr(op->channel, op->chunk,
		    sizeof(op->chunk));
		if (n2 > 0) {
			keep(&op->err, &op->err_over, op->chunk, (size_t)n2);
			continue;
		}
		if ((n1 < 0 && n1 != EAGAIN_SSH) ||
		    (n2 < 0 && n2 != EAGAIN_SSH)) {
			conn_fail(c, "connection dropped during command");
			return -1;
		}
		if (n1 == 0 && n2 == 0 && libssh2_channel_eof(op->channel))
			return 1;
		return 0;
	}
}

static void
exec_status(struct transport_conn *c, struct tp_op *op)
{
	char *sig = NULL;
	size_t siglen = 0;

	op->exit_status = (uint32_t)libssh2_channel_get_exit_status(
	    op->channel);
	if (libssh2_channel_get_exit_signal(op->channel, &sig, &siglen,
	    NULL, NULL, NULL, NULL) == 0 && sig != NULL) {
		op_fail(c, op, "command killed by signal %.*s", (int)siglen,
		    sig);
		libssh2_free(c->session, sig);
	}
	if (op->out_over)
		op_fail(c, op, "command output exceeds %zu bytes",
		    op->out.max);
	else if (op->err_over)
		op_fail(c, op, "command error output exceeds %zu bytes",
		    op->err.max);
}

static int
exec_close(struct transport_conn *c, struct tp_op *op)
{
	int rc;

	if (!op->close_sent) {
		rc = libssh2_channel_close(op->channel);
		if (rc == EAGAIN_SSH)
			return 0;
		op->close_sent = 1;
	}
	rc = libssh2_channel_wait_closed(op->channel);
	if (rc == EAGAIN_SSH)
		return 0;
	if (rc != 0) {
		conn_fail(c, "connection dropped during command");
		return -1;
	}
	exec_status(c, op);
	return 1;
}

static int
exec_free(struct transport_conn *c, struct tp_op *op)
{
	int rc = libssh2_channel_free(op->channel);

	(void)c;
	if (rc == EAGAIN_SSH)
		return 0;
	op->channel = NULL;
	return 1;
}

static int
exec_advance(struct transport_conn *c, struct tp_op *op)
{
	int rc;

	for (;;) {
		switch (op->step) {
		case OPS_OPEN:	rc = exec_open(c, op); break;
		case OPS_START:	rc = exec_start(c, op); break;
		case OPS_IO:	rc = exec_io(c, op); break;
		case OPS_CLOSE:	rc = exec_close(c, op); break;
		case OPS_FREE:	rc = exec_free(c, op); break;
		default:	return 1;
		}
		if (rc != 1)
			return rc;
		op->step = op->step == OPS_FREE ? OPS_DONE : op->step + 1;
	}
}

int
op_advance(struct transport_conn *c, struct tp_op *op, int64_t now)
{
	(void)now;
	if (op->kind == OP_EXEC)
		return exec_advance(c, op);
	return upload_advance(c, op);
}
