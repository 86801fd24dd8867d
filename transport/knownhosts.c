/*
 * Host keys against known_hosts, as OpenSSH's StrictHostKeyChecking=yes
 * (default) or =accept-new (opts.accept_new): an unknown key is refused
 * (or recorded), a changed key is always refused; both messages show the
 * offered key's SHA256 fingerprint in OpenSSH's form ("SHA256:base64").
 * The file is read line by line so one line libssh2 does not understand
 * (a certificate authority, a security-key type) does not hide the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "transport/transport.h"
#include "transport/transport_int.h"

#define KH_MAX	((size_t)64 << 20)

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
tp_base64(const unsigned char *p, size_t n, struct buf *out)
{
	size_t i;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		buf_addc(out, b64[v >> 18 & 63]);
		buf_addc(out, b64[v >> 12 & 63]);
		buf_addc(out, b64[v >> 6 & 63]);
		buf_addc(out, b64[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned)p[i] << 16;
		buf_addc(out, b64[v >> 18 & 63]);
		buf_addc(out, b64[v >> 12 & 63]);
	} else if (n - i == 2) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		buf_addc(out, b64[v >> 18 & 63]);
		buf_addc(out, b64[v >> 12 & 63]);
		buf_addc(out, b64[v >> 6 & 63]);
	}
}

int
knownhosts_load(struct transport *t)
{
	struct buf b;
	char *line, *nl;
	int rc = -1;

	buf_init(&b, KH_MAX);
	t->kh_session = libssh2_session_init();
	if (t->kh_session == NULL ||
	    (t->kh = libssh2_knownhost_init(t->kh_session)) == NULL) {
		err_set("libssh2: cannot allocate known hosts");
		goto out;
	}
	if (file_read(t->known_hosts, KH_MAX, &b) == -1) {
		if (errno != ENOENT)
			goto out;
		/* No file yet: every key is unknown (or new). */
		rc = 0;
		goto out;
	}
	for (line = b.data; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		/* Ignored on purpose: unsupported lines (see above). */
		(void)libssh2_knownhost_readline(t->kh, line, strlen(line),
		    LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

void
knownhosts_release(struct transport *t)
{
	if (t->kh != NULL)
		libssh2_knownhost_free(t->kh);
	if (t->kh_session != NULL)
		libssh2_session_free(t->kh_session);
	t->kh = NULL;
	t->kh_session = NULL;
}

static int
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static void
host_string(const struct transport_conn *c, struct buf *b)
{
	if (c->port == 22)
		buf_adds(b, c->address);
	else
		buf_addf(b, "[%s]:%d", c->address, c->port);
}

static int
key_type(int hostkey_type, const char **name)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		*name = "ssh-rsa";
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		*name = "ssh-dss";
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		*name = "ecdsa-sha2-nistp256";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		*name = "ecdsa-sha2-nistp384";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		*name = "ecdsa-sha2-nistp521";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		*name = "ssh-ed25519";
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		*name = "unknown";
		return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	}
}

static const char *
known_type_name(int typemask)
{
	switch (typemask & LIBSSH2_KNOWNHOST_KEY_MASK) {
	case LIBSSH2_KNOWNHOST_KEY_ED25519:	return "ssh-ed25519";
	case LIBSSH2_KNOWNHOST_KEY_ECDSA_256:	return "ecdsa-sha2-nistp256";
	case LIBSSH2_KNOWNHOST_KEY_ECDSA_384:	return "ecdsa-sha2-nistp384";
	case LIBSSH2_KNOWNHOST_KEY_ECDSA_521:	return "ecdsa-sha2-nistp521";
	case LIBSSH2_KNOWNHOST_KEY_SSHRSA:	return "rsa-sha2-512,rsa-sha2-256,ssh-rsa";
	default:				return NULL;
	}
}

/* Append the names of list (comma-separated) that libssh2 supports and b
 * lacks. */
static void
add_supported(struct buf *b, const char *list, const char **algs, int nalgs)
{
	const char *p, *end;
	char name[64];
	int i;

	for (p = list; *p != '\0'; p = *end ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		snprintf(name, sizeof(name), "%.*s", (int)(end - p), p);
		for (i = 0; i < nalgs; i++)
			if (strcmp(algs[i], name) == 0)
				break;
		if (i == nalgs || in_list(buf_str(b), name))
			continue;
		if (b->len)
			buf_addc(b, ',');
		buf_adds(b, name);
	}
}

