/*
 * A parsed inventory written back as an inventory JSON document, so that
 * commands that edit an inventory's JSON tree (discover) take the CSV and
 * Active Directory formats through the planner's readers instead of a
 * reader of their own.  Only what the readers kept can be written: the
 * defaults are already folded into each host, and unknown CSV columns
 * were dropped on reading.  The JSON reader is inventory_jsonread.c.
 */
#include <stdio.h>
#include <string.h>

#include "plan.h"

static void
key(struct buf *b, const char *k)
{
	buf_adds(b, ", ");
	buf_add_json_str(b, k);
	buf_adds(b, ": ");
}

static void
str_field(struct buf *b, const char *k, const char *v)
{
	if (v == NULL)
		return;
	key(b, k);
	buf_add_json_str(b, v);
}

static void
int_field(struct buf *b, const char *k, int v, int absent)
{
	if (v == absent)
		return;
	key(b, k);
	buf_addf(b, "%d", v);
}

static void
str_array(struct buf *b, const char *k, char **v, size_t n)
{
	size_t i;

	key(b, k);
	buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			buf_adds(b, ", ");
		buf_add_json_str(b, v[i]);
	}
	buf_addc(b, ']');
}

static void
files(struct buf *b, const struct plan_inv_host *h)
{
	size_t i;

	key(b, "files");
	buf_addc(b, '{');
	for (i = 0; i < h->nfiles; i++) {
		if (i)
			buf_adds(b, ", ");
		buf_add_json_str(b, h->files[i].name);
		buf_adds(b, ": ");
		buf_add_json_str(b, h->files[i].version);
	}
	buf_addc(b, '}');
}

/*
 * REG_DWORD as a JSON number, REG_SZ as a string: the reader makes a
 * string that reads as a number ("1", "0x10") a REG_DWORD, so a REG_SZ it
 * kept never looks like one and the round trip holds.
 */
static void
registry(struct buf *b, const struct plan_inv_host *h)
{
	size_t i;

	key(b, "registry");
	buf_addc(b, '{');
	for (i = 0; i < h->nregistry; i++) {
		if (i)
			buf_adds(b, ", ");
		buf_add_json_str(b, h->registry[i].path);
		buf_adds(b, ": ");
		if (h->registry[i].is_num)
			buf_addf(b, "%u", (unsigned)h->registry[i].num);
		else
			buf_add_json_str(b, h->registry[i].str);
	}
	buf_addc(b, '}');
}

static void
host(struct buf *b, const struct plan_inv_host *h)
{
	buf_adds(b, "    {\"name\": ");
	buf_add_json_str(b, h->name);
	str_field(b, "address", h->address);
	int_field(b, "port", h->port, 0);
	str_field(b, "user", h->user);
	str_field(b, "transport", h->transport);
	str_field(b, "group", h->group);
	int_field(b, "wave", h->wave, 0);
	str_field(b, "os", h->os_raw);
	str_field(b, "version", h->version);
	str_field(b, "arch", h->arch);
	str_field(b, "channel", h->channel);
	if (h->has_installed)
		str_array(b, "installed", h->installed, h->ninstalled);
	if (h->has_files)
		files(b, h);
	if (h->has_registry)
		registry(b, h);
	if (h->multicast != -1) {
		key(b, "multicast_forwarding");
		buf_adds(b, h->multicast ? "true" : "false");
	}
	int_field(b, "wfp_callout_drivers", h->wfp_drivers, -1);
	if (h->nroles)
		str_array(b, "roles", h->roles, h->nroles);
	buf_addc(b, '}');
}

int
plan_inventory_write_json(const struct plan_inventory *inv, struct buf *out)
{
	size_t i;

	buf_adds(out, "{\n  \"hosts\": [\n");
	for (i = 0; i < inv->nhosts; i++) {
		host(out, &inv->hosts[i]);
		buf_adds(out, i + 1 < inv->nhosts ? ",\n" : "\n");
	}
	if (buf_adds(out, "  ]\n}\n") == -1 || out->failed) {
		err_set("%s: the inventory as JSON is larger than %zu bytes",
		    inv->name, out->max);
		return -1;
	}
	return 0;
}
