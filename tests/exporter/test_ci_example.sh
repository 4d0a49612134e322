#!/usr/bin/env bash
# scripts/ci-example.sh run for real: passes (0) when no threshold holds, fails
# with 3 on a threshold that holds, and the baseline diff gate works.  The
# thresholds are chosen so that no verdict depends on how fast this machine is
# (a pass/fail test never judges timing): p99 > 1 hour never holds, p99 > 0 always.
set -uo pipefail
SRC=$1 BUILD=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
S=$SRC/scripts/ci-example.sh

"$S" --build-dir "$BUILD" --output "$TMP/a.json" --fail-if 'p99>3600s' --fail-if 'samples<10' \
	>"$TMP/out" 2>&1
rc=$?; [ $rc = 0 ] || fail "passing run rc=$rc: $(tail -5 "$TMP/out")"
grep -q '"samples":50' "$TMP/a.json" || fail "no 50-sample snapshot: $(cat "$TMP/a.json")"
echo "ok a run where no threshold holds passes"

"$S" --build-dir "$BUILD" --output "$TMP/p.json" --fail-if 'p99>0ns' >"$TMP/out" 2>&1
rc=$?; [ $rc = 3 ] || fail "p99>0ns run rc=$rc, want 3: $(tail -5 "$TMP/out")"
grep -q 'p99>0ns holds' "$TMP/out" || fail "threshold not named: $(cat "$TMP/out")"
echo "ok a latency threshold that holds exits 3"

"$S" --build-dir "$BUILD" --output "$TMP/b.json" --fail-if 'samples<100' >"$TMP/out" 2>&1
rc=$?; [ $rc = 3 ] || fail "threshold run rc=$rc, want 3: $(tail -5 "$TMP/out")"
grep -q 'samples<100 holds' "$TMP/out" || fail "threshold not named: $(cat "$TMP/out")"
echo "ok threshold run exits 3 naming the condition"

"$S" --build-dir "$BUILD" --output "$TMP/c.json" --flushes 80 --baseline "$TMP/a.json" \
	--fail-if 'samples<1000000' >"$TMP/out" 2>&1
rc=$?; [ $rc = 3 ] || fail "baseline run rc=$rc: $(tail -5 "$TMP/out")"
"$BUILD/bin/flushlat" diff --fail-if 'samples>+50%' "$TMP/a.json" "$TMP/c.json" >"$TMP/d" 2>&1
rc=$?; [ $rc = 3 ] || fail "diff 50 -> 80 samples with samples>+50%: rc=$rc $(cat "$TMP/d")"
"$BUILD/bin/flushlat" diff --fail-if 'samples>+70%' "$TMP/a.json" "$TMP/c.json" >"$TMP/d" 2>&1
rc=$?; [ $rc = 0 ] || fail "diff +60% with samples>+70%: rc=$rc $(cat "$TMP/d")"
echo PASS
