#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# make beyond: what gdb gets from kvmstub and from QEMU's gdbstub on the
# same guests, side by side. Each row is one gdb batch script run against
# a fresh kvmstub and a fresh QEMU (-accel kvm, the bench's stand-in BIOS,
# the guest at 0, as in make bench); a cell is the lines of gdb's output
# that match the row's pattern, so the table is measured, not written.
# Table (markdown) to stdout and $BUILD/beyond.md; every gdb transcript in
# $BUILD/beyond/.
#
#   QEMU=PATH   QEMU binary (default qemu-system-x86_64; missing: the QEMU
#               column says "not installed")
#   ROWS="a b"  only these rows (their names below)
#
# Needs gdb, `make all`; run from anywhere.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh # BUILD, VMM, T_TMP, free_port, wait_port, kvm_usable

QEMU=${QEMU:-qemu-system-x86_64}
OUT=$BUILD/beyond
G=$BUILD/tests/guests
mkdir -p "$OUT"
kvm_usable || {
    echo "beyond: /dev/kvm is not usable" >&2
    exit 1
}
command -v gdb >/dev/null || {
    echo "beyond: gdb is not installed" >&2
    exit 1
}

BIOS=$OUT/qemu-bios.bin
HAVE_QEMU=0
if command -v "$QEMU" >/dev/null 2>&1; then
    as --32 -o "$OUT/qemu-bios.o" tests/bench/qemu-bios.S &&
        ld -m elf_i386 -Ttext=0 -e 0 -o "$OUT/qemu-bios.elf" "$OUT/qemu-bios.o" &&
        objcopy -O binary "$OUT/qemu-bios.elf" "$BIOS" && HAVE_QEMU=1
fi

TPID=
# start WHO IMAGE PORT [VMM-ARGS...]: kvmstub (k) or QEMU (q) stopped for
# gdb on PORT, guest output to $OUT/console.WHO.
start() {
    local who=$1 image=$2 port=$3
    shift 3
    if [ "$who" = k ]; then
        timeout 120 "$VMM" --gdb "$port" "$@" "$image" \
            >"$OUT/console.k" 2>"$OUT/stderr.k" </dev/null &
    else
        timeout 120 "$QEMU" -accel kvm -nographic -nodefaults -monitor none \
            -serial none -bios "$BIOS" -m 16M \
            -device "loader,file=$image,addr=0" \
            -device isa-debugcon,iobase=0xf1,chardev=out \
            -chardev "file,id=out,path=$OUT/console.q" \
            -S -gdb "tcp:127.0.0.1:$port" >"$OUT/stderr.q" 2>&1 </dev/null &
    fi
    TPID=$!
    wait_port "$port" 20
}

stop_target() {
    [ -n "$TPID" ] || return 0
    kill "$TPID" 2>/dev/null
    wait "$TPID" 2>/dev/null
    TPID=
}

# cell TEXT: one table cell (pipes escaped, lines joined with "; ").
cell() {
    local s
    s=$(printf '%s' "$1" | sed -e 's/[[:space:]]\+/ /g' -e 's/|/\\|/g' \
        -e 's/`/'"'"'/g' | head -c 400 | paste -sd ';' - | sed 's/;/; /g')
    printf '`%s`' "${s:-(nothing)}"
}

