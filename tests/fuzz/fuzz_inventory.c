/* libFuzzer target: the inventory readers (JSON, CSV, AD export). */
#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	plan_inventory_free(plan_inventory_parse("fuzz", (const char *)data,
	    len));
	return 0;
}
