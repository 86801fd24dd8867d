# kbfix: one non-recursive GNU Makefile.  Everything but cmd/ builds into
# $(BUILD)/libkbfix.a, which the binary and the tests link.

BUILD	?= build
CC	?= cc
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral \
	   -Wpointer-arith -Wcast-qual -Wvla
CPPFLAGS += -std=c11 -D_GNU_SOURCE -I. -MMD -MP
LDLIBS	 = -lcurl -larchive -lcjson -lssh2 -lcrypto -lm -lpthread

MODULES	 = util plan catalog transport rollback deploy discover
LIB_SRC	 = $(wildcard $(addsuffix /*.c,$(MODULES)))
CMD_SRC	 = $(wildcard cmd/*.c)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
WINSIM_SRC = $(wildcard tests/winsim/*.c)

LIB_OBJ	 = $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ	 = $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
WINSIM_OBJ = $(WINSIM_SRC:%.c=$(BUILD)/%.o)

LIB	 = $(BUILD)/libkbfix.a
BIN	 = $(BUILD)/kbfix
WINSIM	 = $(BUILD)/winsim

.PHONY: all test unit integration asan valgrind bench lint fuzz clean demo

all: $(BIN) kbfix $(WINSIM)

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

test: all $(UNIT_BIN)
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

demo: all
	$(BIN) plan -i examples/inventory.json --format text

lint:
	@! grep -nE '\b(sprintf|strcpy|strcat|strtok|atoi|gets)\(' \
	    $(LIB_SRC) $(CMD_SRC) $(WINSIM_SRC) || { echo 'lint: banned function' >&2; false; }
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --std=c11 -I. --suppress=missingIncludeSystem $(MODULES) cmd

clean:
	rm -rf build build-asan build-fuzz kbfix

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(WINSIM_OBJ:.o=.d)
