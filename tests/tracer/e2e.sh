#!/bin/bash
# e2e.sh FLUSHLAT MINI_RECORDER MINI_RECORDER_NOSEM
# End-to-end: the tracer's merged MetaStore equals the recorder's exact
# in-process values (recorder clock), over -- CMD, -b and -p, with and
# without semaphores, 1 writer and more writers than CPUs (lesson 1).
set -u
FL=$1 REC=$2 NOSEM=$3
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
ncpu=$(nproc)

# the first four fields (samples total min max) must match exactly
same() { # recorder_line tracer_line
	[ "$(echo "$1" | cut -d' ' -f1-5)" = "$(echo "$2" | cut -d' ' -f1-5)" ] ||
		fail "mismatch: recorder '$1' tracer '$2'"
}

# 1) -- CMD, 1 writer and ncpu*2 writers, semaphores and none
for rec in "$REC" "$NOSEM"; do
	for w in 1 $((ncpu * 2)); do
		"$FL" --output "$tmp/t" -- "$rec" 20000 "$w" >"$tmp/r" || fail "CMD run rc=$?"
		same "$(cat "$tmp/r")" "$(cat "$tmp/t")"
		grep -q 'unmatched=0 dropped=0 in_flight=0' "$tmp/t" || fail "counters: $(cat "$tmp/t")"
		echo "ok CMD $(basename "$rec") writers=$w: $(cat "$tmp/r")"
	done
done

# 2) exit status propagates (mini_recorder returns 2 on bad args)
"$FL" -- "$REC" 10 999 2>/dev/null
[ $? = 2 ] || fail "exit status not propagated"
echo "ok exit status"

# 3) -b PATH: attach for all processes, then run the recorder twice
"$FL" -b "$REC" --output "$tmp/t" 2>"$tmp/e" &
fl=$!; pids+=($fl)
for _ in $(seq 100); do grep -q attached "$tmp/e" && break; sleep 0.1; done
grep -q attached "$tmp/e" || fail "-b: not attached: $(cat "$tmp/e")"
"$REC" 3000 1 >"$tmp/r1"; "$REC" 5000 2 >"$tmp/r2"
kill -INT $fl; wait $fl || fail "-b tracer rc"
n=$(( $(sed 's/.*samples=\([0-9]*\).*/\1/' "$tmp/r1") + $(sed 's/.*samples=\([0-9]*\).*/\1/' "$tmp/r2") ))
grep -q "samples=$n " "$tmp/t" || fail "-b: expected $n samples: $(cat "$tmp/t")"
echo "ok -b: $(cat "$tmp/t")"

# 4) -p PID: the recorder waits for the semaphore, so every flush is seen;
#    the tracer ends when the target exits
"$REC" 20000 3 10 >"$tmp/r" &
rp=$!; pids+=($rp)
sleep 0.3
"$FL" -p $rp --output "$tmp/t" 2>"$tmp/e" || fail "-p rc: $(cat "$tmp/e")"
wait $rp || fail "recorder rc (semaphore never flipped?)"
same "$(cat "$tmp/r")" "$(cat "$tmp/t")"
echo "ok -p: $(cat "$tmp/t")"

# 5) kernel clock: same sample count, durations measured by the kernel
"$FL" --clock kernel --output "$tmp/t" -- "$REC" 5000 2 >"$tmp/r" || fail "kernel clock rc"
[ "$(cut -d' ' -f2 "$tmp/r")" = "$(cut -d' ' -f2 "$tmp/t")" ] || fail "kernel clock samples"
echo "ok kernel clock: $(cat "$tmp/t")"

# 6) --lean: done probe only, in-flight unknown
"$FL" --lean --output "$tmp/t" -- "$REC" 5000 2 >"$tmp/r" || fail "lean rc"
same "$(cat "$tmp/r")" "$(cat "$tmp/t")"
grep -q 'in_flight=unknown' "$tmp/t" || fail "lean in_flight"
echo "ok lean"

# 7) error cases
"$FL" -p 2147483 2>"$tmp/e"; [ $? = 1 ] && grep -q 'no such process' "$tmp/e" || fail "no such pid"
sleep 30 & sp=$!; pids+=($sp)
"$FL" -p $sp 2>"$tmp/e"; [ $? = 1 ] && grep -q "process $sp has no flashstrike" "$tmp/e" ||
	fail "pid without probes: $(cat "$tmp/e")"
for bad in "--clock wall -b x" "--format xml -b x" "--interval -1 -b x" "--lean --clock kernel -b x" \
	   "-p abc" "--bogus" "" "--delta -b x"; do
	# shellcheck disable=SC2086
	"$FL" $bad 2>/dev/null; [ $? = 2 ] || fail "bad flags '$bad' not exit 2"
done
echo "ok errors"
echo PASS
