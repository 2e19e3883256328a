#!/usr/bin/env bash
# corpus-sweep.sh: run every program in /usr/bin and /usr/sbin with --version,
# once directly and once through `sealexec run`, and compare what they print.
#
#   scripts/corpus-sweep.sh [--as-root] [--jobs N] [--timeout SECONDS]
#                           [--only REGEX] SEALEXEC_BINARY [OUT_DIR]
#   scripts/corpus-sweep.sh --list [--only REGEX] SEALEXEC_BINARY
#
#   --as-root   run the programs as root (default: as nobody)
#   --jobs N    programs run at a time (default 2)
#   --timeout S seconds per run before SIGTERM, +2 s before SIGKILL (default 10)
#   --only RE   only programs whose path matches the extended regex RE
#   --list      print the programs that would run, and the denied ones; run none
#
# For each candidate (an executable ELF file or #! script; a symlink is kept
# when it gives the program another name, e.g. bzcmp -> bzdiff, and dropped
# when it only duplicates a name already in the list, e.g. /usr/sbin/x ->
# /usr/bin/x), it runs
#     PROG --version                      (directly)
#     SEALEXEC run PROG --version         (through sealexec)
# with PROG an absolute path, stdin from /dev/null, a fresh empty working
# directory and HOME, a clean environment, `timeout -k 2 S`, as user nobody
# (65534) unless --as-root, and inside fresh mount, UTS, IPC, network and PID
# namespaces (`unshare -m -u -i -n -p -f --mount-proc`) with an empty tmpfs
# on /tmp and /dev/shm: no network, nothing a program starts outlives its
# run, and no run sees another's files (two JVMs that are both PID 2 would
# otherwise share /tmp/hsperfdata_nobody/2). Both ways are set up
# identically. A denylist of programs that act instead of printing a
# version (reboot, mkfs, useradd, daemons, ...) is never run.
#
# Only what legitimately differs between two runs is normalised before
# comparing: the per-run directory (HOME and the working directory are in
# it; it is <RUN> in the outputs) and clock times, HH:MM:SS[.fraction]
# (<TIME>). PIDs need none (each program is PID 2 in its own PID namespace);
# PERL_HASH_SEED=0 and PYTHONHASHSEED=0 keep hash orders stable. /dev/fd/N,
# memfd: and /proc/self/fd paths are kept: they are the differences this
# sweep hunts.
#
# Classes:
#   identical       stdout, stderr and exit status all equal
#   loud            sealexec refused or warned: its stderr has a line starting
#                   with "sealexec:" that the direct run does not have
#   path-shown      a #! script whose outputs differ only where it shows its
#                   own path, which through sealexec is a name link
#                   (.../names/N/NAME); never counted as identical
#   silent          any other difference
#   hang            timed out through sealexec but not directly
#   flaky           differed, but the program's own output is not reproducible:
#                   up to 4 more direct runs and 3 more through sealexec are
#                   made, and a sealexec run matched a direct run, or the
#                   direct runs differ among themselves (the note says which)
#   skipped-direct  does not run directly: timed out, or exit 126/127
#
# OUT_DIR (default: a new temporary directory; a previous sweep's results in
# it are replaced) receives summary.txt (what is
# printed at the end), summary.tsv (class, program, direct status, sealexec
# status, seconds, note) and diffs/CLASS/NAME.txt for every program that is
# not identical: both statuses and diff -u of stdout and stderr.
#
# Exit status: 0 when there is no silent difference, no hang and at least
# 99% of the programs that run directly are identical; 1 otherwise; 2 for bad
# usage.
set -u
export LC_ALL=C

self=$(readlink -f "$0")

