#!/usr/bin/env bash
# Regenerates the README's pictures from a real run of the sample recorder:
#   docs/heatmap.svg  `flushlat heatmap` of a --interval --delta run
#   docs/report.png   headless Chromium's screenshot of `flushlat report --format html`
#
#   scripts/docs-images.sh [--build-dir DIR]
#
# Needs root (BPF), a build (scripts/setup.sh --test-deps) and chromium.  The run
# writes and fdatasyncs real files under a temporary directory for 20 s; halfway
# through, a 256 MiB write to the same file system competes with it, so the
# picture shows latency moving, as it does on a busy machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
[ "${1:-}" = "--build-dir" ] && BUILD="$2"
BIN="$BUILD/bin"
die() { echo "docs-images.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (flushlat loads BPF)"
[ -x "$BIN/flushlat" ] || die "no $BIN/flushlat: run scripts/setup.sh --test-deps first"
command -v chromium >/dev/null || die "chromium is not installed (scripts/setup.sh --test-deps)"

TMP=$(mktemp -d /var/tmp/flushlat-docs.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

"$BIN/flushlat" --interval 0.5 --delta --format json --output "$TMP/run.json" -- \
	"$BIN/flush_recorder" --seconds 20 --rate 2000 --writers 2 --dir "$TMP/wal" &
tracer=$!
sleep 8
dd if=/dev/zero of="$TMP/noise" bs=1M count=256 conv=fdatasync status=none
rm -f "$TMP/noise"
wait "$tracer"

"$BIN/flushlat" heatmap "$TMP/run.json" -o "$ROOT/docs/heatmap.svg" \
	--title "flush_recorder, 2 writers, fdatasync every flush (a 256 MiB write at 8 s)"
status=0
(cd "$TMP" && "$BIN/flushlat" report --format html --fail-if 'p99>20ms' \
	--fail-if 'samples<1000' run.json >report.html) || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 3 ] || die "report --format html failed ($status)"
python3 "$ROOT/tests/output/cdp.py" screenshot "$TMP/report.html" "$ROOT/docs/report.png" 900
ls -l "$ROOT/docs/heatmap.svg" "$ROOT/docs/report.png"
