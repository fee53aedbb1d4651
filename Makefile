# kvmstub: a small VMM on /dev/kvm with a GDB stub. See README.md.
.DELETE_ON_ERROR:
.PHONY: all run test sanitize tsan fuzz bench beyond kut format format-check hdrcheck clean \
        valgrind install uninstall

CC      ?= cc
BUILD   ?= build
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wold-style-definition -Wformat=2 -Wundef \
           -Wwrite-strings -Wimplicit-fallthrough -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread -I. $(WARN) $(CFLAGS) -MMD -MP
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

# The BIOS: 16-bit code for segment F000, flattened, then embedded in the
# VMM as data (vmm/bios/blob.S .incbin's it).
BIOS_BIN := $(BUILD)/bios/bios.bin
LIB_OBJ  += $(OBJ)/vmm/bios/blob.o

GUEST_SRC := $(wildcard guest/*.S) $(wildcard tests/guests/*.S)
GUESTS    := $(patsubst %.S,$(BUILD)/%.bin,$(GUEST_SRC))
# guest/hello.S -> build/guest/hello.bin (the default guest)
HELLO     := $(BUILD)/guest/hello.bin

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst %.c,$(BUILD)/%,$(UNIT_SRC))
TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOL_BIN  := $(patsubst %.c,$(BUILD)/%,$(TOOL_SRC))
FUZZ_REPLAY := $(BUILD)/tests/fuzz/replay $(BUILD)/tests/fuzz/replay_multiboot \
	$(BUILD)/tests/fuzz/replay_snapfile

KDIR    := $(BUILD)/tests/kernels
KOBJ    := $(OBJ)/tests/kernels
KERNELS := $(KDIR)/mb32.elf $(KDIR)/mb32_aout.bin $(KDIR)/mb64.elf \
	$(KDIR)/step32.elf
KCC     ?= gcc
KCFLAGS := -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-tree-loop-distribute-patterns -mgeneral-regs-only -O2 -g \
	-Wall -Wextra -Werror -Itests/kernels -MMD -MP
KLIB    := lib/kprint lib/mbinfo
K32_OBJ := $(patsubst %,$(KOBJ)/32/%.o,mb32 $(KLIB))
K64_OBJ := $(patsubst %,$(KOBJ)/64/%.o,mb64_entry mb64 lib/idt64 lib/isr64 $(KLIB))
KLDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack --build-id=none \
	$(shell $(LD) --help 2>/dev/null | grep -q no-warn-rwx && echo --no-warn-rwx-segments)

all: $(BUILD)/vmm $(GUESTS) $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_REPLAY) $(KERNELS)

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

# Replay the fuzz seed corpora through the fuzz targets without libFuzzer.
$(BUILD)/tests/fuzz/replay: tests/fuzz/fuzz_rsp.c tests/fuzz/replay.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -I. $(LDFLAGS) -o $@ tests/fuzz/fuzz_rsp.c \
		tests/fuzz/replay.c $(LIB_OBJ) $(LDLIBS)

$(BUILD)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(ALL_CFLAGS) -I. $(LDFLAGS) -o $@ $< \
		tests/fuzz/replay.c $(LIB_OBJ) $(LDLIBS)

$(BIOS_BIN): vmm/bios/bios.S
	@mkdir -p $(dir $@) $(OBJ)/vmm/bios
	@echo "  AS      $<"
	$(Q)$(CC) -E -P -x assembler-with-cpp -o $(OBJ)/vmm/bios/bios.s $<
	$(Q)$(AS) --32 -o $(OBJ)/vmm/bios/bios16.o $(OBJ)/vmm/bios/bios.s
	$(Q)$(LD) -m elf_i386 -Ttext=0 -e 0 -o $(BUILD)/bios/bios.elf \
		$(OBJ)/vmm/bios/bios16.o
	$(Q)$(OBJCOPY) -O binary $(BUILD)/bios/bios.elf $@
	$(Q)test $$(stat -c %s $@) -eq 65536 || \
		{ echo "bios.bin is not 64 KiB"; rm -f $@; exit 1; }

$(OBJ)/vmm/bios/blob.o: vmm/bios/blob.S $(BIOS_BIN)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) -c -DBIOS_BIN='"$(BIOS_BIN)"' -o $@ $<

# Guests: 16-bit code assembled as ELF, linked at 0, flattened.
$(BUILD)/%.bin: %.S $(wildcard tests/guests/*.inc)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@mkdir -p $(dir $(OBJ)/$*)
	$(Q)$(AS) --32 -o $(OBJ)/$*.o $<
	$(Q)$(LD) -m elf_i386 -Ttext=0 -e 0 -o $(BUILD)/$*.elf $(OBJ)/$*.o
	$(Q)$(OBJCOPY) -O binary $(BUILD)/$*.elf $@

# Test kernels (Multiboot guests, not part of the VMM): freestanding C,
# own linker scripts. mb32.elf (ELF32), mb32_aout.bin (the same code as an
# a.out-kludge flat binary at 2 MiB), mb64.elf (long mode, linked as
# x86-64 and converted to elf32-i386 as kvm-unit-tests are; mb64.elf64
# keeps the 64-bit symbols for gdb). See tests/kernels/README.
$(KOBJ)/32/%.o: tests/kernels/%.c
	@mkdir -p $(dir $@)
	@echo "  KCC32   $<"
	$(Q)$(KCC) -m32 $(KCFLAGS) -c -o $@ $<
$(KOBJ)/32/%.o: tests/kernels/%.S
	@mkdir -p $(dir $@)
	@echo "  KAS32   $<"
	$(Q)$(KCC) -m32 $(KCFLAGS) -c -o $@ $<
$(KOBJ)/32/mb32_entry_aout.o: tests/kernels/mb32_entry.S
	@mkdir -p $(dir $@)
	@echo "  KAS32   $< (a.out kludge)"
	$(Q)$(KCC) -m32 $(KCFLAGS) -DMB_AOUT -c -o $@ $<
$(KOBJ)/64/%.o: tests/kernels/%.c
	@mkdir -p $(dir $@)
	@echo "  KCC64   $<"
	$(Q)$(KCC) -m64 -mno-red-zone $(KCFLAGS) -c -o $@ $<
$(KOBJ)/64/%.o: tests/kernels/%.S
	@mkdir -p $(dir $@)
	@echo "  KAS64   $<"
	$(Q)$(KCC) -m64 $(KCFLAGS) -c -o $@ $<

$(KDIR)/mb32.elf: $(KOBJ)/32/mb32_entry.o $(K32_OBJ) tests/kernels/mb32.ld
	@mkdir -p $(dir $@)
	@echo "  KLD     $@"
	$(Q)$(LD) -m elf_i386 $(KLDFLAGS) -T tests/kernels/mb32.ld -o $@ \
		$(filter %.o,$^)
$(KDIR)/step32.elf: $(KOBJ)/32/mb32_entry.o $(KOBJ)/32/step32.o \
		$(patsubst %,$(KOBJ)/32/%.o,$(KLIB)) tests/kernels/mb32.ld
	@mkdir -p $(dir $@)
	@echo "  KLD     $@"
	$(Q)$(LD) -m elf_i386 $(KLDFLAGS) -T tests/kernels/mb32.ld -o $@ \
		$(filter %.o,$^)
$(KDIR)/mb32_aout.elf: $(KOBJ)/32/mb32_entry_aout.o $(K32_OBJ) tests/kernels/mb32.ld
	@mkdir -p $(dir $@)
	@echo "  KLD     $@"
	$(Q)$(LD) -m elf_i386 $(KLDFLAGS) --defsym=KBASE=0x200000 \
		-T tests/kernels/mb32.ld -o $@ $(filter %.o,$^)
$(KDIR)/mb32_aout.bin: $(KDIR)/mb32_aout.elf
	$(Q)$(OBJCOPY) -O binary $< $@
$(KDIR)/mb64.elf64: $(K64_OBJ) tests/kernels/mb64.ld
	@mkdir -p $(dir $@)
	@echo "  KLD     $@"
	$(Q)$(LD) -m elf_x86_64 $(KLDFLAGS) -T tests/kernels/mb64.ld -o $@ \
		$(filter %.o,$^)
$(KDIR)/mb64.elf: $(KDIR)/mb64.elf64
	$(Q)$(OBJCOPY) -O elf32-i386 $< $@

run: $(BUILD)/vmm $(HELLO)
	$(BUILD)/vmm $(HELLO)

test: all
	$(Q)BUILD=$(BUILD) bash tests/run-all.sh

# Same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize:
	$(Q)$(MAKE) --no-print-directory BUILD=build/sanitize \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" test

# Same suite under ThreadSanitizer (the vCPU threads of --smp): a race
# report makes the VMM exit 66, which every suite notices.
tsan:
	$(Q)$(MAKE) --no-print-directory BUILD=build/tsan \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=thread" \
		LDFLAGS="-fsanitize=thread" test

# libFuzzer (clang only), FUZZ_TIME seconds per target: the codec and
# dispatcher (rsp), the Multiboot loader (multiboot). FUZZ_TARGETS picks.
FUZZ_TIME ?= 60
FUZZ_RUNS ?= -1
FUZZ_TARGETS ?= rsp multiboot snapfile
FUZZ_SRC_rsp := $(STUB_SRC)
FUZZ_CORPUS_rsp := tests/fuzz/corpus
FUZZ_SRC_multiboot := vmm/boot/multiboot.c vmm/boot/multiboot_load.c \
	vmm/boot/memmap.c vmm/mem.c vmm/vm.c
FUZZ_CORPUS_multiboot := tests/fuzz/corpus_multiboot
FUZZ_SRC_snapfile := $(VMM_SRC) $(STUB_SRC) $(OBJ)/vmm/bios/blob.o
FUZZ_CORPUS_snapfile := tests/fuzz/corpus_snapfile
fuzz: $(OBJ)/vmm/bios/blob.o
	@mkdir -p $(BUILD)/fuzz
	$(Q)set -e; for t in $(FUZZ_TARGETS); do \
		case $$t in \
		rsp) src="$(FUZZ_SRC_rsp)"; seeds=$(FUZZ_CORPUS_rsp) ;; \
		multiboot) src="$(FUZZ_SRC_multiboot)"; seeds=$(FUZZ_CORPUS_multiboot) ;; \
		snapfile) src="$(FUZZ_SRC_snapfile)"; seeds=$(FUZZ_CORPUS_snapfile) ;; \
		*) echo "fuzz: unknown target $$t"; exit 1 ;; \
		esac; \
		echo "  FUZZ    $$t ($(FUZZ_TIME) s)"; \
		clang -std=c11 -D_GNU_SOURCE -g -O1 -I. \
			-fsanitize=fuzzer,address,undefined \
			-o $(BUILD)/fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c $$src; \
		mkdir -p $(BUILD)/fuzz/corpus_$$t; \
		$(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) \
			-runs=$(FUZZ_RUNS) -seed=1 $(BUILD)/fuzz/corpus_$$t $$seeds; \
	done

bench: all
	$(Q)BUILD=$(BUILD) bash tests/bench/run.sh

# What gdb gets from kvmstub and from QEMU's gdbstub, side by side (README
# "Beyond QEMU"): the table to stdout and $(BUILD)/beyond.md.
beyond: all
	$(Q)BUILD=$(BUILD) bash tests/bench/beyond.sh

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

# make install [PREFIX=/usr/local] [DESTDIR=staging]: the VMM as kvmstub,
# its man page and the README; build/vmm keeps working in the tree.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/kvmstub
INSTALL ?= install
install: $(BUILD)/vmm
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 755 $(BUILD)/vmm $(DESTDIR)$(BINDIR)/kvmstub
	$(INSTALL) -m 644 doc/kvmstub.1 $(DESTDIR)$(MANDIR)/man1/kvmstub.1
	$(INSTALL) -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kvmstub $(DESTDIR)$(MANDIR)/man1/kvmstub.1 \
		$(DESTDIR)$(DOCDIR)/README.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
