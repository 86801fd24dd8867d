/*
 * libFuzzer target: the run journal reader and replay (kbfix status,
 * resume and rollback read journal.jsonl), on the raw bytes libFuzzer gives
 * (not NUL-terminated), and the status outputs of what it read.
 */
#include <stddef.h>
#include <stdint.h>

#include "rollback/rollback.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rollback_log log;
	struct rollback_replay rp;
	struct buf b;

	if (rollback_log_parse("fuzz", (const char *)data, len, &log) == -1)
		return 0;
	if (rollback_replay(&log, &rp) == 0) {
		buf_init(&b, 1 << 24);
		rollback_status_text(&rp, &b);
		buf_reset(&b);
		rollback_status_json(&rp, "fuzz", &b);
		buf_release(&b);
		rollback_replay_release(&rp);
	}
	rollback_log_release(&log);
	return 0;
}
