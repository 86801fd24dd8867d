/*
 * The run directory (deploy.h): run.json, the copy of the plan, and the
 * lock that keeps one kbfix per run directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "deploy/deploy_int.h"

#define RUN_FORMAT	"kbfix-run/1"

static void
json_kv(struct buf *b, const char *k, const char *v)
{
	if (v == NULL)
		return;
	buf_addf(b, ",\n  \"%s\": ", k);
	buf_add_json_str(b, v);
}

static int
run_json_write(const struct deploy_opts *o, const char *plan_abs,
    const char *bundle_abs)
{
	struct buf b, plan;
	char *kh, *key, sha[65];
	char *path;
	int rc;

	buf_init(&plan, (size_t)1 << 30);
	if (file_read(plan_abs, plan.max, &plan) == -1) {
		buf_release(&plan);
		return -1;
	}
	/* the plan run, as `kbfix apply --expect-plan` checks it */
	sha256_hex(buf_str(&plan), plan.len, sha);
	buf_release(&plan);
	buf_init(&b, 1 << 20);
	buf_addf(&b, "{\"format\": \"%s\"", RUN_FORMAT);
	json_kv(&b, "plan", plan_abs);
	json_kv(&b, "plan_sha256", sha);
	json_kv(&b, "bundle", bundle_abs);
	json_kv(&b, "window", o->window);
	/* absolute, so that resume works from another directory */
	kh = o->known_hosts ? realpath(o->known_hosts, NULL) : NULL;
	key = o->key_file ? realpath(o->key_file, NULL) : NULL;
	json_kv(&b, "known_hosts", kh ? kh : o->known_hosts);
	json_kv(&b, "key", key ? key : o->key_file);
	free(kh);
	free(key);
	json_kv(&b, "user", o->user);
	buf_addf(&b, ",\n  \"parallel\": %d, \"canary\": %d, \"max_fail\": %d"
	    ", \"reboot_timeout\": %d, \"reboot_delay\": %d"
	    ", \"no_auto_rollback\": %s, \"accept_new\": %s"
	    ", \"connect_timeout_ms\": %d, \"command_timeout_ms\": %d}\n",
	    o->parallel, o->canary, o->max_fail_pct, o->reboot_timeout_s,
	    o->reboot_delay_s, o->no_auto_rollback ? "true" : "false",
	    o->accept_new ? "true" : "false", o->connect_timeout_ms,
	    o->command_timeout_ms);
	path = xasprintf("%s/run.json", o->run_dir);
	rc = file_write_atomic(path, b.data, b.len, 0644);
	free(path);
	buf_release(&b);
	return rc;
}

static int
run_save(const struct deploy_opts *o, const char *plan_abs,
    const char *bundle_abs)
{
	struct buf plan;
	char *path;
	int rc = -1;

	buf_init(&plan, (size_t)1 << 30);
	path = xasprintf("%s/plan.json", o->run_dir);
	if (file_read(plan_abs, plan.max, &plan) == -1 ||
	    file_write_atomic(path, plan.data, plan.len, 0644) == -1)
		goto out;
	rc = run_json_write(o, plan_abs, bundle_abs);
out:
	free(path);
	buf_release(&plan);
	return rc;
}

/* A resume (or an apply --limit continuing a run): the options it was
 * given are the run's from now on. */
int
run_json_update(struct engine *e)
{
	return run_json_write(&e->o, e->o.plan_source, e->o.bundle_dir);
}

static char *
jget(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

/* A flag or a whole number 0..INT_MAX (*bad set otherwise), else def. */
static int
jint(const cJSON *o, const char *k, int def, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (v == NULL)
		return def;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > INT_MAX || v->valuedouble != v->valueint) {
		*bad = 1;
		return def;
	}
	return v->valueint;
}

