#!/usr/bin/env bash
# Static checks on our own C code: cppcheck and clang-tidy (clang-analyzer).
# Needs a configured build/ (compile_commands.json).  Fails on any finding.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
cd "$ROOT"

mapfile -t SRCS < <(git ls-files 'user/*.c' 'tests/*.c' 'bpf/bench/*.c' ':!*.bpf.c' 2>/dev/null || find user tests bpf/bench -name '*.c' ! -name '*.bpf.c')
[ "${#SRCS[@]}" -gt 0 ] || { echo "lint.sh: no sources" >&2; exit 1; }

echo "lint.sh: cppcheck on ${#SRCS[@]} files" >&2
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	--inline-suppr --suppress=missingIncludeSystem \
	-I include -I user/core -I user/output -I user/tracer -I bpf -I "$BUILD/bpf" -I "$BUILD/bpf/bench" \
	"${SRCS[@]}"

echo "lint.sh: clang-tidy (clang-analyzer-*, selected bugprone-*)" >&2
CHECKS='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-narrowing-conversions,-bugprone-implicit-widening-of-multiplication-result,-bugprone-assignment-in-if-condition'
# Files that include a bpftool-generated skeleton (directly or via session.h):
# its open() trips the analyzer's leak check inside generated code, so that
# one check is off there.
mapfile -t SKEL < <(grep -l -e 'skel\.h"' -e '"session\.h"' "${SRCS[@]}" || true)
mapfile -t TIDY < <(printf '%s\n' "${SRCS[@]}" | grep -v -e '^tests/fuzz/' $(printf -- '-e ^%s$ ' "${SKEL[@]}") || true)
clang-tidy -quiet -p "$BUILD" --warnings-as-errors='*' --checks="$CHECKS" "${TIDY[@]}" 2>/dev/null
if [ "${#SKEL[@]}" -gt 0 ]; then
	clang-tidy -quiet -p "$BUILD" --warnings-as-errors='*' --checks="$CHECKS,-clang-analyzer-unix.Malloc" \
		"${SKEL[@]}" 2>/dev/null
fi
echo "lint.sh: clean" >&2
