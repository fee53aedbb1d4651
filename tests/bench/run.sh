#!/usr/bin/env bash
# make bench: one table comparing kvmstub with the floor (the smallest raw
# KVM program doing the same work, floor.c) and, when it is installed, with
# QEMU's gdbstub on the same guests. Every figure is the median of repeated
# runs with min-max. The table goes to stdout, the same figures as JSON to
# $BUILD/bench.json, progress and tool chatter to stderr and
# $BUILD/bench/bench.log.
#
#   BENCH_QUICK=1   tiny counts, for the smoke test
#   QEMU=PATH       QEMU binary (default qemu-system-x86_64; a missing one
#                   gives "not installed" cells)
#   GDB=PATH        gdb binary (default gdb)
#   BENCH_PIN=0     do not pin debugger and target to one CPU (rows 3-5)
#   KUT=DIR         a built kvm-unit-tests checkout: row 8a falls back to
#                   its x86/setjmp.flat when no Multiboot test kernel is
#                   built, and row 8b reruns the entries that passed under
#                   both in the last `make kut` ($BUILD/kut.json)
#
# Needs only bash, coreutils, a C compiler, gdb and `make all`. Run from
# anywhere; it works from the repository root.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh # BUILD, VMM, T_TMP, kvm_usable

QUICK=${BENCH_QUICK:-0}
QEMU=${QEMU:-qemu-system-x86_64}
GDB=${GDB:-gdb}
CC=${CC:-cc}
OUT=$BUILD/bench
JSON=${BENCH_JSON:-$BUILD/bench.json}
LOG=$OUT/bench.log
BT=$OUT/benchtool
FLOOR=$OUT/floor
BIOS=$OUT/qemu-bios.bin
HELLO=$BUILD/guest/hello.bin
OUT1M=$BUILD/tests/guests/out_1m.bin
SPIN=$BUILD/tests/guests/spin.bin
SMP_IMG=$BUILD/tests/guests/pc_smp.bin # APs spin at 0x300 with stay set
QEMU_EXTRA=() # more QEMU options for qemu_cmd (-smp 4 for rows 10)
RSP=$BUILD/tests/tools/rspclient

if [ "$QUICK" = 1 ]; then
    REPS=3      # gdb sessions, RSS and QEMU-start samples per cell
    COLD_REPS=3 # process starts per cold-start cell
    PIO_REPS=1  # runs of out_1m per cell
    PIO_BYTES=100000
    STEPS=200
    CONTS=50
    INTRS=5
else
    REPS=5
    COLD_REPS=15
    PIO_REPS=3
    PIO_BYTES=1000000
    STEPS=2000
    CONTS=1000
    INTRS=20
fi
LOOP_BP=0x8  # out_1m's "outb" inside its loop: a breakpoint with no HLT
# Rows 3-5 time request/reply ping-pong between gdb and the target. Where
# the scheduler puts the two decides the result (on a small VM a cross-CPU
# wake-up can cost more than the work), so by default both run on one
# CPU, the same for kvmstub and QEMU (all its threads); BENCH_PIN=0 lets
# the scheduler choose. PIN is the command prefix that does it.
PIN=()
if [ "${BENCH_PIN:-1}" != 0 ]; then
    PIN=("$OUT/benchtool" pin "$(($(nproc) - 1))")
fi
TO=120       # upper bound, seconds, for any one process the bench starts

