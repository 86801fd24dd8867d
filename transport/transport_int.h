/*
 * Inside transport/: the structures shared by the loop (transport.c), the
 * connection steps (conn.c), the operations (op.c) and known_hosts
 * (knownhosts.c).  Not part of the public API.
 */
#ifndef KBFIX_TRANSPORT_INT_H
#define KBFIX_TRANSPORT_INT_H

#include <sys/socket.h>

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <openssl/evp.h>

#include "util/util.h"

#define CLOSE_MS	3000	/* polite disconnect, then the socket is shut */

enum conn_step {
	STEP_QUEUED,		/* waiting for a slot under --parallel */
	STEP_CONNECT,		/* non-blocking TCP connect */
	STEP_HANDSHAKE,		/* SSH key exchange */
	STEP_HOSTKEY,		/* known_hosts check */
	STEP_AUTH,		/* public key: key file or agent */
	STEP_READY,		/* running queued operations */
	STEP_CLOSING,		/* disconnect and free the session */
	STEP_FAILED,		/* session gone; ops fail */
};

enum op_kind { OP_EXEC, OP_UPLOAD };

enum op_step {
	OPS_OPEN,		/* exec: open channel; upload: sftp init */
	OPS_START,		/* exec: send command; upload: open remote */
	OPS_IO,			/* exec: read out/err; upload: write */
	OPS_CLOSE,		/* close channel / remote handle */
	OPS_FREE,		/* exec: free channel */
	OPS_STAT,		/* upload: stat remote size */
	OPS_RSTART,		/* upload: open remote for reading */
	OPS_RIO,		/* upload: read back and hash */
	OPS_RCLOSE,		/* upload: close */
	OPS_DONE,
};

struct tp_op {
	struct tp_op	*next;
	enum op_kind	 kind;
	enum op_step	 step;
	void		*arg;
	int64_t		 deadline;
	char		*error;		/* first error; reported at the end */
	/* exec */
	char		*cmdline;
	transport_exec_cb *exec_cb;
	LIBSSH2_CHANNEL	*channel;
	struct buf	 out, err;
	int		 out_over, err_over, close_sent, exec_sent;
	uint32_t	 exit_status;
	/* upload */
	char		*local, *remote;
	transport_upload_cb *upload_cb;
	LIBSSH2_SFTP_HANDLE *fh;
	int		 fd;
	char		 chunk[32768];
	size_t		 chunk_len, chunk_off;
	uint64_t	 size, remote_size, read_size;
	EVP_MD_CTX	*md;
	unsigned char	 local_sha[32];
};

struct tp_timer {
	struct tp_timer	*next;
	int64_t		 when;
	transport_timer_cb *cb;
	void		*arg;
};

struct transport_conn {
	struct transport_conn *next;
	struct transport *t;
	char		*name, *address, *user;
	int		 port;
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	enum conn_step	 step;
	int		 fd;
	LIBSSH2_SESSION	*session;
	LIBSSH2_SFTP	*sftp;
	LIBSSH2_AGENT	*agent;
	struct libssh2_agent_publickey *identity;
	int		 auth_started;
	int64_t		 deadline;	/* connect or close deadline */
	int64_t		 keepalive_at;
	transport_connect_cb *connect_cb;
	void		*connect_arg;
	struct tp_op	*ops, **ops_tail;
	char		*error;		/* why the session failed */
	int		 closed;	/* transport_close() called */
	int		 kick;		/* advance at the next turn */
	int		 has_slot;
	int		 connect_reported;
	int		 disconnect_sent;
	int		 key_refused;	/* the host key check said no */
	int64_t		 limit;		/* transport_conn_limit(), 0 none */
};

struct transport {
	struct transport_opts opts;
	char		*known_hosts, *key_file, *user;
	LIBSSH2_SESSION	*kh_session;	/* owns kh: libssh2 needs one */
	LIBSSH2_KNOWNHOSTS *kh;
	struct transport_conn *conns;
	struct tp_timer	*timers;
	struct resolved	*resolved;
	int		 active;	/* connections holding a slot */
	int		 stop, kicked;
};

/* conn.c */
void	 conn_advance(struct transport_conn *, int64_t now);
short	 conn_poll_events(struct transport_conn *);
void	 conn_teardown(struct transport_conn *, int force);
void	 conn_destroy(struct transport_conn *);
void	 conn_fail(struct transport_conn *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* op.c: 1 finished, 0 waiting (EAGAIN), -1 session broken (conn->error) */
int	 op_advance(struct transport_conn *, struct tp_op *, int64_t now);
void	 op_report(struct transport_conn *, struct tp_op *, const char *);
void	 op_free(struct tp_op *);
/* The operation's first error: "NAME: " ("NAME: upload of L to R: ") and
 * the text; reported when it ends. */
void	 op_fail(struct transport_conn *, struct tp_op *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	 upload_advance(struct transport_conn *, struct tp_op *);

/* knownhosts.c */
int	 knownhosts_load(struct transport *);
void	 knownhosts_release(struct transport *);
int	 knownhosts_check(struct transport_conn *);
const char *knownhosts_prefs(struct transport_conn *);

/* sha256 of a string of bytes into 32 bytes; base64 without padding */
void	 tp_base64(const unsigned char *, size_t, struct buf *);

#endif
