#!/bin/bash
# test_options.sh REC
# Option handling: bad values exit 2 with a message and nothing on stdout;
# --flushes N gives exactly N samples and N logged durations summing to the
# total; --dir, resume, the default temporary directory, --verify.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
REC=$1

# 1) bad values and combinations
bad() {
	"$REC" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	[ $rc = 2 ] || fail "'$*': exit $rc, want 2"
	[ -s "$TMP/err" ] || fail "'$*': no message on stderr"
	[ ! -s "$TMP/out" ] || fail "'$*': wrote to stdout: $(cat "$TMP/out")"
}
bad --flushes 0
bad --flushes abc
bad --flushes -1
bad --flushes 5x
bad --flushes ""
bad --flushes 99999999999999999999999
bad --flushes
bad --seconds 0
bad --seconds -1
bad --seconds nan
bad --seconds inf
bad --seconds 1s
bad --rate -5
bad --rate x
bad --writers 0
bad --writers 65
bad --writers 2.5
bad --spin 0
bad --spin abc
bad --spin 10 --flushes 3
bad --spin 10 --log-durations "$TMP/l"
bad --spin 10 --log-flushes "$TMP/l"
bad --wait-for-tracer=0
bad --wait-for-tracer=abc
bad --wait-for-tracer=
bad --tracer-grace-ms -1
bad --dir ""
bad --log-durations ""
bad --log-flushes ""
bad --verify "$TMP/x" --dump
bad --bogus
bad extra-argument
grep -q -- '--flushes: invalid value .abc.' <("$REC" --flushes abc 2>&1) || fail "message names the option"
ok "bad values rejected with exit 2 and a message"

# 2) --help: stdout, exit 0, every option documented
"$REC" --help >"$TMP/help" 2>"$TMP/err" || fail "--help exit $?"
for o in --dir --flushes --seconds --rate --writers --no-sync --wait-for-tracer --log-durations \
	--log-flushes --dump --collect --spin --verify --help; do
	grep -q -- "$o" "$TMP/help" || fail "--help lacks $o"
done
ok "--help"

# 3) --flushes N: samples == N == logged lines, sum(log) == total_ns, min/max agree
for w in 1 3; do
	n=$((20 + w * 7))
	"$REC" --flushes $n --writers $w --no-sync --dump --collect --dir "$TMP/d$w" \
		--log-durations "$TMP/log$w" --log-flushes "$TMP/flog$w" >"$TMP/out" 2>"$TMP/err" ||
		fail "run: $(cat "$TMP/err")"
	# --log-flushes: the same durations, with the completing thread and the wall clock
	awk '{ print $1 }' "$TMP/flog$w" | cmp -s - "$TMP/log$w" || fail "--log-flushes durations differ"
	awk -v now="$(date +%s)" 'NF != 3 || $2 < 1 || $3 / 1e9 < now - 60 || $3 / 1e9 > now + 1 { bad = 1 }
		END { exit bad }' "$TMP/flog$w" || fail "--log-flushes: bad line: $(head -3 "$TMP/flog$w")"
	[ "$(dump_samples "$TMP/out")" = $n ] || fail "dump: want samples=$n: $(head -4 "$TMP/out")"
	[ "$(collect_value "$TMP/out" samples_total)" = $n ] || fail "collect samples_total != $n"
	[ "$(wc -l <"$TMP/log$w")" = $n ] || fail "--log-durations: $(wc -l <"$TMP/log$w") lines, want $n"
	grep -qv '^[0-9][0-9]*$' "$TMP/log$w" && fail "--log-durations: non-numeric line"
	sum=$(awk '{ s += $1 } END { printf "%d", s }' "$TMP/log$w")
	[ "$sum" = "$(collect_value "$TMP/out" total_ns)" ] ||
		fail "sum of durations $sum != total_ns $(collect_value "$TMP/out" total_ns)"
	[ "$(sort -n "$TMP/log$w" | head -1)" = "$(collect_value "$TMP/out" min_ns)" ] || fail "min"
	[ "$(sort -n "$TMP/log$w" | tail -1)" = "$(collect_value "$TMP/out" max_ns)" ] || fail "max"
	"$REC" --verify "$TMP/d$w/wal.meta" >"$TMP/v" || fail "--verify after --flushes"
	[ "$(verify_field "$TMP/v" flush_seq)" = $n ] || fail "flush_seq $(verify_field "$TMP/v" flush_seq) != $n"
	[ ! -s "$TMP/err" ] || fail "unexpected stderr: $(cat "$TMP/err")"
	ok "--flushes $n --writers $w: samples=$n, $n log lines, sum=$sum ns == total_ns"
