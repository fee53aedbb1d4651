#!/usr/bin/env bash
# make kut KUT=DIR (or tests/kut/run.sh DIR): run a built kvm-unit-tests
# checkout's x86 tests under kvmstub and, where qemu-system-x86_64 is
# installed, under QEMU -accel kvm
# with the same parameters, one test at a time, and print one table: test,
# QEMU result and seconds, kvmstub result and seconds, notes. The rows also
# go to $BUILD/kut.json; each run's command, output and stderr to
# $BUILD/kut/logs/TEST.{qemu,kvmstub}.log.
#
# Every entry of x86/unittests.cfg is honoured the way the checkout's own
# run_tests.sh honours it: file, smp, test_args (backticks expanded),
# qemu_params/extra_params (translated for kvmstub: -m, -smp, -enable-kvm,
# -cpu max/host; anything else kvmstub lacks makes the entry "not run:
# needs OPTION"), groups (nodefault entries run only when KUT_TESTS names
# them), arch (an x86_64 build skips i386 entries), machine, accel,
# check (path=value files), disabled_if and timeout. A result is judged as
# run_tests.sh does: exit status 1 (isa-debug-exit value 0) with nothing
# but warnings on stderr is PASS, 77 (value 38) SKIP, 124 a timeout, and
# the summary is the guest's last "SUMMARY:" line.
#
#   KUT=DIR          the kvm-unit-tests checkout (./configure && make done)
#   KUT_TESTS="a b"  only these entries (names from unittests.cfg)
#   KUT_TIMEOUT=S    per-test limit in seconds for every entry; default:
#                    the entry's timeout if larger, else 120 (this host
#                    emulates guest code at ~1-2 MIPS)
#   KUT_SIDES="qemu kvmstub"  which columns to run
#   KVMSTUB=PATH     the VMM (default $BUILD/vmm)
#   QEMU=PATH        QEMU (default qemu-system-x86_64)
#   KUT_QEMU_CPU_FIX=0  pass -cpu max/host to QEMU as written (default:
#                    max,-arch-capabilities; QEMU 7.2 has aborted on MSR
#                    0x10a on the development host)
#   KUT_JSON=FILE    where the rows go (default $BUILD/kut.json)
#   KUT_LOGS=DIR     logs and the env file (default $BUILD/kut/logs)
#   KUT_DRY=1        print each entry's verdict or two command lines and
#                    run nothing
#
# Without KUT, or with a checkout that is not built, it says "skipped" and
# exits 0: kvm-unit-tests is never a dependency. Exit status 0 once the
# table is printed, 1 if the runner itself failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh # BUILD, T_TMP, kvm_usable, now_ms

KUT=${1:-${KUT:-}}
KVMSTUB=${KVMSTUB:-$BUILD/vmm}
QEMU=${QEMU:-qemu-system-x86_64}
SIDES=${KUT_SIDES:-qemu kvmstub}
JSON=${KUT_JSON:-$BUILD/kut.json}
OUT=$BUILD/kut
LOGS=${KUT_LOGS:-$OUT/logs}
DEFAULT_LIMIT=120
QEMU_MEM=128M # QEMU's default -m; kvmstub is given the same

say() { echo "kut: $*" >&2; }
skipped() {
    echo "kut: skipped: $*"
    exit 0
}

[ -n "$KUT" ] || skipped "KUT=DIR not given (a built kvm-unit-tests checkout)"
[ -d "$KUT" ] || skipped "KUT=$KUT: no such directory"
CFG=$KUT/x86/unittests.cfg
[ -f "$CFG" ] || skipped "KUT=$KUT is not a kvm-unit-tests checkout" \
    "(no x86/unittests.cfg)"
[ -f "$KUT/config.mak" ] && compgen -G "$KUT/x86/*.flat" >/dev/null ||
    skipped "KUT=$KUT not built (run ./configure && make there)"
