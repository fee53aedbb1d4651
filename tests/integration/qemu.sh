#!/usr/bin/env bash
# QEMU's spelling: command lines written for qemu-system-x86_64 run the
# same guests with the same stdout and exit status as the native options
# (each pair is run and compared), QEMU options kvmstub lacks are refused
# by name with exit 2, kvm-unit-tests' probes get real answers, and
# `make install` produces a kvmstub that runs HELLO and a man page that
# renders without warnings. Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

TO=30
K=$BUILD/tests/kernels
MB32=$K/mb32.elf
MB64=$K/mb64.elf
BOOT=$G/qemu_boot.bin

# run_to OUT ARGS...: the VMM with stdin from /dev/null, stdout in OUT.out,
# stderr in OUT.err; sets RC.
run_to() {
    local out=$1
    shift
    timeout "$TO" "$VMM" "$@" </dev/null >"$out.out" 2>"$out.err"
    RC=$?
}

# same NAME 'NATIVE ARGS' 'QEMU ARGS': both exit alike with identical
# stdout (and the guest really ran: stdout is not empty).
same() {
    local name="same as native: $1" n q
    eval "n=($2)"
    eval "q=($3)"
    run_to "$T_TMP/n" "${n[@]}"
    local nrc=$RC
    run_to "$T_TMP/q" "${q[@]}"
    if [ "$nrc" -ne "$RC" ]; then
        t_fail "$name" "native exit $nrc, QEMU spelling $RC: $(head -c 300 "$T_TMP/q.err")"
    elif ! cmp -s "$T_TMP/n.out" "$T_TMP/q.out"; then
        t_fail "$name" "stdout differs: $(diff "$T_TMP/n.out" "$T_TMP/q.out" | head -5 | tr '\n' '|')"
    elif [ ! -s "$T_TMP/q.out" ] && [ "${4:-}" != empty ]; then
        t_fail "$name" "no output (exit $RC): $(head -c 300 "$T_TMP/q.err")"
    else
        t_pass "$name (exit $RC)"
    fi
}

# refused NAME NEEDLE ARGS...: exit 2, nothing on stdout, NEEDLE on stderr.
refused() {
    local name="refused: $1" needle=$2
    shift 2
    run_to "$T_TMP/r" "$@"
    if [ "$RC" -ne 2 ]; then
        t_fail "$name" "want exit 2, got $RC: $(head -c 300 "$T_TMP/r.err")"
    elif [ -s "$T_TMP/r.out" ]; then
        t_fail "$name" "stdout not empty"
    elif ! grep -qF -- "$needle" "$T_TMP/r.err"; then
        t_fail "$name" "stderr lacks '$needle': $(head -c 300 "$T_TMP/r.err")"
    else
        t_pass "$name"
    fi
}

