#!/bin/bash
# test_collect.sh REC
# --collect prints the recorder's own Prometheus names exactly as the
# recorder's own collect() does: per metric HELP, TYPE and one
# sample with {system="wal_recorder", subsystem="wal_meta"}, in order, with
# values consistent with each other and with the --dump block.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
REC=$1
P=ie_wal_recorder__meta_store_maintenance_meta_flush
L='{system="wal_recorder", subsystem="wal_meta"}'

# expected "name type help" in order, for a given sample count
expected() {
	echo "samples_total counter Number of recorded samples"
	[ "$1" -ge 1 ] && echo "total_ns counter Total duration in nanoseconds"
	if [ "$1" -ge 2 ]; then
		echo "min_ns gauge Minimum observed duration in nanoseconds"
		echo "max_ns gauge Maximum observed duration in nanoseconds"
		echo "avg_ns gauge Average duration in nanoseconds"
		echo "jitter_ns gauge Absolute jitter (max - min) in nanoseconds"
		echo "rate_per_second gauge Rate of observed samples per second"
	fi
}

check_shape() { # file samples
	local f=$1 n=$2 name type help i=0 want=()
	mapfile -t lines <"$f"
	while read -r name type help; do
		[ "${lines[i]}" = "# HELP ${P}_$name $help" ] || fail "line $i: '${lines[i]}', want HELP of $name"
		[ "${lines[i + 1]}" = "# TYPE ${P}_$name $type" ] || fail "line $((i + 1)): '${lines[i + 1]}'"
		[[ "${lines[i + 2]}" =~ ^${P}_$name"$L "[0-9]+(\.[0-9][0-9])?$ ]] ||
			fail "line $((i + 2)): '${lines[i + 2]}'"
		if [ "$name" = rate_per_second ]; then
			[[ "${lines[i + 2]}" =~ \.[0-9][0-9]$ ]] || fail "rate not printed with 2 decimals"
		fi
		i=$((i + 3))
		want+=("$name")
	done < <(expected "$n")
	[ ${#lines[@]} = $i ] || fail "$f: ${#lines[@]} lines, want $i"
}

for n in 1 2 25; do
	"$REC" --flushes $n --writers 2 --no-sync --collect >"$TMP/c$n" 2>"$TMP/err" ||
		fail "run: $(cat "$TMP/err")"
	check_shape "$TMP/c$n" $n
	[ "$(collect_value "$TMP/c$n" samples_total)" = $n ] || fail "samples_total != $n"
	ok "--flushes $n --collect: $(($(wc -l <"$TMP/c$n") / 3)) metrics, exact names, labels, order"
done

# the derived values follow the reference formulas
f=$TMP/c25
tot=$(collect_value "$f" total_ns) mn=$(collect_value "$f" min_ns) mx=$(collect_value "$f" max_ns)
[ "$(collect_value "$f" avg_ns)" = $((tot / 25)) ] || fail "avg_ns != total/samples"
[ "$(collect_value "$f" jitter_ns)" = $((mx - mn)) ] || fail "jitter_ns != max - min"
[ "$(collect_value "$f" rate_per_second)" = "$(awk -v t="$tot" 'BEGIN { printf "%.2f", 25 * 1e9 / t }')" ] ||
	fail "rate_per_second != samples*1e9/total"
if ! [ "$mn" -le "$mx" ] || ! [ "$mn" -gt 0 ]; then fail "min/max: $mn $mx"; fi
ok "avg, jitter and rate follow total/samples, max-min, samples*1e9/total"

# --dump then --collect, both from the same MetaStore
"$REC" --flushes 5 --no-sync --dump --collect >"$TMP/both" || fail "dump+collect run"
[ "$(head -1 "$TMP/both")" = "[Meta Store Metrics] Snapshot:" ] || fail "dump not first"
[ "$(sed -n 2p "$TMP/both")" = "$(printf -- '-%.0s' $(seq 65))" ] || fail "dump rule"
[ "$(dump_samples "$TMP/both")" = 5 ] || fail "dump samples != 5"
[ "$(collect_value "$TMP/both" samples_total)" = 5 ] || fail "collect samples_total != 5"
tail -n +5 "$TMP/both" >"$TMP/tail"
check_shape "$TMP/tail" 5
ok "--dump and --collect together"