KUT=$(cd "$KUT" && pwd) || exit 1
CFG=$KUT/x86/unittests.cfg

# mak KEY: KEY's value in config.mak (read, not sourced).
mak() { sed -n "s/^$1=//p" "$KUT/config.mak" | tail -n 1; }
ARCH=$(mak ARCH)
CONFIG_EFI=$(mak CONFIG_EFI)
ERRATATXT=$(mak ERRATATXT)
[ "$CONFIG_EFI" = y ] && skipped "KUT=$KUT is an EFI build (.efi);" \
    "this runner boots the .flat files of a plain build"
kvm_usable || skipped "/dev/kvm not usable"

mkdir -p "$LOGS" || exit 1
LOGS=$(cd "$LOGS" && pwd) || exit 1 # logged commands work from anywhere
rm -f "$LOGS"/*.log "$LOGS"/env

# ---------------------------------------------------------------- sides
has_side() { [[ " $SIDES " == *" $1 "* ]]; }
QEMU_STATE=
if ! has_side qemu; then
    QEMU_STATE="not asked (KUT_SIDES)"
elif ! command -v "$QEMU" >/dev/null 2>&1; then
    QEMU_STATE="not installed"
fi
QEMU_VERSION=
[ -z "$QEMU_STATE" ] && QEMU_VERSION=$("$QEMU" --version 2>/dev/null |
    head -n 1)
KVMSTUB_STATE=
if ! has_side kvmstub; then
    KVMSTUB_STATE="not asked (KUT_SIDES)"
elif [ ! -x "$KVMSTUB" ]; then
    KVMSTUB_STATE="not built ($KVMSTUB)"
elif ! "$KVMSTUB" --help 2>&1 | grep -q -- '--kernel'; then
    KVMSTUB_STATE="$KVMSTUB has no --kernel (pc machine)"
fi
# A kvmstub without --smp still runs the one-CPU entries.
KVMSTUB_SMP=0
[ -z "$KVMSTUB_STATE" ] && "$KVMSTUB" --help 2>&1 | grep -q -- '--smp' &&
    KVMSTUB_SMP=1

# ---------------------------------------------------------------- env
# The environment file the guest reads as its initrd, built as the
# checkout's scripts build it, so that errata and version checks in the
# guests decide the same way on both sides.
ENVF=$LOGS/env
kver() { # kver STRING: "V P S X" (empty fields as -)
    local v p rest s x
    IFS=. read -r v p rest <<<"$1"
    IFS=- read -r s x <<<"$rest"
    s=${s%%[!0-9]*}
    x=${x%%[!0-9]*}
    echo "${v:--} ${p:--} ${s:--} ${x:--}"
}
# ver_ge A B: kernel version tuple A >= minimum B (missing parts are 0).
ver_ge() {
    local -a a b
    read -r -a a <<<"$1"
    read -r -a b <<<"$2"
    local i x y
    for i in 0 1 2 3; do
        x=${a[i]} y=${b[i]}
        [ "$x" = - ] && x=0
        [ "$y" = - ] && y=0
        [[ $x =~ ^[0-9]+$ && $y =~ ^[0-9]+$ ]] || return 1
        ((10#$x > 10#$y)) && return 0
        ((10#$x < 10#$y)) && return 1
    done
    return 0
}
write_env() {
    local k kv qv line commit minver errata=()
    k=$(uname -r)
    read -r -a kv <<<"$(kver "$k")"
    {
        echo "TARGET="
        if [ -n "$QEMU_VERSION" ]; then
            echo "QEMU_ACCEL=kvm"
            echo "QEMU_VERSION_STRING=$QEMU_VERSION"
            IFS='[ .]' read -r _ _ _ 'qv[0]' 'qv[1]' 'qv[2]' _ <<<"$QEMU_VERSION"
            echo "QEMU_MAJOR=${qv[0]}"
            echo "QEMU_MINOR=${qv[1]}"
            echo "QEMU_MICRO=${qv[2]}"
        fi
        echo "KERNEL_VERSION_STRING=$k"
        echo "KERNEL_VERSION=${kv[0]/-/}"
        echo "KERNEL_PATCHLEVEL=${kv[1]/-/}"
        echo "KERNEL_SUBLEVEL=${kv[2]/-/}"
        echo "KERNEL_EXTRAVERSION=${kv[3]/-/}"
        if [ -f "$ERRATATXT" ]; then
            while IFS= read -r line; do
                line=${line%%#*}
                line=${line//[[:blank:]]/}
                commit=${line%%:*}
                minver=${line#*:}
                minver=${minver%%:*}
                [ -n "$commit" ] && [ "$commit" != "$line" ] || continue
                if ver_ge "${kv[*]}" "$(kver "$minver")"; then
                    errata+=("ERRATA_$commit=y")
                else
                    errata+=("ERRATA_$commit=n")
                fi
            done <"$ERRATATXT"
            printf '%s\n' "${errata[@]}" | sort -u
        fi
    } >"$ENVF"
}
write_env || exit 1

# ---------------------------------------------------------------- cfg
# Parsed entries: E_NAME[i] and the fields below, as written in the file.
E_NAME=() E_FILE=() E_SMP=() E_ARGS=() E_PARAMS=() E_GROUPS=() E_ARCH=()
E_MACHINE=() E_CHECK=() E_ACCEL=() E_TIMEOUT=() E_DISABLED=()
parse_cfg() {
    local line n=-1 re_params='^(extra_params|qemu_params)[[:blank:]]*=[[:blank:]]*(.*)$'
    local key val more
    while IFS= read -r line || [ -n "$line" ]; do
        if [[ $line =~ ^\[(.*)\]$ ]]; then
            n=$((n + 1))
            E_NAME[n]=${BASH_REMATCH[1]} E_FILE[n]='' E_SMP[n]=1
            E_ARGS[n]='' E_PARAMS[n]='' E_GROUPS[n]='' E_ARCH[n]=''
            E_MACHINE[n]='' E_CHECK[n]='' E_ACCEL[n]='' E_TIMEOUT[n]=''
            E_DISABLED[n]=''
            continue
        fi
        [ "$n" -ge 0 ] || continue
        if [[ $line =~ $re_params ]]; then
            val=${BASH_REMATCH[2]}
            if [[ $val == '"""'* ]]; then
                # """ ... """ over several lines; a trailing \ joins lines.
                val=${val#'"""'}
                while [[ $val != *'"""'* ]] && IFS= read -r more; do
                    if [[ $val == *\\ ]]; then
                        val=${val%\\}$more
                    else
                        val+=$'\n'$more
                    fi
                done
                val=${val%%'"""'*}
            fi
            E_PARAMS[n]=$val
            continue
        fi
        [[ $line =~ ^([a-z_]+)[[:blank:]]*=[[:blank:]]*(.*)$ ]] || continue
        key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
        case $key in
        file) E_FILE[n]=$val ;;
        smp) E_SMP[n]=$val ;;
        test_args) E_ARGS[n]=$val ;;
        groups) E_GROUPS[n]=$val ;;
        arch) E_ARCH[n]=$val ;;
        machine) E_MACHINE[n]=$val ;;
        check) E_CHECK[n]=$val ;;
        accel) E_ACCEL[n]=$val ;;
        timeout) E_TIMEOUT[n]=$val ;;
        disabled_if) E_DISABLED[n]=$val ;;
        esac
    done <"$CFG"
}
parse_cfg

# ---------------------------------------------------------------- rules
word_in() { [[ " $2 " == *" $1 "* ]]; }
HOST_FLAGS=" $(sed -n '/^flags/{s/^flags[^:]*://p;q}' /proc/cpuinfo) "
HOST_VENDOR=$(sed -n '/^vendor_id/{s/^[^:]*: *//p;q}' /proc/cpuinfo)

