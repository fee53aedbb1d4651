#!/usr/bin/env bash
# The built-in BIOS: boot disks (--drive, --floppy) built here from the
# boot sector tests/guests/boot_bios.S, which calls every BIOS service and
# reports each check on port 0xe9 ("ok NAME" / "FAIL NAME" and value
# lines compared below); disk writes reach the image file (also when the
# VMM is killed), readonly refuses them; stdin feeds int 16h; the screen;
# usage errors; --load/--entry; --bios firmware from the reset vector.
# Run from the repository root after `make`. Every run is bounded by
# `timeout`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

TO=60
BOOT=$G/boot_bios.bin
FW=$G/fw_reset.bin

run_vmm() {
    local to=$1
    shift
    timeout "$to" "$VMM" "$@" <"${IN:-/dev/null}" >"$T_TMP/out" 2>"$T_TMP/err"
    RC=$?
}

why() {
    echo "exit $RC, stdout: $(grep -v '^ok' "$T_TMP/out" | head -c 400 |
        tr '\n' '|'), stderr: $(head -c 300 "$T_TMP/err" | tr '\n' '|')"
}

# mkimg FILE SIZE: the boot program at 0, "kvmstub sector 100" at LBA 100.
mkimg() {
    rm -f "$1"
    truncate -s "$2" "$1"
    dd if="$BOOT" of="$1" conv=notrunc status=none
    printf 'kvmstub sector 100' | dd of="$1" bs=512 seek=100 conv=notrunc \
        status=none
}

# sector FILE LBA: the first 18 bytes of that sector.
sector() {
    dd if="$1" bs=512 skip="$2" count=1 status=none | head -c 18
}

printf 'ab\n' >"$T_TMP/keys"

# check_boot NAME GEOM: the last run passed every check of boot_bios, got
# the geometry line GEOM, rebooted through int 19h and ended in int 18h.
check_boot() {
    local n=$1
    if grep -q '^FAIL' "$T_TMP/out"; then
        t_fail "$n: every BIOS check" "$(grep '^FAIL' "$T_TMP/out" |
            tr '\n' '|')"
    elif [ "$(grep -c '^ok' "$T_TMP/out")" -lt 50 ]; then
        t_fail "$n: every BIOS check" "too few checks ran; $(why)"
    else
        t_pass "$n: every BIOS check ($(grep -c '^ok' "$T_TMP/out") ok)"
    fi
    grep -qx "geom $2" "$T_TMP/out"
    t_check "$n: int 13h 08h geometry $2" $? "$(why)"
    grep -qx 'ok int19 reboot' "$T_TMP/out"
    t_check "$n: int 19h boots again" $? "$(why)"
    if [ "$RC" -ne 1 ] || ! grep -q 'No bootable device\.' "$T_TMP/out" ||
        ! grep -q '^vmm: no bootable device (int 18h)' "$T_TMP/err"; then
        t_fail "$n: int 18h: message, exit 1" "$(why)"
    else
        t_pass "$n: int 18h: message, exit 1"
    fi
}

E820='e820 0000000000000000 000000000009fc00 01
e820 000000000009fc00 0000000000000400 02
e820 00000000000e0000 0000000000020000 02
e820 0000000000100000 0000000007f00000 01
e820 00000000fec00000 0000000000001000 02
e820 00000000fee00000 0000000000001000 02
e820 00000000feffc000 0000000000004000 02'

if need "hard disk boot" "$BOOT"; then
    mkimg "$T_TMP/hd.img" 1048576
    IN=$T_TMP/keys run_vmm $TO --drive "$T_TMP/hd.img"
    check_boot "hard disk" "013f 0f01 0200"
    [ "$(head -n 1 "$T_TMP/out")" = boot ]
    t_check "hard disk: boot sector runs first" $? "$(why)"
    grep -qx 'ok DL is a boot drive' "$T_TMP/out" &&
        grep -qx 'type 0300 00000800' "$T_TMP/out" &&
        grep -qx 'edd 00000800 0200' "$T_TMP/out"
    t_check "hard disk: 15h type 3, 48h 2048 sectors of 512" $? "$(why)"
    [ "$(grep '^e820' "$T_TMP/out")" = "$E820" ]
    t_check "int 15h E820: the pc memory map" $? "$(grep '^e820' \
        "$T_TMP/out" | tr '\n' '|')"
    grep -qx 'e801 3c00 0700' "$T_TMP/out" && grep -qx 'e88 fc00' "$T_TMP/out"
    t_check "int 15h E801 and 88h for 128M" $? "$(why)"
    grep -qx 'w03 00' "$T_TMP/out" && grep -qx 'w43 00' "$T_TMP/out" &&
        [ "$(sector "$T_TMP/hd.img" 101)" = "written by int 13h" ] &&
        [ "$(sector "$T_TMP/hd.img" 102)" = "written by int 13h" ] &&
        [ "$(sector "$T_TMP/hd.img" 100)" = "kvmstub sector 100" ]
    t_check "int 13h 03h and 43h write the image file" $? "$(why)"
    grep -q 'tty ok' "$T_TMP/out"
    t_check "int 10h 0Eh reaches stdout" $? "$(why)"