# row NAME TITLE IMAGE PATTERN SCRIPT [VMM-ARGS...]
row() {
    local name=$1 title=$2 image=$3 pat=$4 script=$5 who port out kc qc rc
    shift 5
    if [ -n "${ROWS:-}" ] && ! [[ " $ROWS " == *" $name "* ]]; then
        return 0
    fi
    for who in k q; do
        out=$OUT/$name.$who.out
        if [ "$who" = q ] && [ "$HAVE_QEMU" = 0 ]; then
            echo "not installed" >"$out.cell"
            continue
        fi
        port=$(free_port)
        printf '%s\n' "$script" >"$OUT/$name.gdb"
        if ! start "$who" "$image" "$port" "$@"; then
            echo "did not start" >"$out.cell"
            stop_target
            continue
        fi
        timeout 20 gdb -q -n -batch -ex 'set confirm off' \
            -ex 'set pagination off' -ex "target remote 127.0.0.1:$port" \
            -x "$OUT/$name.gdb" >"$out" 2>&1 </dev/null
        rc=$?
        stop_target
        # The connection's banner (up to gdb's first "in ?? ()") is the
        # same for every row: the cell is what the script's commands gave.
        sed '1,/ in ?? ()$/d' "$out" | grep -E -- "$pat" >"$out.cell"
        [ "$rc" = 124 ] && echo "(no stop: gdb killed after 20 s)" >>"$out.cell"
    done
    kc=$(cell "$(cat "$OUT/$name.k.out.cell")")
    qc=$(cell "$(cat "$OUT/$name.q.out.cell")")
    printf '| %s | %s | %s |\n' "$title" "$kc" "$qc"
}

# lldb_row NAME TITLE IMAGE PATTERN LLDB-COMMANDS...: lldb 14 in batch
# mode, connected with gdb-remote and no settings, instead of gdb.
lldb_row() {
    local name=$1 title=$2 image=$3 pat=$4 who port out kc qc c rc
    shift 4
    if [ -n "${ROWS:-}" ] && ! [[ " $ROWS " == *" $name "* ]]; then
        return 0
    fi
    if ! command -v lldb >/dev/null; then
        printf '| %s | lldb not installed | lldb not installed |\n' "$title"
        return 0
    fi
    local args=()
    for c in "$@"; do args+=(-o "$c"); done
    for who in k q; do
        out=$OUT/$name.$who.out
        if [ "$who" = q ] && [ "$HAVE_QEMU" = 0 ]; then
            echo "not installed" >"$out.cell"
            continue
        fi
        port=$(free_port)
        start "$who" "$image" "$port" || { echo "did not start" >"$out.cell"; stop_target; continue; }
        timeout 20 lldb --batch -o "gdb-remote 127.0.0.1:$port" "${args[@]}" \
            -o 'process kill' >"$out" 2>&1 </dev/null
        rc=$?
        stop_target
        grep -E -- "$pat" "$out" | grep -v '^(lldb)' >"$out.cell"
        [ "$rc" = 124 ] && echo "(lldb hung: killed after 20 s)" >>"$out.cell"
    done
    kc=$(cell "$(cat "$OUT/$name.k.out.cell")")
    qc=$(cell "$(cat "$OUT/$name.q.out.cell")")
    printf '| %s | %s | %s |\n' "$title" "$kc" "$qc"
}

# second_row: what a second gdb sees while one is attached.
second_row() {
    local who port out kc qc g1
    if [ -n "${ROWS:-}" ] && ! [[ " $ROWS " == *" second "* ]]; then
        return 0
    fi
    for who in k q; do
        out=$OUT/second.$who.out
        if [ "$who" = q ] && [ "$HAVE_QEMU" = 0 ]; then
            echo "not installed" >"$out.cell"
            continue
        fi
        port=$(free_port)
        start "$who" "$LM" "$port" || { echo "did not start" >"$out.cell"; stop_target; continue; }
        timeout 20 gdb -q -n -batch -ex "target remote 127.0.0.1:$port" \
            -ex 'shell sleep 4' >/dev/null 2>&1 </dev/null &
        g1=$!
        sleep 1.5
        timeout 10 gdb -q -n -batch -ex "target remote 127.0.0.1:$port" \
            -ex 'info registers eip' >"$out" 2>&1 </dev/null
        [ $? = 124 ] && echo "(gdb hung: killed after 10 s)" >>"$out"
        wait "$g1" 2>/dev/null
        stop_target
        grep -vE 'No executable|determining executable' "$out" >"$out.cell"
    done
    kc=$(cell "$(cat "$OUT/second.k.out.cell")")
    qc=$(cell "$(cat "$OUT/second.q.out.cell")")
    printf '| %s | %s | %s |\n' "a second gdb while one is attached" "$kc" "$qc"
}

