/* libFuzzer target: the advisory file reader. */
#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	plan_advisory_free(plan_advisory_parse("fuzz",
	    (const char *)data, len));
	return 0;
}