int
deploy_run_load(const char *run_dir, struct deploy_run *run)
{
	struct buf b;
	cJSON *o = NULL;
	char *path;
	int rc = -1, bad = 0;

	memset(run, 0, sizeof(*run));
	buf_init(&b, 1 << 20);
	path = xasprintf("%s/run.json", run_dir);
	if (file_read(path, b.max, &b) == -1)
		goto out;
	o = cJSON_Parse(buf_str(&b));
	if (o == NULL || jint(o, "parallel", -1, &bad) < 1) {
		err_set("%s: not a kbfix run record", path);
		goto out;
	}
	run->strs[0] = xasprintf("%s/plan.json", run_dir);
	run->strs[1] = jget(o, "bundle");
	run->strs[2] = xstrdup(run_dir);
	run->strs[3] = jget(o, "window");
	run->strs[4] = jget(o, "known_hosts");
	run->strs[5] = jget(o, "key");
	run->strs[6] = jget(o, "user");
	run->strs[7] = jget(o, "plan");
	run->opts.plan_path = run->strs[0];
	run->opts.bundle_dir = run->strs[1];
	run->opts.run_dir = run->strs[2];
	run->opts.window = run->strs[3];
	run->opts.known_hosts = run->strs[4];
	run->opts.key_file = run->strs[5];
	run->opts.user = run->strs[6];
	run->opts.plan_source = run->strs[7];
	run->opts.parallel = jint(o, "parallel", 32, &bad);
	run->opts.canary = jint(o, "canary", 1, &bad);
	run->opts.max_fail_pct = jint(o, "max_fail", 0, &bad);
	run->opts.reboot_timeout_s = jint(o, "reboot_timeout", 600, &bad);
	run->opts.reboot_delay_s = jint(o, "reboot_delay", 5, &bad);
	run->opts.no_auto_rollback = jint(o, "no_auto_rollback", 0, &bad);
	run->opts.accept_new = jint(o, "accept_new", 0, &bad);
	run->opts.connect_timeout_ms = jint(o, "connect_timeout_ms", 0, &bad);
	run->opts.command_timeout_ms = jint(o, "command_timeout_ms", 0, &bad);
	if (bad) {
		err_set("%s: a number is not a whole number from 0", path);
		deploy_run_release(run);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(o);
	free(path);
	buf_release(&b);
	return rc;
}

void
deploy_run_release(struct deploy_run *run)
{
	size_t i;

	for (i = 0; i < sizeof(run->strs) / sizeof(run->strs[0]); i++)
		free(run->strs[i]);
	memset(run, 0, sizeof(*run));
}

/* 1: the files hold the same bytes. */
static int
same_file(const char *a, const char *b)
{
	struct buf x, y;
	int same;

	buf_init(&x, (size_t)1 << 30);
	buf_init(&y, (size_t)1 << 30);
	same = file_read(a, x.max, &x) == 0 && file_read(b, y.max, &y) == 0 &&
	    x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
	buf_release(&x);
	buf_release(&y);
	return same;
}

/*
 * Fresh apply: the run directory must not hold a run already (bad
 * input: the operator picks another one or resumes), except for an
 * apply --limit of the same plan, which continues that run for the hosts
 * named (1: continue, with the journal and run.json updated).
 */
int
run_dir_prepare(struct engine *e)
{
	struct deploy_opts *o = &e->o;
	char *jp, *pp = NULL, *plan_abs = NULL, *bundle_abs = NULL;
	struct stat st;
	int rc = -1;

	jp = xasprintf("%s/journal.jsonl", o->run_dir);
	plan_abs = realpath(o->plan_path, NULL);
	bundle_abs = o->bundle_dir ? realpath(o->bundle_dir, NULL) : NULL;
	if (plan_abs == NULL || (o->bundle_dir && bundle_abs == NULL)) {
		err_setx_errno("%s", plan_abs ? o->bundle_dir : o->plan_path);
		goto out;
	}
	if (stat(jp, &st) == 0 && st.st_size > 0) {
		pp = xasprintf("%s/plan.json", o->run_dir);
		if (o->limit != NULL && same_file(pp, plan_abs)) {
			free(e->plan_source);
			e->plan_source = plan_abs;
			plan_abs = NULL;
			o->plan_source = e->plan_source;
			rc = run_json_write(o, o->plan_source, bundle_abs);
			rc = rc == 0 ? 1 : -1;
			goto out;
		}
		err_set("%s already holds a run; continue it with 'kbfix "
		    "resume %s'%s or pick a new --run-dir", o->run_dir,
		    o->run_dir, o->limit != NULL ? " (apply --limit continues "
		    "it only with the same plan)" : "");
		e->bad_input = 1;
		goto out;
	}
	rc = run_save(o, plan_abs, bundle_abs);
out:
	free(jp);
	free(pp);
	free(plan_abs);
	free(bundle_abs);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --limit "a,b" or "@FILE" (a name a line; blank lines and # comments
 * skipped): names sorted in e->limit; every name must be a plan host. */
int
run_limit_load(struct engine *e)
{
	const char *spec = e->o.limit, *p, *end;
	struct buf b;
	size_t len, i;
	char *name;
	int rc = -1;

	if (spec == NULL)
		return 0;
	buf_init(&b, 64 << 20);
	if (spec[0] == '@') {
		if (file_read(spec + 1, b.max, &b) == -1)
			goto out;
		p = buf_str(&b);
	} else {
		p = spec;
	}
	for (; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, spec[0] == '@' ? "\n" : ",");
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		len = (size_t)(end - p);
		while (len > 0 && strchr(" \t\r", p[len - 1]) != NULL)
			len--;
		if (len == 0 || *p == '#')
			continue;
		name = xstrndup(p, len);
		if (plan_host_find(e->plan, name) == NULL) {
			err_set("--limit %s: host '%s' is not in the plan",
			    spec, name);
			free(name);
			goto out;
		}
		e->limit = xreallocarray(e->limit, e->nlimit + 1,
		    sizeof(*e->limit));
		e->limit[e->nlimit++] = name;
	}
	if (e->nlimit == 0) {
		err_set("--limit %s: no host names", spec);
		goto out;
	}
	qsort(e->limit, e->nlimit, sizeof(*e->limit), name_cmp);
	rc = 0;
out:
	if (rc == -1) {
		for (i = 0; i < e->nlimit; i++)
			free(e->limit[i]);
		free(e->limit);
		e->limit = NULL;
		e->nlimit = 0;
	}
	buf_release(&b);
	return rc;
}

/* 1: no --limit, or name is in it. */
int
run_limit_has(const struct engine *e, const char *name)
{
	if (e->o.limit == NULL)
		return 1;
	return bsearch(&name, e->limit, e->nlimit, sizeof(*e->limit),
	    name_cmp) != NULL;
}

/*
 * RUN_DIR/retry: the plan's hosts (not manual ones) that this run
 * directory has not finished, one a line, as Ansible's retry file;
 * removed when none is left.  From the journal, so it covers every run
 * of the directory.
 */
int
run_retry_write(struct engine *e, const struct rollback_replay *rp)
{
	const struct plan_host *ph;
	const struct rollback_host *jh;
	struct buf b;
	char *path;
	size_t i;
	int rc = 0;

	buf_init(&b, 64 << 20);
	for (i = 0; i < e->plan->nhosts; i++) {
		ph = &e->plan->hosts[i];
		if (ph->status != PLAN_NEEDS_ACTION || ph->nactions == 0 ||
		    plan_transport_manual(ph->transport))
			continue;
		jh = rollback_replay_host(rp, ph->name);
		if (jh != NULL && strcmp(jh->state, "done") == 0)
			continue;
		buf_addf(&b, "%s\n", ph->name);
	}
	path = xasprintf("%s/retry", e->o.run_dir);
	if (b.len == 0) {
		if (unlink(path) == -1 && errno != ENOENT)
			rc = -1;
	} else {
		rc = file_write_atomic(path, b.data, b.len, 0644);
	}
	free(path);
	buf_release(&b);
	return rc;
}

/*
 * One kbfix per run directory: a second apply, resume or rollback while
 * one runs would drive the same hosts twice.  The lock goes with the
 * process (also on SIGKILL).  Taken before anything else is written there;
 * a directory that cannot hold the lock file (read-only, full, not ours)
 * is reported as what it is, not as another kbfix.
 */
int
run_lock(struct engine *e)
{
	char *path;
	int rc = -1;

	if (mkdir_p(e->o.run_dir, 0755) == -1)
		return -1;
	path = xasprintf("%s/lock", e->o.run_dir);
	e->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (e->lockfd == -1) {
		err_setx_errno("%s: cannot create the run lock", path);
		goto out;
	}
	if (flock(e->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			err_set("%s: another kbfix is working on this run "
			    "directory", e->o.run_dir);
		else
			err_setx_errno("%s: locking", path);
		goto out;
	}
	rc = 0;
out:
	free(path);
	return rc;
}