fi

if need "floppy boot" "$BOOT"; then
    mkimg "$T_TMP/fd.img" 1474560
    IN=$T_TMP/keys run_vmm $TO --floppy "$T_TMP/fd.img"
    check_boot "floppy" "4f12 0101 0004"
    [ "$(sector "$T_TMP/fd.img" 102)" = "written by int 13h" ]
    t_check "floppy: int 13h 03h writes the image" $? "$(why)"
    mkimg "$T_TMP/fd720.img" 737280
    IN=$T_TMP/keys run_vmm $TO --floppy "$T_TMP/fd720.img"
    check_boot "720K floppy" "4f09 0101 0003"
fi

if need "floppy boots before the hard disk" "$BOOT"; then
    mkimg "$T_TMP/hd.img" 1048576
    mkimg "$T_TMP/fd.img" 1474560
    IN=$T_TMP/keys run_vmm $TO --drive "$T_TMP/hd.img" --floppy "$T_TMP/fd.img"
    grep -qx 'geom 4f12 0101 0004' "$T_TMP/out" && ! grep -q '^FAIL' \
        "$T_TMP/out"
    t_check "floppy boots before the hard disk" $? "$(why)"
fi

if need "readonly drive" "$BOOT"; then
    mkimg "$T_TMP/hd.img" 1048576
    cp "$T_TMP/hd.img" "$T_TMP/hd.orig"
    IN=$T_TMP/keys run_vmm $TO --drive "$T_TMP/hd.img,readonly"
    grep -qx 'w03 03' "$T_TMP/out" && grep -qx 'w43 03' "$T_TMP/out" &&
        cmp -s "$T_TMP/hd.img" "$T_TMP/hd.orig"
    t_check "readonly: 03h and 43h get AH=03h, the file is unchanged" $? \
        "$(why)"
    ! grep -q '^FAIL' "$T_TMP/out"
    t_check "readonly: reads still work" $? "$(why)"
fi

# Keys that come late: int 16h waits (hlt, then asks again) until they do.
if need "int 16h waits for stdin" "$BOOT"; then
    mkimg "$T_TMP/hd.img" 1048576
    (sleep 1; printf 'ab\n') | timeout $TO "$VMM" --drive "$T_TMP/hd.img" \
        >"$T_TMP/out" 2>"$T_TMP/err"
    RC=$?
    grep -qx "ok 16h 00h: Enter (1C0Dh)" "$T_TMP/out" &&
        ! grep -q '^FAIL' "$T_TMP/out"
    t_check "int 16h: keys from a pipe that writes late" $? "$(why)"
fi

# A write is in the file even when the VMM dies by SIGKILL right after.
if need "disk write survives SIGKILL" "$BOOT"; then
    mkimg "$T_TMP/hd.img" 1048576
    mkfifo "$T_TMP/kfifo"
    exec 8<>"$T_TMP/kfifo" # stdin stays open and empty: int 16h waits
    VMM_BG_TO=$TO
    vmm_bg --drive "$T_TMP/hd.img" <"$T_TMP/kfifo"
    if wait_file_line "$VOUT" '^w43' 3000; then
        kill -9 "${VCHILD:-$VPID}" 2>/dev/null
        wait "$VPID" 2>/dev/null
        [ "$(sector "$T_TMP/hd.img" 101)" = "written by int 13h" ]
        t_check "disk write survives SIGKILL" $? \
            "$(sector "$T_TMP/hd.img" 101 | od -c | head -2)"
    else
        t_fail "disk write survives SIGKILL" "no w43 line: $(cat "$VERR")"
    fi
    exec 8>&-
    VMM_BG_TO=
fi

if need "--screen" "$BOOT"; then
    mkimg "$T_TMP/hd.img" 1048576
    IN=$T_TMP/keys run_vmm $TO --drive "$T_TMP/hd.img" --screen
    sed -n '/^vmm: screen:$/,$p' "$T_TMP/err" >"$T_TMP/screen"
    [ "$(sed -n 7p "$T_TMP/screen")" = "          YZZ" ] &&
        [ "$(sed -n 9p "$T_TMP/screen")" = "AB" ] &&
        [ "$(sed -n 18p "$T_TMP/screen")" = "tty ok" ] &&
        [ "$(wc -l <"$T_TMP/screen")" -eq 26 ]
    t_check "--screen prints the 80x25 text screen at exit" $? \
        "$(tr '\n' '|' <"$T_TMP/screen")"
fi

# A terminal (script(1) gives us a pty): raw mode, every key to the guest
# (Ctrl-C too), Ctrl-A x quits with 0, the modes come back; and come back
# after a fatal signal too.
ECHO=$G/boot_echo.bin
# modes_back FILE: stty -a in FILE shows line mode again ("icanon", not
# "-icanon"; the same for echo and isig).
modes_back() {
    grep -qE '(^| )icanon( |$)' "$1" && grep -qE '(^| )isig( |$)' "$1" &&
        grep -qE ' echo( |$)' "$1"
}
if ! command -v script >/dev/null 2>&1; then
    t_skip "raw terminal, Ctrl-A x" "script(1) not installed"
