#!/usr/bin/env bash
# The pc machine (--machine pc, or --kernel): its devices answer at their
# ports, interrupts arrive, devices end the VMM with the status they ask
# for, gdb works on it, and bad option combinations are usage errors.
# Guests are the tiny tests/guests/pc_*.S. Run from the repository root
# after `make`. Every VMM run is bounded by `timeout`.
# shellcheck disable=SC2016 # literal '$' in raw packets
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

TO=20
PC=(--machine pc)

# run_vmm TIMEOUT ARGS...: stdout in $T_TMP/out, stderr in $T_TMP/err,
# stdin from /dev/null unless IN names a file; sets RC.
run_vmm() {
    local to=$1
    shift
    timeout "$to" "$VMM" "$@" <"${IN:-/dev/null}" >"$T_TMP/out" 2>"$T_TMP/err"
    RC=$?
}

why() {
    echo "exit $RC, stdout '$(head -c 200 "$T_TMP/out" | tr '\n' '|')'," \
        "stderr: $(head -c 300 "$T_TMP/err" | tr '\n' '|')"
}

# expect_out NAME STATUS BYTES: the last run exited STATUS and printed
# exactly BYTES (a printf format).
expect_out() {
    printf "$3" >"$T_TMP/want"
    if [ "$RC" -ne "$2" ]; then
        t_fail "$1" "want exit $2; $(why)"
    elif ! cmp -s "$T_TMP/out" "$T_TMP/want"; then
        t_fail "$1" "want stdout '$3'; $(why)"
    else
        t_pass "$1"
    fi
}

# usage_err NAME NEEDLE ARGS...: exit 2, nothing on stdout, "vmm: " and
# NEEDLE (case-insensitive) on stderr.
usage_err() {
    local name="usage: $1 exits 2" needle=$2
    shift 2
    run_vmm $TO "$@"
    if [ "$RC" -ne 2 ]; then
        t_fail "$name" "want exit 2; $(why)"
    elif [ -s "$T_TMP/out" ]; then
        t_fail "$name" "stdout not empty; $(why)"
    elif ! head -n 1 "$T_TMP/err" | grep -q '^vmm: '; then
        t_fail "$name" "stderr does not start with 'vmm: '; $(why)"
    elif [ -n "$needle" ] && ! grep -qiF -- "$needle" "$T_TMP/err"; then
        t_fail "$name" "stderr does not mention '$needle'; $(why)"
    else
        t_pass "$name"
    fi
}

# patch FILE OFFSET HEXBYTES...: overwrite bytes of a copy of a guest.
patch() {
    local f=$1 off=$2 b
    shift 2
    for b in "$@"; do
        printf "\\x$b" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
        off=$((off + 1))
    done
}

# --- isa-debug-exit and the 0xe9 console ------------------------------------

EXIT_G=$G/pc_exit.bin
name="pc: 0xe9 reads back 0xe9 and prints; 0xf4 <- 0x10 exits 33"
if need "$name" "$EXIT_G"; then
    run_vmm $TO "${PC[@]}" "$EXIT_G"
    expect_out "$name" 33 'e9 ok\n'
fi

# value (4 bytes, little-endian hex) size -> status
while read -r v0 v1 v2 v3 size want; do
    name="pc: isa-debug-exit out$size 0x$v3$v2$v1$v0 exits $want"
    need "$name" "$EXIT_G" || continue
    cp "$EXIT_G" "$T_TMP/exit.bin"
    patch "$T_TMP/exit.bin" 256 "$v0" "$v1" "$v2" "$v3" "0$size"
    run_vmm $TO "${PC[@]}" "$T_TMP/exit.bin"
    expect_out "$name" "$want" 'e9 ok\n'
done <<'TABLE'
00 00 00 00 1 1
01 00 00 00 1 3
7f 00 00 00 1 255
80 00 00 00 1 1
ff 00 00 00 1 255
34 12 00 00 2 105
00 01 00 00 2 1
3f 00 00 80 4 127
TABLE