done

# 4) nothing on stdout unless asked
"$REC" --flushes 3 --no-sync --dir "$TMP/quiet" >"$TMP/out" || fail "quiet run"
[ ! -s "$TMP/out" ] || fail "stdout not empty without --dump/--collect: $(cat "$TMP/out")"
ok "stdout empty unless asked"

# 5) resume: a second run continues flush_seq and the WAL position
"$REC" --verify "$TMP/quiet/wal.meta" >"$TMP/v1" || fail "verify 1"
"$REC" --flushes 4 --no-sync --dir "$TMP/quiet" --rate 1000 || fail "second run"
"$REC" --verify "$TMP/quiet/wal.meta" >"$TMP/v2" || fail "verify 2"
[ "$(verify_field "$TMP/v2" flush_seq)" = 7 ] || fail "resume: flush_seq $(verify_field "$TMP/v2" flush_seq), want 7"
[ "$(verify_field "$TMP/v2" last_event_id)" -gt "$(verify_field "$TMP/v1" last_event_id)" ] ||
	fail "resume: last_event_id did not grow"
ok "resume from an existing wal.meta (flush_seq 3 -> 7)"

# 6) the default directory is a fresh temporary one, removed at exit
mkdir "$TMP/tmpdir"
TMPDIR="$TMP/tmpdir" "$REC" --flushes 2 --no-sync --dump >"$TMP/out" || fail "default dir run"
[ "$(dump_samples "$TMP/out")" = 2 ] || fail "default dir: samples"
[ -z "$(ls -A "$TMP/tmpdir")" ] || fail "default dir left behind: $(ls -A "$TMP/tmpdir")"
ok "default --dir is temporary"

# 7) --seconds and --rate stop on their own
"$REC" --seconds 0.3 --rate 200 --writers 2 --no-sync --dump --dir "$TMP/secs" >"$TMP/out" ||
	fail "--seconds run"
[ "$(dump_samples "$TMP/out")" -ge 1 ] || fail "--seconds: no flush: $(cat "$TMP/out")"
"$REC" --verify "$TMP/secs/wal.meta" >/dev/null || fail "--seconds: invalid file"
ok "--seconds 0.3 --rate 200: $(dump_samples "$TMP/out") flushes"

# 8) --verify rejects damaged files (exit 1) and accepts the original
f=$TMP/d1/wal.meta
cp "$f" "$TMP/good"
"$REC" --verify "$TMP/good" >/dev/null || fail "copy not valid"
for off in 0 4 8 16 24 32 40 48 52; do
	cp "$TMP/good" "$TMP/bad"
	printf '\xff' | dd of="$TMP/bad" bs=1 seek=$off conv=notrunc status=none
	cmp -s "$TMP/good" "$TMP/bad" && printf '\x00' | dd of="$TMP/bad" bs=1 seek=$off conv=notrunc status=none
	"$REC" --verify "$TMP/bad" >"$TMP/out" 2>"$TMP/err"
	[ $? = 1 ] || fail "--verify accepted a flipped byte at $off"
	grep -q invalid "$TMP/err" || fail "--verify: no reason on stderr"
done
head -c 55 "$TMP/good" >"$TMP/bad"
"$REC" --verify "$TMP/bad" 2>/dev/null >&2; [ $? = 1 ] || fail "--verify accepted a truncated file"
{ cat "$TMP/good"; printf x; } >"$TMP/bad"
"$REC" --verify "$TMP/bad" 2>/dev/null; [ $? = 1 ] || fail "--verify accepted a longer file"
"$REC" --verify "$TMP/missing" 2>/dev/null; [ $? = 1 ] || fail "--verify accepted a missing file"
: >"$TMP/bad"
"$REC" --verify "$TMP/bad" 2>/dev/null; [ $? = 1 ] || fail "--verify accepted an empty file"
ok "--verify rejects damaged, short, long, empty and missing files"

# 9) a damaged wal.meta in --dir is not overwritten
mkdir "$TMP/dmg"
head -c 20 "$TMP/good" >"$TMP/dmg/wal.meta"
"$REC" --flushes 1 --no-sync --dir "$TMP/dmg" 2>"$TMP/err"
[ $? = 1 ] || fail "ran over an invalid wal.meta"
grep -q "refusing" "$TMP/err" || fail "no reason: $(cat "$TMP/err")"
[ "$(wc -c <"$TMP/dmg/wal.meta")" = 20 ] || fail "invalid wal.meta was overwritten"
ok "refuses to overwrite an invalid wal.meta"
