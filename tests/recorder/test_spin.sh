#!/bin/bash
# test_spin.sh REC...
# --spin N: each writer fires N start/done pairs, all recorded in-process;
# stderr carries 'spin: <N*writers> pairs in <ns> ns', stdout only the dump.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for rec in "$@"; do
	name=$(basename "$rec")
	for w in 1 3; do
		n=$((1000 + w))
		if [ $w = 1 ]; then
			"$rec" --spin $n --dump >"$TMP/out" 2>"$TMP/err" || fail "$name: exit $?"
		else
			"$rec" --spin $n --writers $w --dump >"$TMP/out" 2>"$TMP/err" || fail "$name: exit $?"
		fi
		pairs=$((n * w))
		grep -Eq "^spin: $pairs pairs in [1-9][0-9]* ns$" "$TMP/err" ||
			fail "$name --spin $n --writers $w: stderr '$(cat "$TMP/err")'"
		[ "$(wc -l <"$TMP/err")" = 1 ] || fail "$name: extra stderr: $(cat "$TMP/err")"
		[ "$(dump_samples "$TMP/out")" = $pairs ] || fail "$name: dump: $(cat "$TMP/out")"
		[ "$(wc -l <"$TMP/out")" = 4 ] || fail "$name: stdout is not just the dump"
		ok "$name --spin $n --writers $w: $(cat "$TMP/err"), samples=$pairs"
	done
done
