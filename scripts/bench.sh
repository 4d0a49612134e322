#!/bin/sh
# bench.sh - what tracing costs: table on stdout, BUILD/bench.json.
#   scripts/bench.sh [--quick|--smoke] [--build-dir DIR]
# Needs root (BPF). Full run < 10 min, --quick < 1 min, --smoke: seconds.
set -eu
mode=full
build=build
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) mode=quick ;;
	--smoke) mode=smoke ;;
	--build-dir) build=$2; shift ;;
	--build-dir=*) build=${1#*=} ;;
	*) echo "bench.sh: unknown option '$1'" >&2; exit 1 ;;
	esac
	shift
done
[ -d "$build/bin" ] || { echo "bench.sh: no $build/bin: build first (scripts/setup.sh)" >&2; exit 1; }
exec python3 "$(dirname "$0")/bench/bench.py" --mode "$mode" --build-dir "$build"
