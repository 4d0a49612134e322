# shellcheck shell=bash
# lib.sh - helpers shared by the recorder tests (sourced, not run).
set -u
TMP=$(mktemp -d "${TMPDIR:-/tmp}/recorder_test.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() { echo "ok: $*"; }

# samples=N from a --dump block
dump_samples() { sed -n 's/^ Meta flush: samples=\([0-9]*\).*/\1/p' "$1"; }
# value of one --collect metric (suffix after ..._maintenance_meta_flush_)
collect_value() {
	sed -n "s/^ie_wal_recorder__meta_store_maintenance_meta_flush_$2{[^}]*} \(.*\)$/\1/p" "$1"
}
# one field of --verify output
verify_field() { sed -n "s/^$2=//p" "$1"; }
# waits up to $2 seconds (0.05 s steps) for file $1 to exist
wait_file() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# waits up to $2 seconds for pid $1 to exit; its status is in WAIT_RC
wait_exit() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			# shellcheck disable=SC2034 # read by the sourcing test
			WAIT_RC=$?
			return 0
		fi
		sleep 0.05
	done
	return 1
}
