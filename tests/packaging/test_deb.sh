#!/usr/bin/env bash
# The Debian package, as an administrator meets it:
#   scripts/packaging/build-deb.sh builds it (its own build directory, prefix
#   /usr, hardening flags) and checks it with lintian; then, on this machine,
#   dpkg -i; the installed flushlat --version, man page, bash completion
#   (loaded on demand), unit (systemd-analyze verify), rules (promtool), headers,
#   static library and pkg-config file (a consumer builds and runs); short
#   traces from /usr/bin/flushlat of the FlashStrike-shaped recorder
#   (failures included) and of the sample recorder (its dump, byte for
#   byte); dpkg --purge; every file gone.
#
#   test_deb.sh SOURCE_DIR BUILD_DIR
#
# The machine is shared: one package test at a time (flock), never over a
# flushlat package or file someone else installed (it fails and says so),
# and the package is purged on any exit.  A run killed with SIGKILL leaves
# the package installed: the next run purges it (its owner file names a dead
# process).
set -uo pipefail
SRC=$1 BUILD=$2
DEBDIR="$BUILD/deb"
LOCK=/run/lock/flushlat-deb-test.lock
OWNER=/run/lock/flushlat-deb-test.owner
TMP=$(mktemp -d)
installed_by_us=0
fail() { echo "FAIL: $*"; exit 1; }
cleanup() {
	if [ "$installed_by_us" = 1 ]; then
		dpkg --purge flushlat >/dev/null 2>&1 || echo "WARNING: dpkg --purge flushlat failed"
		rm -f "$OWNER"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (dpkg -i, BPF)"; exit 77; }
for t in dpkg dpkg-deb lintian flock promtool cc pkg-config; do
	command -v "$t" >/dev/null || fail "$t is not installed"
done

DEB=$("$SRC/scripts/packaging/build-deb.sh" --build-dir "$DEBDIR" | tail -1) || fail "build-deb.sh failed"
[ -f "$DEB" ] || fail "no package: $DEB"
echo "ok: built and lintian-checked $(basename "$DEB")"
ver=$(dpkg-deb -f "$DEB" Version)
[ "$ver" = "$(zcat "$DEBDIR"/scripts/packaging/changelog.gz | sed -n '1s/.*(\(.*\)).*/\1/p')" ] ||
	fail "package version $ver is not the changelog's"
deps=$(dpkg-deb -f "$DEB" Depends)
for d in libc6 libelf1 zlib1g libmicrohttpd12 libjson-c5; do
	[[ $deps == *"$d "* ]] || fail "Depends lacks $d: $deps"
done
echo "ok: Depends (dpkg-shlibdeps): $deps"

exec 9>"$LOCK"
flock -w 600 9 || fail "another package test held $LOCK for 10 minutes"
if dpkg-query -W -f='${Status}' flushlat 2>/dev/null | grep -q installed; then
	stale=$(cat "$OWNER" 2>/dev/null || true)
	if [ -n "$stale" ] && ! kill -0 "$stale" 2>/dev/null; then
		echo "note: purging the flushlat package a killed run ($stale) left installed"
		dpkg --purge flushlat >/dev/null || fail "cannot purge the stale flushlat package"
		rm -f "$OWNER"
	else
		fail "a flushlat package is installed and not by this test: not replacing it (dpkg --purge flushlat first)"
	fi
fi
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' >"$TMP/files"
while read -r f; do
	if [ -e "$f" ]; then
		fail "$f exists and belongs to no flushlat package: the test would overwrite it"
	fi
done <"$TMP/files"

echo $$ >"$OWNER"
installed_by_us=1
dpkg -i "$DEB" >"$TMP/dpkg.log" 2>&1 || { cat "$TMP/dpkg.log"; fail "dpkg -i failed"; }
echo "ok: dpkg -i $(basename "$DEB")"

/usr/bin/flushlat --version | grep -qx "flushlat $ver" || fail "installed --version: $(/usr/bin/flushlat --version)"
echo "ok: /usr/bin/flushlat --version: flushlat $ver"
zcat /usr/share/man/man8/flushlat.8.gz | mandoc -T lint -W warning || fail "installed man page"
if command -v man >/dev/null; then
	[ "$(man -w flushlat 2>/dev/null)" = /usr/share/man/man8/flushlat.8.gz ] || fail "man -w flushlat: $(man -w flushlat 2>&1)"
fi
echo "ok: flushlat(8) installed and found"
out=$(bash --norc -c '. /usr/share/bash-completion/bash_completion; _completion_loader flushlat; complete -p flushlat;
	COMP_WORDS=(flushlat --format ""); COMP_CWORD=2; COMP_LINE="flushlat --format "; COMP_POINT=${#COMP_LINE}
	_flushlat flushlat "" --format; echo "${COMPREPLY[*]}"')
[[ $out == *"-F _flushlat flushlat"*"text prometheus json"* ]] || fail "bash completion not loaded on demand: $out"
echo "ok: bash-completion loads the completion on demand"
systemd-analyze verify --man=no flushlat@deb-test.service >"$TMP/verify" 2>&1 || { cat "$TMP/verify"; fail "systemd-analyze verify"; }
[ ! -s "$TMP/verify" ] || { cat "$TMP/verify"; fail "systemd-analyze verify is not clean"; }
grep -qx 'ExecStart=/usr/bin/flushlat -b ${FLUSHLAT_BINARY} --listen ${FLUSHLAT_LISTEN} $FLUSHLAT_ARGS' \
	/usr/lib/systemd/system/flushlat@.service || fail "the unit's ExecStart does not name /usr/bin/flushlat"
echo "ok: flushlat@.service verified"
promtool check rules /usr/share/flushlat/prometheus/flushlat.rules.yml >/dev/null || fail "installed rules"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' /usr/share/flushlat/grafana/flushlat.json || fail "dashboard"
echo "ok: rules and dashboard installed"

cat >"$TMP/use.c" <<'C'
#define FLASHSTRIKE_PROBES_DEFINE_SEMAPHORES
#include <flashstrike_probes.h>
#include <metastore.h>
int main(void)
{
	struct metastore ms;

	metastore_init(&ms);
	FLASHSTRIKE_META_FLUSH_START(1000000);
	FLASHSTRIKE_META_FLUSH_DONE(1000000, 2000000);
	FLASHSTRIKE_META_FLUSH_FAILED(1000000, 5);
	metastore_record(&ms, 1000000, 2000000);
	metastore_record_duration(&ms, 3000000);
	metastore_dump(&ms, "Meta Store", stdout);
	return 0;
}
C
# shellcheck disable=SC2046
cc -std=gnu11 -Wall -Werror "$TMP/use.c" $(pkg-config --cflags --libs flushlat) -o "$TMP/use" ||
	fail "a consumer does not build with pkg-config flushlat ($(pkg-config --cflags --libs flushlat))"
"$TMP/use" | grep -qxF ' Meta flush: samples=2 total=4.00 ms min=1.00 ms max=3.00 ms avg=2.00 ms inv(avg)=500  ops/s' ||
	fail "the installed library: $("$TMP/use")"
echo "ok: headers, libflushlat_core.a and flushlat.pc (pkg-config: $(pkg-config --libs flushlat))"

# with the flush anatomy: the hardened, stripped build's BPF object and its hooks
/usr/bin/flushlat --format json --output "$TMP/run.json" --breakdown --slow 0 -- "$BUILD/bin/fs_recorder" \
	--dir "$TMP/wal" --plan ok:12,enospc:2,clean:3,ok:3 >"$TMP/trace.log" 2>&1 ||
	{ cat "$TMP/trace.log"; fail "trace from /usr/bin/flushlat"; }
python3 - "$TMP/run.json" <<'PY' || fail "trace: $(cat "$TMP/run.json")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
s = lines[-1]
assert s["meta_store"]["maintenance_meta_flush"]["samples"] == 15, s
assert s["failed"] == {"count": 2, "errno": {"ENOSPC": 2}}, s["failed"]
bd = s["breakdown"]
assert bd["flushes"] == 15 and bd["checks"]["open_spans"] == 0, bd
assert len([r for r in lines if r.get("type") == "slow_flush"]) == 15, lines
PY
echo "ok: /usr/bin/flushlat --breakdown --slow 0 -- fs_recorder: 15 flushes (15 with a breakdown, 15 slow records), 2 failed (ENOSPC), no span left open"
# the sample recorder: its own in-process dump and flushlat's, byte for byte
/usr/bin/flushlat --no-hist --output "$TMP/dump.txt" -- "$BUILD/bin/flush_recorder" --flushes 50 \
	--no-sync --dump >"$TMP/rec.txt" 2>"$TMP/trace.log" || { cat "$TMP/trace.log"; fail "trace of flush_recorder"; }
head -4 "$TMP/dump.txt" | cmp -s - "$TMP/rec.txt" ||
	fail "flushlat's dump differs from the recorder's: $(cat "$TMP/dump.txt" "$TMP/rec.txt")"
grep -q ' samples=50 ' "$TMP/rec.txt" || fail "recorder: $(cat "$TMP/rec.txt")"
echo "ok: /usr/bin/flushlat -- flush_recorder: the dump is the recorder's own, byte for byte (50 flushes)"

dpkg --purge flushlat >"$TMP/dpkg.log" 2>&1 || { cat "$TMP/dpkg.log"; fail "dpkg --purge failed"; }
installed_by_us=0
rm -f "$OWNER"
while read -r f; do
	[ ! -e "$f" ] || fail "$f is left after dpkg --purge"
done <"$TMP/files"
! dpkg-query -W -f='${Status}' flushlat 2>/dev/null | grep -q installed || fail "still installed"
echo "ok: dpkg --purge: every file gone"
echo PASS
