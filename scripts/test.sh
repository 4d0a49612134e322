#!/usr/bin/env bash
# Sets everything up (Debian packages, build) and runs the whole test suite:
# the normal build, then the same suite under ASan+UBSan, then the libFuzzer
# targets briefly over their seed corpus, then static checks.
#
#   scripts/test.sh [--quick]     --quick: normal build only (no sanitizer pass)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

"$ROOT/scripts/setup.sh" --test-deps

echo "==== ctest (build/) ===="
ctest --test-dir "$ROOT/build" --output-on-failure --timeout 300

if [ "$QUICK" -eq 0 ]; then
	echo "==== ctest under ASan+UBSan (build-asan/) ===="
	"$ROOT/scripts/setup.sh" --build-dir "$ROOT/build-asan" --sanitize
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir "$ROOT/build-asan" --output-on-failure --timeout 300
	echo "==== libFuzzer targets (build-fuzz/, clang) ===="
	CC=clang cmake -S "$ROOT" -B "$ROOT/build-fuzz" -DFLUSHLAT_FUZZ=ON >/dev/null
	cmake --build "$ROOT/build-fuzz" -j"$(nproc)" --target fuzz_all
	ctest --test-dir "$ROOT/build-fuzz" -L fuzz --output-on-failure -j"$(nproc)"
	if [ -x "$ROOT/scripts/lint.sh" ]; then
		echo "==== static checks ===="
		"$ROOT/scripts/lint.sh"
	fi
fi
echo "test.sh: all passed"
