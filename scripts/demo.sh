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
REC_PID=
cleanup() {
	[ -n "$REC_PID" ] && kill "$REC_PID" 2>/dev/null || true
	rm -rf "$TMP"
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