# ---- same guests, same results ---------------------------------------------
echo "mod one" >"$T_TMP/mod1"
printf 'TARGET=qemu\nQEMU_ACCEL=kvm\n' >"$T_TMP/env"
if need "QEMU spelling runs guests" "$MB32" "$MB64" "$BOOT"; then
    same "a Makefile line: -kernel -append -initrd -serial stdio" \
        "--kernel $MB32 --append 'exit=3 a,b' --initrd '$T_TMP/mod1 x'" \
        "-kernel $MB32 -append 'exit=3 a,b' -initrd '$T_TMP/mod1 x' -serial stdio -display none"
    # The boot information prints mem_upper: -m's units are checked.
    same "-m 300 is 300 MiB" "--kernel $MB32 --mem 300M" "-kernel $MB32 -m 300"
    same "-m size=1G" "--kernel $MB32 --mem 1G" "-kernel $MB32 -m size=1G"
    same "-m 5000 puts RAM above 4 GiB" "--kernel $MB32 --mem 5000M" \
        "-kernel $MB32 -m 5000"
    # What x86/run passes (mb64's "timer" takes PIT interrupts).
    same "kvm-unit-tests' x86/run line" \
        "--kernel $MB64 --append 'timer exit=4' --initrd $T_TMP/env --pit-lost-ticks discard" \
        "--no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 -display none -serial stdio -machine accel=kvm -kernel $MB64 -smp 1 -append 'timer exit=4' -initrd $T_TMP/env"
    same "-cpu host/max, -enable-kvm, -accel kvm, -M pc,accel=kvm" \
        "--kernel $MB64" \
        "-kernel $MB64 -cpu max,host-phys-bits,migratable=no -enable-kvm -accel kvm -M pc,accel=kvm,kernel-irqchip=on -vga none -monitor none -nographic -cpu host"
    same "-hda" "--drive $BOOT" "-hda $BOOT"
    same "a bare argument is -hda" "--drive $BOOT" "-nographic $BOOT"
    same "-drive file=,format=raw,readonly=on" "--drive $BOOT,readonly" \
        "-drive file=$BOOT,format=raw,if=ide,readonly=on"
    cp "$BOOT" "$T_TMP/fd.img" && truncate -s 1440K "$T_TMP/fd.img"
    same "-fda" "--floppy $T_TMP/fd.img" "-fda $T_TMP/fd.img"
    same "-drive if=floppy, -boot a with a hard disk too" \
        "--floppy $T_TMP/fd.img --drive $BOOT" \
        "-drive file=$T_TMP/fd.img,if=floppy,format=raw -hda $BOOT -boot order=a,menu=off"
    same "-serial none: no COM1" "--drive $BOOT --serial none" \
        "-hda $BOOT -serial none"
    same "-nodefaults alone: no COM1, as QEMU" "--drive $BOOT --serial none" \
        "-hda $BOOT -nodefaults"
    same "-serial file:PATH" "--drive $BOOT --serial file:$T_TMP/com1.n" \
        "-hda $BOOT -serial file:$T_TMP/com1.q"
    if cmp -s "$T_TMP/com1.n" "$T_TMP/com1.q" &&
        [ "$(cat "$T_TMP/com1.q")" = com1 ]; then
        t_pass "-serial file:PATH: COM1's bytes in the file"
    else
        t_fail "-serial file:PATH: COM1's bytes in the file" \
            "got '$(head -c 50 "$T_TMP/com1.q")'"
    fi
    # Firmware: its last 16 bytes are the reset vector F000:FFF0.
    head -c 65536 /dev/zero >"$T_TMP/fw.bin"
    printf '\xb0\x21\xe6\xf4\xf4\xeb\xfd' |
        dd of="$T_TMP/fw.bin" bs=1 seek=65520 conv=notrunc status=none
    same "-bios" "--bios $T_TMP/fw.bin" "-bios $T_TMP/fw.bin" empty
    t_check "-bios: the firmware ran (exit 67)" "$([ "$RC" -eq 67 ]; echo $?)" \
        "exit $RC"
fi

# ---- gdb: -s, -S, -gdb -------------------------------------------------------
if need "-gdb without -S" "$MB32"; then
    # QEMU's default: the guest runs at once, no debugger needed.
    PORT=$(free_port)
    same "-gdb tcp::PORT without -S runs at once" "--kernel $MB32 --append exit=3" \
        "-kernel $MB32 -append exit=3 -gdb tcp::$PORT"
fi
if need "-S -gdb" "$MB32" "$RSP"; then
    name="-S -gdb tcp::PORT: stopped until gdb says continue, then W07"
    PORT=$(free_port)
    ADDR=127.0.0.1:$PORT
    VMM_BG_TO=60 vmm_bg -kernel "$MB32" -append exit=3 -S -gdb "tcp::$PORT"
    for ((i = 0; i < 500; i++)); do
        grep -q "waiting for gdb on $ADDR " "$VERR" 2>/dev/null && break
        vmm_alive || break
        sleep 0.01
    done
    if ! grep -q "waiting for gdb on $ADDR " "$VERR"; then
        t_fail "$name" "no server: $(head -c 300 "$VERR")"
    elif [ -s "$VOUT" ]; then
        t_fail "$name" "the guest ran before gdb came"
    elif rsp "$T_TMP/o" 'pkt:?' 'expect:T05*' pkt:c 'expect:W07' &&
        vmm_wait_exit 10 && [ "$VRC" -eq 7 ] && grep -q '^mb: ' "$VOUT"; then
        t_pass "$name"
    else
        t_fail "$name" "rc ${VRC:-?}; $(tr '\n' '|' <"$T_TMP/o" | head -c 200)"
    fi
    vmm_stop
    # Firmware that runs cli; hlt at the reset vector: a debugger that
    # attaches later finds it past its first instruction, in the hlt.
    head -c 65536 /dev/zero >"$T_TMP/hlt.bin"
    printf '\xfa\xf4\xeb\xfd' |
        dd of="$T_TMP/hlt.bin" bs=1 seek=65520 conv=notrunc status=none
    name="-gdb without -S: gdb attaches to the running guest (EIP past cli)"
    PORT=$(free_port)
    ADDR=127.0.0.1:$PORT
    VMM_BG_TO=60 vmm_bg -bios "$T_TMP/hlt.bin" -gdb "tcp::$PORT"
    for ((i = 0; i < 500; i++)); do
        grep -q "gdb may attach on $ADDR " "$VERR" 2>/dev/null && break
        vmm_alive || break
        sleep 0.01
    done
    # IP 0xfff2: after the hlt at 0xfff1, where the guest waits; gdb's pc
    # in 16-bit code is linear: CS base 0xffff0000 + IP.
    if rsp "$T_TMP/o" 'pkt:?' 'expect:T05*' pkt:p8 'expect:f2ffffff' pkt:k; then
        t_pass "$name"
    else
        t_fail "$name" "$(tr '\n' '|' <"$T_TMP/o" | head -c 200) $(head -c 200 "$VERR")"
    fi
    vmm_stop
    name="-s: gdb on tcp::1234 (as QEMU's)"
    if is_listening 1234; then
        t_skip "$name" "port 1234 is taken on this host"
    else
        ADDR=127.0.0.1:1234
        VMM_BG_TO=60 vmm_bg -kernel "$MB32" -append exit=3 -s -S
        for ((i = 0; i < 500; i++)); do
            grep -q "waiting for gdb on $ADDR " "$VERR" 2>/dev/null && break
            vmm_alive || break
            sleep 0.01
        done
        if rsp "$T_TMP/o" 'pkt:?' 'expect:T05*' pkt:c 'expect:W07'; then
            t_pass "$name"
        elif grep -q "in use" "$VERR"; then
            t_skip "$name" "port 1234 was taken meanwhile"
        else
            t_fail "$name" "$(head -c 300 "$VERR")"
        fi
        vmm_stop
    fi