BG_PIDS=()
bench_cleanup() {
    local p
    # The pids are `timeout`s: TERM makes each pass TERM on to its command.
    for p in "${BG_PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${BG_PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$T_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }
die() {
    say "$*"
    exit 1
}

# ---------------------------------------------------------------- setup
kvm_usable || die "/dev/kvm is not usable"
for f in "$VMM" "$HELLO" "$OUT1M" "$SPIN" "$RSP"; do
    [ -e "$f" ] || die "$f missing (run make)"
done
command -v "$GDB" >/dev/null || die "$GDB not found"
mkdir -p "$OUT" || exit 1
: >"$LOG" || exit 1

WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
      -Wold-style-definition -Wformat=2 -Wundef -Wwrite-strings
      -Wimplicit-fallthrough -Wvla"
for t in floor benchtool; do
    # shellcheck disable=SC2086
    $CC -std=c11 -D_GNU_SOURCE -O2 $WARN -o "$OUT/$t" "tests/bench/$t.c" ||
        die "building $t failed"
done

HOST_INFO=$(timeout 20 "$VMM" --host-info 2>>"$LOG") ||
    die "$VMM --host-info failed"
host_has() { grep -q "^$1.*: yes" <<<"$HOST_INFO"; }
HAS_DR=0 HAS_STEP=0 HAS_INT3=0
host_has "debug-register execution breakpoints" && HAS_DR=1
host_has "single-step" && HAS_STEP=1
host_has "int3 intercepted" && HAS_INT3=1
AUTO_MECH=$(sed -n 's/^breakpoint mechanism (auto): //p' <<<"$HOST_INFO")

# QEMU, started the same way for every row: no firmware but the stand-in
# BIOS (reset vector -> 0000:0000), the guest at 0, port 0xf1 as debugcon.
QEMU_STATE="not installed"
ACCEL=
if command -v "$QEMU" >/dev/null 2>&1; then
    QEMU_STATE="failed to start"
    { as --32 -o "$OUT/qemu-bios.o" tests/bench/qemu-bios.S &&
        ld -m elf_i386 -Ttext=0 -e 0 -o "$OUT/qemu-bios.elf" \
            "$OUT/qemu-bios.o" &&
        objcopy -O binary "$OUT/qemu-bios.elf" "$BIOS"; } >>"$LOG" 2>&1 ||
        die "building the QEMU stand-in BIOS failed"
fi

# qemu_cmd IMAGE SINK MEM [ARGS...]: sets QCMD to the QEMU command line.
qemu_cmd() {
    QCMD=("$QEMU" -accel "$ACCEL" -nographic -nodefaults -monitor none
        -serial none -bios "$BIOS" -m "$3"
        -device "loader,file=$1,addr=0"
        -device isa-debugcon,iobase=0xf1,chardev=out
        -chardev "file,id=out,path=$2" "${QEMU_EXTRA[@]}" "${@:4}")
}

if [ "$QEMU_STATE" != "not installed" ]; then
    # -accel kvm, or tcg if KVM refuses (QEMU then dies before any byte).
    for a in kvm tcg; do
        ACCEL=$a
        qemu_cmd "$HELLO" /dev/stdout 1M
        if timeout "$TO" "$BT" first-byte "${QCMD[@]}" >/dev/null \
            2>>"$LOG"; then
            QEMU_STATE=$a
            break
        fi
    done
fi
if [ -n "$ACCEL" ] && [ "$QEMU_STATE" = "$ACCEL" ]; then
    HAVE_QEMU=1
    QEMU_VERSION=$("$QEMU" --version | head -n 1)
    # Z0 needs int3 interception under KVM; Z1 uses debug registers.
    if [ "$ACCEL" = kvm ] && [ "$HAS_INT3" = 0 ]; then
        QEMU_BREAK=hbreak
    else
        QEMU_BREAK=break
    fi
else
    HAVE_QEMU=0
    QEMU_VERSION=
fi
say "kvmstub $VMM, QEMU: $QEMU_STATE, breakpoints auto=$AUTO_MECH," \
    "quick=$QUICK"

# ---------------------------------------------------------------- rows
# Cells are kvmstub (k), floor (f) and QEMU (q). Samples go to files; a
# cell without samples shows its note ("n/a", "failed", ...).
ROWS=()
declare -A LABEL UNIT BETTER HOW K NOTE
# def_row ID LABEL UNIT lower|higher rate|mul K: samples become K/x or x*K.
def_row() {
    ROWS+=("$1")
    LABEL[$1]=$2 UNIT[$1]=$3 BETTER[$1]=$4 HOW[$1]=$5 K[$1]=$6
}
sample() { echo "$3" >>"$T_TMP/s.$1.$2"; }
note() { NOTE[$1.$2]=$3; }
# failed ROW COL WHAT: record a failed measurement (cell shows "failed").
failed() {
    NOTE[$1.$2]=failed
    say "$1 ($2): $3 failed (see $LOG)"
}

def_row cold_first_byte "1a cold start to first guest byte" ms lower mul 0.001
def_row cold_gdb "1b cold start to gdb prompt" ms lower mul 0.001
def_row pio_rate "2  port-I/O exits (out_1m)" exits/s higher rate \
    "$((PIO_BYTES))e6"
def_row stepi "3  gdb stepi $STEPS" steps/s higher rate "$((STEPS))e6"
# Rows 3b-3j: what one stepi of row 3 costs, from `monitor cost` before
# and after the steps: the VMM's CPU time (getrusage) and the time inside
# KVM_RUN (on a software KVM that is the guest's emulation, not the
# VMM's work), so "outside KVM_RUN" is the VMM's own work per stop and
# the share is that over the session's wall time per step. 3g-3j: the same
# with KVMSTUB_NO_SYNC_REGS=1 (registers through KVM_GET_REGS/SREGS).
# QEMU: its process's CPU time (/proc/PID/stat, 10 ms ticks).
def_row stepi_wall "3b stepi: wall time per step" us lower mul 1
def_row stepi_cpu "3c stepi: VMM CPU per step" us lower mul 1
def_row stepi_own "3d stepi: VMM CPU outside KVM_RUN" us lower mul 1
def_row stepi_share "3e stepi: VMM share (3d / 3b)" % lower mul 1
def_row stepi_ioctls "3f stepi: vCPU ioctls per step" ioctls lower mul 1
def_row stepi_wall0 "3g 3b without SYNC_REGS" us lower mul 1
def_row stepi_own0 "3h 3d without SYNC_REGS" us lower mul 1
def_row stepi_share0 "3i 3e without SYNC_REGS" % lower mul 1
def_row stepi_ioctls0 "3j 3f without SYNC_REGS" ioctls lower mul 1
def_row bp_dr "4a break+continue HELLO, dr" trips/s higher rate \
    "$((CONTS))e6"
def_row bp_step "4b break+continue HELLO, step" trips/s higher rate \
    "$((CONTS))e6"
def_row bp_int3 "4c break+continue HELLO, int3" trips/s higher rate \
    "$((CONTS))e6"
def_row bp_loop "4d break+continue loop, auto" trips/s higher rate \
    "$((CONTS))e6"
def_row mem_dump "5a gdb dump 1 MiB" MiB/s higher rate 1e6
def_row mem_restore "5b gdb restore 1 MiB" MiB/s higher rate 1e6
def_row intr_spin "6a Ctrl-C to stop, spinning" us lower mul 1
def_row intr_hlt "6b Ctrl-C to stop, in HLT sleep" us lower mul 1
def_row rss_1m "7a VmRSS, 1 MiB guest" KiB lower mul 1
def_row hwm_1m "7b VmHWM, 1 MiB guest" KiB lower mul 1
def_row rss_1g "7c VmRSS, 1 GiB guest" KiB lower mul 1
def_row hwm_1g "7d VmHWM, 1 GiB guest" KiB lower mul 1
def_row mb_first_byte "8a Multiboot kernel to first byte" ms lower mul \
    0.001
def_row kut_both "8b kvm-unit-tests passing both" s lower mul 1
def_row boot_first_byte "9  boot sector to first int 10h byte" ms lower \
    mul 0.001
# Row 10: record mode and snapshots. 10a/10b: rec.bin from its start to its
# HLT (22006 instructions) under gdb with a breakpoint there; 9c: the
# VMM's own time for one reverse-stepi (monitor record: last seek) with
# REV_PASSES passes of rec.bin (22008 instructions each) of history; 10d/10e:
# the VMM's own time for savevm of a new name and loadvm with touch64.bin
# (64 MiB touched), as the monitor reports it.
REC_INSNS=22006
if [ "$QUICK" = 1 ]; then
    REV_PASSES=1
    REV_STEPS=5
else
    REV_PASSES=45 # 990,360 instructions
    REV_STEPS=20
fi
def_row rec_speed "10a guest speed with --record" insn/s higher rate \
    "$((REC_INSNS))e6"
def_row norec_speed "10b guest speed without --record" insn/s higher rate \
    "$((REC_INSNS))e6"
def_row rev_stepi "10c reverse-stepi, $((REV_PASSES * 22008)) insns of history" \
    ms lower mul 0.001
def_row savevm "10d savevm, 64 MiB touched" ms lower mul 0.001
def_row loadvm "10e loadvm, 64 MiB touched" ms lower mul 0.001
# 10f/10g: the pc machine with its timer running: pc_rec.bin (PIT IRQ0
# about every 100 instructions, a HLT every 16 rounds) from its start to
# its exit after 4096 rounds (one breakpoint there) under gdb, with
# --record (virtual time: the instruction count is the same every run;
# monitor record's count goes to the log) and without (KVM's PIT on the
# host's clock: its HLTs wait for real ticks).
def_row pc_rec "10f pc_rec.bin, IRQ0 on, --record" ms lower mul 0.001
def_row pc_norec "10g pc_rec.bin, IRQ0 on, no --record" ms lower mul 0.001

def_row smp_intr "11a Ctrl-C to stop, 4 vCPUs spinning" us lower mul 1
def_row smp_bp "11b break+continue, 4 vCPUs" trips/s higher rate \
    "$((CONTS))e6"
# Row 12: guest speed with one write watchpoint set: pw_bench.bin's loop
# of 20000 rounds (60002 instructions) writing another page, then the
# watched byte; the time from continue to the watchpoint's stop, with the
# mechanism auto picks (page protection where the host offers it) and
# with --debug-mechanism step (a VM exit per instruction), same guest.
def_row watch_page "12a watch hit, 60k-insn loop, auto" ms lower \
    mul 0.001
def_row watch_step "12b the same, mechanism step" ms lower mul 0.001
# Row 13: gdb's `next` over one loop line of step32.elf (three
# instructions an iteration; a quick run takes its 100-iteration line).
if [ "$QUICK" = 1 ]; then
    NEXT_ITERS=100 NEXT_MARK=LOOP
else
    NEXT_ITERS=10000 NEXT_MARK=BIG
fi
def_row next_range "13a next, $NEXT_ITERS-loop, vCont;r" ms lower \
    mul 0.001
def_row next_stepi "13b the same, range-stepping off" ms lower mul 0.001

for r in stepi_cpu stepi_own stepi_share stepi_ioctls stepi_wall0 \
    stepi_own0 stepi_share0 stepi_ioctls0; do
    note "$r" f "n/a"
done
for r in stepi_own stepi_share stepi_ioctls stepi_wall0 stepi_own0 \
    stepi_share0 stepi_ioctls0; do
    [ "$HAVE_QEMU" = 1 ] && note "$r" q "n/a"
done
for r in cold_gdb mem_dump mem_restore intr_spin intr_hlt rec_speed \
    norec_speed rev_stepi savevm loadvm pc_rec pc_norec smp_intr smp_bp \
    watch_page watch_step next_range next_stepi; do
    note "$r" f "n/a"
done
for r in "${ROWS[@]}"; do
    [ "$HAVE_QEMU" = 1 ] || note "$r" q "$QEMU_STATE"
done
if [ "$HAVE_QEMU" = 1 ]; then
    # QEMU's record/replay and savevm need its TCG CPU or a disk image.
    for r in rec_speed norec_speed rev_stepi savevm loadvm pc_rec pc_norec \
        watch_page watch_step; do
        note "$r" q "n/a"
    done
    # HELLO's HLT (IF=0) never wakes under QEMU: after one pass, nothing.
    for r in bp_dr bp_step bp_int3; do
        note "$r" q "n/a: HLT"
    done
fi
[ "$HAS_DR" = 1 ] || note bp_dr k "host lacks"
[ "$HAS_STEP" = 1 ] || note bp_step k "host lacks"
[ "$HAS_INT3" = 1 ] || note bp_int3 k "host lacks"

# ---------------------------------------------------------------- helpers
# spawn_bg CMD...: start CMD under timeout in the background; BG is its pid.
spawn_bg() {
    timeout -k 2 "$TO" "$@" >/dev/null 2>>"$LOG" &
    BG=$!
    BG_PIDS+=("$BG")
}
# stop PID: end a process spawn_bg started (TERM, passed on by timeout) and
# forget its pid, so that the cleanup never signals a reused one.
stop() {
    local p live=()
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    for p in "${BG_PIDS[@]}"; do
        [ "$p" = "$1" ] || live+=("$p")
    done
    BG_PIDS=("${live[@]}")
}
# start_target k|q IMAGE [VMM OPTIONS...]: a stopped guest waiting for a
# debugger on PORT (chosen here, a second try on another port if the first
# is taken); BG is the pid. Returns non-zero if it never listened.
start_target() {
    local who=$1 image=$2 try
    shift 2
    for try in 1 2; do
        PORT=$(bench_port)
        if [ "$who" = k ]; then
            spawn_bg "${PIN[@]}" "$VMM" --gdb "$PORT" "$@" "$image"
        else
            qemu_cmd "$image" /dev/null 1M -S -gdb "tcp:127.0.0.1:$PORT"
            spawn_bg "${PIN[@]}" "${QCMD[@]}"
        fi
        timeout 30 "$BT" wait-listen "$PORT" "$BG" 2>>"$LOG" && return 0
        stop "$BG"
    done
    return 1
}
# bench_port: a TCP port nobody uses (see benchtool free-port).
bench_port() {
    "$BT" free-port 2>>"$LOG"
}
# gdb_marks PORT SCRIPT: run SCRIPT in one gdb session on PORT; the script
# says MARK where a timestamp goes. Sets SPANS to the µs between marks 1-2,
# 3-4, ...; returns non-zero if gdb failed or a mark is missing.
gdb_marks() {
    local ts=$T_TMP/ts script=$T_TMP/script.gdb i
    : >"$ts"
    sed "s|^MARK\$|shell date +%s%N >>$ts|" "$2" >"$script"
    timeout -k 2 "$TO" "${PIN[@]}" "$GDB" -q -n -batch -ex 'set confirm off' \
        -ex 'set pagination off' -ex "target remote 127.0.0.1:$1" \
        -x "$script" >/dev/null 2>>"$LOG" || return 1
    mapfile -t t <"$ts"
    SPANS=()
    for ((i = 0; i + 1 < ${#t[@]}; i += 2)); do
        SPANS+=($(((t[i + 1] - t[i]) / 1000)))
    done
    [ "${#SPANS[@]}" -gt 0 ]
}
# gdb_row ROW COL IMAGE SCRIPT [VMM OPTIONS...]: REPS sessions, each on a
# fresh target; the first span of each is a sample of ROW (the second, if
# any, of ROW2 when set).
ROW2=
gdb_row() {
    local row=$1 col=$2 image=$3 script=$4 rep
    shift 4
    for ((rep = 0; rep < REPS; rep++)); do
        if ! start_target "$col" "$image" "$@"; then
            failed "$row" "$col" "starting the target"
            return
        fi
        if ! gdb_marks "$PORT" "$script"; then
            stop "$BG"
            failed "$row" "$col" "the gdb session"
            return
        fi
        stop "$BG"
        sample "$row" "$col" "${SPANS[0]}"
        [ -n "$ROW2" ] && [ -n "${SPANS[1]:-}" ] &&
            sample "$ROW2" "$col" "${SPANS[1]}"
    done
}
# floor_span ROW ARGS...: floor's time for the work alone, as the wall time
# of `floor ARGS` with its count doubled minus that with it as given (so
# process start-up cancels out). The count is the second argument.
floor_span() {
    local row=$1 rep a b
    shift
    local args2=("$@")
    args2[1]=$((2 * $2))
    for ((rep = 0; rep < REPS; rep++)); do
        a=$(timeout "$TO" "$BT" wall "$FLOOR" "$@" 2>>"$LOG") &&
            b=$(timeout "$TO" "$BT" wall "$FLOOR" "${args2[@]}" \
                2>>"$LOG") || {
            failed "$row" f "floor $*"
            return
        }
        [ "$b" -gt "$a" ] && sample "$row" f $((b - a))
    done
}

# ---------------------------------------------------------------- 1a
say "1a cold start to first byte ($COLD_REPS starts each)"
for ((i = 0; i < COLD_REPS; i++)); do
    v=$(timeout "$TO" "$BT" first-byte "$VMM" "$HELLO" 2>>"$LOG") &&
        sample cold_first_byte k "$v"
    v=$(timeout "$TO" "$BT" first-byte "$FLOOR" first-byte "$HELLO" \
        2>>"$LOG") && sample cold_first_byte f "$v"
    if [ "$HAVE_QEMU" = 1 ]; then
        qemu_cmd "$HELLO" /dev/stdout 1M
        v=$(timeout "$TO" "$BT" first-byte "${QCMD[@]}" 2>>"$LOG") &&
            sample cold_first_byte q "$v"
    fi
done

# ---------------------------------------------------------------- 1b
say "1b cold start to gdb prompt ($REPS starts each)"
for ((i = 0; i < REPS; i++)); do
    port=$(bench_port)
    gdbcmd=("$GDB" -q -n -batch -ex "target remote 127.0.0.1:$port"
        -ex 'x/i $pc')
    v=$(timeout "$TO" "$BT" gdb-start "$port" "$VMM" --gdb "$port" \
        "$HELLO" -- "${gdbcmd[@]}" 2>>"$LOG") && sample cold_gdb k "$v"
    if [ "$HAVE_QEMU" = 1 ]; then
        port=$(bench_port)
        gdbcmd=("$GDB" -q -n -batch -ex "target remote 127.0.0.1:$port"
            -ex 'x/i $pc')
        qemu_cmd "$HELLO" /dev/null 1M -S -gdb "tcp:127.0.0.1:$port"
        v=$(timeout "$TO" "$BT" gdb-start "$port" "${QCMD[@]}" -- \
            "${gdbcmd[@]}" 2>>"$LOG") && sample cold_gdb q "$v"
    fi
done

# ---------------------------------------------------------------- 3
say "3  stepi $STEPS ($REPS sessions each)"
cat >"$T_TMP/stepi.gdb" <<EOF
MARK
stepi $STEPS
MARK
EOF
gdb_row stepi k "$HELLO" "$T_TMP/stepi.gdb" --hlt-sleep 0
[ "$HAVE_QEMU" = 1 ] && gdb_row stepi q "$HELLO" "$T_TMP/stepi.gdb"
floor_span stepi steps "$STEPS"

# stepi_cost k|q SUFFIX [ENV...]: REPS sessions of stepi $STEPS with the
# VMM's (k: monitor cost) or QEMU's (q: /proc/PID/stat) CPU time taken
# right before and after, ENV in kvmstub's environment; samples go to
# rows stepi_*SUFFIX.
stepi_cost() {
    local col=$1 sfx=$2 rep out=$T_TMP/cost.out pid tick f cpu_cmd
    local w c own share ioc
    shift 2
    tick=$(getconf CLK_TCK)
    for ((rep = 0; rep < REPS; rep++)); do
        if [ "$col" = k ]; then
            local saved=("${PIN[@]}")
            PIN=(env "$@" "${saved[@]}")
            start_target k "$HELLO" --hlt-sleep 0
            local rc=$?
            PIN=("${saved[@]}")
        else
            start_target q "$HELLO"
            local rc=$?
        fi
        if [ "$rc" != 0 ]; then
            failed "stepi_wall$sfx" "$col" "starting the target"
            return
        fi
        # The target: the child of the timeout spawn_bg started.
        pid=$(pgrep -P "$BG" | head -1)
        cpu_cmd="monitor cost"
        [ "$col" = q ] && cpu_cmd="shell cat /proc/$pid/stat"
        cat >"$T_TMP/cost.gdb" <<EOF
$cpu_cmd
shell date +%s%N
stepi $STEPS
shell date +%s%N
$cpu_cmd
EOF
        if ! timeout -k 2 "$TO" "${PIN[@]}" "$GDB" -q -n -batch \
            -ex 'set confirm off' -ex 'set pagination off' \
            -ex "target remote 127.0.0.1:$PORT" -x "$T_TMP/cost.gdb" \
            >"$out" 2>&1; then # monitor output comes on stderr
            cat "$out" >>"$LOG"
            stop "$BG"
            failed "stepi_wall$sfx" "$col" "the gdb session"
            return
        fi
        stop "$BG"
        cat "$out" >>"$LOG"
        # Per step: wall, CPU, CPU outside KVM_RUN, share (%), ioctls.
        f=$(awk -v n="$STEPS" -v q="$col" -v tick="$tick" '
            /^[0-9]+$/ { t[nt++] = $1 }
            q == "k" && /^KVM_RUN:/ { runs[nk] = $2; inrun[nk] = $4 }
            q == "k" && /^other vCPU ioctls:/ { io[nk] = $4 }
            q == "k" && /^VMM CPU:/ { cpu[nk++] = $4 + $7 }
            q == "q" && NF > 20 && $1 ~ /^[0-9]+$/ {
                cpu[nk++] = ($14 + $15) * 1e6 / tick }
            END {
                if (nt != 2 || nk != 2) exit 1
                w = (t[1] - t[0]) / 1000
                c = cpu[1] - cpu[0]
                own = c - (inrun[1] - inrun[0])
                ioc = runs[1] - runs[0] + io[1] - io[0]
                printf "%.3f %.3f %.3f %.3f %.3f\n", w / n, c / n,
                    own / n, 100 * own / w, ioc / n
            }' "$out") || {
            failed "stepi_wall$sfx" "$col" "reading the CPU times"
            return
        }
        read -r w c own share ioc <<<"$f"
        sample "stepi_wall$sfx" "$col" "$w"
        if [ "$col" = q ]; then
            sample stepi_cpu q "$c"
            continue
        fi
        [ -z "$sfx" ] && sample stepi_cpu k "$c"
        sample "stepi_own$sfx" k "$own"
        sample "stepi_share$sfx" k "$share"
        sample "stepi_ioctls$sfx" k "$ioc"
    done
}
# The floor's time per step, from row 3's samples (us for $STEPS steps).
if [ -s "$T_TMP/s.stepi.f" ]; then
    awk -v n="$STEPS" '{ printf "%.3f\n", $1 / n }' "$T_TMP/s.stepi.f" \
        >"$T_TMP/s.stepi_wall.f"
fi
say "3b-3j the cost of one stepi ($REPS sessions each)"
stepi_cost k ""
stepi_cost k 0 KVMSTUB_NO_SYNC_REGS=1
[ "$HAVE_QEMU" = 1 ] && stepi_cost q ""

# ---------------------------------------------------------------- 4
# bp_script BREAK ADDR: a script that hits the breakpoint once, then
# times CONTS round trips.
bp_script() {
    cat <<EOF
$1 *$2
continue
MARK
set \$i = 0
while \$i < $CONTS
continue
set \$i = \$i + 1
end
MARK
EOF
}
bp_script break 0x4 >"$T_TMP/bp_hello.gdb"
bp_script break "$LOOP_BP" >"$T_TMP/bp_loop.gdb"
say "4  break+continue x$CONTS ($REPS sessions each)"
[ "$HAS_DR" = 1 ] && gdb_row bp_dr k "$HELLO" "$T_TMP/bp_hello.gdb" \
    --hlt-sleep 0 --debug-mechanism dr
[ "$HAS_STEP" = 1 ] && gdb_row bp_step k "$HELLO" "$T_TMP/bp_hello.gdb" \
    --hlt-sleep 0 --debug-mechanism step
[ "$HAS_INT3" = 1 ] && gdb_row bp_int3 k "$HELLO" "$T_TMP/bp_hello.gdb" \
    --hlt-sleep 0 --debug-mechanism int3
gdb_row bp_loop k "$OUT1M" "$T_TMP/bp_loop.gdb" --hlt-sleep 0
if [ "$HAVE_QEMU" = 1 ]; then
    bp_script "$QEMU_BREAK" "$LOOP_BP" >"$T_TMP/bp_loop_q.gdb"
    gdb_row bp_loop q "$OUT1M" "$T_TMP/bp_loop_q.gdb"
fi
floor_span bp_dr bp "$CONTS"
for f in "$T_TMP"/s.bp_dr.f; do
    [ -e "$f" ] || continue
    cp "$f" "$T_TMP/s.bp_step.f"
    [ "$HAS_INT3" = 1 ] && cp "$f" "$T_TMP/s.bp_int3.f"
done
[ "$HAS_INT3" = 1 ] || note bp_int3 f "n/a"
floor_span bp_loop bp "$CONTS" "$OUT1M" "$LOOP_BP"

# ---------------------------------------------------------------- 5
say "5  dump/restore 1 MiB ($REPS sessions each)"
cat >"$T_TMP/mem.gdb" <<EOF
MARK
dump binary memory $T_TMP/mem.bin 0 0x100000
MARK
MARK
restore $T_TMP/mem.bin binary 0
MARK
EOF
ROW2=mem_restore
gdb_row mem_dump k "$HELLO" "$T_TMP/mem.gdb" --hlt-sleep 0
[ "$HAVE_QEMU" = 1 ] && gdb_row mem_dump q "$HELLO" "$T_TMP/mem.gdb"
ROW2=
rm -f "$T_TMP/mem.bin"

# ---------------------------------------------------------------- 6
# intr_row ROW COL IMAGE [VMM OPTIONS...]: INTRS times continue, let the
# guest settle (spin or sleep in HLT), then time 0x03 to the stop reply.
intr_row() {
    local row=$1 col=$2 image=$3 acts=() i out
    shift 3
    for ((i = 0; i < INTRS; i++)); do
        acts+=(send:c sleep:20 time-intr)
    done
    if ! start_target "$col" "$image" "$@"; then
        failed "$row" "$col" "starting the target"
        return
    fi
    out=$(timeout "$TO" "$RSP" "127.0.0.1:$PORT" "${acts[@]}" 2>>"$LOG")
    local rc=$?
    stop "$BG"
    if [ "$rc" -ne 0 ]; then
        failed "$row" "$col" "rspclient"
        return
    fi
    sed -n 's/^latency_us //p' <<<"$out" >>"$T_TMP/s.$row.$col"
}
say "6  Ctrl-C latency x$INTRS"
# Unpinned: a spinning vCPU thread and QEMU's main loop on one CPU would
# measure the scheduler.
ROW_PIN=("${PIN[@]}")
PIN=()
intr_row intr_spin k "$SPIN"
intr_row intr_hlt k "$HELLO" --hlt-sleep 100000
if [ "$HAVE_QEMU" = 1 ]; then
    intr_row intr_spin q "$SPIN"
    intr_row intr_hlt q "$HELLO"
fi
PIN=("${ROW_PIN[@]}")

# ---------------------------------------------------------------- 7
say "7  resident memory ($REPS starts each)"
# rss_cell COL MEMROW CMD...: VmRSS and VmHWM once the guest said Hello.
rss_cell() {
    local col=$1 mem=$2 v
    shift 2
    v=$(timeout "$TO" "$BT" rss "$@" 2>>"$LOG") || {
        failed "rss_$mem" "$col" "$1"
        return
    }
    sample "rss_$mem" "$col" "${v% *}"
    sample "hwm_$mem" "$col" "${v#* }"
}
for ((i = 0; i < REPS; i++)); do
    rss_cell k 1m "$VMM" "$HELLO"
    rss_cell k 1g "$VMM" --mem 1G "$HELLO"
    rss_cell f 1m "$FLOOR" idle "$HELLO" 1
    rss_cell f 1g "$FLOOR" idle "$HELLO" 1024
    if [ "$HAVE_QEMU" = 1 ]; then
        qemu_cmd "$HELLO" /dev/stdout 1M
        rss_cell q 1m "${QCMD[@]}"
        qemu_cmd "$HELLO" /dev/stdout 1G
        rss_cell q 1g "${QCMD[@]}"
    fi
done

# ---------------------------------------------------------------- 8
# 8a: exec to the first console byte of a Multiboot kernel (kvmstub's pc
# machine: --kernel; QEMU: -kernel with its firmware). A test kernel from
# $BUILD/tests/kernels, else kvm-unit-tests' setjmp.flat when KUT is set.
KUT=${KUT:-}
MBK='' MBK_CON=''
if [ -f "$BUILD/tests/kernels/mb64.elf" ]; then
    MBK=$BUILD/tests/kernels/mb64.elf MBK_CON=debugcon # prints to 0xe9
elif [ -n "$KUT" ] && [ -f "$KUT/x86/setjmp.flat" ]; then
    MBK=$KUT/x86/setjmp.flat MBK_CON=serial # prints to COM1
fi
HAS_KERNEL_OPT=0
"$VMM" --help 2>&1 | grep -q -- '--kernel' && HAS_KERNEL_OPT=1
if [ -z "$MBK" ]; then
    for c in k q; do
        note mb_first_byte "$c" "n/a: no kernel"
    done
else
    say "8a first byte of $MBK ($COLD_REPS starts each)"
    [ "$HAS_KERNEL_OPT" = 1 ] || note mb_first_byte k "n/a: no --kernel"
    qcon=(-serial stdio)
    # shellcheck disable=SC2054 # commas inside option values
    [ "$MBK_CON" = debugcon ] &&
        qcon=(-chardev stdio,id=con -device isa-debugcon,iobase=0xe9,chardev=con)
    for ((i = 0; i < COLD_REPS; i++)); do
        if [ "$HAS_KERNEL_OPT" = 1 ]; then
            v=$(timeout "$TO" "$BT" first-byte "$VMM" --kernel "$MBK" \
                2>>"$LOG") && sample mb_first_byte k "$v"
        fi
        if [ "$HAVE_QEMU" = 1 ]; then
            v=$(timeout "$TO" "$BT" first-byte "$QEMU" -accel "$ACCEL" \
                -nodefaults -display none -no-reboot -m 128 -kernel "$MBK" \
                "${qcon[@]}" -device isa-debug-exit,iobase=0xf4,iosize=4 \
                2>>"$LOG") && sample mb_first_byte q "$v"
        fi
    done
fi
note mb_first_byte f "n/a"

# 9: exec to the first character a boot sector prints through int 10h
# (kvmstub's built-in BIOS: --drive; QEMU with SeaBIOS booting the same
# image as an IDE disk; SeaBIOS's int 10h has no display here, so the
# boot sector sends the byte to 0xe9 right after the call as well).
BOOTS=$BUILD/tests/guests/boot_first.bin
HAS_DRIVE_OPT=0
"$VMM" --help 2>&1 | grep -q -- '--drive' && HAS_DRIVE_OPT=1
note boot_first_byte f "n/a"
if [ ! -f "$BOOTS" ]; then
    note boot_first_byte k "n/a: no boot_first.bin"
    note boot_first_byte q "n/a: no boot_first.bin"
else
    say "9  first int 10h byte of $BOOTS ($COLD_REPS starts each)"
    [ "$HAS_DRIVE_OPT" = 1 ] || note boot_first_byte k "n/a: no --drive"
    for ((i = 0; i < COLD_REPS; i++)); do
        # QEMU+SeaBIOS takes seconds per boot: one sample in a quick run.
        [ "$QUICK" = 1 ] && [ "$i" -gt 0 ] && [ "$HAS_DRIVE_OPT" = 1 ] &&
            { v=$(timeout "$TO" "$BT" first-byte "$VMM" --drive "$BOOTS" \
                2>>"$LOG") && sample boot_first_byte k "$v"; continue; }
        if [ "$HAS_DRIVE_OPT" = 1 ]; then
            v=$(timeout "$TO" "$BT" first-byte "$VMM" --drive "$BOOTS" \
                2>>"$LOG") && sample boot_first_byte k "$v"
        fi
        if [ "$HAVE_QEMU" = 1 ]; then
            # shellcheck disable=SC2054 # commas inside option values
            v=$(timeout "$TO" "$BT" first-byte "$QEMU" -accel "$ACCEL" \
                -nodefaults -display none -no-reboot -m 128 \
                -drive "file=$BOOTS,format=raw,if=ide" \
                -chardev stdio,id=con -device isa-debugcon,iobase=0xe9,chardev=con \
                -device isa-debug-exit,iobase=0xf4,iosize=4 \
                2>>"$LOG") && sample boot_first_byte q "$v"
        fi
    done
fi

# 8b: the kvm-unit-tests entries that passed under both QEMU and kvmstub
# in the last `make kut`, run again now; their total wall time on each.
note kut_both f "n/a"
KUT_LAST=$BUILD/kut.json
kut_why=
if [ "$QUICK" = 1 ]; then
    kut_why="n/a: quick run"
elif [ -z "$KUT" ]; then
    kut_why="n/a: KUT not set"
elif [ ! -f "$KUT_LAST" ]; then
    kut_why="n/a: no make kut yet"
elif [ "$HAVE_QEMU" != 1 ]; then
    kut_why="n/a: no QEMU"
fi
kut_list=
if [ -z "$kut_why" ]; then
    kut_list=$(sed -n 's/.*"both_pass": {"tests": \[\([^]]*\)\].*/\1/p' \
        "$KUT_LAST" | tr -d '",')
    [ -n "$kut_list" ] || kut_why="n/a: none passed both"
fi
if [ -n "$kut_why" ]; then
    note kut_both k "$kut_why"
    note kut_both q "$kut_why"
else
    say "8b kvm-unit-tests passing under both: $kut_list"
    kj=$OUT/kut.json
    if KUT_TESTS=$kut_list KUT_JSON=$kj KUT_LOGS=$OUT/kut-logs \
        KVMSTUB=$VMM QEMU=$QEMU bash tests/kut/run.sh "$KUT" \
        >>"$LOG" 2>&1 && [ -f "$kj" ]; then
        again=$(sed -n 's/.*"both_pass": {"tests": \[\([^]]*\)\].*/\1/p' \
            "$kj" | tr -d '",')
        if [ "$again" = "$kut_list" ]; then
            sample kut_both k "$(sed -n 's/.*"kvmstub_seconds": \([0-9.]*\).*/\1/p' "$kj")"
            sample kut_both q "$(sed -n 's/.*"both_pass".*"qemu_seconds": \([0-9.]*\).*/\1/p' "$kj")"
        else
            failed kut_both k "not all passed again ($again)"
            NOTE[kut_both.q]=failed
        fi
    else
        failed kut_both k "tests/kut/run.sh"
        NOTE[kut_both.q]=failed
    fi
fi

# ---------------------------------------------------------------- 10
# pc_smp with its `stay` byte set: the BSP starts three APs, one spins in
# ap_loop (0x300), the BSP in bsp_loop. kvmstub --machine pc --smp 4
# against QEMU -smp 4 on the same image.
SMP_STAY=$T_TMP/pc_smp_stay.bin
if cp "$SMP_IMG" "$SMP_STAY" 2>>"$LOG" &&
    printf '\001' | dd of="$SMP_STAY" bs=1 seek=512 conv=notrunc \
        status=none 2>>"$LOG"; then
    say "11a Ctrl-C latency x$INTRS, 4 vCPUs spinning"
    ROW_PIN=("${PIN[@]}")
    PIN=()
    qemu_saved=("${QEMU_EXTRA[@]}")
    intr_row smp_intr k "$SMP_STAY" --machine pc --smp 4
    QEMU_EXTRA=(-smp 4)
    [ "$HAVE_QEMU" = 1 ] && intr_row smp_intr q "$SMP_STAY"
    QEMU_EXTRA=("${qemu_saved[@]}")
    PIN=("${ROW_PIN[@]}")
    say "11b break+continue x$CONTS at the AP loop, 4 vCPUs ($REPS sessions each)"
    bp_script hbreak 0x300 >"$T_TMP/bp_smp.gdb"
    gdb_row smp_bp k "$SMP_STAY" "$T_TMP/bp_smp.gdb" --machine pc --smp 4
    if [ "$HAVE_QEMU" = 1 ]; then
        QEMU_EXTRA=(-smp 4)
        gdb_row smp_bp q "$SMP_STAY" "$T_TMP/bp_smp.gdb"
        QEMU_EXTRA=("${qemu_saved[@]}")
    fi
else
    note smp_intr k failed
    note smp_bp k failed
fi

# ---------------------------------------------------------------- 2
if [ "$QUICK" = 1 ]; then
    say "2  port-I/O exits: time to $PIO_BYTES bytes written"
else
    say "2  port-I/O exits: out_1m x$PIO_REPS each (about 30 s a round)"
fi
for ((i = 0; i < PIO_REPS; i++)); do
    if [ "$QUICK" = 1 ]; then
        v=$(timeout "$TO" "$BT" wchar "$PIO_BYTES" "$VMM" --hlt-sleep 0 \
            "$OUT1M" 2>>"$LOG") && sample pio_rate k "$v"
        v=$(timeout "$TO" "$BT" wchar "$PIO_BYTES" "$FLOOR" exits \
            "$OUT1M" 1 2>>"$LOG") && sample pio_rate f "$v"
    else
        v=$(timeout "$TO" "$BT" wall "$VMM" --max-halts 1 --hlt-sleep 0 \
            "$OUT1M" 2>>"$LOG") && sample pio_rate k "$v"
        v=$(timeout "$TO" "$BT" wall "$FLOOR" exits "$OUT1M" 1 \
            2>>"$LOG") && sample pio_rate f "$v"
    fi
    if [ "$HAVE_QEMU" = 1 ]; then
        # QEMU never exits on HLT: time it until it has written them all.
        qemu_cmd "$OUT1M" /dev/null 1M
        v=$(timeout "$TO" "$BT" wchar "$PIO_BYTES" "${QCMD[@]}" \
            2>>"$LOG") && sample pio_rate q "$v"
    fi
done

# ---------------------------------------------------------------- 10
REC=$BUILD/tests/guests/rec.bin
TOUCH=$BUILD/tests/guests/touch64.bin
say "10a/10b guest speed with and without --record"
cat >"$T_TMP/rec.gdb" <<EOF
break *0x3a
MARK
continue
MARK
EOF
ROW_REPS=$REPS
[ "$QUICK" = 1 ] && REPS=1
gdb_row rec_speed k "$REC" "$T_TMP/rec.gdb" --record --hlt-sleep 0
gdb_row norec_speed k "$REC" "$T_TMP/rec.gdb" --hlt-sleep 0
REPS=$ROW_REPS
say "10c reverse-stepi with $REV_PASSES passes of history"
{
    echo 'break *0x3a'
    [ "$REV_PASSES" -gt 1 ] && echo "ignore 1 $((REV_PASSES - 1))"
    echo 'continue'
    echo 'monitor record'
    for ((i = 0; i < REV_STEPS; i++)); do
        printf 'reverse-stepi\nmonitor record\n'
    done
    echo kill
} >"$T_TMP/rev.gdb"
ROW_TO=$TO
TO=1800 # recording a million instructions takes minutes on slow hosts
if start_target k "$REC" --record --hlt-sleep 0; then
    timeout -k 2 "$TO" "$GDB" -q -n -batch -ex 'set confirm off' \
        -ex 'set pagination off' -ex "target remote 127.0.0.1:$PORT" \
        -x "$T_TMP/rev.gdb" >"$T_TMP/rev.out" 2>&1
    stop "$BG"
    cat "$T_TMP/rev.out" >>"$LOG"
    # The first "last seek" line is from before any reverse step.
    sed -n 's/^last seek: \([0-9.]*\) ms$/\1/p' "$T_TMP/rev.out" |
        tail -n +2 | while read -r ms; do
        sample rev_stepi k "$(awk -v m="$ms" 'BEGIN { printf "%d", m * 1000 }')"
    done
    [ -s "$T_TMP/s.rev_stepi.k" ] || failed rev_stepi k "the gdb session"
else
    failed rev_stepi k "starting the target"
fi
TO=$ROW_TO
say "10f/10g pc_rec.bin to its exit, with and without --record"
PCREC=$BUILD/tests/guests/pc_rec.bin
cat >"$T_TMP/pcrec.gdb" <<EOF
break *0x70
MARK
continue
MARK
monitor record
kill
EOF
ROW_REPS=$REPS
[ "$QUICK" = 1 ] && REPS=1
gdb_row pc_rec k "$PCREC" "$T_TMP/pcrec.gdb" --machine pc --record
gdb_row pc_norec k "$PCREC" "$T_TMP/pcrec.gdb" --machine pc
REPS=$ROW_REPS
# The instructions that takes under --record (the same each run).
sed 's/^MARK$//' "$T_TMP/pcrec.gdb" >"$T_TMP/pcn.gdb"
if start_target k "$PCREC" --machine pc --record; then
    timeout -k 2 "$TO" "$GDB" -q -n -batch -ex 'set confirm off' \
        -ex 'set pagination off' -ex "target remote 127.0.0.1:$PORT" \
        -x "$T_TMP/pcn.gdb" 2>&1 | grep -E '^(recording|virtual)' |
        sed 's/^/pc_rec: /' | tee -a "$LOG" >&2
    stop "$BG"
fi
say "10d/10e savevm and loadvm, 64 MiB touched ($REPS each)"
{
    echo 'hbreak *0x80'
    echo 'continue'
    for ((i = 0; i < REPS; i++)); do
        printf 'monitor savevm s%d\nmonitor loadvm s%d\nmonitor delvm s%d\n' \
            "$i" "$i" "$i"
    done
    echo kill
} >"$T_TMP/snap.gdb"
if start_target k "$TOUCH" --mem 80M --hlt-sleep 0; then
    timeout -k 2 "$TO" "$GDB" -q -n -batch -ex 'set confirm off' \
        -ex 'set pagination off' -ex "target remote 127.0.0.1:$PORT" \
        -x "$T_TMP/snap.gdb" >"$T_TMP/snap.out" 2>&1
    stop "$BG"
    cat "$T_TMP/snap.out" >>"$LOG"
    for w in saved loaded; do
        row=savevm
        [ "$w" = loaded ] && row=loadvm
        sed -n "s/^snapshot 's[0-9]*' $w:.* \([0-9.]*\) ms\$/\1/p" \
            "$T_TMP/snap.out" | while read -r ms; do
            sample "$row" k "$(awk -v m="$ms" 'BEGIN { printf "%d", m * 1000 }')"
        done
        [ -s "$T_TMP/s.$row.k" ] || failed "$row" k "the gdb session"
    done
else
    failed savevm k "starting the target"
    failed loadvm k "starting the target"
fi

# ---------------------------------------------------------------- 12
PWB=$BUILD/tests/guests/pw_bench.bin
say "12a/12b a write watchpoint hit after a loop, auto and by stepping"
cat >"$T_TMP/watch.gdb" <<EOF
watch *(char*)0x2000
MARK
continue
MARK
EOF
ROW_REPS=$REPS
[ "$QUICK" = 1 ] && REPS=1
gdb_row watch_page k "$PWB" "$T_TMP/watch.gdb" --hlt-sleep 0
gdb_row watch_step k "$PWB" "$T_TMP/watch.gdb" --hlt-sleep 0 \
    --debug-mechanism step
REPS=$ROW_REPS

# ---------------------------------------------------------------- 13
# 13a/13b: the time of one `next` over step32's loop line, with range
# stepping (gdb sends one vCont;r, the VMM steps the loop) and with `set
# range-stepping off` (gdb single-steps it: a round trip an instruction),
# both on the same kernel in the same run. QEMU 7.2's gdbstub has no `r`
# in its vCont? reply, so gdb single-steps there in both rows.
STEP_K=$BUILD/tests/kernels/step32.elf
# next_target k|q: step32.elf stopped for gdb on PORT (BG its pid).
next_target() {
    local try
    for try in 1 2; do
        PORT=$(bench_port)
        if [ "$1" = k ]; then
            spawn_bg "${PIN[@]}" "$VMM" --gdb "$PORT" --kernel "$STEP_K"
        else
            spawn_bg "${PIN[@]}" "$QEMU" -accel "$ACCEL" -nodefaults \
                -display none -no-reboot -m 128 -kernel "$STEP_K" \
                -device isa-debug-exit,iobase=0xf4,iosize=4 -S \
                -gdb "tcp:127.0.0.1:$PORT"
        fi
        timeout 30 "$BT" wait-listen "$PORT" "$BG" 2>>"$LOG" && return 0
        stop "$BG"
    done
    return 1
}
# next_row ROW COL on|off: REPS sessions timing the one `next`.
next_row() {
    local rep line
    line=$(grep -n "STEP32_LINE_$NEXT_MARK " tests/kernels/step32.c | cut -d: -f1)
    printf '%s\n' "symbol-file $STEP_K" "hbreak tests/kernels/step32.c:$line" \
        continue delete "set range-stepping $3" MARK next MARK kill \
        >"$T_TMP/next.gdb"
    for ((rep = 0; rep < REPS; rep++)); do
        if ! next_target "$2"; then
            failed "$1" "$2" "starting the target"
            return
        fi
        if ! gdb_marks "$PORT" "$T_TMP/next.gdb"; then
            stop "$BG"
            failed "$1" "$2" "the gdb session"
            return
        fi
        stop "$BG"
        sample "$1" "$2" "${SPANS[0]}"
    done
}
if [ ! -f "$STEP_K" ]; then
    for c in k q; do
        note next_range "$c" "n/a: no step32.elf"
        note next_stepi "$c" "n/a: no step32.elf"
    done
else
    say "13 next over a $NEXT_ITERS-iteration loop ($REPS sessions each)"
    next_row next_range k on
    next_row next_stepi k off
    if [ "$HAVE_QEMU" = 1 ]; then
        next_row next_range q on
        next_row next_stepi q off
    fi
fi

# ---------------------------------------------------------------- report
# cell ROW COL: sets C_MED (raw median or empty) and C_TXT (table text)
# and C_JSON.
cell() {
    local f=$T_TMP/s.$1.$2 s
    C_MED=
    if [ -s "$f" ] && s=$("$BT" stats "${HOW[$1]}" "${K[$1]}" <"$f"); then
        read -r med min max n hmed hmin hmax <<<"$s"
        C_MED=$med
        C_TXT="$hmed ($hmin-$hmax)"
        C_JSON="{\"median\": $med, \"min\": $min, \"max\": $max, \"n\": $n}"
    else
        local why=${NOTE[$1.$2]:-failed}
        C_TXT=$why
        C_JSON="{\"status\": \"$why\"}"
    fi
}
# json_num X: X, or null when it is not a number.
json_num() {
    if [ -n "$1" ] && [ "$1" != null ]; then echo "$1"; else echo null; fi
}

qhead="QEMU"
[ "$HAVE_QEMU" = 1 ] && qhead="QEMU ($ACCEL)"
fmt="%-34s %-9s %-24s %-24s %-24s %-8s %s\n"
table=$(printf "$fmt" "row" "unit" "kvmstub" "floor" "$qhead" "k/floor" \
    "vs QEMU")
json_rows=()
declare -A RATIO_F RATIO_Q MED_K
for r in "${ROWS[@]}"; do
    cell "$r" k
    tk=$C_TXT jk=$C_JSON mk=$C_MED
    cell "$r" f
    tf=$C_TXT jf=$C_JSON mf=$C_MED
    cell "$r" q
    tq=$C_TXT jq=$C_JSON mq=$C_MED
    read -r rf sf <<<"$("$BT" ratio "${mk:--}" "${mf:--}")"
    if [ "${BETTER[$r]}" = lower ]; then
        read -r rq sq <<<"$("$BT" ratio "${mq:--}" "${mk:--}")"
    else
        read -r rq sq <<<"$("$BT" ratio "${mk:--}" "${mq:--}")"
    fi
    MED_K[$r]=$mk RATIO_F[$r]=$rf RATIO_Q[$r]=$rq
    [ "$sq" = - ] || sq="${sq}x"
    table+=$'\n'$(printf "$fmt" "${LABEL[$r]}" "${UNIT[$r]}" "$tk" "$tf" \
        "$tq" "$sf" "$sq")
    json_rows+=("    {\"id\": \"$r\", \"label\": \"${LABEL[$r]}\", \
\"unit\": \"${UNIT[$r]}\", \"better\": \"${BETTER[$r]}\",
     \"kvmstub\": $jk,
     \"floor\": $jf,
     \"qemu\": $jq,
     \"kvmstub_over_floor\": $(json_num "$rf"), \
\"kvmstub_vs_qemu\": $(json_num "$rq")}")
done

# Targets from the issue; "unknown" when a figure is missing.
TARGETS=()
# target NAME VALUE OP LIMIT: OP is ge, le or lt.
target() {
    local res=unknown a=$2 b=$4
    [ "$3" = le ] && a=$4 b=$2 # VALUE <= LIMIT is LIMIT >= VALUE
    if [ -n "$2" ] && [ "$2" != null ]; then
        "$BT" cmp "$a" "$b"
        case "$?.$3" in
        0.ge | 0.le | 1.lt) res=met ;;
        1.ge | 1.le | 0.lt) res=missed ;;
        esac
    fi
    TARGETS+=("$res|$1|$2")
}
target "cold start <= 1.5x floor" "${RATIO_F[cold_first_byte]}" le 1.5
target "first byte >= 20x faster than QEMU" "${RATIO_Q[cold_first_byte]}" \
    ge 20
target "port-I/O rate >= 0.9x floor" "${RATIO_F[pio_rate]}" ge 0.9
target "stepi >= 2x QEMU" "${RATIO_Q[stepi]}" ge 2
target "VMM share of a stepi <= 25%" "${MED_K[stepi_share]}" le 25
target "breakpoint round trips >= 2x QEMU" "${RATIO_Q[bp_loop]}" ge 2
target "Ctrl-C latency < 1 ms, spinning (us)" "${MED_K[intr_spin]}" lt 1000
target "Ctrl-C latency < 1 ms, in HLT (us)" "${MED_K[intr_hlt]}" lt 1000
target "1 MiB dump >= 5x QEMU" "${RATIO_Q[mem_dump]}" ge 5
target "Ctrl-C latency < 1 ms, 4 vCPUs spinning (us)" "${MED_K[smp_intr]}" \
    lt 1000
read -r WATCH_RATIO _ <<<"$("$BT" ratio "${MED_K[watch_step]:--}" \
    "${MED_K[watch_page]:--}")"
target "write watchpoint: auto >= 10x faster than stepping (ratio)" \
    "$WATCH_RATIO" ge 10

{
    echo "{"
    echo "  \"quick\": $([ "$QUICK" = 1 ] && echo true || echo false),"
    echo "  \"host\": {\"kernel\": \"$(uname -r)\", \"cpus\": $(nproc)," \
        "\"breakpoints_auto\": \"$AUTO_MECH\", \"dr\": $HAS_DR," \
        "\"step\": $HAS_STEP, \"int3\": $HAS_INT3},"
    echo "  \"qemu\": {\"status\": \"$QEMU_STATE\"," \
        "\"version\": \"$QEMU_VERSION\"},"
    echo "  \"counts\": {\"cold_starts\": $COLD_REPS, \"sessions\": $REPS," \
        "\"pio_runs\": $PIO_REPS, \"pio_bytes\": $PIO_BYTES," \
        "\"steps\": $STEPS, \"continues\": $CONTS, \"interrupts\": $INTRS},"
    echo "  \"rows\": ["
    for ((i = 0; i < ${#json_rows[@]}; i++)); do
        sep=,
        [ "$i" -eq $((${#json_rows[@]} - 1)) ] && sep=
        echo "${json_rows[i]}$sep"
    done
    echo "  ],"
    echo "  \"targets\": ["
    for ((i = 0; i < ${#TARGETS[@]}; i++)); do
        IFS='|' read -r res name val <<<"${TARGETS[i]}"
        sep=,
        [ "$i" -eq $((${#TARGETS[@]} - 1)) ] && sep=
        echo "    {\"target\": \"$name\", \"value\": $(json_num "$val")," \
            "\"result\": \"$res\"}$sep"
    done
    echo "  ]"
    echo "}"
} >"$JSON.tmp" && mv "$JSON.tmp" "$JSON" || die "writing $JSON failed"

echo "$table"
echo
echo "median (min-max) of repeated runs; k/floor = kvmstub / floor;" \
    "vs QEMU = times better (>1: kvmstub wins)."
pinned="gdb and target share CPU $(($(nproc) - 1))"
[ "${#PIN[@]}" -eq 0 ] && pinned="gdb and target where the scheduler puts them"
echo "rows 3-5: $pinned (BENCH_PIN)."
echo "4d and QEMU breakpoints: out_1m's loop, break *$LOOP_BP (QEMU:" \
    "${QEMU_BREAK:-}); HELLO's HLT never wakes under QEMU."
echo "13: step32.elf's $NEXT_ITERS-iteration loop line; QEMU's gdbstub does" \
    "no range stepping (no r in vCont?): gdb single-steps it in 12a too."
for t in "${TARGETS[@]}"; do
    IFS='|' read -r res name val <<<"$t"
    printf "target %-7s %s: %s\n" "$res" "$name" "${val:-?}"
done
echo "JSON: $JSON"
