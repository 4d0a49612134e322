#!/bin/bash
# test_bpftrace.sh REC PROBE_OBJ
# The issue's acceptance test: bpftrace (a test-only dependency) attached to a
# running recorder counts exactly as many flashstrike:meta_flush_done hits as
# the recorder's in-process MetaStore has samples.  PROBE_OBJ is the ELF that
# carries the probes: REC itself, or libflashstrike.so for flush_recorder_so.
# The recorder waits for the probe semaphore (--wait-for-tracer), so no flush
# is missed.  Exit 77 (ctest SKIP) only when the kernel lacks a feature.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
REC=$1 OBJ=$2
N=200

skip() {
	echo "SKIP (kernel): $*" >&2
	echo "SKIP (kernel): $*"
	exit 77
}
command -v bpftrace >/dev/null || fail "bpftrace is not installed (Debian package bpftrace)"
[ "$(id -u)" = 0 ] || fail "needs root to run bpftrace"
[ -d /sys/bus/event_source/devices/uprobe ] || skip "no uprobe PMU (CONFIG_UPROBE_EVENTS)"
[ -e /sys/bus/event_source/devices/uprobe/format/ref_ctr_offset ] ||
	skip "no uprobe ref_ctr_offset: the kernel cannot maintain USDT semaphores"

"$REC" --wait-for-tracer=30 --flushes $N --no-sync --dump >"$TMP/rec.out" 2>"$TMP/rec.err" &
rec=$!
PIDS+=("$rec")
bpftrace -p $rec -e "usdt:$OBJ:flashstrike:meta_flush_done { @n = count(); }" \
	>"$TMP/bt.out" 2>"$TMP/bt.err" &
bt=$!
PIDS+=("$bt")

# wait for the recorder; a bpftrace that dies first is a loud failure
while kill -0 $rec 2>/dev/null; do
	if ! kill -0 $bt 2>/dev/null; then
		wait $bt
		rc=$?
		err=$(grep -v RLIMIT_MEMLOCK "$TMP/bt.err")
		if grep -Eqi "kernel.*(not support|lacks|too old)|CONFIG_BPF|bpf syscall.*(ENOSYS|not implemented)" \
			"$TMP/bt.err"; then
			skip "bpftrace: $err"
		fi
		fail "bpftrace exited ($rc) before the recorder finished: $err $(cat "$TMP/bt.out")"
	fi
	sleep 0.05
done
wait $rec
rc=$?
[ $rc = 0 ] || fail "recorder exit $rc (2 = the semaphore never flipped): $(cat "$TMP/rec.err")
bpftrace: $(cat "$TMP/bt.err")"

# bpftrace prints its maps on SIGINT (it may have already left with the target)
kill -INT $bt 2>/dev/null
wait_exit $bt 10 || fail "bpftrace did not stop on SIGINT"
want=$(dump_samples "$TMP/rec.out")
got=$(sed -n 's/^@n: \([0-9]*\)$/\1/p' "$TMP/bt.out")
[ "$want" = $N ] || fail "recorder: samples=$want, want $N"
[ "$got" = "$want" ] || fail "bpftrace counted '${got:-nothing}' meta_flush_done hits, recorder samples=$want
bpftrace stdout: $(cat "$TMP/bt.out")
bpftrace stderr: $(cat "$TMP/bt.err")"
ok "bpftrace on $(basename "$OBJ") counted $got meta_flush_done hits == in-process samples=$want"