/*
 * Host key algorithms, with the types known_hosts records for this host
 * first (as OpenSSH orders them), so a host with several keys offers the
 * one we can check.  Only names this libssh2 supports: its
 * method_pref() mishandles unknown ones (overlapping memcpy).
 */
const char *
knownhosts_prefs(struct transport_conn *c)
{
	static const char all[] = "ssh-ed25519,ecdsa-sha2-nistp256,"
	    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,"
	    "rsa-sha2-256,ssh-rsa";
	static char pref[512];
	struct libssh2_knownhost *e = NULL;
	struct buf want, b;
	const char **algs = NULL, *n;
	int nalgs;

	buf_init(&want, 0);
	buf_init(&b, sizeof(pref) - 1);
	nalgs = libssh2_session_supported_algs(c->session,
	    LIBSSH2_METHOD_HOSTKEY, &algs);
	host_string(c, &want);
	while (nalgs > 0 && libssh2_knownhost_get(c->t->kh, &e, e) == 0) {
		if (e->name != NULL && strcmp(e->name, want.data) == 0 &&
		    (n = known_type_name(e->typemask)) != NULL)
			add_supported(&b, n, algs, nalgs);
	}
	if (nalgs > 0)
		add_supported(&b, all, algs, nalgs);
	snprintf(pref, sizeof(pref), "%s", b.len ? buf_str(&b) : all);
	if (nalgs > 0)
		libssh2_free(c->session, algs);
	buf_release(&want);
	buf_release(&b);
	return pref;
}

static void
fingerprint(struct transport_conn *c, struct buf *fp)
{
	const unsigned char *h;

	h = (const unsigned char *)libssh2_hostkey_hash(c->session,
	    LIBSSH2_HOSTKEY_HASH_SHA256);
	buf_adds(fp, "SHA256:");
	if (h != NULL)
		tp_base64(h, 32, fp);
	else
		buf_adds(fp, "?");
}

static int
record(struct transport_conn *c, const char *host, const char *key,
    size_t keylen, int type)
{
	struct libssh2_knownhost *e;
	char line[8192];
	size_t len = 0;
	int fd, rc = -1;

	if (libssh2_knownhost_addc(c->t->kh, host, NULL, key, keylen, NULL, 0,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | type,
	    &e) != 0 ||
	    libssh2_knownhost_writeline(c->t->kh, e, line, sizeof(line), &len,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
		err_set("cannot record the host key for %s", host);
		return -1;
	}
	fd = open(c->t->known_hosts, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd == -1 || write(fd, line, len) != (ssize_t)len || fsync(fd)) {
		err_setx_errno("%s", c->t->known_hosts);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

int
knownhosts_check(struct transport_conn *c)
{
	struct buf host, fp;
	const char *key, *tname;
	size_t keylen;
	int type, ktype, rc = -1;

	buf_init(&host, 0);
	buf_init(&fp, 0);
	key = libssh2_session_hostkey(c->session, &keylen, &type);
	if (key == NULL) {
		err_set("the server sent no host key");
		goto out;
	}
	ktype = key_type(type, &tname);
	host_string(c, &host);
	fingerprint(c, &fp);
	switch (libssh2_knownhost_checkp(c->t->kh, c->address, c->port, key,
	    keylen, LIBSSH2_KNOWNHOST_TYPE_PLAIN |
	    LIBSSH2_KNOWNHOST_KEYENC_RAW | ktype, NULL)) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		rc = 0;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		err_set("HOST KEY CHANGED for %s: it now offers %s %s, which "
		    "does not match %s; refusing to connect (if the change is "
		    "expected, remove the old line)", host.data, tname,
		    fp.data, c->t->known_hosts);
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		if (c->t->opts.accept_new) {
			rc = record(c, host.data, key, keylen, ktype);
			break;
		}
		err_set("host key for %s is not known (%s %s, not in %s); "
		    "check it and add it, or use --accept-new", host.data,
		    tname, fp.data, c->t->known_hosts);
		break;
	default:
		err_set("cannot check the host key of %s", host.data);
		break;
	}
out:
	buf_release(&host);
	buf_release(&fp);
	return rc;
}
