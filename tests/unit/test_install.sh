#!/usr/bin/env bash
# `cmake --install` puts flushlat, the headers, the core library, a
# relocatable pkg-config file, the man page, the systemd unit (naming the
# installed program), the bash completion, the Prometheus rules, the Grafana
# dashboard and the documents under a prefix; a C program builds against the
# library and reproduces the reference dump.
set -euo pipefail
BUILD=$1
SANITIZE=${2:-OFF}
EXTRA=()
# a sanitized build installs a sanitized library: its consumer must link the runtime
[ "$SANITIZE" = ON ] && EXTRA=(-fsanitize=address,undefined)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
for f in bin/flushlat include/flashstrike_probes.h include/flushlat/metastore_layout.h \
	 include/flushlat/metastore.h lib/libflushlat_core.a lib/pkgconfig/flushlat.pc \
	 share/man/man8/flushlat.8.gz lib/systemd/system/flushlat@.service \
	 share/bash-completion/completions/flushlat share/flushlat/prometheus/flushlat.rules.yml \
	 share/flushlat/grafana/flushlat.json share/doc/flushlat/README.md \
	 share/doc/flushlat/instrumenting-flashstrike.md share/doc/flushlat/copyright \
	 share/doc/flushlat/changelog.gz share/doc/flushlat/examples/flushlat.env; do
	[ -e "$TMP/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
# the unit runs the program of this prefix, chosen at install time
grep -qxF "ExecStart=$TMP/prefix/bin/flushlat -b \${FLUSHLAT_BINARY} --listen \${FLUSHLAT_LISTEN} \$FLUSHLAT_ARGS" \
	"$TMP/prefix/lib/systemd/system/flushlat@.service" ||
	{ echo "FAIL: unit ExecStart: $(grep ExecStart "$TMP/prefix/lib/systemd/system/flushlat@.service")"; exit 1; }
zcat "$TMP/prefix/share/man/man8/flushlat.8.gz" | cmp -s - "$(dirname "$0")/../../docs/flushlat.8" ||
	{ echo "FAIL: the installed man page is not docs/flushlat.8"; exit 1; }
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
	metastore_record(&ms, 1000000, 2000000);
	metastore_record_duration(&ms, 3000000);
	metastore_dump(&ms, "Meta Store", stdout);
	return 0;
}
C
PKG_CONFIG_PATH="$TMP/prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
cc -std=gnu11 -Wall -Werror "${EXTRA[@]}" "$TMP/use.c" $(pkg-config --cflags --libs flushlat) -o "$TMP/use"
"$TMP/use" | grep -qxF ' Meta flush: samples=2 total=4.00 ms min=1.00 ms max=3.00 ms avg=2.00 ms inv(avg)=500  ops/s' ||
	{ echo "FAIL: installed library output: $("$TMP/use")"; exit 1; }
"$TMP/prefix/bin/flushlat" --version
echo PASS
