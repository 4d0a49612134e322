#!/bin/bash
# test_crash.sh REC
# Crash consistency: with syncing on, kill -9 at random moments, several
# times over one directory; every time wal.meta must --verify (old or new
# record, never torn), and recovery must never go backwards: each restart
# resumes from the record, so flush_seq and last_event_id only grow.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
REC=$1
d=$TMP/wal
rounds=8
prev_seq=0 prev_id=0

for ((r = 1; r <= rounds; r++)); do
	"$REC" --dir "$d" --writers 2 --seconds 15 2>"$TMP/err" &
	pid=$!
	PIDS+=("$pid")
	if [ $r = 1 ]; then
		wait_file "$d/wal.meta" 10 || fail "no first flush within 10 s: $(cat "$TMP/err")"
	fi
	# a random moment: 0..299 ms into the run (also before its first flush)
	sleep "0.$(printf %03d $((RANDOM % 300)))"
	kill -0 $pid 2>/dev/null || fail "round $r: recorder died early: $(cat "$TMP/err")"
	kill -9 $pid
	wait $pid 2>/dev/null
	"$REC" --verify "$d/wal.meta" >"$TMP/v" 2>"$TMP/verr" ||
		fail "round $r: torn or invalid wal.meta after kill -9: $(cat "$TMP/verr")"
	seq=$(verify_field "$TMP/v" flush_seq) id=$(verify_field "$TMP/v" last_event_id)
	if [ "$seq" -lt "$prev_seq" ] || [ "$id" -lt "$prev_id" ]; then
		fail "round $r: went backwards: flush_seq $prev_seq -> $seq, last_event_id $prev_id -> $id"
	fi
	echo "round $r: valid, flush_seq=$seq last_event_id=$id"
	prev_seq=$seq prev_id=$id
done
[ "$prev_seq" -gt 1 ] || fail "only $prev_seq flushes over $rounds rounds: nothing was tested"
ok "$rounds kill -9 rounds: wal.meta always valid, recovery monotonic (flush_seq=$prev_seq)"
