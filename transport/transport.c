/*
 * The loop and the per-connection state machine.  One poll() over every
 * open session, a step enum per connection and per operation (exec,
 * upload), deadlines and timers owned by the loop (as ssh-keyscan and
 * rpki-client's http.c do).  libssh2 runs in non-blocking mode: every call
 * may return LIBSSH2_ERROR_EAGAIN, and the step is simply called again once
 * poll() says the socket is ready in the direction libssh2 asked for.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <openssl/evp.h>

#include "util/util.h"
#include "transport/transport.h"
#include "transport/transport_int.h"

#define DEF_CONNECT_MS	10000
#define DEF_COMMAND_MS	600000
#define DEF_KEEPALIVE_S	15
#define DEF_PARALLEL	32
#define DEF_OUTPUT_MAX	((size_t)4 << 20)

static int libssh2_ready;

/* Resolved addresses, so a reconnect from inside the loop never blocks. */
struct resolved {
	struct resolved	*next;
	char		*host;
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
};

static int
resolve(struct transport *t, const char *host, int port,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *res = NULL;
	struct resolved *r;
	int rc;

	for (r = t->resolved; r != NULL; r = r->next)
		if (strcmp(r->host, host) == 0)
			break;
	if (r == NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
			err_set("%s: cannot resolve: %s", host,
			    gai_strerror(rc));
			return -1;
		}
		r = xcalloc(1, sizeof(*r));
		r->host = xstrdup(host);
		memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
		r->addrlen = res->ai_addrlen;
		freeaddrinfo(res);
		r->next = t->resolved;
		t->resolved = r;
	}
	*ss = r->addr;
	*sslen = r->addrlen;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return 0;
}

struct transport *
transport_new(const struct transport_opts *o)
{
	struct transport *t;
	const char *home;

	if (!libssh2_ready) {
		if (libssh2_init(0) != 0) {
			err_set("libssh2: initialisation failed");
			return NULL;
		}
		libssh2_ready = 1;
	}
	t = xcalloc(1, sizeof(*t));
	t->opts = *o;
	if (o->known_hosts != NULL)
		t->known_hosts = xstrdup(o->known_hosts);
	else {
		home = getenv("HOME");
		t->known_hosts = xasprintf("%s/.ssh/known_hosts",
		    home != NULL ? home : "");
	}
	t->key_file = o->key_file ? xstrdup(o->key_file) : NULL;
	t->user = xstrdup(o->user ? o->user :
	    getenv("USER") ? getenv("USER") : "root");
	if (t->opts.connect_timeout_ms <= 0)
		t->opts.connect_timeout_ms = DEF_CONNECT_MS;
	if (t->opts.command_timeout_ms <= 0)
		t->opts.command_timeout_ms = DEF_COMMAND_MS;
	if (t->opts.keepalive_s <= 0)
		t->opts.keepalive_s = DEF_KEEPALIVE_S;
	if (t->opts.parallel <= 0)
		t->opts.parallel = DEF_PARALLEL;
	if (t->opts.output_max == 0)
		t->opts.output_max = DEF_OUTPUT_MAX;
	if (knownhosts_load(t) == -1) {
		transport_free(t);
		return NULL;
	}
	return t;
}

void
transport_free(struct transport *t)
{
	struct transport_conn *c, *cn;
	struct tp_timer *tm, *tn;
	struct resolved *r, *rn;

	if (t == NULL)
		return;
	for (c = t->conns; c != NULL; c = cn) {
		cn = c->next;
		conn_teardown(c, 1);
		conn_destroy(c);
	}
	for (tm = t->timers; tm != NULL; tm = tn) {
		tn = tm->next;
		free(tm);
	}
	for (r = t->resolved; r != NULL; r = rn) {
		rn = r->next;
		free(r->host);
		free(r);
	}
	knownhosts_release(t);
	free(t->known_hosts);
	free(t->key_file);
	free(t->user);
	free(t);
}

