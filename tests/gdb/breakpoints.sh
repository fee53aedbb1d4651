#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# gdb breakpoints and watchpoints against build/vmm --gdb, once for each
# --debug-mechanism this host can do (dr, step, auto; int3 only when
# `vmm --host-info` says KVM intercepts int3): a breakpoint on every
# instruction of the hello loop, 100 breakpoints, tbreak, the hardware
# breakpoint limit, write/read/access watchpoints on watch.bin, guest bytes
# untouched (and hidden while patched), resuming from a breakpoint, delete;
# breakpoints by linear address in real-mode code with CS != 0 (cs100.bin);
# a guest that single-steps itself (tf.bin) is not changed by watchpoints,
# breakpoints or stepi.
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

# The hello loop: an instruction at every even offset to 0x18 (hlt), then
# the jmp at 0x19.
LOOP="0x0 0x2 0x4 0x6 0x8 0xa 0xc 0xe 0x10 0x12 0x14 0x16 0x18 0x19"
# Stop pcs gdb should see continuing from 0 with all of them set: the one
# at the start pc is stepped over, then the others in order, then 0 again.
LOOP_STOPS="0x2 0x4 0x6 0x8 0xa 0xc 0xe 0x10 0x12 0x14 0x16 0x18 0x19 0"

PRINT_PC='printf "PC=%#x\n", $pc'

# cont_n N: N times "continue" and print the pc, as script lines.
cont_n() {
    local i
    for ((i = 0; i < $1; i++)); do
        printf 'continue\n%s\n' "$PRINT_PC"
    done
}

# breaks CMD ADDR...: one "CMD *ADDR" line per address.
breaks() {
    local cmd=$1 a
    shift
    for a in "$@"; do
        printf '%s *%s\n' "$cmd" "$a"
    done
}

# --- which mechanisms -------------------------------------------------------

MECHS="dr step auto"
INT3=0
if [ -z "$T_NEED_WHY" ] && [ -x "$VMM" ]; then
    HOST_INFO=$(timeout 10 "$VMM" --host-info 2>&1)
    # Show the probe verdicts, so a run on other hardware says what it had.
    printf '%s\n' "$HOST_INFO" |
        grep -iE 'single-step|int3|debug-register|mechanism' |
        sed 's/^/# host-info: /'
    if printf '%s\n' "$HOST_INFO" | grep -qiE '^int3 intercepted.*: *yes'; then
        INT3=1
        MECHS="int3 dr step auto"
    fi
fi

name="--debug-mechanism int3 refused (exit 2, clear message) when int3 is not intercepted"
if need "$name" "$HELLO"; then
    if [ "$INT3" -eq 1 ]; then
        t_skip "$name" "this host intercepts int3: tested as a mechanism"
    else
        PORT=$(free_port)
        t0=$(now_ms)
        timeout 10 "$VMM" --gdb "$PORT" --debug-mechanism int3 "$HELLO" \
            >"$T_TMP/int3.out" 2>"$T_TMP/int3.err"
        rc=$?
        ms=$(($(now_ms) - t0))
        msg=$(head -n 3 "$T_TMP/int3.err" | tr '\n' '|')
        echo "# --debug-mechanism int3: exit $rc: $msg"
        if [ "$rc" -eq 2 ] && [ "$ms" -lt 5000 ] && [ ! -s "$T_TMP/int3.out" ] &&
            grep -qiE 'int3|debug-mechanism' "$T_TMP/int3.err" &&
            grep -qiE 'cannot|not supported|unsupported|unavailable|host' \
                "$T_TMP/int3.err"; then
            t_pass "$name"
        else
            t_fail "$name" "exit $rc after ${ms}ms, stderr: $msg"
        fi
    fi
fi

name="tf.bin alone prints DDDDDDDDBdone (the reference for the gdb cases)"
if need "$name" "$G/tf.bin"; then
    out=$(timeout 10 "$VMM" --hlt-sleep 0 --max-halts 1 "$G/tf.bin" 2>/dev/null)
    [ "$out" = DDDDDDDDBdone ]
    t_check "$name" $? "got '$out'"
fi

for M in $MECHS; do
    DM=(--debug-mechanism "$M")

    name="[$M] break on all 14 hello-loop instructions, hit in order in one pass"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$HELLO"; then
            # shellcheck disable=SC2086
            gdb_script "$(breaks break $LOOP)
