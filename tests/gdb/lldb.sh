#!/usr/bin/env bash
# shellcheck disable=SC2016 # lldb expressions in single quotes
# lldb out of the box (no `settings set target.default-arch`): connect,
# registers, memory, 16-bit and 64-bit disassembly, stepi, breakpoints,
# watchpoints, continue, interrupt (Ctrl-C on a terminal), detach, kill.
# The stub's qHostInfo/qProcessInfo triple tells lldb the mode. Skipped
# where lldb is not installed. One fresh VMM per test, every VMM and lldb
# bounded by timeout(1). Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

VMM_BG_TO=120
LLDB_TO=60
LONGMODE=$G/longmode.bin
WATCH=$G/watch.bin

stderr_why() {
    tr '\n' '|' <"$VERR" 2>/dev/null | cut -c1-300
}

# lldb_run ARGS...: lldb -b connected to $ADDR, then ARGS (-o CMD...);
# output in $LLDB_OUT without the Python traceback lldb prints on hosts
# whose lldb lacks its Python module; rc in LLDB_RC.
LLDB_N=0
lldb_run() {
    LLDB_N=$((LLDB_N + 1))
    LLDB_OUT=$T_TMP/lldb$LLDB_N.out
    timeout "$LLDB_TO" lldb -b -o "gdb-remote $ADDR" "$@" </dev/null \
        >"$T_TMP/lldb.raw" 2>&1
    LLDB_RC=$?
    grep -vE '^(Traceback|  File |ModuleNotFoundError)' "$T_TMP/lldb.raw" \
        >"$LLDB_OUT"
}

lldb_has() {
    grep -qE -- "$1" "$LLDB_OUT"
}

lldb_why() {
    echo "lldb rc $LLDB_RC: $(grep -vE '^ *(st|xmm)[0-9]' "$LLDB_OUT" |
        tail -n 14 | tr '\n' '|' | cut -c1-900); vmm: $(stderr_why)"
}

have_lldb() {
    if ! command -v lldb >/dev/null 2>&1; then
        t_skip "$1" "lldb not installed"
        return 1
    fi
    need "$1" "${@:2}"
}

# longmode.bin starts in real mode: 0 cli, 1 xor %ax,%ax, ..., 0x22 ljmpl.
name="lldb in real mode: pc, registers, memory, 16-bit disassembly, si, break, detach"
if have_lldb "$name" "$LONGMODE"; then
    if vmm_gdb_start --hlt-sleep 100000 "$LONGMODE"; then
        lldb_run -o 'register read pc' -o 'register read eflags cs' \
            -o 'memory read -c 4 0' -o 'disassemble -s 0 -c 2' -o si \
            -o 'register read pc' -o 'breakpoint set -a 0x22' -o continue \
            -o 'register read pc' -o 'process detach'
        if [ "$LLDB_RC" -eq 0 ] && lldb_has 'frame #0: 0x00000000$' &&
            lldb_has '^ +eip = 0x00000000$' &&
            lldb_has '^ +eflags = 0x00000002$' &&
            lldb_has '^0x00000000: fa 31 c0 8e ' &&
            lldb_has 'xorw +%ax, %ax' &&
            lldb_has 'stop reason = instruction step into' &&
            lldb_has '^ +eip = 0x00000001$' &&
            lldb_has 'stop reason = breakpoint 1\.1' &&
            lldb_has '^ +eip = 0x00000022$' &&
            lldb_has 'ljmpl +\$0x8, \$0x2a' &&
            lldb_has 'Process 1 detached' &&
            ! lldb_has 'invalid frame|0xffffffff|error:'; then
            t_pass "$name"
        else
            t_fail "$name" "$(lldb_why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(stderr_why)"
    fi
    vmm_stop
fi

# watch.bin: incb 0x200 at 0x10, then mov 0x200,%al at 0x14. (lldb 14
# sends k and gets X09 here but prints no exit status after a watchpoint:
# the VMM's status and log say the kill happened.)
name="lldb write watchpoint: stops after the incb, new value 1; kill ends the VMM"
if have_lldb "$name" "$WATCH"; then
    if vmm_gdb_start --hlt-sleep 0 "$WATCH"; then
        lldb_run -o 'watchpoint set expression -w write -s 1 -- 0x200' \
            -o continue -o 'register read pc' -o 'memory read -c 1 0x200' \
            -o 'watchpoint delete' -o 'process kill'
        vmm_wait_exit 10
        if [ "$LLDB_RC" -eq 0 ] && lldb_has 'stop reason = watchpoint 1' &&
            lldb_has '^new value: 1$' && lldb_has '^ +eip = 0x00000014$' &&
            lldb_has '^0x00000200: 01 ' && [ "${VRC:-x}" = 0 ] &&
            grep -q 'killed by the debugger' "$VERR" &&
            ! lldb_has 'invalid frame|error:'; then
            t_pass "$name"
        else
            t_fail "$name" "VMM ${VRC:-running}; $(lldb_why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(stderr_why)"
    fi
    vmm_stop
