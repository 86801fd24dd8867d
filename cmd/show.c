/* kbfix show UPDATE_ID [--json] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cmd/cmd.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: kbfix show UPDATE_ID [--json] [--catalog-url URL] "
	    "[--cacert FILE]\n"
	    "                  [--request-timeout S]\n\n"
	    "Prints one Update Catalog entry (ScopedViewInline.aspx): title, "
	    "KB, products,\narchitecture, classification, restart behaviour, "
	    "MSRC, what it supersedes and\nwhat supersedes it (with ids), and "
	    "every file of its download dialog\n(DownloadDialog.aspx): URL, "
	    "name, SHA-1, SHA-256 when the Catalog gives it.\n\n"
	    "  --json             one JSON object (keys in README.md)\n%s"
	    "\nExit status: 0 found, 1 not found or the Catalog failed, 2 "
	    "UPDATE_ID is not\na GUID.\n", catalog_opts_usage);
}

static void
kv(struct buf *b, const char *k, const char *v)
{
	buf_addf(b, ", \"%s\": ", k);
	if (v)
		buf_add_json_str(b, v);
	else
		buf_adds(b, "null");
}

static void
refs_json(struct buf *b, const char *k, const struct catalog_ref *r,
    size_t n)
{
	size_t i;

	buf_addf(b, ",\n \"%s\": [", k);
	for (i = 0; i < n; i++) {
		buf_adds(b, i ? ", {\"update_id\": " : "{\"update_id\": ");
		if (r[i].update_id)
			buf_add_json_str(b, r[i].update_id);
		else
			buf_adds(b, "null");
		kv(b, "title", r[i].title);
		buf_adds(b, "}");
	}
	buf_adds(b, "]");
}

static void
files_json(struct buf *b, const struct catalog_download_list *l)
{
	size_t i, j, n = 0;

	buf_adds(b, ",\n \"files\": [");
	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->v[i].nfiles; j++) {
			const struct catalog_file *f = &l->v[i].files[j];
			buf_adds(b, n++ ? ",\n  {\"name\": " :
			    "\n  {\"name\": ");
			buf_add_json_str(b, f->name);
			kv(b, "url", f->url);
			kv(b, "sha1", f->sha1);
			kv(b, "sha256", f->sha256);
			kv(b, "languages", f->languages);
			kv(b, "architectures", f->architectures);
			buf_adds(b, "}");
		}
	buf_adds(b, "]");
}

static void
print_json(const struct catalog_details *d,
    const struct catalog_download_list *l)
{
	struct buf b;

	buf_init(&b, 0);
	buf_adds(&b, "{\"update_id\": ");
	buf_add_json_str(&b, d->update_id);
	kv(&b, "title", d->title);
	kv(&b, "kb", d->kb);
	kv(&b, "date", d->date);
	kv(&b, "products", d->products);
	kv(&b, "architecture", d->architecture);
	kv(&b, "classification", d->classification);
	kv(&b, "reboot", d->reboot);
	kv(&b, "user_input", d->user_input);
	kv(&b, "msrc_number", d->msrc_number);
	kv(&b, "msrc_severity", d->msrc_severity);
	kv(&b, "description", d->description);
	refs_json(&b, "superseded_by", d->superseded_by, d->nsuperseded_by);
	refs_json(&b, "supersedes", d->supersedes, d->nsupersedes);
	files_json(&b, l);
	buf_adds(&b, "}\n");
	fputs(buf_str(&b), stdout);
	buf_release(&b);
}

static const char *
s(const char *v)
{
	return v ? v : "n/a";
}

static void
file_text(struct buf *b, const struct catalog_file *f)
{
	buf_adds(b, "    ");
	buf_add_term(b, f->name);
	buf_adds(b, "\n      url     ");
	buf_add_term(b, f->url);
	buf_adds(b, "\n      sha1    ");
	buf_add_term(b, s(f->sha1));
	buf_addc(b, '\n');
	if (f->sha256) {
		buf_adds(b, "      sha256  ");
		buf_add_term(b, f->sha256);
		buf_addc(b, '\n');
	}
}

/* "  label           value\n", the value made safe for a terminal. */
static void
line(struct buf *b, const char *label, const char *value)
{
	buf_addf(b, "  %-15s ", label);
	buf_add_term(b, value ? value : "n/a");
	buf_addc(b, '\n');
}

