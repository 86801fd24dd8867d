# kbfix: one non-recursive GNU Makefile.  Everything but cmd/ builds into
# $(BUILD)/libkbfix.a, which the binary and the tests link.

BUILD	?= build
CC	?= cc
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral \
	   -Wpointer-arith -Wcast-qual -Wvla
CPPFLAGS += -std=c11 -D_GNU_SOURCE -I. -MMD -MP
LDLIBS	 = -lcurl -larchive -lcjson -lssh2 -lcrypto -lm

# Advisories embedded at build time: tools/embed.c writes them as C arrays
# (no xxd, which Debian does not always install); plan/advisory.c.
HOSTCC		?= cc
ADVISORY_JSON	 = $(sort $(wildcard plan/advisories/*.json))
SUPERSEDE_JSON	 = $(sort $(wildcard plan/supersede/*.json))
ADVISORY_OBJ	 = $(BUILD)/gen/advisories_data.o $(BUILD)/gen/supersede_data.o
BENCH_BIN	 = $(BUILD)/tests/bench/json_floor

MODULES	 = util plan catalog transport rollback deploy discover export
LIB_SRC	 = $(wildcard $(addsuffix /*.c,$(MODULES)))
CMD_SRC	 = $(wildcard cmd/*.c)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
WINSIM_SRC = $(wildcard tests/winsim/*.c)

LIB_OBJ	 = $(LIB_SRC:%.c=$(BUILD)/%.o) $(ADVISORY_OBJ)
CMD_OBJ	 = $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
WINSIM_OBJ = $(WINSIM_SRC:%.c=$(BUILD)/%.o)

LIB	 = $(BUILD)/libkbfix.a
BIN	 = $(BUILD)/kbfix
WINSIM	 = $(BUILD)/winsim

.PHONY: all test unit integration asan valgrind bench soak lint fuzz clean \
	demo fuzz-bin

all: $(BIN) kbfix $(WINSIM) $(BENCH_BIN)

kbfix: $(BIN)
	ln -sf $(BIN) $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(CMD_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJ) $(LIB) $(LDLIBS)

# The Windows host simulator of the test fleet (tests/README.md): only
# util/ from the library, so it starts fast.
$(WINSIM): $(WINSIM_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(WINSIM_OBJ) $(LIB)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB) \
	    -lcmocka $(LDLIBS)

test: all $(UNIT_BIN) fuzz-bin
	BUILD=$(BUILD) tests/run.sh all

unit: $(UNIT_BIN)
	BUILD=$(BUILD) tests/run.sh unit

integration: all
	BUILD=$(BUILD) tests/run.sh integration

asan:
	$(MAKE) BUILD=build-asan \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" test

valgrind: all $(UNIT_BIN)
	BUILD=$(BUILD) VALGRIND=1 tests/run.sh all

bench: all
	BUILD=$(BUILD) tests/run.sh bench

# Not in `make test`: minutes of apply on 60 faulty hosts with kill -9
# and resume cycles (tests/soak/soak.sh; needs root for the fleet).
soak: all
	BUILD=$(BUILD) bash tests/soak/soak.sh

demo: all
	$(BIN) plan -i examples/inventory.json --format text

lint:
	@! grep -nE '\b(sprintf|strcpy|strcat|strtok|atoi|gets)\(' \
	    $(LIB_SRC) $(CMD_SRC) $(WINSIM_SRC) || { echo 'lint: banned function' >&2; false; }
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --std=c11 -I. --suppress=missingIncludeSystem $(MODULES) cmd

clean:
	rm -rf build build-asan build-fuzz kbfix

# Advisories embedded at build time (rules below).

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(HOSTCC) -O1 -o $@ $<

$(BUILD)/gen/advisories_data.c: $(BUILD)/tools/embed $(ADVISORY_JSON)
	@mkdir -p $(@D)
	$(BUILD)/tools/embed $@ $(ADVISORY_JSON)

$(BUILD)/gen/advisories_data.o: $(BUILD)/gen/advisories_data.c
	$(CC) $(CFLAGS) -c $< -o $@

# Supersedence data (plan/supersede.c reads it; kbfix supersede --refresh
# writes newer files the planner loads with --supersede DIR).
$(BUILD)/gen/supersede_data.c: $(BUILD)/tools/embed $(SUPERSEDE_JSON)
	@mkdir -p $(@D)
	$(BUILD)/tools/embed --symbol plan_embedded_supersede $@ $(SUPERSEDE_JSON)

$(BUILD)/gen/supersede_data.o: $(BUILD)/gen/supersede_data.c
	$(CC) $(CFLAGS) -c $< -o $@

# Planner benchmark: the JSON floor (cJSON parse + print, nothing else).

$(BUILD)/tests/bench/json_floor: tests/bench/json_floor.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< -lcjson

# Fuzzing (libFuzzer): the inventory and advisory parsers.  `make fuzz`
# runs each for FUZZ_TIME seconds; `make test` runs them briefly
# (tests/integration/plan_fuzz.sh).  Skipped when clang's fuzzer runtime
# is missing.
FUZZ_DIR	 = build-fuzz
FUZZ_TIME	?= 60
FUZZ_SRC	 = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN	 = $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_CFLAGS	 = -g -O1 -fsanitize=fuzzer-no-link,address,undefined
# The probe for clang's fuzzer runtime runs in fuzz-bin's recipe, so only
# the targets that build fuzzers (fuzz, test) pay for it.
FUZZ_PROBE	 = echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' | \
		    clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libkbfix.a: $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o) \
	    $(FUZZ_DIR)/obj/gen/advisories_data.o \
	    $(FUZZ_DIR)/obj/gen/supersede_data.o
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/obj/gen/advisories_data.o: $(BUILD)/gen/advisories_data.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/obj/gen/supersede_data.o: $(BUILD)/gen/supersede_data.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DIR)/libkbfix.a
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_DIR)/libkbfix.a $(LDLIBS)

fuzz-bin:
	@if $(FUZZ_PROBE); then $(MAKE) --no-print-directory $(FUZZ_BIN); \
	else echo "fuzz: skipped (clang's libFuzzer runtime is missing)"; fi

fuzz: fuzz-bin
	@for f in $(FUZZ_BIN); do [ -x $$f ] || continue; \
	    n=$${f##*/fuzz_}; mkdir -p $(FUZZ_DIR)/corpus-$$n; \
	    echo "== $$f ($(FUZZ_TIME) s)"; \
	    $$f -max_total_time=$(FUZZ_TIME) -max_len=65536 \
	        -artifact_prefix=$(FUZZ_DIR)/ \
	        $(FUZZ_DIR)/corpus-$$n tests/fuzz/corpus/$$n || exit 1; done

# Header dependencies (-MMD) of every object and binary, the fuzz build's
# and the unit tests' included: a changed header rebuilds them (a stale
# fuzz object once read struct plan_inv_host with another layout).
-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(WINSIM_OBJ:.o=.d)
-include $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.d) $(FUZZ_BIN:=.d) $(UNIT_BIN:=.d)