LM=$G/longmode.bin
BS=$G/bootsect.bin
WATCH=$G/watch.bin

{
    echo "| what gdb gets | kvmstub | QEMU 7.2 (-accel kvm) |"
    echo "| --- | --- | --- |"

    row arch0 "architecture and first instruction at a real-mode start" "$LM" \
        'architecture|=>' 'show architecture
x/i $pc'

    row modes "continue real -> protected -> long mode in one session" "$LM" \
        'architecture|^eip|^rip|Invalid|too long' 'hbreak *0x2a
hbreak *0x200
continue
show architecture
info registers eip
continue
show architecture
info registers rip'

    row stepmode "stepi across the far jump into 32-bit code" "$LM" \
        '^=>|^eip|Invalid' 'hbreak *0x22
continue
x/i $pc
stepi
info registers eip
x/i $pc'

    row cs7c0 "real mode at 07C0:0005: \$pc and hbreak *0x7c05" "$BS" \
        'Breakpoint|SIGTRAP|^\$|=>' 'hbreak *0x7c05
continue
p/x $pc
x/i $pc'

    row sysregs "control registers in long mode" "$LM" \
        '^\$|^cr3|^efer|Invalid' 'hbreak *0x200
continue
p/x $cr0
info registers cr3 efer'

    row desc "descriptor caches and GDTR as registers" "$LM" \
        '^\$|Invalid|^No' 'hbreak *0x200
continue
p/x $cs_base
p/x $gdtr_base'

    row rwatch "rwatch on a byte the guest reads (incb reads it)" "$WATCH" \
        'watchpoint|Value|Couldn|Could not|too many|^=>' 'rwatch *(char *)0x200
continue
x/i $pc'

    row watch "watch on a byte the guest writes" "$WATCH" \
        'watchpoint|Old|New|Couldn|Could not' 'watch *(char *)0x200
continue'

    row memmap "gdb info mem (the target's memory map)" "$LM" \
        '^[0-9]+ +y|no memory regions' 'info mem'

    row xp "monitor xp of physical memory" "$LM" \
        '^0|rror|nknown|not' 'monitor xp /4xb 0'

    row infomem "monitor info mem in long mode" "$LM" \
        '^0|^-|rror|nknown|not|paging' 'hbreak *0x200
continue
monitor info mem'

    row reverse "reverse-stepi (kvmstub: --record)" "$LM" \
        'support|Target|^0x|reverse|history' 'stepi 3
reverse-stepi' --record

    row savevm "monitor savevm / loadvm" "$LM" \
        'snapshot|rror|saved|loaded|nknown|No |^0x' 'stepi 3
monitor savevm a
stepi 3
monitor loadvm a
p/x $pc'

    row console "guest output shown in gdb (monitor console gdb)" "$LM" \
        'R P L|rror|nknown' 'monitor console gdb
hbreak *0x200
continue'

    # pc_irqstep: IRQ0 at about 1 kHz while the guest spins; count is the
    # tick counter. 300 stepi, then where the pc is and how many ticks
    # came in between.
    ielf=$BUILD/tests/guests/pc_irqstep.elf
    spin=0x$(nm "$ielf" | awk '$3 == "spin" {print $1}')
    cnt=0x$(nm "$ielf" | awk '$3 == "count" {print $1}')
    tick=0x$(nm "$ielf" | awk '$3 == "tick" {print $1}')
    row irqstep "300 stepi with IRQ0 pending (pc_irqstep, PIT at 1 kHz; handler at $tick)" \
        "$G/pc_irqstep.bin" '^\$|^=>' "hbreak *$spin
continue
delete
p/x *(short *)$cnt
stepi 300
p/x *(short *)$cnt
x/i \$pc" --machine pc

    lldb_row lldb "lldb 14 with no settings: connect, pc, disassemble, si" "$LM" \
        'stop reason|= 0x|0x1: |error' 'register read pc' \
        'disassemble -c 2 -s 0' 'si' 'register read pc'

    second_row
} | tee "$OUT/table.md"
cp "$OUT/table.md" "$BUILD/beyond.md"
