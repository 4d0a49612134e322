#!/bin/bash
# test_wait_timeout.sh REC
# --wait-for-tracer=S without a tracer exits 2 with a message, runs nothing
# and prints nothing on stdout.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
REC=$1

"$REC" --wait-for-tracer=0.3 --flushes 5 --no-sync --dump --dir "$TMP/d" \
	>"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "exit $rc, want 2"
grep -q "no tracer" "$TMP/err" || fail "no message: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "stdout: $(cat "$TMP/out")"
[ ! -e "$TMP/d/wal.meta" ] || fail "flushed although no tracer came"
ok "--wait-for-tracer=0.3: exit 2, '$(cat "$TMP/err")'"

"$REC" --wait-for-tracer=0.2 --spin 10 >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 2 ] || fail "--spin: exit $rc, want 2"
grep -q "^spin:" "$TMP/err" && fail "--spin ran without its tracer"
ok "--wait-for-tracer=0.2 --spin: exit 2, no spin"
