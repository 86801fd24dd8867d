/*
 * SFTP upload with verification: write the file, stat its size, read it
 * back over SFTP and compare SHA-256 with the local file (the check needs
 * nothing from the remote side but its SFTP server).  Remote paths are
 * Windows paths as Win32-OpenSSH's SFTP server names them,
 * "/C:/Windows/Temp/..." (FACTS.md section 4).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "transport/transport.h"
#include "transport/transport_int.h"

#define EAGAIN_SSH	LIBSSH2_ERROR_EAGAIN

static const char *
sftp_status(unsigned long code)
{
	switch (code) {
	case LIBSSH2_FX_NO_SUCH_FILE:	return "no such file";
	case LIBSSH2_FX_PERMISSION_DENIED: return "permission denied";
	case LIBSSH2_FX_NO_SUCH_PATH:	return "no such path";
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM: return "no space left";
	case LIBSSH2_FX_FAILURE:	return "failure";
	default:			return "SFTP error";
	}
}

/*
 * An SFTP status is the operation's failure; anything else (socket,
 * protocol) breaks the session.  Returns 1 (op finished or moves on) or -1.
 */
static int
sftp_fail(struct transport_conn *c, struct tp_op *op, const char *what)
{
	unsigned long code;

	if (libssh2_session_last_errno(c->session) !=
	    LIBSSH2_ERROR_SFTP_PROTOCOL) {
		conn_fail(c, "connection dropped during upload (%s)", what);
		return -1;
	}
	code = libssh2_sftp_last_error(c->sftp);
	op_fail(c, op, "%s: %s (SFTP status %lu)", what, sftp_status(code),
	    code);
	return 1;
}

