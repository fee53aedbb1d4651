#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Watchpoints of every kind by page protection (where `vmm --host-info`
# says the host's KVM makes read-only memslot writes and hole reads exit):
# watch, rwatch and awatch in real mode (pw_real.bin) and long mode
# (pw_long.bin), data in the code's own page, a range across a page
# boundary, rep stosb/movsb across pages (pw_rep.bin), accesses to the page outside the range going on, gdb's values,
# continue after a hit, delete then run freely; --record and --smp 2 fall
# back to stepping (write watchpoints only) and say so.
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

REAL=$G/pw_real.bin
LONG=$G/pw_long.bin
REP=$G/pw_rep.bin
SMP=$G/pc_smp.bin
PRINT_PC='printf "PC=%#x\n", $pc'

PAGE=0
if [ -z "$T_NEED_WHY" ] && [ -x "$VMM" ]; then
    HOST_INFO=$(timeout 10 "$VMM" --host-info 2>&1)
    printf '%s\n' "$HOST_INFO" | grep -iE 'memslot|hole|watchpoint' |
        sed 's/^/# host-info: /'
    printf '%s\n' "$HOST_INFO" |
        grep -qE '^watchpoint mechanism \(auto\): page' && PAGE=1
fi

# The probe must find page protection wherever KVM has read-only slots
# (KVM API doc: writes to them exit as MMIO), or every test here would
# skip unnoticed.
name="a host with KVM_CAP_READONLY_MEM offers page protection (--host-info)"
if need "$name"; then
    if ! printf '%s\n' "$HOST_INFO" |
        grep -qE '^KVM_CAP_READONLY_MEM +[1-9]'; then
        t_skip "$name" "this host's KVM has no read-only memslots"
    else
        printf '%s\n' "$HOST_INFO" |
            grep -q '^read-only memslot writes exit: yes$' &&
            printf '%s\n' "$HOST_INFO" |
            grep -q '^memory-hole reads exit: yes$'
        t_check "$name" $? "$(printf '%s\n' "$HOST_INFO" | grep -E 'exit:')"
    fi
fi

# page_test NAME IMAGE SCRIPT WANT_PCS [REGEX...]: one session; passes when
# the stops are WANT_PCS and gdb's output has every REGEX.
page_test() {
    local name=$1 image=$2 script=$3 want=$4 re got ok=0
    shift 4
    need "$name" "$image" || return
    if [ "$PAGE" -ne 1 ]; then
        t_skip "$name" "no page protection on this host (vmm --host-info)"
        return
    fi
    if vmm_gdb_start --hlt-sleep 0 --max-halts 50 "$image"; then
        gdb_script "$script"
        got=$(stop_pcs)
        [ "$got" = "$want" ] || ok=1
        for re in "$@"; do
            gdb_has "$re" || ok=1
        done
        t_check "$name" $ok "stops '$got', want '$want'; $(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
}

page_test "real: watch in another page than the code, by page protection" \
    "$REAL" "set breakpoint always-inserted on
watch *(char*)0x1000
monitor breakpoints
continue
$PRINT_PC
continue
$PRINT_PC" "0x14 0x14" \
    '^watch +0x1000 len 1 page protection' \
    "^Old value = 0 '.000'$" "^New value = 1 '.001'$" \
    "^Old value = 1 '.001'$" "^New value = 2 '.002'$"

page_test "real: rwatch stops after the incb (its read) and the mov" \
    "$REAL" "rwatch *(char*)0x1000
continue
$PRINT_PC
continue
$PRINT_PC
continue
$PRINT_PC" "0x14 0x17 0x14" \
    "^Value = 1 '.001'$" "^Value = 2 '.002'$"

page_test "real: awatch sees the write, then the read" \
    "$REAL" "awatch *(char*)0x1000
continue
$PRINT_PC
continue
$PRINT_PC" "0x14 0x17" \
    "^Old value = 0 '.000'$" "^New value = 1 '.001'$" "^Value = 1 '.001'$"

page_test "real: accesses to the page outside the range go on; hbreak first" \
    "$REAL" "awatch *(char*)0x1200
hbreak *0x27
continue
$PRINT_PC
continue
$PRINT_PC
x/xb 0x1100
monitor stats" "0x27 0x27" \
    '^0x1100:[[:space:]]+0x02$' '^page protection: [1-9][0-9]* accesses'

