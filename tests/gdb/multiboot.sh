#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# gdb on a Multiboot kernel: `build/vmm --kernel mb32.elf --gdb`, gdb with
# the kernel's symbols (symbol-file), a breakpoint on a C function by name
# (hbreak, and break: on hosts without int3 interception break uses a
# debug register too), the stop there with the kernel's globals readable,
# then continue to the isa-debug-exit status, which gdb hears as the
# inferior's exit code. Skips ("no --kernel") when the VMM has no
# --kernel option yet. Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

MB32=$BUILD/tests/kernels/mb32.elf
if [ -x "$VMM" ] && ! "$VMM" --help 2>&1 | grep -q -- '--kernel'; then
    # shellcheck disable=SC2034 # read by need (tests/lib.sh)
    T_NEED_WHY="no --kernel"
fi

for cmd in hbreak break; do
    name="$cmd mb32_checkpoint: stops in the C function, globals readable, exit code 3 -> status 7"
    need "$name" "$MB32" || continue
    if ! vmm_gdb_start --kernel "$MB32" --append "exit=3"; then
        t_fail "$name" "the VMM did not start: $(tr '\n' '|' <"$VERR" | cut -c1-300)"
        continue
    fi
    gdb_script "symbol-file $MB32
$cmd mb32_checkpoint
continue
info symbol \$pc
printf \"STEPS=%d\\n\", mb32_steps
continue"
    vmm_wait_exit 10 || vmm_stop
    if ! gdb_has 'mb32_checkpoint \(step=|in mb32_checkpoint|^mb32_checkpoint in section'; then
        t_fail "$name" "no stop in mb32_checkpoint; $(why)"
    elif ! gdb_has '^STEPS=0$'; then
        t_fail "$name" "mb32_steps not 0 at the breakpoint; $(why)"
    elif ! gdb_has 'exited with code 07'; then
        t_fail "$name" "gdb did not see exit code 7; $(why)"
    elif [ "${VRC:-x}" != 7 ]; then
        t_fail "$name" "VMM exit ${VRC:-none}, want 7; $(why)"
    elif ! grep -qx 'mb32: done, exit 3' "$VOUT"; then
        t_fail "$name" "the kernel's output is incomplete: $(tr '\n' '|' <"$VOUT" | cut -c1-300)"
    else
        t_pass "$name"
    fi
done

t_done
