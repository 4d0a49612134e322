#!/usr/bin/env bash
# Static checks on our own C code: cppcheck and clang-tidy (clang-analyzer).
# Needs a configured build/ (compile_commands.json).  Fails on any finding.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
cd "$ROOT"

mapfile -t SRCS < <(git ls-files 'user/*.c' 'tests/*.c' 'bpf/bench/*.c' ':!*.bpf.c' 2>/dev/null || find user tests bpf/bench -name '*.c' ! -name '*.bpf.c')
[ "${#SRCS[@]}" -gt 0 ] || { echo "lint.sh: no sources" >&2; exit 1; }

JOBS="$(nproc)"
echo "lint.sh: cppcheck on ${#SRCS[@]} files" >&2
cppcheck -j"$JOBS" --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	--inline-suppr --suppress=missingIncludeSystem \
	-I include -I user/core -I user/output -I user/tracer -I bpf -I "$BUILD/bpf" -I "$BUILD/bpf/bench" \
	"${SRCS[@]}"

echo "lint.sh: clang-tidy (clang-analyzer-*, selected bugprone-*), $JOBS at a time" >&2
CHECKS='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-narrowing-conversions,-bugprone-implicit-widening-of-multiplication-result,-bugprone-assignment-in-if-condition'
# Files that include a bpftool-generated skeleton (directly or via session.h):
# its open() trips the analyzer's leak check inside generated code, so that
# one check is off there.
mapfile -t SKEL < <(grep -l -e 'skel\.h"' -e '"session\.h"' "${SRCS[@]}" || true)
mapfile -t TIDY < <(printf '%s\n' "${SRCS[@]}" | grep -v -e '^tests/fuzz/' $(printf -- '-e ^%s$ ' "${SKEL[@]}") || true)
# The recorder's sources are compiled five times (probe variants, and as a shared library);
# clang-tidy analyses a file once per entry of compile_commands.json.  Analyse each file
# once per set of -D/-U flags, CMake's own *_EXPORTS aside (-fPIC changes nothing it
# checks): three variants of the recorder instead of five.
DB=$(mktemp -d)
trap 'rm -rf "$DB"' EXIT
python3 - "$BUILD/compile_commands.json" "$DB/compile_commands.json" <<'PY'
import json, shlex, sys
seen, out = set(), []
for e in json.load(open(sys.argv[1])):
    args = e.get("arguments") or shlex.split(e["command"])
    key = (e["file"], frozenset(a for a in args if a.startswith(("-D", "-U"))
                                and not a.endswith("_EXPORTS")))
    if key not in seen:
        seen.add(key)
        out.append(e)
json.dump(out, open(sys.argv[2], "w"))
PY

# One clang-tidy per file, JOBS at a time, the biggest files first (the analyzer's time
# grows with them: the last to start should be short).  A file's findings are printed
# together, never interleaved with another's; any finding fails the run (xargs: 123).
export SKEL_FILES=" ${SKEL[*]} "
if ! ls -S "${TIDY[@]}" "${SKEL[@]}" | xargs -r -d '\n' -P "$JOBS" -n 1 sh -c '
	checks=$1
	case "$SKEL_FILES" in *" $2 "*) checks="$checks,-clang-analyzer-unix.Malloc" ;; esac
	out=$(clang-tidy -quiet -p "$0" --warnings-as-errors="*" --checks="$checks" "$2" 2>/dev/null) ||
		{ printf "%s: %s\n" "$2" "$out"; exit 1; }' "$DB" "$CHECKS"; then
	echo "lint.sh: clang-tidy found problems (above)" >&2
	exit 1
fi
echo "lint.sh: clean" >&2