name="bare: 0xf4 ends the VMM with status 33 too; 0xe9 is not there"
if need "$name" "$EXIT_G"; then
    run_vmm $TO --machine bare "$EXIT_G"
    expect_out "$name" 33 ''
fi

# --- interrupts ------------------------------------------------------------

name="pc: PIT IRQ0 through the PIC wakes hlt in real mode (5 ticks)"
if need "$name" "$G/pc_pit.bin"; then
    run_vmm $TO "${PC[@]}" "$G/pc_pit.bin"
    expect_out "$name" 33 'pit ok\n'
fi

# --- COM1 and stdin ------------------------------------------------------------

UART_G=$G/pc_uart.bin
name="pc: COM1 registers answer; stdin bytes reach the guest's IRQ 4 handler"
if need "$name" "$UART_G"; then
    printf 'abc\n' >"$T_TMP/in"
    IN=$T_TMP/in run_vmm $TO "${PC[@]}" "$UART_G"
    expect_out "$name" 33 'uart ok\nabc\n'
fi

name="pc: stdin through a pipe, 300 bytes: none lost (FIFO refilled)"
if need "$name" "$UART_G"; then
    head -c 300 /dev/zero | tr '\0' A >"$T_TMP/want_in"
    echo >>"$T_TMP/want_in"
    timeout $TO "$VMM" "${PC[@]}" "$UART_G" <"$T_TMP/want_in" 2>"$T_TMP/err" |
        cat >"$T_TMP/out"
    RC=${PIPESTATUS[0]}
    { printf 'uart ok\n'; cat "$T_TMP/want_in"; } >"$T_TMP/want"
    if [ "$RC" -eq 33 ] && cmp -s "$T_TMP/out" "$T_TMP/want"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

# The bytes come while the guest waits in hlt: only the input signal can
# wake the run loop (no timeout in the assertion: the delay only orders).
name="pc: stdin that arrives while the guest waits in hlt wakes it"
if need "$name" "$UART_G"; then
    { sleep 0.5; printf 'late\n'; } | timeout $TO "$VMM" "${PC[@]}" "$UART_G" \
        >"$T_TMP/out" 2>"$T_TMP/err"
    RC=${PIPESTATUS[1]}
    expect_out "$name" 33 'uart ok\nlate\n'
fi

name="pc: stdin at end of file: the guest just waits (SIGTERM ends it)"
if need "$name" "$UART_G"; then
    vmm_bg "${PC[@]}" "$UART_G" </dev/null
    if wait_file_line "$VOUT" 'uart ok' 1000; then
        vmm_alive
        alive=$?
        vmm_stop
        t_check "$name" $((alive + VRC)) "alive $alive, exit $VRC"
    else
        vmm_stop
        t_fail "$name" "never printed uart ok"
    fi
fi