/* Catalog text reaches the terminal through buf_add_term: a page cannot
 * send it escape sequences. */
static void
print_text(const struct catalog_details *d,
    const struct catalog_download_list *l)
{
	struct buf b;
	size_t i, j;

	buf_init(&b, BUF_MAX_DEFAULT);
	buf_add_term(&b, s(d->title));
	buf_addc(&b, '\n');
	line(&b, "update id", d->update_id);
	line(&b, "KB", d->kb);
	line(&b, "last modified", d->date);
	line(&b, "products", d->products);
	line(&b, "architecture", d->architecture);
	line(&b, "classification", d->classification);
	line(&b, "restart", d->reboot);
	buf_addf(&b, "  %-15s ", "MSRC");
	buf_add_term(&b, s(d->msrc_number));
	buf_adds(&b, " (");
	buf_add_term(&b, s(d->msrc_severity));
	buf_adds(&b, ")\n  superseded by  ");
	for (i = 0; i < d->nsuperseded_by; i++) {
		buf_adds(&b, i ? "                 " : " ");
		buf_add_term(&b, s(d->superseded_by[i].update_id));
		buf_adds(&b, "  ");
		buf_add_term(&b, d->superseded_by[i].title);
		buf_addc(&b, '\n');
	}
	if (d->nsuperseded_by == 0)
		buf_adds(&b, " n/a\n");
	buf_addf(&b, "  supersedes      %zu update(s)\n", d->nsupersedes);
	for (i = 0; i < d->nsupersedes; i++) {
		buf_adds(&b, "    ");
		buf_add_term(&b, d->supersedes[i].title);
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "  files\n");
	for (i = 0; i < l->n; i++)
		for (j = 0; j < l->v[i].nfiles; j++)
			file_text(&b, &l->v[i].files[j]);
	fputs(buf_str(&b), stdout);
	buf_release(&b);
}

int
cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		CMD_CATALOG_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct catalog_download_list l = { NULL, 0 };
	struct catalog_details d;
	struct catalog_opts co;
	struct catalog_client *c = NULL;
	int ch, taken, json = 0, rc = EXIT_USAGE;

	memset(&d, 0, sizeof(d));
	catalog_opts_init(&co);
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if ((taken = catalog_opts_parse(ch, optarg, &co)) == -1)
			goto out;
		if (taken)
			continue;
		switch (ch) {
		case 'j': json = 1; break;
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		goto out;
	}
	if (!catalog_valid_update_id(argv[optind])) {
		warnmsg("'%s' is not an update id: expected a GUID like "
		    "0b97c243-5833-4bf3-bcf8-77063e53c42a (see kbfix search)",
		    argv[optind]);
		goto out;
	}
	if ((c = catalog_opts_client(&co)) == NULL)
		goto out;
	rc = EXIT_FAIL;
	if (catalog_details_get(c, argv[optind], &d) == -1) {
		warnmsg("show: %s", err_msg());
		goto out;
	}
	if (!d.found) {
		warnmsg("%s: not found in the Update Catalog (it redirected "
		    "to Thanks.aspx)", argv[optind]);
		goto out;
	}
	if (catalog_dialog_get(c, argv[optind], &l) == -1) {
		warnmsg("show: %s", err_msg());
		goto out;
	}
	if (json)
		print_json(&d, &l);
	else
		print_text(&d, &l);
	rc = EXIT_OK;
out:
	catalog_details_release(&d);
	catalog_download_list_release(&l);
	catalog_client_free(c);
	catalog_opts_release(&co);
	return rc;
}
