#!/usr/bin/env bash
# Example CI job: run a workload under flushlat and fail the job on a latency
# threshold.  Copy it into a pipeline and replace the workload.
#
#   scripts/ci-example.sh [--build-dir DIR] [--output FILE] [--flushes N]
#                         [--fail-if EXPR]... [--baseline BASE.json]
#
# Runs, from DIR/bin (default: build/bin of this checkout):
#
#   flushlat --format json --output OUT.json \
#            --fail-if 'p99>50ms' --fail-if 'samples<10' \
#            -- flush_recorder --flushes 50 --no-sync
#
# flushlat attaches before the workload runs its first instruction, so no
# flush is missed, and exits with the workload's status, or 3 when a
# --fail-if holds on the final snapshot.  Giving --fail-if here replaces the
# two defaults.  With --baseline, the saved snapshot is then compared with a
# previous run's: `flushlat diff --fail-if 'p99>+20%' BASE.json OUT.json`.
#
# Exit status (propagated from flushlat): 0 pass; 3 a threshold held
# (FL_EXIT_THRESHOLD); 2 usage error; anything else: the workload or the
# tracer failed (its own status).  Needs root (or CAP_BPF + CAP_PERFMON).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build"
OUT=flushlat-ci.json
FLUSHES=50
BASELINE=
FAIL_IF=()

usage() {
	sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) BUILD_DIR="${2:?--build-dir needs a directory}"; shift ;;
	--output) OUT="${2:?--output needs a file}"; shift ;;
	--flushes) FLUSHES="${2:?--flushes needs a number}"; shift ;;
	--fail-if) FAIL_IF+=("${2:?--fail-if needs an expression}"); shift ;;
	--baseline) BASELINE="${2:?--baseline needs a file}"; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "ci-example.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$FLUSHES" in
''|*[!0-9]*) echo "ci-example.sh: --flushes must be a number, got '$FLUSHES'" >&2; exit 2 ;;
esac
[ ${#FAIL_IF[@]} -gt 0 ] || FAIL_IF=('p99>50ms' 'samples<10')

BIN="$BUILD_DIR/bin"
for b in flushlat flush_recorder; do
	if [ ! -x "$BIN/$b" ]; then
		echo "ci-example.sh: $BIN/$b not found: build first (cmake --build $BUILD_DIR)" >&2
		exit 2
	fi
done
if [ -n "$BASELINE" ] && [ ! -r "$BASELINE" ]; then
	echo "ci-example.sh: baseline '$BASELINE' not readable" >&2
	exit 2
fi

WAL="$(mktemp -d)"
trap 'rm -rf "$WAL"' EXIT

args=()
for e in "${FAIL_IF[@]}"; do
	args+=(--fail-if "$e")
done

echo "ci-example: flushlat --format json --output $OUT ${args[*]} -- flush_recorder --flushes $FLUSHES --no-sync"
"$BIN/flushlat" --format json --output "$OUT" "${args[@]}" -- \
	"$BIN/flush_recorder" --dir "$WAL" --flushes "$FLUSHES" --no-sync
rc=$?
case $rc in
0) echo "ci-example: PASS: thresholds held (snapshot in $OUT)" ;;
3) echo "ci-example: FAIL: a latency threshold was exceeded (exit 3, snapshot in $OUT)" >&2
   exit 3 ;;
*) echo "ci-example: ERROR: the workload or the tracer failed (exit $rc)" >&2
   exit $rc ;;
esac

# Human-readable summary for the job log.
"$BIN/flushlat" report "$OUT" || exit $?

if [ -n "$BASELINE" ]; then
	"$BIN/flushlat" diff --fail-if 'p99>+20%' "$BASELINE" "$OUT"
	rc=$?
	case $rc in
	0) echo "ci-example: PASS: no p99 regression against $BASELINE" ;;
	3) echo "ci-example: FAIL: p99 regressed by more than 20% against $BASELINE" >&2 ;;
	*) echo "ci-example: ERROR: flushlat diff failed (exit $rc)" >&2 ;;
	esac
	exit $rc
fi
exit 0