page_test "real: a word across a page boundary (0x1fff-0x2000)" \
    "$REAL" "watch *(short*)0x1fff
continue
$PRINT_PC
continue
$PRINT_PC" "0x1d 0x1d" \
    '^Old value = 0$' '^New value = 1$' '^New value = 2$'

page_test "real: data in the code's own page: rwatch then awatch" \
    "$REAL" "rwatch *(char*)0x300
continue
$PRINT_PC
continue
$PRINT_PC
delete
awatch *(char*)0x300
continue
$PRINT_PC
continue
$PRINT_PC" "0x21 0x25 0x21 0x25" \
    "^Value = 1 '.001'$" "^Old value = 1 '.001'$" "^New value = 2 '.002'$" \
    "^Value = 2 '.002'$"

page_test "real: stepi onto a watched write reports it; delete, run to the end" \
    "$REAL" "stepi 5
$PRINT_PC
watch *(char*)0x1000
stepi
$PRINT_PC
delete
continue" "0x10 0x14" \
    "^New value = 1 '.001'$" 'exited normally|exited with code'

page_test "long mode: watch, rwatch (RIP-relative, base+index) on a qword" \
    "$LONG" "hbreak *0x200
continue
delete
watch *(long long*)0x5000
continue
$PRINT_PC
delete
rwatch *(long long*)0x5000
continue
$PRINT_PC
continue
$PRINT_PC
continue
$PRINT_PC
delete
awatch *(char*)0x5100
continue
$PRINT_PC" "0x208 0x20f 0x213 0x208 0x21a" \
    '^Old value = 0$' '^New value = 1$' '^Value = 1$' '^Value = 2$'

page_test "rep stosb across pages 0/1: stops after the iteration writing 0x1004" \
    "$REP" "watch *(char*)0x1004
continue
$PRINT_PC
printf \"CX=%#x\\n\", \$cx" "0x1a" \
    "^Old value = 0 '.000'$" "^New value = 85 'U'$" '^CX=0x3$'

page_test "rep movsb from a hole: the read stops it, the copy is right" \
    "$REP" "rwatch *(char*)0x2001
continue
x/xb 0x3005
delete
rwatch *(char*)0x2004
hbreak *0x2c
continue
$PRINT_PC
x/xb 0x3005" "0x2c" \
    "^Value = 102 'f'$" '^0x3005:[[:space:]]+0x66$'

# delete then continue: the guest runs freely (every HLT of --max-halts).
name="real: after delete the guest runs to its end at full speed"
if need "$name" "$REAL"; then
    if [ "$PAGE" -ne 1 ]; then
        t_skip "$name" "no page protection on this host"
    elif vmm_gdb_start --hlt-sleep 0 --max-halts 30 "$REAL"; then
        gdb_script "rwatch *(char*)0x300
continue
$PRINT_PC
delete
continue
monitor stats"
        got=$(stop_pcs)
        [ "$got" = 0x21 ] && gdb_has 'exited normally' &&
            [ "$(vmm_out_count $'\x1e')" -eq 1 ]
        t_check "$name" $? "stops '$got'; $(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --record and --smp 2: no page protection there; write watchpoints by
# stepping, read and access ones refused with a message gdb shows. (After
# gdb detaches, pc_smp runs to its end and the VMM exits: with --smp the
# check is that it said nothing of a crash, not that it still runs.)
for mode in record smp; do
    if [ "$mode" = record ]; then
        name="--record: watch by stepping, rwatch refused cleanly"
        img=$REAL args=(--record)
    else
        name="--smp 2: watch by stepping, rwatch refused cleanly"
        img=$SMP args=(--machine pc --smp 2)
    fi
    if need "$name" "$img"; then
        if vmm_gdb_start "${args[@]}" "$img"; then
            gdb_script "set breakpoint always-inserted on
watch *(char*)0x1000
monitor breakpoints
rwatch *(char*)0x1001"
            gdb_has '^watch +0x1000 len 1 single-step' &&
                ! gdb_has 'page protection$' &&
                gdb_has 'Could not insert|Cannot insert|not supported' &&
                { [ "$mode" = smp ] || vmm_alive; } &&
                ! grep -qiE 'internal error|crash|sanitizer' "$VERR"
            t_check "$name" $? "$(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi
done

t_done