struct transport_conn *
transport_connect(struct transport *t, const char *name, const char *address,
    int port, const char *user, transport_connect_cb *cb, void *arg)
{
	struct transport_conn *c, **pp;

	if (port <= 0)
		port = 22;
	c = xcalloc(1, sizeof(*c));
	if (resolve(t, address, port, &c->addr, &c->addrlen) == -1) {
		free(c);
		err_prefix("%s: ", name);
		return NULL;
	}
	c->t = t;
	c->name = xstrdup(name);
	c->address = xstrdup(address);
	c->port = port;
	c->user = xstrdup(user != NULL ? user : t->user);
	c->connect_cb = cb;
	c->connect_arg = arg;
	c->fd = -1;
	c->step = STEP_QUEUED;
	c->ops_tail = &c->ops;
	c->kick = 1;
	t->kicked = 1;
	for (pp = &t->conns; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = c;
	return c;
}

static struct tp_op *
op_queue(struct transport_conn *c, enum op_kind kind, void *arg)
{
	struct tp_op *op;

	op = xcalloc(1, sizeof(*op));
	op->kind = kind;
	op->arg = arg;
	op->fd = -1;
	buf_init(&op->out, c->t->opts.output_max);
	buf_init(&op->err, c->t->opts.output_max);
	*c->ops_tail = op;
	c->ops_tail = &op->next;
	c->kick = 1;
	c->t->kicked = 1;
	return op;
}

int
transport_exec(struct transport_conn *c, const char *cmdline,
    transport_exec_cb *cb, void *arg)
{
	struct tp_op *op;

	if (c == NULL || c->closed) {
		err_set("transport: exec on a closed connection");
		return -1;
	}
	op = op_queue(c, OP_EXEC, arg);
	op->cmdline = xstrdup(cmdline);
	op->exec_cb = cb;
	return 0;
}

int
transport_exec_argv(struct transport_conn *c, const char *const argv[],
    transport_exec_cb *cb, void *arg)
{
	struct buf line;
	int rc = -1;

	buf_init(&line, 0);
	if (transport_cmdline(&line, argv) == 0)
		rc = transport_exec(c, line.data, cb, arg);
	buf_release(&line);
	return rc;
}

int
transport_upload(struct transport_conn *c, const char *local_path,
    const char *remote_path, transport_upload_cb *cb, void *arg)
{
	struct tp_op *op;

	if (c == NULL || c->closed) {
		err_set("transport: upload on a closed connection");
		return -1;
	}
	op = op_queue(c, OP_UPLOAD, arg);
	op->local = xstrdup(local_path);
	op->remote = xstrdup(remote_path);
	op->upload_cb = cb;
	return 0;
}

int
transport_conn_key_refused(const struct transport_conn *c)
{
	return c != NULL && c->key_refused;
}

void
transport_conn_limit(struct transport_conn *c, int64_t at_ms)
{
	c->limit = at_ms;
	if (at_ms != 0 && c->deadline != 0 && c->deadline > at_ms)
		c->deadline = at_ms;
	c->kick = 1;
}

void
transport_close(struct transport_conn *c)
{
	if (c == NULL || c->closed)
		return;
	c->closed = 1;
	c->kick = 1;
	c->t->kicked = 1;
}

int
transport_timer(struct transport *t, int64_t delay_ms, transport_timer_cb *cb,
    void *arg)
{
	struct tp_timer *tm, **pp;

	tm = xcalloc(1, sizeof(*tm));
	tm->when = time_now_ms() + (delay_ms > 0 ? delay_ms : 0);
	tm->cb = cb;
	tm->arg = arg;
	/* Sorted by time, FIFO among equals. */
	for (pp = &t->timers; *pp != NULL && (*pp)->when <= tm->when;
	    pp = &(*pp)->next)
		;
	tm->next = *pp;
	*pp = tm;
	return 0;
}

void
transport_stop(struct transport *t)
{
	t->stop = 1;
}

/* Start queued connections while slots are free (FIFO). */
static void
start_queued(struct transport *t)
{
	struct transport_conn *c;

	for (c = t->conns; c != NULL && t->active < t->opts.parallel;
	    c = c->next) {
		if (c->step != STEP_QUEUED || c->closed)
			continue;
		t->active++;
		c->has_slot = 1;
		c->step = STEP_CONNECT;
		c->deadline = time_now_ms() + t->opts.connect_timeout_ms;
		if (c->limit != 0 && c->limit < c->deadline)
			c->deadline = c->limit;
		c->kick = 1;
	}
}

static void
fire_timers(struct transport *t, int64_t now)
{
	struct tp_timer *tm;

	while (!t->stop && (tm = t->timers) != NULL && tm->when <= now) {
		t->timers = tm->next;
		tm->cb(tm->arg);
		free(tm);
	}
}

/* Free closed connections whose session is gone. */
static void
reap(struct transport *t)
{
	struct transport_conn **pp, *c;

	for (pp = &t->conns; (c = *pp) != NULL;) {
		if (c->closed && c->session == NULL && c->fd == -1) {
			*pp = c->next;
			conn_destroy(c);
		} else
			pp = &c->next;
	}
}

static int
pending(const struct transport *t)
{
	const struct transport_conn *c;

	if (t->timers != NULL)
		return 1;
	for (c = t->conns; c != NULL; c = c->next) {
		if (c->closed)
			return 1;	/* still being torn down */
		if (c->step == STEP_FAILED) {
			if (c->ops != NULL)
				return 1;	/* still to be failed */
			continue;
		}
		if (c->step != STEP_READY || c->ops != NULL)
			return 1;
	}
	return 0;
}

static int64_t
next_wakeup(struct transport *t, int64_t now)
{
	struct transport_conn *c;
	int64_t when = now + 60000;

	if (t->timers != NULL && t->timers->when < when)
		when = t->timers->when;
	for (c = t->conns; c != NULL; c = c->next) {
		if (c->deadline != 0 && c->deadline < when)
			when = c->deadline;
		if (c->keepalive_at != 0 && c->keepalive_at < when)
			when = c->keepalive_at;
	}
	return when;
}

static size_t
build_pollfds(struct transport *t, struct pollfd **pfds, size_t *npfd,
    struct transport_conn ***map)
{
	struct transport_conn *c;
	size_t n = 0;
	short ev;

	for (c = t->conns; c != NULL; c = c->next) {
		if (c->fd == -1 || (ev = conn_poll_events(c)) == 0)
			continue;
		if (n == *npfd) {
			*npfd = *npfd ? *npfd * 2 : 64;
			*pfds = xreallocarray(*pfds, *npfd, sizeof(**pfds));
			*map = xreallocarray(*map, *npfd, sizeof(**map));
		}
		(*pfds)[n].fd = c->fd;
		(*pfds)[n].events = ev;
		(*pfds)[n].revents = 0;
		(*map)[n] = c;
		n++;
	}
	return n;
}

static void
advance_all(struct transport *t, int64_t now)
{
	struct transport_conn *c;

	for (c = t->conns; c != NULL && !t->stop; c = c->next) {
		if (c->kick || (c->deadline != 0 && c->deadline <= now) ||
		    (c->keepalive_at != 0 && c->keepalive_at <= now)) {
			c->kick = 0;
			conn_advance(c, now);
		}
	}
}

int
transport_run(struct transport *t)
{
	struct pollfd *pfds = NULL;
	struct transport_conn **map = NULL;
	size_t npfd = 0, n, i;
	int64_t now, wake;
	int rc = -1, timeout;

	t->stop = 0;
	for (;;) {
		now = time_now_ms();
		fire_timers(t, now);
		start_queued(t);
		advance_all(t, now);
		reap(t);
		start_queued(t);
		if (t->stop || !pending(t))
			break;
		if (t->kicked) {
			t->kicked = 0;
			continue;
		}
		n = build_pollfds(t, &pfds, &npfd, &map);
		now = time_now_ms();
		wake = next_wakeup(t, now);
		timeout = wake <= now ? 0 : (int)(wake - now);
		if (poll(pfds, n, timeout) == -1 && errno != EINTR) {
			err_setx_errno("transport: poll");
			goto out;
		}
		for (i = 0; i < n; i++)
			if (pfds[i].revents != 0)
				map[i]->kick = 1;
	}
	rc = 0;
out:
	free(pfds);
	free(map);
	return rc;
}