name="pc: the shell's stdin keeps its flags (no O_NONBLOCK left on a pipe)"
if need "$name" "$UART_G"; then
    # The reader after the VMM must still block on the same pipe.
    out=$( { printf 'q\n'; sleep 0.3; printf 'rest\n'; } | {
        timeout $TO "$VMM" "${PC[@]}" "$UART_G" >/dev/null 2>&1
        flags=$(awk '/^flags/ { print $2 }' /proc/self/fdinfo/0)
        echo "$flags"
    })
    if [ -n "$out" ] && [ $((8#$out & 04000)) -eq 0 ]; then
        t_pass "$name"
    else
        t_fail "$name" "stdin flags after the VMM: '$out'"
    fi
fi

name="pc: UART output to a pipe whose reader leaves: exit 0, quiet, in order"
if need "$name" "$G/pc_uart_flood.bin"; then
    timeout $TO "$VMM" "${PC[@]}" "$G/pc_uart_flood.bin" </dev/null \
        2>"$T_TMP/err" | head -c 12 >"$T_TMP/out"
    RC=${PIPESTATUS[0]}
    if [ "$RC" -eq 0 ] && [ "$(cat "$T_TMP/out")" = "$(printf 'UART\nUART\nUA')" ] &&
        [ ! -s "$T_TMP/err" ]; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

name="pc: UART output to a stalled pipe: SIGTERM still ends it, exit 0"
if need "$name" "$G/pc_uart_flood.bin"; then
    rm -f "$T_TMP/fifo"
    mkfifo "$T_TMP/fifo"
    exec 7<>"$T_TMP/fifo" # a reader that never reads
    VMM_STDOUT=$T_TMP/fifo vmm_bg "${PC[@]}" "$G/pc_uart_flood.bin" </dev/null
    # The guest never waits, so the VMM sleeps only once the pipe is full
    # and it waits for room (poll); then signal it.
    full=1
    for ((i = 0; i < 500; i++)); do
        st=$(sed -E 's/.*\) ([A-Z]).*/\1/' "/proc/$VPID/stat" 2>/dev/null)
        if [ "$st" = S ]; then
            full=0
            break
        fi
        sleep 0.01
    done
    vmm_stop
    exec 7>&-
    t_check "$name" $((full + VRC)) "pipe full: $((1 - full)), exit $VRC"
    unset VMM_STDOUT
fi

# --- firmware-facing devices and resets --------------------------------------

name="pc: fw_cfg signature, PCI host bridge, ACPI RSDP, pc-testdev, PM timer"
if need "$name" "$G/pc_devs.bin"; then
    run_vmm $TO "${PC[@]}" "$G/pc_devs.bin"
    expect_out "$name" 33 \
        'fw_cfg ok\npci ok\nrsdp ok\ntestdev ok\npmtimer ok\n'
fi

# port(hex, little-endian bytes) value -> status; 255 means "no reset"
while read -r p0 p1 v want what; do
    name="pc: reset via 0x$p1$p0 <- 0x$v: $what"
    need "$name" "$G/pc_reset.bin" || continue
    cp "$G/pc_reset.bin" "$T_TMP/reset.bin"
    patch "$T_TMP/reset.bin" 256 "$v" 00 "$p0" "$p1"
    run_vmm $TO "${PC[@]}" "$T_TMP/reset.bin"
    if [ "$want" = 0 ]; then
        expect_out "$name" 0 ''
    else
        expect_out "$name" "$want" 'alive\n'
    fi
done <<'TABLE'
f9 0c 06 0 exit 0 (hard reset)
f9 0c 04 0 exit 0 (soft reset)
f9 0c 02 255 no reset without RST_CPU
92 00 01 0 exit 0 (port 92 fast reset)
92 00 02 255 no reset for the A20 bit alone
64 00 fe 0 exit 0 (8042 pulse reset)
64 00 aa 255 no reset for a self test
05 b0 20 0 exit 0 (ACPI S5 power-off, PM1a_CNT SLP_EN)
05 b0 04 255 no power-off without SLP_EN
TABLE

# --- ACPI S3 -----------------------------------------------------------------

S3_G=$G/pc_s3.bin
name="pc: ACPI S3 sleeps until the RTC alarm, resumes at the waking vector"
if need "$name" "$S3_G"; then
    run_vmm $TO "${PC[@]}" "$S3_G"
    expect_out "$name" 33 's3 resumed\n'
fi

name="pc: S3 with no waking vector ends the VMM with 0 and says why"
if need "$name" "$S3_G"; then
    cp "$S3_G" "$T_TMP/s3nv.bin"
    patch "$T_TMP/s3nv.bin" 768 00
    run_vmm $TO "${PC[@]}" "$T_TMP/s3nv.bin"
    if [ "$RC" -eq 0 ] && [ ! -s "$T_TMP/out" ] &&
        grep -q 'waking vector' "$T_TMP/err"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

name="pc: S3 with no wake source sleeps; SIGTERM still ends it, exit 0"
if need "$name" "$G/pc_reset.bin"; then
    cp "$G/pc_reset.bin" "$T_TMP/s3.bin"
    patch "$T_TMP/s3.bin" 256 24 00 05 b0
    vmm_bg "${PC[@]}" "$T_TMP/s3.bin" </dev/null
    # Had it not slept it would have printed "alive" and exited 255.
    sleep 0.5
    vmm_alive
    alive=$?
    vmm_stop
    if [ "$alive" -eq 0 ] && [ "$VRC" -eq 0 ] && [ ! -s "$VOUT" ]; then
        t_pass "$name"
    else
        t_fail "$name" "alive $alive, exit $VRC, stdout $(head -c 50 "$VOUT")"
    fi
fi

name="pc --gdb: a guest that sleeps in S3 and resumes ends with W21"
if need "$name" "$RSP" "$S3_G"; then
    if vmm_gdb_start "${PC[@]}" "$S3_G"; then
        rsp "$T_TMP/o" 'pkt:?' 'expect:T05*' timeout:15000 pkt:c 'expect:W21'
        st=$?
        vmm_wait_exit 5
        t_check "$name" "$st" "$(rsp_why)"
    else
        t_fail "$name" "the VMM never listened; $(rsp_why)"
    fi
    vmm_stop
fi

# --- RTC ---------------------------------------------------------------------

name="pc: CMOS time is the host's UTC time (within 2 minutes of date -u)"
if need "$name" "$G/pc_cmos.bin"; then
    run_vmm $TO "${PC[@]}" "$G/pc_cmos.bin"
    now=$(date -u +%s)
    got=$(head -n 1 "$T_TMP/out")
    t=$(date -u -d "$got" +%s 2>/dev/null || echo 0)
    d=$((now - t))
    if [ "$RC" -eq 33 ] && [ "${d#-}" -le 120 ]; then
        t_pass "$name ($got)"
    else
        t_fail "$name" "guest says '$got', host $(date -u '+%F %T'); $(why)"
    fi
fi

name="pc: RTC periodic interrupt (IRQ 8, slave PIC) wakes hlt 5 times"
if need "$name" "$G/pc_cmos.bin"; then
    if [ "$RC" -eq 33 ] && [ "$(sed -n 2p "$T_TMP/out")" = "rtc irq ok" ]; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

# --- Multiboot (--kernel) --------------------------------------------------

MB_G=$G/pc_mbkernel.bin
name="--kernel: a Multiboot kernel gets EAX 0x2BADB002 and the command line"
if need "$name" "$MB_G"; then
    run_vmm $TO --kernel "$MB_G" --append "hello world"
    expect_out "$name" 33 "mb ok\n$MB_G hello world\n"
fi

name="--kernel --mem 4G --initrd: modules load, the kernel still runs"
if need "$name" "$MB_G"; then
    echo module >"$T_TMP/mod"
    run_vmm $TO --kernel "$MB_G" --mem 4G --initrd "$T_TMP/mod a,$T_TMP/mod"
    expect_out "$name" 33 "mb ok\n$MB_G \n"
fi

name="--kernel --gdb: stopped at the Multiboot entry in protected mode"
if need "$name" "$RSP" "$MB_G"; then
    if vmm_gdb_start --kernel "$MB_G"; then
        # EIP (register 8) is the entry at 1 MiB + 0x24; EAX the magic.
        rsp "$T_TMP/o" 'pkt:?' 'expect:T05*08:24001000*' pkt:p0 \
            'expect:02b0ad2b*' pkt:c 'expect:W21'
        st=$?
        vmm_wait_exit 5
        t_check "$name" "$st" "$(rsp_why)"
    else
        t_fail "$name" "the VMM never listened; $(rsp_why)"
    fi
    vmm_stop
fi

name="usage: --kernel errors"
if need "$name" "$MB_G"; then
    usage_err "--kernel missing file" "no such file" --kernel "$T_TMP/nope"
    usage_err "--kernel without a Multiboot header" "Multiboot header" \
        --kernel "$G/pc_exit.bin"
    usage_err "--initrd missing module" "$T_TMP/nomod" --kernel "$MB_G" \
        --initrd "$T_TMP/nomod"
fi

# --- hostile port I/O (issue 10 part 5) --------------------------------------

FUZZ_G=$G/pc_fuzz.bin
name="pc fuzz: every port read, 3000 random device writes: VMM survives (33)"
if need "$name" "$FUZZ_G"; then
    run_vmm 120 "${PC[@]}" "$FUZZ_G"
    if [ "$RC" -eq 33 ]; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

name="pc fuzz under gdb: after it the VMM still answers gdb"
if need "$name" "$FUZZ_G" && command -v gdb >/dev/null; then
    done_at=$(nm "$BUILD/tests/guests/pc_fuzz.elf" | awk '$3 == "done" { print $1 }')
    if vmm_gdb_start "${PC[@]}" "$FUZZ_G"; then
        GDB_TO=120 gdb_batch "$ADDR" -ex "hbreak *0x$done_at" -ex c \
            -ex 'p/x $pc' -ex 'x/2xb 0' -ex 'monitor stats' -ex stepi \
            -ex 'p/x $pc' -ex delete -ex c >"$T_TMP/gdb.out" 2>&1
        vmm_wait_exit 10
        pc1=$(grep -E '^\$1 = ' "$T_TMP/gdb.out")
        want=$(printf '$1 = 0x%x' $((16#$done_at)))
        ok=1
        [ "$pc1" = "$want" ] && ok=0
        if [ "$ok" -eq 0 ] && grep -q '^exits: ' "$T_TMP/gdb.out" &&
            grep -q 'exited with code 041' "$T_TMP/gdb.out"; then
            t_pass "$name"
        else
            t_fail "$name" "$(tr '\n' '|' <"$T_TMP/gdb.out" | tail -c 500)"
        fi
    else
        t_fail "$name" "the VMM never listened; $(rsp_why)"
    fi
    vmm_stop
fi

# --- RAM -------------------------------------------------------------------

name="pc: --mem 5G maps RAM below 3 GiB and at 4 GiB (gdb reads both)"
if need "$name" "$RSP" "$EXIT_G"; then
    if vmm_gdb_start "${PC[@]}" --mem 5G "$EXIT_G"; then
        rsp "$T_TMP/o" pkt:mbffffffc,4 'expect:00000000' \
            pkt:mc0000000,1 'expect:E*' pkt:mffffffff,1 'expect:E*' \
            pkt:m100000000,4 'expect:00000000' \
            pkt:M17ffffffe,2:abcd 'expect:OK' \
            pkt:m17ffffffe,2 'expect:abcd' \
            pkt:m17fffffff,2 'expect:E*' pkt:m180000000,1 'expect:E*' send:k
        st=$?
        vmm_wait_exit 5
        t_check "$name" "$st" "$(rsp_why)"
    else
        t_fail "$name" "the VMM never listened; $(rsp_why)"
    fi
    vmm_stop
fi

# --- gdb on the pc machine ---------------------------------------------------

name="pc --gdb: continue to isa-debug-exit gives W21, VMM exit 33"
if need "$name" "$RSP" "$EXIT_G"; then
    if vmm_gdb_start "${PC[@]}" "$EXIT_G"; then
        rsp "$T_TMP/o" 'pkt:?' 'expect:T05*' pkt:c 'expect:W21'
        st=$?
        vmm_wait_exit 5
        if [ "$st" -eq 0 ] && [ "$VRC" != 33 ]; then
            st=1
        fi
        t_check "$name" "$st" "vmm exit ${VRC:-?}; $(rsp_why)"
    else
        t_fail "$name" "the VMM never listened; $(rsp_why)"
    fi
    vmm_stop
fi

# KVM completes a single-stepped HLT without halting (the step's debug
# exit comes first), also here with the in-kernel irqchip; a continued one
# waits for an interrupt that never comes, until the debugger's 0x03.
name="pc --gdb: stepi over hlt with IF=0 returns; continue waits; 0x03 stops"
if need "$name" "$RSP" "$G/pc_cli_hlt.bin"; then
    if vmm_gdb_start "${PC[@]}" "$G/pc_cli_hlt.bin"; then
        # hbreak at the hlt (0x11), then step it, then continue.
        rsp "$T_TMP/o" 'pkt:Z1,11,1' 'expect:OK' pkt:c 'expect:T05*' \
            'pkt:z1,11,1' 'expect:OK' pkt:s 'expect:T05*08:12000000*' \
            send:c sleep:300 intr reply 'expect:T02*' 'pkt:?' 'expect:T02*' \
            send:k
        st=$?
        t_check "$name" "$st" "$(rsp_why)"
    else
        t_fail "$name" "the VMM never listened; $(rsp_why)"
    fi
    vmm_stop
fi

name="pc --gdb: gdb stepi over hlt with interrupts on comes back"
if need "$name" "$G/pc_pit.bin" && command -v gdb >/dev/null; then
    if vmm_gdb_start "${PC[@]}" "$G/pc_pit.bin"; then
        hlt_at=$(objdump -D -b binary -m i8086 "$G/pc_pit.bin" |
            awk '$NF == "hlt" { sub(":", "", $1); print $1; exit }')
        gdb_batch "$ADDR" -ex "hbreak *0x$hlt_at" -ex c -ex stepi \
            -ex 'p/x $pc' -ex delete -ex c >"$T_TMP/gdb.out" 2>&1
        vmm_wait_exit 5
        if grep -q "exited with code 041" "$T_TMP/gdb.out" &&
            grep -qE '^\$1 = 0x' "$T_TMP/gdb.out" &&
            ! grep -qE "^\\\$1 = 0x$hlt_at\$" "$T_TMP/gdb.out"; then
            t_pass "$name"
        else
            t_fail "$name" "$(tr '\n' '|' <"$T_TMP/gdb.out" | tail -c 400)"
        fi
    else
        t_fail "$name" "the VMM never listened; $(rsp_why)"
    fi
    vmm_stop
fi

name="pc: SIGTERM ends a guest waiting in hlt with IF=0, exit 0"
if need "$name" "$G/pc_cli_hlt.bin"; then
    vmm_bg "${PC[@]}" "$G/pc_cli_hlt.bin"
    if wait_file_line "$VOUT" hlt 1000; then
        vmm_stop
        t_check "$name" "$VRC" "exit $VRC"
    else
        vmm_stop
        t_fail "$name" "never printed hlt"
    fi
fi

# --- command line ------------------------------------------------------------

if [ -x "$VMM" ]; then
    usage_err "--machine foo" machine --machine foo "$EXIT_G"
    usage_err "--machine bare --kernel" "machine pc" --machine bare --kernel "$EXIT_G"
    usage_err "--kernel and IMAGE" "not two of them" --kernel "$EXIT_G" "$EXIT_G"
    usage_err "--append without --kernel" "needs --kernel" "${PC[@]}" --append x "$EXIT_G"
    usage_err "--initrd without --kernel" "needs --kernel" --initrd x "$EXIT_G"
    usage_err "--hlt-sleep on pc" "bare machine only" "${PC[@]}" --hlt-sleep 0 "$EXIT_G"
    usage_err "--max-halts on pc" "bare machine only" "${PC[@]}" --max-halts 1 "$EXIT_G"
    usage_err "--max-halts with --kernel" "bare machine only" --kernel "$EXIT_G" --max-halts 1
    usage_err "--mem 1M on pc" "at least" "${PC[@]}" --mem 1M "$EXIT_G"
    usage_err "pc without IMAGE or --kernel" "missing IMAGE" "${PC[@]}"
    usage_err "--kernel without a value" "needs a value" --kernel
    name="--help names both machines and the new options"
    run_vmm $TO --help
    if [ "$RC" -eq 0 ] && grep -q -- '--machine bare|pc' "$T_TMP/out" &&
        grep -q -- '--kernel' "$T_TMP/out" && grep -q -- '--initrd' "$T_TMP/out" &&
        grep -q -- '--append' "$T_TMP/out" && grep -q 0xf4 "$T_TMP/out"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
else
    t_fail "usage tests" "$VMM missing (run make)"
fi

name="usage: pc image larger than the RAM below 3 GiB... or than --mem"
if need "$name"; then
    head -c $((2 * 1024 * 1024 + 1)) /dev/zero >"$T_TMP/big.bin"
    usage_err "2M+1 image with --mem 2M on pc" "larger than guest RAM" \
        "${PC[@]}" --mem 2M "$T_TMP/big.bin"
fi

t_done