fi

# ---- refused by name -----------------------------------------------------
refused "-netdev" "kvmstub does not implement -netdev" -kernel "$MB32" -netdev user,id=n
refused "--netdev (double dash)" "kvmstub does not implement -netdev" -kernel "$MB32" --netdev user
refused "-smp 255 (the max is 254)" "the max SMP CPUs is 254" -kernel "$MB32" -smp 255
refused "-smp cpus=1,books=2" "kvmstub does not implement -smp" -kernel "$MB32" -smp cpus=1,books=2
refused "-cpu qemu64,+x2apic" "kvmstub does not implement -cpu qemu64,+x2apic" -kernel "$MB32" -cpu qemu64,+x2apic
refused "-cpu max,+avx9000 (no such flag)" "CPUID edits" -kernel "$MB32" -cpu max,+avx9000
# +F/-F claim what the host's KVM offers (CPUID is not edited): of
# +x2apic and -x2apic exactly one runs, the other is refused saying why.
if need "-cpu max,+x2apic / -x2apic" "$MB32"; then
    run_to "$T_TMP/c1" -kernel "$MB32" -append exit=3 -cpu max,+x2apic
    rc1=$RC
    run_to "$T_TMP/c2" -kernel "$MB32" -append exit=3 -cpu max,-x2apic
    rc2=$RC
    if { [ "$rc1" -eq 7 ] && [ "$rc2" -eq 2 ] && grep -q 'offers x2apic' "$T_TMP/c2.err"; } ||
        { [ "$rc2" -eq 7 ] && [ "$rc1" -eq 2 ] && grep -q 'lacks x2apic' "$T_TMP/c1.err"; }; then
        t_pass "-cpu max,+x2apic / -x2apic: the one the host's KVM matches runs"
    else
        t_fail "-cpu max,+x2apic / -x2apic: the one the host's KVM matches runs" \
            "exits $rc1 $rc2: $(cat "$T_TMP/c1.err" "$T_TMP/c2.err" | head -c 300)"
    fi
