#!/usr/bin/env bash
# The main job: set everything up, then trace the bundled sample recorder.
#
#   scripts/demo.sh [--flushes N] [--writers N]
#
# Runs flush_recorder under `flushlat -- CMD` (attached before its first
# instruction, nothing missed) and prints, side by side, the recorder's own
# in-process MetaStore dump and the tracer's out-of-process one: the two dump
# blocks are byte-identical (recorder clock).  Then it attaches to an already
# running recorder with `flushlat -p PID` and prints Prometheus and JSON.
# Finally the flush anatomy on the real disk (fsync in a directory under
# /var/tmp): why the flushes took their time (--breakdown), the slow ones as
# they complete (--slow), the slowest of the run (--top), blocked time by
# kernel stack (--folded) and a flush held open reported while stuck (--stuck).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FLUSHES=300
WRITERS=2
while [ $# -gt 0 ]; do
	case "$1" in
	--flushes) FLUSHES="$2"; shift ;;
	--writers) WRITERS="$2"; shift ;;
	*) echo "demo.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

"$ROOT/scripts/setup.sh"
BIN="$ROOT/build/bin"
TMP="$(mktemp -d)"
DISK="$(mktemp -d /var/tmp/flushlat-demo.XXXXXX)" # a real disk: /tmp may be tmpfs
REC_PID=
cleanup() {
	[ -n "$REC_PID" ] && kill "$REC_PID" 2>/dev/null || true
	rm -rf "$TMP" "$DISK"
}
trap cleanup EXIT

echo "=== 1. flushlat -- flush_recorder --flushes $FLUSHES --writers $WRITERS --dump"
"$BIN/flushlat" --output "$TMP/tracer.txt" -- \
	"$BIN/flush_recorder" --dir "$TMP/wal" --flushes "$FLUSHES" --writers "$WRITERS" --dump \
	>"$TMP/recorder.txt"
echo "--- the recorder's own (in-process) MetaStore:"
cat "$TMP/recorder.txt"
echo "--- flushlat (out of process, eBPF USDT):"
cat "$TMP/tracer.txt"
if diff <(head -4 "$TMP/recorder.txt") <(head -4 "$TMP/tracer.txt") >/dev/null; then
	echo "=== dump blocks are byte-identical"
else
	echo "=== dump blocks DIFFER" >&2
	exit 1
fi

echo
echo "=== 2. attach to a running recorder: flushlat -p PID --duration 2"
"$BIN/flush_recorder" --dir "$TMP/wal2" --seconds 30 --rate 2000 --no-sync &
REC_PID=$!
sleep 0.5
"$BIN/flushlat" -p "$REC_PID" --duration 2 --format prometheus
"$BIN/flushlat" -p "$REC_PID" --duration 1 --format json

kill "$REC_PID" 2>/dev/null || true
wait "$REC_PID" 2>/dev/null || true
REC_PID=

echo
echo "=== 3. flush anatomy: flushlat --breakdown --slow 2ms --top 5 --folded FILE -- flush_recorder (fsync on $DISK)"
"$BIN/flushlat" --breakdown --slow 2ms --top 5 --folded "$TMP/blocked.folded" \
	--output "$TMP/anatomy.txt" -- "$BIN/flush_recorder" --dir "$DISK/wal" --flushes "$FLUSHES" \
	--writers "$WRITERS"
echo "--- slow flushes as they completed (at most 15 shown), then the final report:"
awk '/^TIME /{h=1} h&&n<16{print; n++} /^\[Meta Store Metrics\]/{exit}' "$TMP/anatomy.txt"
sed -n '/^\[Meta Store Metrics\]/,$p' "$TMP/anatomy.txt"
echo "--- blocked time by kernel stack (--folded, for flamegraph.pl), the 5 heaviest:"
sort -t' ' -k2,2nr "$TMP/blocked.folded" | awk '{print $NF " ns  " $1}' | sed 's/;/ > /g' | head -5 | cut -c1-200

echo
echo "=== 4. --stuck 300ms: a flush held open 1.2 s (flush_recorder --hold-flush, test only) is reported while stuck"
"$BIN/flushlat" --stuck 300ms -- "$BIN/flush_recorder" --dir "$DISK/wal3" --flushes 1 \
	--hold-flush 1200 2>&1 | grep '^STUCK'
echo "=== the same in JSON (one record):"
"$BIN/flushlat" --stuck 300ms --format json -- "$BIN/flush_recorder" --dir "$DISK/wal4" --flushes 1 \
	--hold-flush 400 2>&1 | grep -m1 '"stuck_flush"'