# why_not_run I: sets WHY to the reason entry I is run on neither side
# (empty: it runs). Same order of checks as run_tests.sh.
why_not_run() {
    local i=$1 name=${E_NAME[$1]} c path value p
    WHY=
    if word_in nodefault "${E_GROUPS[i]}" && ! word_in "$name" "${KUT_TESTS:-}"; then
        WHY="nodefault group: manual runs only (name it in KUT_TESTS)"
    elif [ -n "${E_ARCH[i]}" ] && [ "${E_ARCH[i]}" != "$ARCH" ]; then
        WHY="${E_ARCH[i]} only; this is an $ARCH build"
    elif [ -n "${E_MACHINE[i]}" ] && [ "${E_MACHINE[i]}" != pc ]; then
        WHY="machine ${E_MACHINE[i]} only"
    elif [ -n "${E_ACCEL[i]}" ] && [ "${E_ACCEL[i]%%,*}" != kvm ]; then
        WHY="accel ${E_ACCEL[i]} only; both sides use kvm"
    elif [ -n "${E_DISABLED[i]}" ] &&
        (TARGET=qemu CONFIG_EFI=$CONFIG_EFI ARCH=$ARCH \
            eval "${E_DISABLED[i]}") >/dev/null 2>&1; then
        WHY="disabled_if: ${E_DISABLED[i]}"
    fi
    [ -n "$WHY" ] && return
    for c in ${E_CHECK[i]}; do
        path=${c%%=*} value=${c#*=}
        if ! [ -f "$path" ] || [ "$(cat "$path" 2>/dev/null)" != "$value" ]; then
            WHY="check failed: $path"
            if [ -f "$path" ]; then
                WHY+=" is $(cat "$path" 2>/dev/null), not $value"
            else
                WHY+=" missing (wanted $value)"
            fi
            return
        fi
    done
    p=" ${E_PARAMS[i]} "
    if word_in vmx "${E_GROUPS[i]}" || word_in svm "${E_GROUPS[i]}" ||
        [[ $name == vmx* || $name == svm* || $name == ept* ]] ||
        [[ ${E_FILE[i]} == vmx.flat || ${E_FILE[i]} == svm*.flat ]] ||
        [[ $p == *,+vmx* || $p == *,+svm* ]]; then
        WHY="nested virtualization (VMX/SVM in the guest): kvmstub offers none"
        [[ $HOST_FLAGS == *" vmx "* || $HOST_FLAGS == *" svm "* ]] ||
            WHY+=", and this host's CPU shows neither vmx nor svm"
        return
    fi
    if [[ $name == hyperv* ]] || word_in hyperv "${E_GROUPS[i]}"; then
        WHY="Hyper-V enlightenments (hv_* CPUID leaves, SynIC, stimers,"
        WHY+=" hyperv-testdev): kvmstub offers none"
        return
    fi
    if [ -z "${E_FILE[i]}" ]; then
        WHY="no file = line"
    elif [ ! -f "$KUT/x86/${E_FILE[i]}" ]; then
        WHY="x86/${E_FILE[i]} not built"
    fi
}

# expand WORDS: the shell words of WORDS after quote removal and backtick
# expansion, into X (run_tests.sh evals its command line the same way).
expand() {
    X=()
    [ -n "$1" ] || return 0
    eval "X=($1)" 2>/dev/null
}

# qemu_args I: QA, the QEMU options of entry I after -kernel FILE (the
# cfg's -cpu max/host gets ,-arch-capabilities unless KUT_QEMU_CPU_FIX=0;
# QNOTE says so).
qemu_args() {
    local i=$1 j base
    QA=(-smp "${E_SMP[i]}")
    QNOTE=
    expand "${E_ARGS[i]}"
    [ "${#X[@]}" -gt 0 ] && QA+=(-append "${X[*]}")
    expand "${E_PARAMS[i]}"
    for ((j = 0; j < ${#X[@]}; j++)); do
        if [ "${X[j]}" = -cpu ] && [ $((j + 1)) -lt ${#X[@]} ] &&
            [ "${KUT_QEMU_CPU_FIX:-1}" != 0 ]; then
            base=${X[j + 1]%%,*}
            if [ "$base" = max ] || [ "$base" = host ]; then
                X[j + 1]=$base,-arch-capabilities${X[j + 1]#"$base"}
                QNOTE="QEMU -cpu ${X[j + 1]}"
            fi
        fi
        QA+=("${X[j]}")
    done
}

# kvmstub_args I: KA, kvmstub's options for entry I after --kernel FILE,
# or NEEDS set to the first QEMU option kvmstub has no counterpart for.
kvmstub_args() {
    local i=$1 j o v base f mem=$QEMU_MEM smp=${E_SMP[$1]}
    KA=()
    NEEDS=
    expand "${E_ARGS[i]}"
    [ "${#X[@]}" -gt 0 ] && KA+=(--append "${X[*]}")
    expand "${E_PARAMS[i]}"
    for ((j = 0; j < ${#X[@]}; j++)); do
        o=${X[j]} v=${X[j + 1]:-}
        case $o in
        -enable-kvm) ;; # both sides run on KVM anyway
        -m)
            # QEMU: a bare number is MiB; kvmstub takes K/M/G suffixes.
            if [[ $v =~ ^([0-9]+)([kKmMgG]?)[bB]?$ ]]; then
                mem=${BASH_REMATCH[1]}${BASH_REMATCH[2]:-M}
                mem=${mem^^}
            else
                NEEDS="-m $v"
                return
            fi
            j=$((j + 1))
            ;;
        -smp)
            smp=$v
            j=$((j + 1))
            ;;
        -cpu)
            # kvmstub's guests see the CPUID KVM supports on this host,
            # like QEMU's max/host; no other model, no feature edits.
            base=${v%%,*}
            if [ "$base" != max ] && [ "$base" != host ]; then
                NEEDS="-cpu $v"
                return
            fi
            IFS=, read -r -a f <<<"${v#"$base"}"
            for o in "${f[@]}"; do
                case $o in
                '' | host-phys-bits | host-phys-bits=on | migratable=no | \
                    migratable=off | "vendor=$HOST_VENDOR") ;;
                *)
                    NEEDS="-cpu $v"
                    return
                    ;;
                esac
            done
            j=$((j + 1))
            ;;
        *)
            NEEDS="$o${v:+ $v}"
            [[ $v == -* ]] && NEEDS=$o
            return
            ;;
        esac
    done
    if [ "$KVMSTUB_SMP" = 1 ]; then
        KA=(--smp "$smp" "${KA[@]}")
    elif [ "$smp" != 1 ] && [ -z "$KVMSTUB_STATE" ]; then
        NEEDS="-smp $smp (this kvmstub has no --smp)"
        return
    fi
    KA+=(--mem "$mem")
}

# limit_for I: the per-test limit in seconds.
limit_for() {
    local t=${E_TIMEOUT[$1]%s}
    if [ -n "${KUT_TIMEOUT:-}" ]; then
        LIMIT=${KUT_TIMEOUT%s}
    elif [[ $t =~ ^[0-9]+$ ]] && [ "$t" -gt "$DEFAULT_LIMIT" ]; then
        LIMIT=$t
    else
        LIMIT=$DEFAULT_LIMIT
    fi
}

# ---------------------------------------------------------------- judge
# run_one LOG LIMIT CMD...: run CMD (stdin /dev/null, bounded by LIMIT s),
# then judge it as run_tests.sh does. Sets RES (PASS/FAIL/SKIP), SECS,
# DETAIL and RC. The log gets the command, stdout, then stderr.
run_one() {
    local log=$1 limit=$2 t0 t1 out=$T_TMP/out err=$T_TMP/err sum sig
    shift 2
    t0=$(now_ms)
    timeout -k 2 "$limit" "$@" </dev/null >"$out" 2>"$err"
    RC=$?
    t1=$(now_ms)
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
    {
        printf '%q ' "$@"
        echo
        echo "--- stdout"
        cat "$out"
        echo "--- stderr"
        cat "$err"
        echo "--- exit status $RC, $SECS s"
    } >"$log"
    sum=$(tail -n 5 "$out" | tr -d '\r' | sed -n 's/^SUMMARY: //p' | tail -n 1)
    sig=$(sed -n 's/.*terminating on signal \([0-9][0-9]*\).*/\1/p' "$err" |
        head -n 1)
    DETAIL=$sum
    if [ "$RC" -eq 124 ]; then
        RES=FAIL DETAIL="timeout ${limit}s${sum:+ ($sum)}"
    elif [ "$RC" -gt 128 ] || { [ "$RC" -eq 0 ] && [ -n "$sig" ]; }; then
        [ "$RC" -eq 0 ] && RC=$((sig + 128))
        RES=FAIL DETAIL="terminated on SIG$(kill -l $((RC - 128)) 2>/dev/null)"
    elif [ "$RC" -eq 0 ]; then
        RES=FAIL DETAIL="exit status 0: no isa-debug-exit${sum:+ ($sum)}"
    elif [ "$RC" -eq 1 ]; then
        if grep -qvi warning "$err"; then
            RES=FAIL
            DETAIL="status 1 but stderr: $(grep -vi warning "$err" |
                head -n 1 | cut -c1-100)"
        else
            RES=PASS
        fi
    elif [ "$RC" -eq 77 ]; then
        RES=SKIP
    else
        RES=FAIL
        if [ $((RC & 1)) -eq 1 ]; then
            DETAIL="exit($(((RC - 1) / 2)))${sum:+: $sum}"
        else
            DETAIL="status $RC: $(tail -n 1 "$err" | cut -c1-100)"
        fi
    fi
}

# qemu_premature I: like run_tests.sh, QEMU is first started with the
# entry's options and a kernel that does not exist; if it fails for any
# other reason than the missing kernel, the entry is a SKIP on QEMU with
# QEMU's last message (an option this QEMU or host does not have).
qemu_premature() {
    local log
    log=$(timeout 20 "$QEMU" "${QBASE[@]}" -kernel "$T_TMP/_NO_FILE_4Uhere_" \
        "${QA[@]}" -initrd "$ENVF" </dev/null 2>&1)
    if grep -q -e "[Cc]ould not \(load\|open\) kernel" -e "error loading" \
        -e "failed to load" <<<"$log"; then
        return 1
    fi
    PREMATURE=$(tail -n 1 <<<"$log" | cut -c1-120)
    return 0
}

# The device set of the checkout's x86/run, run directly so that both
# sides get identical parameters.
# shellcheck disable=SC2054 # commas inside option values
QBASE=(--no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard
    -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4
    -display none -serial stdio -device pci-testdev -machine accel=kvm)

# ---------------------------------------------------------------- run
json_str() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/ }
    s=${s//$'\n'/ }
    s=${s//$'\r'/}
    printf '"%s"' "$s"
}

ROWS_T=() ROWS_J=()
NQ=(0 0 0 0) NK=(0 0 0 0) # passed failed skipped not-run
BOTH=() BOTH_QS=0 BOTH_KS=0
count() { # count ARRAYNAME RES
    # shellcheck disable=SC2178 # a nameref to the array
    local -n a=$1
    case $2 in
    PASS) a[0]=$((a[0] + 1)) ;;
    FAIL) a[1]=$((a[1] + 1)) ;;
    SKIP) a[2]=$((a[2] + 1)) ;;
    *) a[3]=$((a[3] + 1)) ;;
    esac
}