fi
refused "-M q35" "the only machine is pc" -kernel "$MB32" -M q35
refused "-machine accel=tcg" "KVM is the only accelerator" -kernel "$MB32" -machine accel=tcg
refused "-accel tcg" "KVM is the only accelerator" -kernel "$MB32" -accel tcg
refused "-machine pit=off" "kvmstub does not implement -machine pit=off" -kernel "$MB32" -machine pit=off
refused "-device e1000" "kvmstub does not implement -device e1000" -kernel "$MB32" -device e1000
refused "-device isa-debug-exit at QEMU's default 0x501" "iobase=0xf4" -kernel "$MB32" -device isa-debug-exit
refused "-serial mon:stdio" "kvmstub does not implement -serial mon:stdio" -kernel "$MB32" -serial mon:stdio
refused "a second -serial" "one serial port" -kernel "$MB32" -serial stdio -serial stdio
refused "-display gtk" "kvmstub does not implement -display gtk" -kernel "$MB32" -display gtk
refused "-chardev" "kvmstub does not implement -chardev" -kernel "$MB32" -chardev stdio,id=c
refused "-L (one letter)" "kvmstub does not implement -L" -kernel "$MB32" -L .
refused "-global other" "kvmstub does not implement -global" -kernel "$MB32" -global foo.bar=1
refused "-drive format=qcow2" "only format=raw" -drive file="$BOOT",format=qcow2
refused "-gdb stdio" "kvmstub does not implement -gdb stdio" -kernel "$MB32" -gdb stdio
refused "-S without a debugger" "no monitor" -kernel "$MB32" -S
refused "QEMU's boot order with both disks" "boots the floppy first" -fda "$BOOT" -hda "$BOOT"
refused "-m with a bad size" "invalid -m" -kernel "$MB32" -m lots
refused "a QEMU option without its value" "needs a value" -kernel

# The native options the QEMU spellings became: their own usage errors.
refused "native --serial bogus" "want stdio, none or file:PATH" --kernel "$MB32" --serial bogus
refused "native --serial on bare" "needs the pc machine" --serial none "$HELLO"
refused "native --gdb-nowait without --gdb" "needs --gdb" --gdb-nowait --kernel "$MB32"
refused "native --pit-lost-ticks on bare" "needs the pc machine" --pit-lost-ticks discard "$HELLO"
refused "native --pit-lost-ticks bogus" "want delay or discard" --kernel "$MB32" --pit-lost-ticks x
refused "native --serial file: unwritable" "--serial file:/nonexistent/dir/x" \
    --kernel "$MB32" --serial file:/nonexistent/dir/x

# ---- kvm-unit-tests' probes ------------------------------------------------
"$VMM" -device '?' >"$T_TMP/dev" 2>&1
t_check "-device '?': pc-testdev listed as x86/run greps it" \
    "$(grep -qF '"pc-testdev"' "$T_TMP/dev"; echo $?)" "$(head -3 "$T_TMP/dev")"
t_check "-device help: no pci-testdev (it is not there)" \
    "$(! grep -qF 'pci-testdev' "$T_TMP/dev"; echo $?)"
"$VMM" -machine help >"$T_TMP/mach" 2>&1
t_check "-machine help lists pc" "$(grep -q '^pc ' "$T_TMP/mach"; echo $?)"
ln -s "$(realpath "$VMM")" "$T_TMP/qemu-system-x86_64"
"$T_TMP/qemu-system-x86_64" --help >"$T_TMP/help" 2>&1
t_check "a qemu-system-x86_64 symlink: --help says QEMU (search_qemu_binary)" \
    "$(grep -q QEMU "$T_TMP/help"; echo $?)"
"$T_TMP/qemu-system-x86_64" --version >"$T_TMP/ver" 2>&1
t_check "the symlink's --version says it is kvmstub" \
    "$(grep -qx 'qemu-system-x86_64 (kvmstub) [0-9.]*' "$T_TMP/ver"; echo $?)" \
    "$(cat "$T_TMP/ver")"
# run_tests.sh's premature-failure probe: the kernel named _NO_FILE_4Uhere_
# must fail to load, on a line naming it, with QEMU's wording.
run_to "$T_TMP/p" --no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard \
    -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 \
    -display none -serial stdio -machine accel=kvm -kernel _NO_FILE_4Uhere_ -smp 1
t_check "kvm-unit-tests' probe: '_NO_FILE_4Uhere_' could not load kernel, exit 2" \
    "$(grep _NO_FILE_4Uhere_ "$T_TMP/p.err" | grep -q 'could not load kernel' &&
        [ "$RC" -eq 2 ]; echo $?)" "$(cat "$T_TMP/p.err")"
run_to "$T_TMP/p" -kernel _NO_FILE_4Uhere_ -smp 12345
t_check "kvm-unit-tests' --probe-maxsmp reads 254 from the last word" \
    "$(grep 'SMP CPUs' "$T_TMP/p.err" | grep -q ' 254$'; echo $?)" "$(cat "$T_TMP/p.err")"

