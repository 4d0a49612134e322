#!/bin/bash
# test_variants.sh REC NOSEM NOPROBES REC_SO REC_SO_NOSEM
# Every build of the recorder runs and records exactly --flushes N; the
# semaphore semantics of --wait-for-tracer: the NO_SEMAPHORES builds never
# wait (their probes always fire), the DISABLE build never sees a tracer.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
NOSEM=$2 NOPROBES=$3 SO=$4 SO_NOSEM=$5

for rec in "$@"; do
	name=$(basename "$rec")
	"$rec" --flushes 7 --writers 2 --no-sync --dump --dir "$TMP/$name" >"$TMP/out" 2>"$TMP/err" ||
		fail "$name: exit $?: $(cat "$TMP/err")"
	[ "$(dump_samples "$TMP/out")" = 7 ] || fail "$name: $(cat "$TMP/out")"
	"$rec" --verify "$TMP/$name/wal.meta" >/dev/null || fail "$name: invalid wal.meta"
	ok "$name --flushes 7: samples=7, wal.meta valid"
done

# the .so builds really take the probes from the library
for rec in "$SO" "$SO_NOSEM"; do
	ldd "$rec" | grep -q 'libflashstrike\(_nosem\)\?\.so => /' || fail "$rec: $(ldd "$rec")"
	readelf -n "$rec" | grep -q 'Provider: flashstrike' && fail "$rec carries probes itself"
done
ok "flush_recorder_so*: probes come from libflashstrike*.so (build-tree RPATH)"

for rec in "$NOSEM" "$SO_NOSEM"; do
	"$rec" --wait-for-tracer=5 --tracer-grace-ms 0 --flushes 2 --no-sync --dump >"$TMP/out" 2>"$TMP/err" ||
		fail "$(basename "$rec") --wait-for-tracer: exit $?: $(cat "$TMP/err")"
	[ "$(dump_samples "$TMP/out")" = 2 ] || fail "$(basename "$rec"): $(cat "$TMP/out")"
done
ok "NO_SEMAPHORES builds: --wait-for-tracer does not wait"

"$NOPROBES" --wait-for-tracer=0.2 --flushes 2 --no-sync 2>/dev/null
[ $? = 2 ] || fail "noprobes: --wait-for-tracer did not time out"
ok "DISABLE build: --wait-for-tracer times out (no probes to attach to)"
