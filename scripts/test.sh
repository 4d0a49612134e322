#!/usr/bin/env bash
# Sets everything up (Debian packages, build) and runs the whole test suite: the
# normal build's ctest, the ASan+UBSan pass, the libFuzzer targets briefly over their
# seed corpus, and the static checks.  What CI runs (.ci/run); budget: well under 10
# minutes on 2 CPUs (docs/CONTRIBUTING.md, Tests).
#
#   scripts/test.sh [--quick]     --quick: normal build and its ctest only
#
# Phases, after build/ is built (everything needs it):
#
#   ctest         ctest on build/, every test, in parallel        \
#   asan-build    build-asan/ (setup.sh --sanitize)                | at once; the builds,
#   asan-ctest    ctest -L asan on build-asan/ (after asan-build)  | fuzzing and lint
#   fuzz-build    build-fuzz/ (clang, -DFLUSHLAT_FUZZ=ON)          | at a lower CPU
#   fuzz          ctest -L fuzz on build-fuzz/ (after fuzz-build)  | priority (nice)
#   lint          scripts/lint.sh (cppcheck, clang-tidy)          /
#
# The tests mostly wait (on recorders, the kernel, Prometheus): the CPU-bound phases
# fill that time, and being niced they do not slow the tests down.  Tests run in
# parallel because every one is independent: e2e cases run private copies of the
# recorders, count only their own BPF programs, use free ports; state that is the
# machine's (a sysctl) is held under a lock file.
#
# The ASan+UBSan pass runs every test labelled `asan`: all unit, output, recorder and
# exporter tests and the e2e cases that run the tracer's own code paths (attach in
# every mode, the reader, every output format, HTTP, report/diff, signals, write
# errors); the e2e cases left out check the kernel's or BPF's side, timing or privileges,
# and each runs no user-space code that an `asan` case does not (the list and the
# reason per case: tests/tracer/CMakeLists.txt, E2E_NOT_ASAN; the others next to
# their tests).  Its size is `ctest --test-dir build-asan -N -L asan`.
#
# Every phase's output is in build/ci-logs/PHASE.log and is printed when it ends; the
# run fails when any phase fails or cannot run, and says which.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
JOBS="$(nproc)"
T0=$SECONDS

# CPU seconds of the waited-for children in `times` output (line 2: user, system)
cpu_of() { awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } }
	END { printf "%d", s }' "$@"; }

"$ROOT/scripts/setup.sh" --test-deps
LOGS="$ROOT/build/ci-logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
times >"$LOGS/build.times"
BUILT="$((SECONDS - T0)) s ($(cpu_of "$LOGS/build.times"))"
echo "==== build/ built in $BUILT"

if [ "$QUICK" -eq 1 ]; then
	echo "==== ctest (build/) ===="
	ctest --test-dir "$ROOT/build" --output-on-failure --timeout 300 -j"$JOBS"
	echo "test.sh: all passed (--quick: no sanitizer pass, fuzzing or lint)"
	exit 0
fi

PHASES=(ctest asan-build asan-ctest fuzz-build fuzz lint)

# phase NAME CMD...: runs CMD with its output in $LOGS/NAME.log; NAME.rc gets its exit
# status, seconds, and CPU seconds (user + system, of every process it waited for: the
# budget is CPU time on a shared 2-CPU machine).  Returns CMD's status.
phase() {
	local name=$1 t=$SECONDS rc=0 cpu
	shift
	echo "[$(date +%T)] $name: started"
	( "$@" && rc=0 || rc=$?; times >"$LOGS/$name.times"; exit $rc ) >"$LOGS/$name.log" 2>&1 </dev/null ||
		rc=$?
	cpu=$(cpu_of "$LOGS/$name.times")
	echo "$rc $((SECONDS - t)) $cpu" >"$LOGS/$name.rc"
	echo "[$(date +%T)] $name: $([ $rc -eq 0 ] && echo passed || echo "FAILED (exit $rc)") in $((SECONDS - t)) s, CPU $cpu s"
	return $rc
}

asan_ctest() {
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir "$ROOT/build-asan" -L asan --output-on-failure --timeout 300 -j"$JOBS"
}
trap 'kill $(jobs -p) 2>/dev/null' INT TERM

# The ASan build comes first among the niced work: its tests are the longest phase after it.
{ phase asan-build nice -n 5 "$ROOT/scripts/setup.sh" --build-dir "$ROOT/build-asan" --sanitize &&
	phase asan-ctest asan_ctest; } &
ASAN=$!
{ phase fuzz-build nice -n 10 env CC=clang sh -c 'g="-G Ninja"; [ -e "$1/build-fuzz/CMakeCache.txt" ] && g=
		cmake -S "$1" -B "$1/build-fuzz" $g -DFLUSHLAT_FUZZ=ON &&
		cmake --build "$1/build-fuzz" -j"$2" --target fuzz_all' sh "$ROOT" "$JOBS" &&
	phase fuzz nice -n 10 ctest --test-dir "$ROOT/build-fuzz" -L fuzz --output-on-failure -j"$JOBS"; } &
FUZZ=$!
phase lint nice -n 10 "$ROOT/scripts/lint.sh" &
LINT=$!
phase ctest ctest --test-dir "$ROOT/build" --output-on-failure --timeout 300 -j"$JOBS" || true
wait $ASAN $FUZZ $LINT || true

failed=()
for p in "${PHASES[@]}"; do
	echo
	if [ ! -e "$LOGS/$p.rc" ]; then
		echo "==== $p: NOT RUN (an earlier phase it needs failed)"
		failed+=("$p (not run)")
		continue
	fi
	read -r rc secs cpu <"$LOGS/$p.rc"
	echo "==== $p: $([ "$rc" -eq 0 ] && echo passed || echo "FAILED (exit $rc)"), $secs s (CPU $cpu s) ===="
	case $p in
	*build) [ "$rc" -eq 0 ] || tail -40 "$LOGS/$p.log" ;;
	*) cat "$LOGS/$p.log" ;;
	esac
	[ "$rc" -eq 0 ] || failed+=("$p")
done
echo
printf '==== times (CPU): build/ %s' "$BUILT"
for p in "${PHASES[@]}"; do
	if [ -e "$LOGS/$p.rc" ]; then printf ', %s %s s (%s)' "$p" $(cut -d' ' -f2,3 "$LOGS/$p.rc"); fi
done
printf '; total %s s; load %s\n' "$((SECONDS - T0))" "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${#failed[@]}" -gt 0 ]; then
	echo "test.sh: FAILED: ${failed[*]} (logs: $LOGS)"
	exit 1
fi
echo "test.sh: all passed"
