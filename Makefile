# kvmstub: a small VMM on /dev/kvm with a GDB stub. See README.md.
.DELETE_ON_ERROR:
.PHONY: all run test sanitize fuzz bench kut format format-check hdrcheck clean valgrind

CC      ?= cc
BUILD   ?= build
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wold-style-definition -Wformat=2 -Wundef \
           -Wwrite-strings -Wimplicit-fallthrough -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -I. $(WARN) $(CFLAGS) -MMD -MP
LDFLAGS ?=
LDLIBS  ?=
AS      ?= as
LD      ?= ld
OBJCOPY ?= objcopy

ifeq ($(V),1)
Q :=
else
Q := @
endif

VMM_SRC  := $(filter-out vmm/main.c,$(wildcard vmm/*.c vmm/hw/*.c vmm/boot/*.c))
STUB_SRC := $(wildcard gdbstub/*.c)
OBJ      := $(BUILD)/obj
LIB_OBJ  := $(patsubst %.c,$(OBJ)/%.o,$(VMM_SRC) $(STUB_SRC))
MAIN_OBJ := $(OBJ)/vmm/main.o

GUEST_SRC := $(wildcard guest/*.S) $(wildcard tests/guests/*.S)
GUESTS    := $(patsubst %.S,$(BUILD)/%.bin,$(GUEST_SRC))
# guest/hello.S -> build/guest/hello.bin (the default guest)
HELLO     := $(BUILD)/guest/hello.bin

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRC))
TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOL_BIN  := $(patsubst %.c,$(BUILD)/%,$(TOOL_SRC))
FUZZ_REPLAY := $(BUILD)/tests/fuzz/replay

all: $(BUILD)/vmm $(GUESTS) $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_REPLAY)

$(BUILD)/vmm: $(MAIN_OBJ) $(LIB_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJ) tests/test.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -I. $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -I. $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

# Replays the fuzz seed corpus through the fuzz target without libFuzzer.
$(FUZZ_REPLAY): tests/fuzz/fuzz_rsp.c tests/fuzz/replay.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -I. $(LDFLAGS) -o $@ tests/fuzz/fuzz_rsp.c \
		tests/fuzz/replay.c $(LIB_OBJ) $(LDLIBS)

# Guests: 16-bit code assembled as ELF, linked at 0, flattened.
$(BUILD)/%.bin: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@mkdir -p $(dir $(OBJ)/$*)
	$(Q)$(AS) --32 -o $(OBJ)/$*.o $<
	$(Q)$(LD) -m elf_i386 -Ttext=0 -e 0 -o $(BUILD)/$*.elf $(OBJ)/$*.o
	$(Q)$(OBJCOPY) -O binary $(BUILD)/$*.elf $@

run: $(BUILD)/vmm $(HELLO)
	$(BUILD)/vmm $(HELLO)

test: all
	$(Q)BUILD=$(BUILD) bash tests/run-all.sh

# Same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize:
	$(Q)$(MAKE) --no-print-directory BUILD=build/sanitize \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" test

# libFuzzer over the codec and dispatcher (clang only). FUZZ_TIME seconds.
FUZZ_TIME ?= 60
FUZZ_RUNS ?= -1
fuzz:
	@mkdir -p $(BUILD)/fuzz
	$(Q)clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
		-o $(BUILD)/fuzz/fuzz_rsp tests/fuzz/fuzz_rsp.c $(STUB_SRC)
	$(Q)mkdir -p $(BUILD)/fuzz/corpus
	$(Q)$(BUILD)/fuzz/fuzz_rsp -max_total_time=$(FUZZ_TIME) -runs=$(FUZZ_RUNS) \
		-seed=1 $(BUILD)/fuzz/corpus tests/fuzz/corpus

bench: all
	$(Q)BUILD=$(BUILD) bash tests/bench/run.sh

# kvm-unit-tests under kvmstub and QEMU side by side: make kut KUT=DIR
# (a built checkout; without it the target says "skipped").
kut: $(BUILD)/vmm
	$(Q)BUILD=$(BUILD) KUT=$(KUT) bash tests/kut/run.sh

valgrind: all
	$(Q)BUILD=$(BUILD) bash tests/valgrind.sh

FORMAT_FILES = $(shell git ls-files '*.[ch]')
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@if command -v clang-format >/dev/null; then \
		clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format: ok"; \
	else echo "format-check: skipped (no clang-format)"; fi

hdrcheck:
	$(Q)for h in $(wildcard vmm/*.h vmm/hw/*.h vmm/boot/*.h gdbstub/*.h tests/*.h); do \
		echo "#include \"$$h\"" | $(CC) $(ALL_CFLAGS) -I. -x c -c -o /dev/null - || exit 1; \
	done; echo "hdrcheck: ok"

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