static int
up_open_local(struct transport_conn *c, struct tp_op *op)
{
	struct stat st;

	/* never through a link: bundle.c checked the file itself */
	if ((op->fd = open(op->local, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(op->fd, &st) == -1) {
		op_fail(c, op, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		op_fail(c, op, "not a regular file");
		return -1;
	}
	op->size = (uint64_t)st.st_size;
	op->md = EVP_MD_CTX_new();
	if (op->md == NULL || EVP_DigestInit_ex(op->md, EVP_sha256(),
	    NULL) != 1) {
		op_fail(c, op, "SHA-256 unavailable");
		return -1;
	}
	return 0;
}

static int
up_init(struct transport_conn *c, struct tp_op *op)
{
	if (op->fd == -1 && up_open_local(c, op) == -1) {
		op->step = OPS_DONE;
		return 1;
	}
	if (c->sftp == NULL) {
		c->sftp = libssh2_sftp_init(c->session);
		if (c->sftp == NULL) {
			if (libssh2_session_last_errno(c->session) ==
			    EAGAIN_SSH)
				return 0;
			conn_fail(c, "SFTP subsystem unavailable");
			return -1;
		}
	}
	op->step = OPS_START;
	return 1;
}

static int
up_open_remote(struct transport_conn *c, struct tp_op *op, int write)
{
	unsigned long flags = write ? LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
	    LIBSSH2_FXF_TRUNC : LIBSSH2_FXF_READ;

	op->fh = libssh2_sftp_open_ex(c->sftp, op->remote,
	    (unsigned)strlen(op->remote), flags, 0644, LIBSSH2_SFTP_OPENFILE);
	if (op->fh != NULL) {
		op->step = write ? OPS_IO : OPS_RIO;
		return 1;
	}
	if (libssh2_session_last_errno(c->session) == EAGAIN_SSH)
		return 0;
	if (sftp_fail(c, op, write ? "cannot create" : "cannot open") == -1)
		return -1;
	op->step = OPS_DONE;
	return 1;
}

static int
up_write(struct transport_conn *c, struct tp_op *op)
{
	ssize_t n;

	for (;;) {
		if (op->chunk_off == op->chunk_len) {
			n = read(op->fd, op->chunk, sizeof(op->chunk));
			if (n == 0)
				break;
			if (n < 0) {
				op_fail(c, op, "read: %s", strerror(errno));
				break;
			}
			EVP_DigestUpdate(op->md, op->chunk, (size_t)n);
			op->chunk_len = (size_t)n;
			op->chunk_off = 0;
		}
		n = libssh2_sftp_write(op->fh, op->chunk + op->chunk_off,
		    op->chunk_len - op->chunk_off);
		if (n == EAGAIN_SSH)
			return 0;
		if (n < 0) {
			if (sftp_fail(c, op, "write") == -1)
				return -1;
			break;
		}
		op->chunk_off += (size_t)n;
	}
	op->step = OPS_CLOSE;
	return 1;
}

static int
up_close(struct transport_conn *c, struct tp_op *op, enum op_step next)
{
	int rc = libssh2_sftp_close_handle(op->fh);

	if (rc == EAGAIN_SSH)
		return 0;
	op->fh = NULL;
	if (rc != 0 && sftp_fail(c, op, "close") == -1)
		return -1;
	op->step = op->error != NULL ? OPS_DONE : next;
	return 1;
}

static int
up_stat(struct transport_conn *c, struct tp_op *op)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	unsigned int len;
	int rc;

	rc = libssh2_sftp_stat_ex(c->sftp, op->remote,
	    (unsigned)strlen(op->remote), LIBSSH2_SFTP_STAT, &a);
	if (rc == EAGAIN_SSH)
		return 0;
	if (rc != 0) {
		if (sftp_fail(c, op, "stat after upload") == -1)
			return -1;
		op->step = OPS_DONE;
		return 1;
	}
	op->remote_size = a.filesize;
	if (!(a.flags & LIBSSH2_SFTP_ATTR_SIZE) || a.filesize != op->size) {
		op_fail(c, op, "size check failed: %llu bytes sent, %llu "
		    "on the host", (unsigned long long)op->size,
		    (unsigned long long)a.filesize);
		op->step = OPS_DONE;
		return 1;
	}
	EVP_DigestFinal_ex(op->md, op->local_sha, &len);
	EVP_DigestInit_ex(op->md, EVP_sha256(), NULL);
	op->step = OPS_RSTART;
	return 1;
}

static int
up_read(struct transport_conn *c, struct tp_op *op)
{
	ssize_t n;

	for (;;) {
		n = libssh2_sftp_read(op->fh, op->chunk, sizeof(op->chunk));
		if (n == EAGAIN_SSH)
			return 0;
		if (n == 0)
			break;
		if (n < 0) {
			if (sftp_fail(c, op, "read back") == -1)
				return -1;
			break;
		}
		op->read_size += (uint64_t)n;
		EVP_DigestUpdate(op->md, op->chunk, (size_t)n);
	}
	op->step = OPS_RCLOSE;
	return 1;
}

static void
up_compare(struct transport_conn *c, struct tp_op *op)
{
	unsigned char sha[32];
	unsigned int len;

	EVP_DigestFinal_ex(op->md, sha, &len);
	if (op->read_size != op->size ||
	    memcmp(sha, op->local_sha, sizeof(sha)) != 0)
		op_fail(c, op, "SHA-256 check failed: the file on the host "
		    "differs from the local file");
}

int
upload_advance(struct transport_conn *c, struct tp_op *op)
{
	int rc;

	for (;;) {
		switch (op->step) {
		case OPS_OPEN:	 rc = up_init(c, op); break;
		case OPS_START:	 rc = up_open_remote(c, op, 1); break;
		case OPS_IO:	 rc = up_write(c, op); break;
		case OPS_CLOSE:	 rc = up_close(c, op, OPS_STAT); break;
		case OPS_STAT:	 rc = up_stat(c, op); break;
		case OPS_RSTART: rc = up_open_remote(c, op, 0); break;
		case OPS_RIO:	 rc = up_read(c, op); break;
		case OPS_RCLOSE:
			rc = up_close(c, op, OPS_DONE);
			if (rc == 1 && op->error == NULL)
				up_compare(c, op);
			break;
		default:
			return 1;
		}
		if (rc != 1)
			return rc;
	}
}
