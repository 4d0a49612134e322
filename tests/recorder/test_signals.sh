#!/bin/bash
# test_signals.sh REC
# SIGTERM and SIGINT stop the recorder cleanly: exit 0, the final --dump on
# stdout, a valid wal.meta, every recorded flush in --log-durations; a signal
# during --wait-for-tracer is a clean stop too (samples=0).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
REC=$1

for sig in TERM INT; do
	d=$TMP/$sig
	"$REC" --dir "$d" --seconds 15 --rate 500 --writers 2 --no-sync --dump \
		--log-durations "$TMP/$sig.log" >"$TMP/$sig.out" 2>"$TMP/$sig.err" &
	pid=$!
	PIDS+=("$pid")
	wait_file "$d/wal.meta" 10 || fail "SIG$sig: no flush within 10 s"
	sleep 0.2
	kill -$sig $pid
	wait_exit $pid 10 || fail "SIG$sig: still running 10 s after the signal"
	[ "$WAIT_RC" = 0 ] || fail "SIG$sig: exit $WAIT_RC: $(cat "$TMP/$sig.err")"
	n=$(dump_samples "$TMP/$sig.out")
	[ -n "$n" ] || fail "SIG$sig: no dump"
	[ "$n" -ge 1 ] || fail "SIG$sig: no dump: $(cat "$TMP/$sig.out")"
	[ "$(wc -l <"$TMP/$sig.out")" = 4 ] || fail "SIG$sig: stdout is not just the dump"
	[ "$(wc -l <"$TMP/$sig.log")" = "$n" ] || fail "SIG$sig: log lines != samples=$n"
	"$REC" --verify "$d/wal.meta" >"$TMP/v" || fail "SIG$sig: invalid wal.meta"
	[ "$(verify_field "$TMP/v" flush_seq)" = "$n" ] || fail "SIG$sig: flush_seq != samples"
	ok "SIG$sig: clean stop, dump samples=$n, log and wal.meta agree"
done

# a stop signal while waiting for a tracer
"$REC" --wait-for-tracer=15 --no-sync --dump --collect >"$TMP/w.out" 2>"$TMP/w.err" &
pid=$!
PIDS+=("$pid")
sleep 0.3
kill -TERM $pid
wait_exit $pid 10 || fail "stop during --wait-for-tracer: still running"
[ "$WAIT_RC" = 0 ] || fail "stop during --wait-for-tracer: exit $WAIT_RC: $(cat "$TMP/w.err")"
[ "$(sed -n 3p "$TMP/w.out")" = " Meta flush: samples=0" ] || fail "dump: $(cat "$TMP/w.out")"
[ "$(collect_value "$TMP/w.out" samples_total)" = 0 ] || fail "collect samples_total != 0"
ok "SIGTERM during --wait-for-tracer: clean, samples=0"