$(cont_n 14)
shell cp '$VOUT' '$T_TMP/loop-out'"
            got=$(stop_pcs)
            hits=$(grep -cE '^Breakpoint [0-9]+, 0x' "$GDB_OUT")
            if [ "$got" = "$LOOP_STOPS" ] && [ "$hits" -eq 14 ] &&
                gdb_has '^Breakpoint 14, 0x00000019 in' &&
                gdb_has '^Breakpoint 1, 0x00000000 in' && vmm_alive &&
                [ "$(cat "$T_TMP/loop-out")" = Hello ]; then
                t_pass "$name"
            else
                t_fail "$name" "stops '$got' ($hits hits); $(why)"
            fi
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    name="[$M] 100 breakpoints: the 14 in the loop hit in order, twice round"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$HELLO"; then
            others=()
            for ((i = 0; i < 86; i++)); do
                others+=("$(printf '%#x' $((0x1000 + i * 0x40)))")
            done
            # shellcheck disable=SC2086
            gdb_script "$(breaks break $LOOP "${others[@]}")
info breakpoints
$(cont_n 28)"
            got=$(stop_pcs)
            n=$(grep -cE '^[0-9]+ +breakpoint +keep +y' "$GDB_OUT")
            if [ "$got" = "$LOOP_STOPS $LOOP_STOPS" ] && [ "$n" -eq 100 ] &&
                ! gdb_has 'Cannot insert|Could not insert'; then
                t_pass "$name"
            else
                t_fail "$name" "$n breakpoints, stops '$got'; $(why)"
            fi
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    name="[$M] tbreak *0x6 hits once, then is gone"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 --max-halts 2 "$HELLO"; then
            gdb_script "tbreak *0x6
continue
$PRINT_PC
info breakpoints
continue"
            vmm_wait_exit 5
            if [ "$(stop_pcs)" = 0x6 ] &&
                gdb_has '^Temporary breakpoint 1, 0x00000006 in' &&
                gdb_has 'No breakpoints or watchpoints' &&
                gdb_has 'exited normally' &&
                [ "$(grep -c 'breakpoint 1, ' "$GDB_OUT")" -eq 1 ] &&
                [ "$(vmm_out_count H)" -eq 2 ]; then
                t_pass "$name"
            else
                t_fail "$name" "$(why)"
            fi
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    # Four debug registers: a fifth hbreak is refused under every
    # mechanism (the step one too), so hbreak means the same everywhere.
    name="[$M] hbreak x4 hit in order; a fifth refused with a gdb message"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$HELLO"; then
            # The five continues fail with pc 0, then without the fifth
            # the four are hit.
            gdb_run -ex 'hbreak *0x2' -ex 'hbreak *0x4' -ex 'hbreak *0x6' \
                -ex 'hbreak *0x8' -ex 'hbreak *0xa' \
                -ex 'continue' -ex "$PRINT_PC" -ex 'continue' -ex "$PRINT_PC" \
                -ex 'continue' -ex "$PRINT_PC" -ex 'continue' -ex "$PRINT_PC" \
                -ex 'continue' -ex "$PRINT_PC" -ex 'delete 5' \
                -ex 'continue' -ex "$PRINT_PC" -ex 'continue' -ex "$PRINT_PC" \
                -ex 'continue' -ex "$PRINT_PC" -ex 'continue' -ex "$PRINT_PC"
            got=$(stop_pcs)
            msg=$(grep -iE 'could(n.t| not) (insert|write)|too many' "$GDB_OUT" |
                head -n 2 | tr '\n' ' ')
            if [ -n "$msg" ] && [ "$got" = "0 0 0 0 0 0x2 0x4 0x6 0x8" ] &&
                vmm_alive; then
                echo "# [$M] fifth hbreak refused: $msg"
                t_pass "$name"
            else
                t_fail "$name" "stops '$got', message '$msg'; $(why)"
            fi
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    # hbreak takes a debug register from a break, which must go on working
    # (by stepping or int3) and still be hit in order.
    name="[$M] 4 break then 4 hbreak: all 8 hit in order"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$HELLO"; then
            gdb_script "$(breaks break 0x2 0x6 0xa 0xe)
$(breaks hbreak 0x4 0x8 0xc 0x10)
$(cont_n 8)"
            got=$(stop_pcs)
            [ "$got" = "0x2 0x4 0x6 0x8 0xa 0xc 0xe 0x10" ] &&
                ! gdb_has 'Could not insert'
            t_check "$name" $? "stops '$got'; $(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    name="[$M] watch *(char*)0x200: Old value = 0, New value = 1, pc after the incb"
    if need "$name" "$WATCH"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$WATCH"; then
            gdb_script "watch *(char*)0x200
