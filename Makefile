# mqlcal build. `make` builds build/mqlcal; `make test` and `make demo` install missing Debian
# packages first (scripts/install-deps.sh). Objects live under build/ (build-asan/ for sanitizers).

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
ifeq ($(CI),true)
WARN    += -Werror
endif
CPPFLAGS += -Iinclude -D_POSIX_C_SOURCE=200809L
CFLAGS  += -std=c11 $(OPT) $(WARN) $(SAN)
LDFLAGS += $(SAN)

# GSL's CBLAS: OpenBLAS when installed (about 10x faster IRLS), else GSL's reference CBLAS.
BLAS    := $(if $(wildcard /usr/lib/x86_64-linux-gnu/libopenblas.so /usr/lib/*/libopenblas.so /usr/lib/libopenblas.so),-lopenblas,-lgslcblas)
LDLIBS  := -lgsl $(BLAS) -lcsv -ljansson -lpthread -lm

# The library is src/*.c (never prints or exits); the front end is src/cli/ (options, messages,
# exit codes). The folder is the boundary: library code cannot include src/cli/cli.h.
LIB_SRC := $(wildcard src/*.c)
CMD_SRC := $(wildcard src/cli/*.c)
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
CMD_OBJ := $(CMD_SRC:src/cli/%.c=$(BUILD)/cli/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%) $(BUILD)/tests/test_fuzz_replay
TOOL_SRC := $(wildcard scripts/*.c)
TOOL_BIN := $(TOOL_SRC:scripts/%.c=$(BUILD)/tools/%)

.PHONY: fuzz all deps deps-test test test-unit test-asan valgrind demo bench clean
.DEFAULT_GOAL := all

all: $(BUILD)/mqlcal $(TEST_BIN) $(TOOL_BIN)

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test

$(BUILD)/%.o: src/%.c $(wildcard src/*.h) $(wildcard include/mqlcal/*.h) | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/cli/%.o: src/cli/%.c $(wildcard src/cli/*.h) $(wildcard include/mqlcal/*.h) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libmqlcal.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/mqlcal: $(CMD_OBJ) $(BUILD)/libmqlcal.a
	$(CC) $(LDFLAGS) $(CMD_OBJ) $(BUILD)/libmqlcal.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(BUILD)/libmqlcal.a | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libmqlcal.a $(LDLIBS) -lcmocka -o $@

# The fuzz harnesses (tests/fuzz/) replayed over their committed corpora by a plain main():
# the regression test of every past finding, on any compiler.
FUZZ_SRC := tests/fuzz/fuzz_common.c tests/fuzz/fuzz_csv.c tests/fuzz/fuzz_rules.c tests/fuzz/fuzz_model.c
$(BUILD)/tests/test_fuzz_replay: tests/fuzz/replay.c $(FUZZ_SRC) tests/fuzz/fuzz_common.h $(BUILD)/libmqlcal.a | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -DMQL_FUZZ_REPLAY tests/fuzz/replay.c $(FUZZ_SRC) $(BUILD)/libmqlcal.a $(LDLIBS) -lcmocka -o $@

$(BUILD)/tools/%: scripts/%.c $(BUILD)/libmqlcal.a | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libmqlcal.a $(LDLIBS) -o $@

$(BUILD):
	@mkdir -p $@

# Every test: unit tests (cmocka), CLI tests, then the unit tests again under ASan+UBSan.
# tests/run.sh prints the closing "N passed, N failed" line.
test: deps-test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all
	@tests/run.sh build build-asan

test-unit: all
	@tests/run.sh --unit-only build

test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all
	@tests/run.sh build-asan

valgrind: all
	@tests/run.sh --valgrind build

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: all
	@scripts/bench

# libFuzzer: the library and each harness built by clang with ASan+UBSan into build-fuzz/, then
# every harness run FUZZ_SECONDS (default 60) at once (scripts/fuzz.sh: seeds, dictionaries,
# findings in build-fuzz/findings-NAME/).
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OPT := -O1 -g -fno-omit-frame-pointer
fuzz: deps-test
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT="$(FUZZ_OPT)" \
	    SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" build-fuzz/libmqlcal.a
	@for h in csv rules model; do \
	    clang $(CPPFLAGS) -std=c11 $(FUZZ_OPT) $(WARN) -fsanitize=fuzzer $(FUZZ_SAN) \
	        tests/fuzz/fuzz_$$h.c tests/fuzz/fuzz_common.c build-fuzz/libmqlcal.a $(LDLIBS) \
	        -o build-fuzz/fuzz_$$h || exit 1; \
	done
	@scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-fuzz