# kvm-unit-tests' own runner, when a built checkout is named (KUT=DIR).
name="kvm-unit-tests run_tests.sh setjmp under QEMU=kvmstub"
if [ -z "${KUT:-}" ] || [ ! -x "${KUT:-}/run_tests.sh" ] || [ ! -f "$KUT/x86/setjmp.flat" ]; then
    t_skip "$name" "set KUT to a built kvm-unit-tests checkout"
elif [ -n "$T_NEED_WHY" ]; then
    t_skip "$name" "$T_NEED_WHY"
else
    out=$(cd "$KUT" && QEMU=$T_TMP/qemu-system-x86_64 timeout 300 ./run_tests.sh setjmp 2>&1)
    if grep -q 'PASS.* setjmp' <<<"$out"; then
        t_pass "$name"
    else
        t_fail "$name" "$(tr '\n' '|' <<<"$out" | head -c 300)"
    fi
fi

# ---- help, man page, install -----------------------------------------------
"$VMM" --help >"$T_TMP/help" 2>&1
t_check "--help fits 80 columns" "$(awk 'length($0) > 80 { bad = 1 } END { exit bad }' "$T_TMP/help"; echo $?)" \
    "$(awk 'length($0) > 80' "$T_TMP/help" | head -2)"
for g in Machine: Boot: Console: Debugging: "QEMU spellings"; do
    t_check "--help has the group '$g'" "$(grep -q "^$g" "$T_TMP/help"; echo $?)"
done
# Every native long option in --help is in the man page.
missing=""
while read -r o; do
    grep -qF -- "${o//-/\\-}" doc/kvmstub.1 || missing="$missing $o"
done < <(grep -o -- '--[a-z][a-z-]*' "$T_TMP/help" | sort -u)
t_check "the man page has every option --help lists" "$([ -z "$missing" ]; echo $?)" "missing:$missing"
if command -v groff >/dev/null; then
    groff -man -Tutf8 -ww doc/kvmstub.1 2>"$T_TMP/man.err" |
        sed 's/.\x08//g; s/\x1b\[[0-9;]*m//g' >"$T_TMP/man.txt"
    t_check "groff -man -ww: the man page renders without warnings" \
        "$([ ! -s "$T_TMP/man.err" ] && grep -q 'QEMU SPELLINGS' "$T_TMP/man.txt"; echo $?)" \
        "$(head -3 "$T_TMP/man.err")"
else
    t_skip "groff -man -ww renders the man page" "no groff"
fi
if command -v man >/dev/null; then
    MANWIDTH=80 man -l doc/kvmstub.1 >"$T_TMP/man2.txt" 2>"$T_TMP/man2.err"
    t_check "man -l renders it (NAME ... SEE ALSO, no warnings)" \
        "$([ ! -s "$T_TMP/man2.err" ] && grep -q '^NAME' "$T_TMP/man2.txt" &&
            grep -q '^SEE ALSO' "$T_TMP/man2.txt"; echo $?)" "$(head -3 "$T_TMP/man2.err")"
else
    t_skip "man -l renders the man page" "no man"
fi

D=$T_TMP/dest
make -s --no-print-directory install BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr >"$T_TMP/inst" 2>&1
ok=0
for f in usr/bin/kvmstub usr/share/man/man1/kvmstub.1 usr/share/doc/kvmstub/README.md; do
    [ -f "$D/$f" ] || ok=1
done
t_check "make install DESTDIR= PREFIX=/usr: binary, man page, README" "$ok" "$(find "$D" | head)"
if need "the installed kvmstub runs HELLO" "$D/usr/bin/kvmstub"; then
    timeout "$TO" "$D/usr/bin/kvmstub" --hlt-sleep 0 --max-halts 2 "$HELLO" >"$T_TMP/h.out" 2>&1
    rc=$?
    t_check "the installed kvmstub runs HELLO" \
        "$([ "$rc" -eq 0 ] && [ "$(cat "$T_TMP/h.out")" = "$(printf 'Hello\nHello')" ]; echo $?)" \
        "exit $rc: $(head -c 100 "$T_TMP/h.out")"
fi
"$D/usr/bin/kvmstub" --version >"$T_TMP/v" 2>&1
t_check "the installed binary names itself kvmstub" "$(grep -qx 'kvmstub [0-9.]*' "$T_TMP/v"; echo $?)" "$(cat "$T_TMP/v")"
make -s --no-print-directory uninstall BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr >"$T_TMP/inst" 2>&1
t_check "make uninstall removes them" \
    "$([ -z "$(find "$D" -type f)" ] && [ ! -d "$D/usr/share/doc/kvmstub" ]; echo $?)" \
    "$(find "$D" -type f)"

t_done