fi

# A first lldb breaks in 64-bit code and detaches; the guest then sits in
# the hlt at 0x200 (long pause) and a second lldb, told x86_64 by the
# stub, sees rip and 64-bit code.
name="lldb in long mode: reconnect as x86_64, rip, 64-bit disassembly, si"
if have_lldb "$name" "$LONGMODE"; then
    if vmm_gdb_start --hlt-sleep 100000 "$LONGMODE"; then
        lldb_run -o 'breakpoint set -a 0x200' -o continue \
            -o 'process detach'
        first=$LLDB_OUT
        if ! grep -q 'stop reason = breakpoint 1' "$first" ||
            ! wait_file_line "$VOUT" 'R P L' 500; then
            t_fail "$name" "first lldb: $(lldb_why)"
        else
            lldb_run -o 'register read rip' -o 'disassemble -s 0x201 -c 1' \
                -o si -o 'register read rip rax' -o 'process detach'
            if [ "$LLDB_RC" -eq 0 ] &&
                lldb_has '^ +rip = 0x0000000000000201$' &&
                lldb_has 'movabsq +\$0x1122334455667788, %rax' &&
                lldb_has '^ +rip = 0x000000000000020b$' &&
                lldb_has '^ +rax = 0x1122334455667788$' &&
                ! lldb_has 'invalid frame|error:'; then
                t_pass "$name"
            else
                t_fail "$name" "$(lldb_why)"
            fi
        fi
    else
        t_fail "$name" "VMM did not listen: $(stderr_why)"
    fi
    vmm_stop
fi

# Ctrl-C reaches lldb only through a terminal (lldb -b runs `continue` to
# the end): lldb on a pty from script(1), fed through a FIFO, each line
# once lldb has printed what the previous one leads to.
name="lldb interrupt (Ctrl-C) of a spinning guest: SIGINT stop at the loop"
if ! command -v script >/dev/null 2>&1; then
    t_skip "$name" "script(1) not installed"
elif have_lldb "$name" "$SPIN"; then
    if vmm_gdb_start --hlt-sleep 0 "$SPIN"; then
        fifo=$T_TMP/lldb.in
        out=$T_TMP/lldb.pty
        mkfifo "$fifo"
        timeout "$LLDB_TO" script -qfec "lldb -o 'gdb-remote $ADDR'" \
            /dev/null <"$fifo" >"$out" 2>&1 &
        spid=$!
        T_PIDS+=("$spid")
        exec 7>"$fifo"
        st=0
        if wait_file_line "$out" 'stop reason = signal SIGTRAP' 1000; then
            printf 'continue\n' >&7
            if wait_file_line "$out" 'Process 1 resuming' 1000 &&
                wait_file_line "$VOUT" 'spin' 500; then
                printf '\003' >&7
                wait_file_line "$out" 'stop reason = signal SIGINT' 1000 ||
                    st=1
                printf 'register read pc\nprocess kill\nquit\n' >&7
            else
                st=1
            fi
        else
            st=1
        fi
        exec 7>&-
        wait "$spid"
        vmm_wait_exit 10
        clean=$(tr -d '\r' <"$out" | sed 's/\x1b\[[0-9;]*[a-zA-Z]//g')
        if [ "$st" -eq 0 ] && grep -qE '^ +eip = 0x000000(1[0-9a-f]|[0-9a-f])$' <<<"$clean" &&
            grep -q 'exited with status = 9 ' <<<"$clean"; then
            t_pass "$name"
        else
            t_fail "$name" "$(grep -avE 'Traceback|  File |ModuleNotFound' <<<"$clean" | tail -n 12 | tr '\n' '|')"
        fi
    else
        t_fail "$name" "VMM did not listen: $(stderr_why)"
    fi
    vmm_stop
fi

# `monitor console gdb` through lldb's raw qRcmd: lldb prints the guest's
# O packets as the inferior's output; the VMM's stdout stays empty.
name="lldb: monitor console gdb shows the guest's Hello"
if have_lldb "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 100000 "$HELLO"; then
        lldb_run -o 'process plugin packet monitor console gdb' \
            -o 'breakpoint set -a 0x18' -o continue -o 'process kill'
        if lldb_has '^Hello$' && lldb_has 'stop reason = breakpoint 1\.1' &&
            [ ! -s "$VOUT" ]; then
            t_pass "$name"
        else
            t_fail "$name" "stdout '$(cat "$VOUT")'; $(lldb_why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(stderr_why)"
    fi
    vmm_stop
fi

t_done
