#!/bin/bash
# test_readelf.sh REC NOSEM NOPROBES LIBSO LIBSO_NOSEM CXX
# The probe ABI as the ELF notes show it (readelf -n): both flashstrike probes,
# each with one non-zero semaphore address that is exactly the address of the
# flashstrike_<probe>_semaphore symbol (and, in the recorder and its .so,
# exactly one site per probe, so a tracer attaching site by site cannot
# leave a hit site unattached after the semaphore flipped); zero semaphores in the NO_SEMAPHORES
# builds; no flashstrike notes at all in the FLASHSTRIKE_PROBES_DISABLE build.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
REC=$1 NOSEM=$2 NOPROBES=$3 SO=$4 SO_NOSEM=$5 CXX=$6

# "name semaphore" per flashstrike note
notes() {
	readelf -n "$1" | awk '/Provider:/ { p = $2 } /Name:/ { n = $2 }
		/Semaphore:/ { if (p == "flashstrike") print n, $NF }'
}
sym_addr() { readelf -Ws "$1" | awk -v s="$2" '$8 == s && $7 != "UND" { print $2; exit }'; }

with_semaphores() {
	local bin=$1 single=${2:-} probe sems addr
	notes "$bin" >"$TMP/notes" || fail "readelf -n $bin"
	for probe in meta_flush_start meta_flush_done; do
		grep -q "^$probe " "$TMP/notes" || fail "$bin: no flashstrike:$probe note"
		sems=$(awk -v p="$probe" '$1 == p { print $2 }' "$TMP/notes" | sort -u)
		[ "$(echo "$sems" | wc -l)" = 1 ] || fail "$bin: $probe sites disagree on the semaphore: $sems"
		[ $((sems)) -ne 0 ] || fail "$bin: $probe has no semaphore"
		addr=$(sym_addr "$bin" "flashstrike_${probe}_semaphore")
		[ -n "$addr" ] || fail "$bin: no flashstrike_${probe}_semaphore symbol"
		[ $((sems)) -eq $((0x$addr)) ] ||
			fail "$bin: $probe note semaphore $sems != symbol address 0x$addr"
		if [ -n "$single" ]; then
			[ "$(grep -c "^$probe " "$TMP/notes")" = 1 ] || fail "$bin: $probe has several sites"
		fi
		eval "sem_$probe=$sems"
	done
	# shellcheck disable=SC2154
	[ "$sem_meta_flush_start" != "$sem_meta_flush_done" ] || fail "$bin: probes share a semaphore"
	ok "$(basename "$bin"): both probes, semaphores $sem_meta_flush_start $sem_meta_flush_done"
}

without_semaphores() {
	local bin=$1 probe
	notes "$bin" >"$TMP/notes" || fail "readelf -n $bin"
	for probe in meta_flush_start meta_flush_done; do
		grep -q "^$probe " "$TMP/notes" || fail "$bin: no flashstrike:$probe note"
	done
	awk '$2 + 0 != 0 || $2 !~ /^0x0+$/ { bad = 1 } END { exit bad }' "$TMP/notes" ||
		fail "$bin: NO_SEMAPHORES build has a semaphore: $(cat "$TMP/notes")"
	ok "$(basename "$bin"): both probes, no semaphores"
}

with_semaphores "$REC" single
with_semaphores "$SO" single
with_semaphores "$CXX"
# The third probe (the C++ program fires it): its own semaphore, and its
# arguments at the ABI's widths (u64, i64) although an int errno is passed.
readelf -n "$CXX" | awk '/Provider:/ { p = $2 } /Name:/ { n = $2 }
	/Semaphore:/ { s = $NF } /Arguments:/ { if (p == "flashstrike" && n == "meta_flush_failed") print s, $2, $3 }' >"$TMP/failed"
[ -s "$TMP/failed" ] || fail "$CXX: no flashstrike:meta_flush_failed note"
read -r sem a0 a1 <"$TMP/failed"
addr=$(sym_addr "$CXX" flashstrike_meta_flush_failed_semaphore)
[ -n "$addr" ] && [ $((sem)) -eq $((0x$addr)) ] ||
	fail "$CXX: meta_flush_failed semaphore $sem != symbol 0x$addr"
case "$a0 $a1" in 8@*" "-8@*) ;; *) fail "$CXX: meta_flush_failed arguments '$a0 $a1', want 8@.. -8@.." ;; esac
ok "$(basename "$CXX"): meta_flush_failed, semaphore $sem, arguments $a0 $a1"
without_semaphores "$NOSEM"
without_semaphores "$SO_NOSEM"
notes "$NOPROBES" >"$TMP/notes"
[ ! -s "$TMP/notes" ] || fail "$NOPROBES: probes in the DISABLE build: $(cat "$TMP/notes")"
ok "$(basename "$NOPROBES"): no probes"