elif need "raw terminal, Ctrl-A x" "$ECHO"; then
    (sleep 1; printf 'hi\003'; sleep 1; printf '\001x') |
        timeout $TO script -qefc "$VMM --drive $ECHO; echo RC=\$?; stty -a" \
            /dev/null >"$T_TMP/tty" 2>&1
    tr -d '\r' <"$T_TMP/tty" >"$T_TMP/tty2"
    grep -q "^echo$" "$T_TMP/tty2" && grep -q "^hi"$'\003'"RC=0$" \
        "$T_TMP/tty2" && modes_back "$T_TMP/tty2"
    t_check "raw terminal: keys and Ctrl-C to the guest, Ctrl-A x quits, modes back" \
        $? "$(od -c "$T_TMP/tty2" | head -8 | tr '\n' '|')"
    # A fatal signal: the handler restores the modes, then the signal kills.
    mkfifo "$T_TMP/tfifo"
    exec 7<>"$T_TMP/tfifo"
    timeout $TO script -qefc "$VMM --drive $ECHO; echo RC=\$?; stty -a" \
        /dev/null <"$T_TMP/tfifo" >"$T_TMP/tty" 2>&1 &
    spid=$!
    T_PIDS+=("$spid")
    vpid=
    for ((i = 0; i < 500; i++)); do
        for c in $(child_of "$spid"); do
            for g in $(child_of "$c"); do
                for v in "$g" $(child_of "$g"); do
                    [ "$(readlink "/proc/$v/exe" 2>/dev/null)" = \
                        "$(readlink -f "$VMM")" ] && vpid=$v
                done
            done
        done
        [ -n "$vpid" ] && break
        sleep 0.01
    done
    if [ -n "$vpid" ] && wait_file_line "$T_TMP/tty" 'Ctrl-A x' 500; then
        kill -SEGV "$vpid"
        wait "$spid"
        tr -d '\r' <"$T_TMP/tty" >"$T_TMP/tty2"
        grep -q '^RC=139$' "$T_TMP/tty2" && modes_back "$T_TMP/tty2"
        t_check "raw terminal: modes back after SIGSEGV" $? \
            "$(tr '\n' '|' <"$T_TMP/tty2" | head -c 300)"
    else
        t_fail "raw terminal: modes back after SIGSEGV" "no VMM under script"
    fi
    exec 7>&-
fi

# usage_err NAME NEEDLE ARGS...: exit 2 and a "vmm: ... NEEDLE" message.
usage_err() {
    local name="usage: $1 exits 2" needle=$2
    shift 2
    run_vmm $TO "$@"
    if [ "$RC" -ne 2 ] || [ -s "$T_TMP/out" ] ||
        ! grep -qiF -- "$needle" "$T_TMP/err"; then
        t_fail "$name" "$(why)"
    else
        t_pass "$name"
    fi
}

head -c 1024 /dev/zero >"$T_TMP/nosig.img"
printf x >"$T_TMP/tiny.img"
truncate -s 3M "$T_TMP/big.img"
usage_err "hard disk without 55 AA" "55 AA" --drive "$T_TMP/nosig.img"
usage_err "image under one sector" "512-byte" --drive "$T_TMP/tiny.img"
usage_err "floppy too big" "floppy" --floppy "$T_TMP/big.img"
usage_err "missing drive file" "No such file" --drive "$T_TMP/none.img"
usage_err "--drive with IMAGE" "not two" --drive "$T_TMP/nosig.img" "$BOOT"
usage_err "--drive on bare" "pc machine" --machine bare --drive x.img
usage_err "--bios with --drive" "built-in BIOS" --bios x --drive x
usage_err "--load above 1M" "--entry" --load 0x200000 "$BOOT"
usage_err "bad --entry" "SEG:OFF" --entry 12345:0 "$BOOT"
usage_err "bad --drive option" "readonly" --drive ,readonly
usage_err "--bios size" "multiple of 64K" --bios "$T_TMP/nosig.img"

# --load/--entry: a flat image linked for 0x7C00 on the bare machine.
if need "--load and --entry" "$HELLO"; then
    run_vmm $TO --load 0x7c00 --max-halts 1 --hlt-sleep 0 "$HELLO"
    grep -q 'Hello' "$T_TMP/out"
    t_check "--load 0x7c00: IMAGE runs from 07C0:0000" $? "$(why)"
    run_vmm $TO --load 0x7c00 --entry 7c0:0 --max-halts 1 --hlt-sleep 0 \
        "$HELLO"
    grep -q 'Hello' "$T_TMP/out"
    t_check "--entry 7c0:0" $? "$(why)"
fi

# --bios: firmware from the reset vector (CS base FFFF0000, IP FFF0).
if need "--bios at the reset vector" "$FW"; then
    run_vmm $TO --bios "$FW"
    [ "$RC" -eq 3 ] && grep -qx 'fw ok' "$T_TMP/out"
    t_check "--bios: F000:FFF0 first, ROM read-only, alias at 0xF0000" $? \
        "$(why)"
fi

t_done