FMT="%-40s %-7s %6s  %-7s %6s  %s\n"
n_run=0
for ((i = 0; i < ${#E_NAME[@]}; i++)); do
    name=${E_NAME[i]}
    if [ -n "${KUT_TESTS:-}" ] && ! word_in "$name" "$KUT_TESTS"; then
        continue
    fi
    n_run=$((n_run + 1))
    why_not_run "$i"
    qres="not run" qsec=- qdet='' qrc=null
    kres="not run" ksec=- kdet='' krc=null
    qcmd='' kcmd='' notes=''
    if [ -n "$WHY" ] && [ "${KUT_DRY:-0}" = 1 ]; then
        echo "$name: not run: $WHY"
        continue
    elif [ -n "$WHY" ]; then
        qdet=$WHY kdet=$WHY notes=$WHY
    else
        limit_for "$i"
        kernel=$KUT/x86/${E_FILE[i]}
        qemu_args "$i"
        kvmstub_args "$i"
        if [ "${KUT_DRY:-0}" = 1 ]; then
            echo "$name: qemu: $(printf '%q ' "$QEMU" "${QBASE[@]}" -kernel \
                "$kernel" "${QA[@]}" -initrd "$ENVF")"
            if [ -n "$NEEDS" ]; then
                echo "$name: kvmstub: needs $NEEDS"
            else
                echo "$name: kvmstub: $(printf '%q ' "$KVMSTUB" --kernel \
                    "$kernel" "${KA[@]}" --initrd "$ENVF")"
            fi
            continue
        fi
        # QEMU column
        if [ -n "$QEMU_STATE" ]; then
            qdet=$QEMU_STATE
        elif qemu_premature; then
            qres=SKIP qdet="QEMU: $PREMATURE"
        else
            say "$name: QEMU (limit ${LIMIT}s)"
            qc=("$QEMU" "${QBASE[@]}" -kernel "$kernel" "${QA[@]}" -initrd "$ENVF")
            qcmd=$(printf '%q ' "${qc[@]}")
            run_one "$LOGS/$name.qemu.log" "$LIMIT" "${qc[@]}"
            qres=$RES qsec=$SECS qdet=$DETAIL qrc=$RC
        fi
        # kvmstub column
        if [ -n "$NEEDS" ]; then
            kdet="needs $NEEDS"
        elif [ -n "$KVMSTUB_STATE" ]; then
            kdet=$KVMSTUB_STATE
        else
            say "$name: kvmstub (limit ${LIMIT}s)"
            kc=("$KVMSTUB" --kernel "$kernel" "${KA[@]}" --initrd "$ENVF")
            kcmd=$(printf '%q ' "${kc[@]}")
            run_one "$LOGS/$name.kvmstub.log" "$LIMIT" "${kc[@]}"
            kres=$RES ksec=$SECS kdet=$DETAIL krc=$RC
        fi
        if [ "$qres" = PASS ] && [ "$kres" = PASS ]; then
            BOTH+=("$name")
            BOTH_QS=$(awk -v a="$BOTH_QS" -v b="$qsec" 'BEGIN { print a + b }')
            BOTH_KS=$(awk -v a="$BOTH_KS" -v b="$ksec" 'BEGIN { print a + b }')
        fi
        notes="QEMU: ${qdet:-ok}; kvmstub: ${kdet:-ok}"
        [ "$qdet" = "$kdet" ] && notes=${qdet:-ok}
        [ -n "$QNOTE" ] && [ -n "$qcmd" ] && notes+=" [$QNOTE]"
    fi
    count NQ "$qres"
    count NK "$kres"
    [ "$qres" = "not run" ] && qres=-
    [ "$kres" = "not run" ] && kres=-
    ROWS_T+=("$(printf "$FMT" "$name" "$qres" "$qsec" "$kres" "$ksec" "$notes")")
    [ "$qres" = - ] && qres="not run"
    [ "$kres" = - ] && kres="not run"
    ROWS_J+=("    {\"test\": $(json_str "$name"), \"file\": $(json_str "${E_FILE[i]}"), \
\"smp\": $(json_str "${E_SMP[i]}"), \"test_args\": $(json_str "${E_ARGS[i]}"), \
\"params\": $(json_str "${E_PARAMS[i]}"),
     \"qemu\": {\"result\": $(json_str "$qres"), \"seconds\": $([ "$qsec" = - ] && echo null || echo "$qsec"), \
\"status\": $qrc, \"detail\": $(json_str "$qdet"), \"command\": $(json_str "$qcmd")},
     \"kvmstub\": {\"result\": $(json_str "$kres"), \"seconds\": $([ "$ksec" = - ] && echo null || echo "$ksec"), \
\"status\": $krc, \"detail\": $(json_str "$kdet"), \"command\": $(json_str "$kcmd")}}")
done

[ "${KUT_DRY:-0}" = 1 ] && exit 0
[ "$n_run" -gt 0 ] || {
    say "no entry of $CFG matches KUT_TESTS=${KUT_TESTS:-}"
    exit 1
}

qhead="QEMU (kvm)"
khead=kvmstub
printf "$FMT" test "$qhead" s "$khead" s notes
printf '%s\n' "${ROWS_T[@]}"
echo
tot() { echo "$1 passed, $2 failed, $3 skipped, $4 not run"; }
echo "QEMU:    $(tot "${NQ[@]}")${QEMU_STATE:+ ($QEMU_STATE)}"
echo "kvmstub: $(tot "${NK[@]}")${KVMSTUB_STATE:+ ($KVMSTUB_STATE)}"
echo "passing under both: ${#BOTH[@]}${BOTH[*]:+ (${BOTH[*]})}," \
    "wall time QEMU ${BOTH_QS} s, kvmstub ${BOTH_KS} s"
echo "kvm-unit-tests $(git -C "$KUT" describe --always --dirty 2>/dev/null ||
    echo '?') ($ARCH); logs: $LOGS; JSON: $JSON"

mkdir -p "$(dirname "$JSON")" || exit 1
{
    echo "{"
    echo "  \"kut\": $(json_str "$KUT"), \"arch\": $(json_str "$ARCH"),"
    echo "  \"kut_commit\": $(json_str "$(git -C "$KUT" rev-parse HEAD 2>/dev/null)"),"
    echo "  \"qemu\": {\"state\": $(json_str "${QEMU_STATE:-ok}"), \"version\": $(json_str "$QEMU_VERSION")},"
    echo "  \"kvmstub\": {\"state\": $(json_str "${KVMSTUB_STATE:-ok}"), \"path\": $(json_str "$KVMSTUB")},"
    echo "  \"totals\": {\"qemu\": [${NQ[0]}, ${NQ[1]}, ${NQ[2]}, ${NQ[3]}]," \
        "\"kvmstub\": [${NK[0]}, ${NK[1]}, ${NK[2]}, ${NK[3]}]," \
        "\"order\": \"passed failed skipped not_run\"},"
    echo "  \"both_pass\": {\"tests\": [$(for t in "${BOTH[@]}"; do printf '%s, ' "$(json_str "$t")"; done | sed 's/, $//')]," \
        "\"qemu_seconds\": $BOTH_QS, \"kvmstub_seconds\": $BOTH_KS},"
    echo "  \"rows\": ["
    for ((i = 0; i < ${#ROWS_J[@]}; i++)); do
        sep=,
        [ "$i" -eq $((${#ROWS_J[@]} - 1)) ] && sep=
        echo "${ROWS_J[i]}$sep"
    done
    echo "  ]"
    echo "}"
} >"$JSON.tmp" && mv "$JSON.tmp" "$JSON" || {
    say "writing $JSON failed"
    exit 1
}
exit 0
