/*
 * libFuzzer target: the inventory readers (JSON, CSV, AD export), and the
 * writer: what plan_inventory_write() writes from an inventory the
 * readers accepted (with its original bytes, as discover writes it) must
 * read back with the same hosts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct plan_inventory *inv, *back;
	struct buf b;
	size_t i;

	if ((inv = plan_inventory_parse("fuzz", (const char *)data,
	    len)) == NULL)
		return 0;
	buf_init(&b, PLAN_INVENTORY_MAX);
	if (plan_inventory_write(inv, (const char *)data, len, &b) == 0) {
		if ((back = plan_inventory_parse("out", buf_str(&b),
		    b.len)) == NULL || back->nhosts != inv->nhosts)
			abort();
		for (i = 0; i < inv->nhosts; i++)
			if (strcmp(back->hosts[i].name, inv->hosts[i].name) != 0)
				abort();
		plan_inventory_free(back);
	}
	buf_release(&b);
	plan_inventory_free(inv);
	return 0;
}
