#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# User-facing edges of a gdb session: `monitor breakpoints` while stopped
# (gdb has lifted its breakpoints: they are listed as lifted, and as
# inserted again once gdb resumes), a bare `monitor` (the whole help), and
# a second debugger, which is told why it is refused instead of seeing a
# broken pipe. One fresh VMM per test, every VMM and gdb bounded by
# timeout(1). Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

# HELLO: mov/out pairs at 0, 2, ..., 22, hlt at 24.
name="monitor breakpoints while stopped: gdb's points listed as lifted"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_script 'break *0x6
hbreak *0x8
continue
monitor breakpoints
tbreak *0xa
continue
monitor breakpoints'
        # First stop (at 0x6): both lifted, none inserted. Second (at 0xa,
        # the tbreak gone): the two still set lifted again, not the tbreak.
        n=$(grep -cE '^break +0x6 lifted$' "$GDB_OUT")
        m=$(grep -cE '^hbreak +0x8 lifted$' "$GDB_OUT")
        if gdb_has '^Breakpoint 1, 0x0+6 in' &&
            [ "$n" -ge 1 ] && [ "$m" -ge 1 ] &&
            gdb_has '^0 inserted; lifted by gdb at this stop' &&
            gdb_has '^no breakpoints$' &&
            gdb_has '^break +0xa lifted$'; then
            t_pass "$name"
        else
            t_fail "$name" "break lifted x$n, hbreak lifted x$m; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="a bare monitor lists every command, breakpoints included"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_script 'monitor'
        if gdb_has '^breakpoints ' && gdb_has '^regs ' && gdb_has '^sregs ' &&
            gdb_has '^host ' && gdb_has '^stats '; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# A first gdb holds the connection (a shell sleep inside its session)
# while a second connects: it must print the stub's reason.
name="a second gdb is told another debugger is attached (no broken pipe)"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_bg -ex 'shell sleep 3' -ex 'printf "PC=%#x\n", $pc'
        first_pid=$GDB_PID
        first_out=$GDB_OUT
        if ! wait_file_line "$VERR" 'debugger attached' 500; then
            t_fail "$name" "the first gdb did not attach: $(why)"
        else
            gdb_run -ex 'echo AFTER\n'
            second=$GDB_OUT
            GDB_PID=$first_pid
            gdb_bg_wait
            if grep -q 'another debugger is attached' "$second" &&
                ! grep -qi 'broken pipe' "$second" &&
                grep -q '^AFTER' "$second" &&
                grep -q '^PC=0' "$first_out"; then
                t_pass "$name"
            else
                t_fail "$name" "second: $(tr '\n' '|' <"$second"); first: $(tr '\n' '|' <"$first_out")"
            fi
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

t_done