continue
$PRINT_PC
continue
$PRINT_PC
shell cp '$VOUT' '$T_TMP/watch-out'"
            got=$(stop_pcs)
            # Stopped at the second incb's successor: one byte (1) printed.
            if [ "$got" = "0x14 0x14" ] &&
                gdb_has "^Old value = 0 '.000'$" &&
                gdb_has "^New value = 1 '.001'$" &&
                gdb_has "^Old value = 1 '.001'$" &&
                gdb_has "^New value = 2 '.002'$" &&
                [ "$(od -An -tu1 "$T_TMP/watch-out" | tr -d ' ')" = 1 ]; then
                t_pass "$name"
            else
                t_fail "$name" "stops '$got'; $(why)"
            fi
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    name="[$M] watch *(short*)0x1ff (overlaps the counter): 0 -> 256 at 0x14"
    if need "$name" "$WATCH"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$WATCH"; then
            gdb_script "watch *(short*)0x1ff
continue
$PRINT_PC"
            got=$(stop_pcs)
            [ "$got" = 0x14 ] && gdb_has '^Old value = 0$' &&
                gdb_has '^New value = 256$'
            t_check "$name" $? "stops '$got'; $(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    # gdb's own write to the watched byte is no guest write: the next stop
    # must compare against what gdb wrote.
    name="[$M] watch: a gdb write to the byte does not fire; next is 5 -> 6"
    if need "$name" "$WATCH"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$WATCH"; then
            gdb_script "watch *(char*)0x200
set {char}0x200 = 5
continue
$PRINT_PC"
            got=$(stop_pcs)
            [ "$got" = 0x14 ] && gdb_has "^Old value = 5 '.005'$" &&
                gdb_has "^New value = 6 '.006'$"
            t_check "$name" $? "stops '$got'; $(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    name="[$M] watch: stepi over the incb reports it; continue then 1 -> 2"
    if need "$name" "$WATCH"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$WATCH"; then
            gdb_script "stepi 3
$PRINT_PC
watch *(char*)0x200
stepi
$PRINT_PC
continue
$PRINT_PC"
            got=$(stop_pcs)
            [ "$got" = "0x10 0x14 0x14" ] &&
                [ "$(grep -c '^Hardware watchpoint 1: ' "$GDB_OUT")" -eq 3 ] &&
                gdb_has "^Old value = 0 '.000'$" &&
                gdb_has "^New value = 1 '.001'$" &&
                gdb_has "^Old value = 1 '.001'$" &&
                gdb_has "^New value = 2 '.002'$"
            t_check "$name" $? "stops '$got'; $(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    name="[$M] watch and break *0x19 together: stops alternate 0x14, 0x19"
    if need "$name" "$WATCH"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$WATCH"; then
            gdb_script "watch *(char*)0x200
break *0x19
$(cont_n 4)"
            got=$(stop_pcs)
            [ "$got" = "0x14 0x19 0x14 0x19" ] &&
                [ "$(grep -c '^Breakpoint 2, 0x00000019' "$GDB_OUT")" -eq 2 ] &&
                gdb_has "^New value = 2 '.002'$"
            t_check "$name" $? "stops '$got'; $(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    for W in rwatch awatch; do
        name="[$M] $W *(char*)0x200: honoured or cleanly refused, VMM alive"
        if need "$name" "$WATCH"; then
            if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$WATCH"; then
                gdb_run -ex "$W *(char*)0x200" -ex 'continue' -ex "$PRINT_PC" \
                    -ex 'delete' -ex 'stepi' -ex "$PRINT_PC" \
                    -ex 'x/xb 0x200'
                got=$(stop_pcs)
                if gdb_has 'Could not insert hardware watchpoint|Could not insert hardware breakpoints|Cannot insert|not supported' &&
                    [ "$got" = "0 0x2" ] && vmm_alive && [ "$GDB_MS" -lt 20000 ]; then
                    echo "# [$M] $W refused: $(grep -m1 -iE 'could not|cannot' "$GDB_OUT")"
                    t_pass "$name"
                elif [ "$W" = rwatch ] && [ "${got%% *}" = 0x14 ] &&
                    gdb_has '^Value = 1'; then
                    # The incb at 0x10 reads the byte first (a
                    # read-modify-write): the stop is after it.
                    echo "# [$M] $W honoured"
                    t_pass "$name"
                elif [ "$W" = awatch ] && [ "${got%% *}" = 0x14 ] &&
                    gdb_has '^(Old value = 0|Value = 0)'; then
                    echo "# [$M] $W honoured"
                    t_pass "$name"
                else
                    t_fail "$name" "stops '$got'; $(why)"
                fi
            else
                t_fail "$name" "VMM did not listen: $(why)"
            fi
            vmm_stop
        fi
    done

    name="[$M] guest bytes identical before, during (always-inserted) and after breakpoints"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$HELLO"; then
            # shellcheck disable=SC2086
            gdb_script "set code-cache off