# ---------------------------------------------------------------- worker ---
# Called by xargs as: corpus-sweep.sh --worker "INDEX<TAB>PROGRAM"
if [ "${1-}" = --worker ]; then
    idx=${2%%$'\t'*}
    prog=${2#*$'\t'}
    pdir="$SWEEP_WORK/$idx"
    mkdir -p "$pdir"
    chmod 755 "$pdir"
    safe=$(printf '%s' "$prog" | sed 's|^/||; s|/|_|g')

    if [ "$SWEEP_AS_ROOT" = 1 ]; then
        drop=()
        user=root
    else
        drop=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
        user=nobody
    fi

    # run_one TAG CMD...: the outputs land in $pdir/TAG.{out,err,rc}; TAG.to
    # exists when timeout had to stop the program.
    run_one() {
        local tag=$1; shift
        local run="$pdir/$tag"
        mkdir -p "$run/home" "$run/cwd"
        [ "$SWEEP_AS_ROOT" = 1 ] || chown -R 65534:65534 "$run"
        (
            cd "$run/cwd" || exit 1
            (
                env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                    HOME="$run/home" USER=$user LOGNAME=$user \
                    SHELL=/bin/sh LANG=C.UTF-8 TERM=dumb PERL_HASH_SEED=0 PYTHONHASHSEED=0 \
                    unshare -m -u -i -n -p -f --kill-child --mount-proc -- \
                    /bin/sh -c "$SWEEP_INIT" sweep-init "${SWEEP_SEALEXEC%/*}" "$SWEEP_WORK/.sealexec-dir" \
                    timeout --verbose -k 2 "$SWEEP_TIMEOUT" "${drop[@]}" "$@" \
                    </dev/null 2>&3 | head -c "$SWEEP_CAP" >"$pdir/$tag.out"
                echo "${PIPESTATUS[0]}" >"$pdir/$tag.rc"
            ) 3>&1 | head -c "$SWEEP_CAP" >"$pdir/$tag.err.raw"
        )
        rm -f "$pdir/$tag.to"
        grep -q '^timeout: sending signal' "$pdir/$tag.err.raw" && : >"$pdir/$tag.to"
        # Normalise: the run's own directory, clock times (GLib's and Java's
        # log lines), and timeout's --verbose lines.
        local re norm
        re=$(printf '%s' "$run" | sed 's/[][\.*^$|]/\\&/g')
        norm="s|$re|<RUN>|g; s/\b[0-2]?[0-9]:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?\b/<TIME>/g"
        sed -E -i "$norm" "$pdir/$tag.out"
        grep -v '^timeout: sending signal' "$pdir/$tag.err.raw" | sed -E "$norm" >"$pdir/$tag.err"
        rm -rf "$run"
    }
    same() { # same TAG1 TAG2: equal status, stdout and stderr
        cmp -s "$pdir/$1.rc" "$pdir/$2.rc" && cmp -s "$pdir/$1.out" "$pdir/$2.out" &&
            cmp -s "$pdir/$1.err" "$pdir/$2.err"
    }
    report() { # report CLASS NOTE: the result line and, if not identical, a file
        local class=$1 note=$2 d_rc s_rc secs
        d_rc=$(cat "$pdir/d.rc")
        s_rc=$(cat "$pdir/s.rc" 2>/dev/null || echo -)
        [ -e "$pdir/d.to" ] && d_rc="$d_rc(timeout)"
        [ -e "$pdir/s.to" ] && s_rc="$s_rc(timeout)"
        secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}')
        if [ "$class" != identical ]; then
            mkdir -p "$SWEEP_OUT/diffs/$class"
            {
                echo "program:  $prog"
                echo "class:    $class${note:+ ($note)}"
                echo "direct:   exit $d_rc   ($prog --version)"
                echo "sealexec: exit $s_rc   ($SWEEP_SEALEXEC run $prog --version)"
                echo "user:     $user; outputs normalised: run directory -> <RUN>"
                if [ -e "$pdir/s.rc" ]; then
                    echo; echo "=== stdout: diff -u direct sealexec"
                    diff -u --label direct --label sealexec "$pdir/d.out" "$pdir/s.out" || true
                    echo; echo "=== stderr: diff -u direct sealexec"
                    diff -u --label direct --label sealexec "$pdir/d.err" "$pdir/s.err" || true
                    local k t
                    for k in 2 3 4 5; do
                        for t in d s; do
                            [ -e "$pdir/$t$k.rc" ] || continue
                            if [ $t = d ]; then echo; echo "=== direct run $k: exit $(cat "$pdir/$t$k.rc"); diff -u direct direct$k (stdout, stderr)"
                            else echo; echo "=== sealexec run $k: exit $(cat "$pdir/$t$k.rc"); diff -u direct sealexec$k (stdout, stderr)"; fi
                            diff -u --label direct --label "$t$k" "$pdir/d.out" "$pdir/$t$k.out" || true
                            diff -u --label direct --label "$t$k" "$pdir/d.err" "$pdir/$t$k.err" || true
                        done
                    done
                else
                    echo; echo "=== direct stdout (first 40 lines)"; head -n 40 "$pdir/d.out"
                    echo; echo "=== direct stderr (first 40 lines)"; head -n 40 "$pdir/d.err"
                fi
            } >"$SWEEP_OUT/diffs/$class/$safe.txt"
            printf '[%s/%s] %-14s %s%s\n' "$idx" "$SWEEP_TOTAL" "$class" "$prog" "${note:+  ($note)}" >&2
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$class" "$prog" "$d_rc" "$s_rc" "$secs" "$note" \
            >"$SWEEP_OUT/results/$idx.tsv"
        rm -rf "$pdir"
        exit 0
    }

    t0=$EPOCHREALTIME
    run_one d "$prog" --version
    d_rc=$(cat "$pdir/d.rc")
    if [ -e "$pdir/d.to" ]; then report skipped-direct "timed out directly"; fi
    case $d_rc in 126|127) report skipped-direct "exit $d_rc directly" ;; esac

    run_one s "$SWEEP_SEALEXEC" run "$prog" --version
    s_rc=$(cat "$pdir/s.rc")
    if [ -e "$pdir/s.to" ]; then report hang ""; fi
    if same d s; then report identical ""; fi

    # A #! script's path is a name link through sealexec (docs/run.md,
    # "Names and paths"). When putting the program's own path back in its
    # place leaves nothing else different, that is all that differs: its own
    # class, never counted as identical.
    link_re="" base=""
    base=$(printf '%s' "${prog##*/}" | sed 's/[][\.*^$|]/\\&/g')
    link_re="[^ :'\"]*/sealexec[^/ ]*/names/[0-9]+/$base"
    for stream in out err; do
        sed -E "s|$link_re|$prog|g" "$pdir/s.$stream" >"$pdir/p.$stream"
    done
    cp "$pdir/s.rc" "$pdir/p.rc"
    if ! grep -q '^sealexec:' "$pdir/s.err" && same d p; then
        report path-shown "only the script's path it shows differs"
    fi

    # sealexec's own lines that the direct run does not have.
    grep '^sealexec:' "$pdir/s.err" | grep -vxF -f <(grep '^sealexec:' "$pdir/d.err") \
        >"$pdir/new-sealexec-lines"
    if [ -s "$pdir/new-sealexec-lines" ]; then
        first=$(head -n 1 "$pdir/new-sealexec-lines" | cut -c1-160)
        note="$first"
        case $s_rc in
            125|126|127) [ "$d_rc" = "$s_rc" ] || note="refused: $first" ;;
            *)
                # It warned and ran: does anything else differ as well?
                grep -vxF -f "$pdir/new-sealexec-lines" "$pdir/s.err" >"$pdir/s.err.rest"
                if ! cmp -s "$pdir/d.rc" "$pdir/s.rc" || ! cmp -s "$pdir/d.out" "$pdir/s.out" ||
                    ! cmp -s "$pdir/d.err" "$pdir/s.err.rest"; then
                    note="warned AND differs otherwise: $first"
                else
                    note="warned: $first"
                fi
                ;;
        esac
        report loud "$note"
    fi

    # A difference: is the program itself reproducible, and is the difference?
    # Up to 4 more direct runs (until one differs from the first) and up to
    # 3 more through sealexec (until one matches a direct run).
    dtags=(d) unstable=0 matched=0
    for k in 2 3 4 5; do
        run_one "d$k" "$prog" --version
        dtags+=("d$k")
        if ! same d "d$k"; then unstable=1; break; fi
    done
    matches_direct() { local t; for t in "${dtags[@]}"; do same "$1" "$t" && return 0; done; return 1; }
    matches_direct s && matched=1
    stable=1
    for k in 2 3 4; do
        [ $matched = 0 ] || break
        run_one "s$k" "$SWEEP_SEALEXEC" run "$prog" --version
        matches_direct "s$k" && matched=1
        same s "s$k" || stable=0
    done
    if [ $matched = 1 ]; then report flaky "sealexec's output matched one of ${#dtags[@]} direct runs"; fi
    if [ $unstable = 1 ]; then report flaky "direct runs differ among themselves; sealexec's matched none of ${#dtags[@]}"; fi
    if [ $stable = 1 ]; then report silent ""; fi
    report silent "sealexec's own runs differ among themselves"