set stack-cache off
dump binary memory $T_TMP/mem-before 0 0x100
echo X32-BEFORE\\n
x/32xb 0
set breakpoint always-inserted on
$(breaks break $LOOP)
hbreak *0x30
echo X32-DURING\\n
x/32xb 0
dump binary memory $T_TMP/mem-during 0 0x100
continue
$PRINT_PC
echo X32-STOPPED\\n
x/32xb 0
delete
dump binary memory $T_TMP/mem-after 0 0x100"
            sec() {
                sed -n "/^$1\$/,/^X32-\|^Breakpoint\|^PC=/p" "$GDB_OUT" |
                    grep '^0x'
            }
            head -c 256 /dev/zero >"$T_TMP/zero256"
            { cat "$HELLO"; cat "$T_TMP/zero256"; } | head -c 256 >"$T_TMP/mem-want"
            if ! cmp -s "$T_TMP/mem-before" "$T_TMP/mem-want"; then
                t_fail "$name" "memory before breakpoints is not the image; $(why)"
            elif ! cmp -s "$T_TMP/mem-before" "$T_TMP/mem-during"; then
                t_fail "$name" "patched bytes visible while inserted: $(cmp -l "$T_TMP/mem-before" "$T_TMP/mem-during" | head -n 3 | tr '\n' '|')"
            elif ! cmp -s "$T_TMP/mem-before" "$T_TMP/mem-after"; then
                t_fail "$name" "bytes differ after delete: $(cmp -l "$T_TMP/mem-before" "$T_TMP/mem-after" | head -n 3 | tr '\n' '|')"
            elif [ -z "$(sec X32-BEFORE)" ] ||
                [ "$(sec X32-BEFORE)" != "$(sec X32-DURING)" ] ||
                [ "$(sec X32-BEFORE)" != "$(sec X32-STOPPED)" ] ||
                [ "$(stop_pcs)" != 0x2 ]; then
                t_fail "$name" "x/32xb differs while inserted; $(why)"
            else
                t_pass "$name"
            fi
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    # The pc sits on a kept breakpoint: continue must step off it and stop
    # there again one loop later, not at once.
    name="[$M] resume from a kept breakpoint at 0x4: next stop at 0x4 one loop later"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$HELLO"; then
            gdb_script "break *0x4
continue
$PRINT_PC
shell cp '$VOUT' '$T_TMP/res1'
continue
$PRINT_PC
shell cp '$VOUT' '$T_TMP/res2'"
            got=$(stop_pcs)
            o1=$(cat "$T_TMP/res1" 2>/dev/null)
            o2=$(cat "$T_TMP/res2" 2>/dev/null)
            [ "$got" = "0x4 0x4" ] && [ "$o1" = H ] &&
                [ "$o2" = "$(printf 'Hello\nH')" ]
            t_check "$name" $? "stops '$got', output '$o1' then '$(printf '%s' "$o2" | tr '\n' '|')'; $(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    # Same on the out at 0x2: stepping off the breakpoint must do the I/O
    # once, not twice and not never.
    name="[$M] breakpoint on the out at 0x2: continue x3 prints each byte once"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$HELLO"; then
            gdb_script "break *0x2
$(cont_n 3)
stepi
$PRINT_PC
shell cp '$VOUT' '$T_TMP/out2'"
            got=$(stop_pcs)
            o=$(cat "$T_TMP/out2" 2>/dev/null)
            [ "$got" = "0x2 0x2 0x2 0x4" ] && [ "$o" = "$(printf 'Hello\nHello\nH')" ]
            t_check "$name" $? "stops '$got', output '$(printf '%s' "$o" | tr '\n' '|')'; $(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    name="[$M] delete while stopped at a breakpoint, continue runs on to the end"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 --max-halts 3 "$HELLO"; then
            gdb_script "break *0x4
continue
$PRINT_PC
delete
continue"
            vmm_wait_exit 5
            [ "$(stop_pcs)" = 0x4 ] && gdb_has 'exited normally' &&
                [ "${VRC:-x}" = 0 ] &&
                [ "$(cat "$VOUT")" = "$(printf 'Hello\nHello\nHello')" ]
            t_check "$name" $? "$(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi

    # cs100.bin runs at 0100:0000: the OUT at IP 5 is linear 0x1005, and
    # gdb's $pc is linear too (CS base + IP, `monitor pc linear`): gdb
    # sees its breakpoint at each stop there, once a loop, and the guest
    # goes round (3 HLTs, then the VMM exits).
    for B in break hbreak; do
        name="[$M] $B *0x1005 in CS=0x100 code: gdb stops there once a loop"
        if need "$name" "$G/cs100.bin"; then
            if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 --max-halts 3 \
                "$G/cs100.bin"; then
                gdb_script "$B *0x1005
continue
$PRINT_PC
continue
$PRINT_PC
continue
$PRINT_PC
delete
continue"
                vmm_wait_exit 5
                [ "$(stop_pcs)" = "0x1005 0x1005 0x1005" ] &&
                    [ "$(grep -c '^Breakpoint 1, 0x0*1005 in' "$GDB_OUT")" -eq 3 ] &&
                    gdb_has 'exited normally' && [ "${VRC:-x}" = 0 ] &&
                    [ "$(cat "$VOUT")" = AAA ]
                t_check "$name" $? "$(why)"
            else
                t_fail "$name" "VMM did not listen: $(why)"
            fi
            vmm_stop
        fi

        # Linear 0x5 is inside the far jump: never executed, never hit,
        # although IP is 5 at the OUT (the mechanism must not matter).
        name="[$M] $B *0x5 (IP 5 in CS 0x100 is not linear 0x5): never hit"
        if need "$name" "$G/cs100.bin"; then
            if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 --max-halts 3 \
                "$G/cs100.bin"; then
                gdb_script "$B *0x5
continue
$PRINT_PC"
                vmm_wait_exit 5
                gdb_has 'exited normally' && ! gdb_has '^Breakpoint 1, ' &&
                    [ "$(cat "$VOUT")" = AAA ]
                t_check "$name" $? "$(why)"
            else
                t_fail "$name" "VMM did not listen: $(why)"
            fi
            vmm_stop
        fi
    done

    # tf.bin traces itself (its own #DB and #BP handlers): whatever the
    # debugger does, it prints what it prints alone.
    TF_WANT=DDDDDDDDBdone
    tf_case() { # NAME GDB-SCRIPT
        local name="[$M] tf.bin $1: the guest still prints $TF_WANT"
        if need "$name" "$G/tf.bin"; then
            if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 --max-halts 1 \
                "$G/tf.bin"; then
                gdb_script "$2"
                vmm_wait_exit 5
                gdb_has 'exited normally' && [ "$(cat "$VOUT")" = "$TF_WANT" ]
                t_check "$name" $? "output '$(cat "$VOUT")'; $(why)"
            else
                t_fail "$name" "VMM did not listen: $(why)"
            fi
            vmm_stop
        fi
    }
    tf_case "with a watchpoint on the byte it increments" "watch *(char*)0x300
continue
$PRINT_PC
continue"
    tf_case "with a breakpoint after the traced code" "break *0x41f
continue
$PRINT_PC
continue"
    tf_case "with hbreak after the traced code" "hbreak *0x41f
continue
$PRINT_PC
continue"
    tf_case "stepi 30 from the popf that sets TF" "break *0x410
continue
delete
stepi 30
$PRINT_PC
continue"

    name="[$M] monitor breakpoints lists what gdb inserted (always-inserted)"
    if need "$name" "$HELLO"; then
        if vmm_gdb_start "${DM[@]}" --hlt-sleep 0 "$HELLO"; then
            gdb_script 'set breakpoint always-inserted on
break *0x6
hbreak *0x8
monitor breakpoints
delete
monitor breakpoints'
            gdb_has '0x6' && gdb_has '0x8' && gdb_has 'no breakpoints'
            t_check "$name" $? "$(why)"
        else
            t_fail "$name" "VMM did not listen: $(why)"
        fi
        vmm_stop
    fi
done

t_done