fi

# ---------------------------------------------------------------- driver ---
usage() {
    sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$self" >&2
    exit 2
}

as_root=0 jobs=2 timeout_s=10 only='' list_only=0
while [ $# -gt 0 ]; do
    case $1 in
        --as-root) as_root=1 ;;
        --jobs) jobs=${2:?}; shift ;;
        --jobs=*) jobs=${1#*=} ;;
        --timeout) timeout_s=${2:?}; shift ;;
        --timeout=*) timeout_s=${1#*=} ;;
        --only) only=${2:?}; shift ;;
        --only=*) only=${1#*=} ;;
        --list) list_only=1 ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) echo "corpus-sweep: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
    shift
done
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
[ "$(id -u)" = 0 ] || { echo "corpus-sweep: must run as root (unshare, setpriv)" >&2; exit 2; }
sealexec=$(readlink -f "$1")
if ! [ -f "$sealexec" ] || ! [ -x "$sealexec" ]; then
    echo "corpus-sweep: $1: not an executable file" >&2; exit 2
fi
if [ "$list_only" = 0 ]; then
    if [ $# -eq 2 ]; then
        out=$2
        mkdir -p "$out" || exit 2
    else
        out=$(mktemp -d "${TMPDIR:-/tmp}/corpus-sweep.XXXXXX")
    fi
    out=$(readlink -f "$out")
    # A previous sweep's results there are replaced; nothing else is touched.
    rm -rf "$out/summary.tsv" "$out/summary.txt" "$out/denied.txt" "$out/diffs" "$out/results"
fi
if [ "$as_root" = 0 ] && ! setpriv --reuid=65534 --regid=65534 --clear-groups -- test -x "$sealexec"; then
    echo "corpus-sweep: user nobody cannot execute $sealexec (copy it somewhere world-readable, or use --as-root)" >&2
    exit 2
fi

# Programs that act instead of printing a version, or that are dangerous to
# run at all as root on a real machine. Matched against the name the program
# is run by and the name of the file it resolves to.
deny_patterns=(
    # power, init, services, processes
    reboot shutdown halt poweroff init telinit runlevel systemd systemctl
    'systemd-firstboot' 'systemd-machine-id-setup' 'systemd-sysusers' 'systemd-tmpfiles'
    'systemd-repart' 'systemd-mount' 'systemd-umount' 'systemd-sysext' 'systemd-cryptenroll'
    'systemd-run' 'systemd-socket-activate' 'systemd-notify' 'systemd-inhibit' kernel-install
    service invoke-rc.d 'update-rc.d' policy-rc.d start-stop-daemon ctrlaltdel
    kill killall killall5 pkill skill snice fuser pidwait xkill
    # disks, file systems, mounts
    'mkfs*' mke2fs mkswap mkdosfs 'mkntfs' fdisk sfdisk cfdisk gdisk sgdisk parted partprobe
    partx addpart delpart resizepart wipefs dd shred 'swapo*' swaplabel mount umount losetup
    'fsck*' 'e2*' 'e4*' debugfs dumpe2fs resize2fs tune2fs badblocks mklost+found
    blkdeactivate blkdiscard blkzone blockdev fsfreeze fstrim zramctl 'dmsetup' dmstats
    'lvm*' 'cryptsetup*' mdadm 'btrfs*' 'xfs_*' chattr setcap setfacl
    # network
    ip ifconfig ifup ifdown route arp arpd rarp ipmaddr iptunnel nameif plipconfig slattach
    mii-tool ethtool 'iptables*' 'ip6tables*' 'ebtables*' 'arptables*' 'xtables*' nft tc
    bridge dcb devlink genl rdma tipc vdpa rtmon rtacct dhclient ssh-copy-id
    # users, passwords, privileges
    useradd userdel usermod adduser deluser addgroup delgroup groupadd groupdel groupmod
    groupmems newusers chpasswd
    chgpasswd passwd gpasswd vipw vigr pwck grpck pwconv pwunconv grpconv grpunconv cppw cpgr
    chage chfn chsh expiry faillog faillock newgrp sg su 'sudo*' visudo runuser pkexec
    mkhomedir_helper unix_chkpwd unix_update pam_timestamp_check pam_namespace_helper
    pwhistory_helper pam-auth-update shadowconfig add-shell remove-shell
    chroot pivot_root switch_root
    # kernel, clock, boot
    modprobe rmmod insmod depmod kmod sysctl hwclock rtcwake chcpu chmem readprofile
    ldattach kexec efibootmgr 'grub-*' os-prober 'mkinitramfs*' installkernel
    # consoles, logins, messages
    logsave agetty getty 'mingetty' login sulogin wall write
    # packaging and system configuration
    'update-*' 'dpkg*' 'apt*' add-apt-repository 'debconf*' 'deb-systemd-*' install-info
    ucf ucfr ldconfig iconvconfig locale-gen zic make-ssl-cert install-sgmlcatalog
    addgnupghome applygnupgdefaults mandb catman accessdb savelog select-editor
    sensible-browser x-www-browser www-browser xdg-open 'cpan*' perlbug perlthanks bashbug
    gawkbug dbus-cleanup-sockets pkcon pkmon pkttyagent
    # servers and listeners
    redis-server redis-sentinel 'redis-check-*' redis-benchmark nginx sshd cron anacron atd
    at batch crontab rsyslogd dnsmasq 'valgrind-listener' 'valgrind-di-server' jstatd
    rmiregistry mvnDebug 'compileserver*' rxstack dev_appserver.py pg_backupcluster pg_createcluster
    pg_ctlcluster pg_dropcluster pg_renamecluster pg_restorecluster pg_upgradecluster
    pg_virtualenv pg_conftool pg_buildext pg_updatedicts dropdb dropuser droplang
)
denied() { # denied NAME...: true when any NAME matches a pattern
    local n p
    for n in "$@"; do
        for p in "${deny_patterns[@]}"; do
            # shellcheck disable=SC2053  # glob match intended
            [[ $n == $p ]] && return 0
        done
    done
    return 1
}

# ------------------------------------------------------ the candidate list ---
declare -A seen=()
candidates=() denied_list=() dup_count=0 notexec_count=0
consider() { # consider PATH
    local f=$1 name real magic mode
    [ -f "$f" ] || return 0                        # a regular file, or a link to one
    if [ -n "$only" ] && ! [[ $f =~ $only ]]; then return 0; fi
    name=${f##*/}
    real=$(readlink -f "$f")
    if [ -n "${seen["$name|$real"]+x}" ]; then dup_count=$((dup_count + 1)); return 0; fi
    seen["$name|$real"]=1
    mode=$(stat -L -c %a "$f")
    if (( (8#$mode & 8#111) == 0 )); then notexec_count=$((notexec_count + 1)); return 0; fi
    magic=$(head -c 4 -- "$f" 2>/dev/null | od -An -tx1 | tr -d ' \n')
    case $magic in 7f454c46|2321*) ;; *) notexec_count=$((notexec_count + 1)); return 0 ;; esac
    if denied "$name" "${real##*/}"; then denied_list+=("$f"); return 0; fi
    candidates+=("$f")
}
# Files first, then symlinks, so that a link that only repeats a file's name
# (same name, same target) is the one dropped.
for pass in file link; do
    for dir in /usr/bin /usr/sbin; do
        for f in "$dir"/*; do
            if [ -L "$f" ]; then [ $pass = link ] || continue; else [ $pass = file ] || continue; fi
            consider "$f"
        done
    done
done
total=${#candidates[@]}
if [ "$list_only" = 1 ]; then
    printf 'run\t%s\n' "${candidates[@]}"
    printf 'denied\t%s\n' "${denied_list[@]}"
    echo "corpus-sweep: $total to run, ${#denied_list[@]} denied, $dup_count duplicate links," \
        "$notexec_count not ELF/#!/executable" >&2
    exit 0
fi
[ "$total" -gt 0 ] || { echo "corpus-sweep: no program to run" >&2; exit 2; }

# Each run gets an empty tmpfs on /tmp and /dev/shm, so the runs' HOMEs and
# working directories live in /var/tmp. sweep-init runs as root in the new
# namespaces: `sweep-init SEALEXEC_DIR SAVE COMMAND...`. When sealexec itself
# is under /tmp (or /dev/shm), its directory, as it is, is bound back in
# place over the new tmpfs, so that it runs from the same path with the same
# neighbours (sealexec-restore-env.so).
# shellcheck disable=SC2016  # expanded by the sh that runs it
sweep_init='set -e
dir=$1 save=$2
shift 2
case $dir in /tmp|/tmp/*|/dev/shm|/dev/shm/*) mount --bind "$dir" "$save"; keep=1 ;; *) keep=0 ;; esac
mount -t tmpfs -o mode=1777,size=1g sweep-tmp /tmp
mount -t tmpfs -o mode=1777,size=256m sweep-shm /dev/shm
if [ $keep = 1 ]; then mkdir -p "$dir"; mount --bind "$save" "$dir"; mount -o remount,bind,ro "$dir"; fi
exec "$@"'
work=$(mktemp -d /var/tmp/corpus-sweep-work.XXXXXX)
chmod 755 "$work"
mkdir "$work/.sealexec-dir"
if ! unshare -m -u -i -n -p -f --kill-child --mount-proc -- /bin/sh -c "$sweep_init" sweep-init \
    "${sealexec%/*}" "$work/.sealexec-dir" test -x "$sealexec"; then
    echo "corpus-sweep: cannot set up the runs' namespaces and private /tmp (unshare, mount)" >&2
    rm -rf "$work"
    exit 2
fi
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/results" "$out/diffs"
printf '%s\n' "${denied_list[@]}" >"$out/denied.txt"

export SWEEP_WORK=$work SWEEP_OUT=$out SWEEP_SEALEXEC=$sealexec SWEEP_AS_ROOT=$as_root
export SWEEP_TIMEOUT=$timeout_s SWEEP_TOTAL=$total SWEEP_CAP=1048576 SWEEP_INIT=$sweep_init

echo "corpus-sweep: $total programs ($((${#denied_list[@]})) denied, $dup_count duplicate links," \
    "$notexec_count not ELF/#!/executable), $jobs at a time, timeout ${timeout_s}s," \
    "as $([ "$as_root" = 1 ] && echo root || echo nobody); sealexec: $sealexec; out: $out" >&2
start=$EPOCHREALTIME
i=0
for f in "${candidates[@]}"; do
    i=$((i + 1))
    printf '%04d\t%s\0' "$i" "$f"
done | xargs -0 -P "$jobs" -n 1 "$self" --worker
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%d", b-a}')

# ---------------------------------------------------------------- summary ---
cat "$out"/results/*.tsv 2>/dev/null | sort -t$'\t' -k1,1 -k2,2 >"$out/summary.tsv"
rm -rf "$out/results"
count() { awk -F'\t' -v c="$1" '$1==c' "$out/summary.tsv" | wc -l; }
n_ident=$(count identical) n_loud=$(count loud) n_silent=$(count silent) n_hang=$(count hang)
n_flaky=$(count flaky) n_skip=$(count skipped-direct) n_path=$(count path-shown)
n_done=$(wc -l <"$out/summary.tsv")
runnable=$((n_done - n_skip))
pct=$(awk -v a="$n_ident" -v b="$runnable" 'BEGIN{ if (b>0) printf "%.2f", 100*a/b; else print "0.00" }')
{
    echo "corpus sweep of /usr/bin and /usr/sbin: PROG --version, directly and through"
    echo "  $sealexec run"
    echo "as $([ "$as_root" = 1 ] && echo root || echo nobody), timeout ${timeout_s}s, $jobs at a time; took ${elapsed}s ($((elapsed / 60))m$((elapsed % 60))s)"
    echo "programs: $n_done run ($total listed), ${#denied_list[@]} denied (denied.txt), $dup_count duplicate links skipped"
    [ "$n_done" = "$total" ] || echo "WARNING: $((total - n_done)) programs have no result"
    echo
    printf '  %-15s %5d\n' identical "$n_ident" path-shown "$n_path" loud "$n_loud" \
        silent "$n_silent" hang "$n_hang" flaky "$n_flaky" skipped-direct "$n_skip"
    echo
    echo "identical among programs that run directly: $n_ident / $runnable = $pct%"
    for c in silent hang flaky path-shown; do
        echo
        echo "$c:"
        awk -F'\t' -v c="$c" '$1==c { printf "  %s  (direct %s, sealexec %s)%s\n", $2, $3, $4, ($6!="" ? "  " $6 : "") }' "$out/summary.tsv"
    done
    echo
    echo "loud that also differ otherwise:"
    awk -F'\t' '$1=="loud" && $6 ~ /^warned AND/ { printf "  %s  %s\n", $2, $6 }' "$out/summary.tsv"
    echo
    echo "details: $out/diffs/CLASS/NAME.txt; all results: $out/summary.tsv"
} | tee "$out/summary.txt"

if [ "$n_silent" -eq 0 ] && [ "$n_hang" -eq 0 ] && [ "$n_done" = "$total" ] &&
    awk -v p="$pct" 'BEGIN{exit !(p >= 99)}'; then
    exit 0
fi
exit 1
