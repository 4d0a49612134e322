#!/usr/bin/env bash
# Installs flushlat's Debian 12 dependencies (only what is missing) and builds
# it out of tree.  Idempotent; fails loudly.
#
#   scripts/setup.sh [--test-deps] [--build-dir DIR] [--sanitize]
#
#   --test-deps    also install what the test suite and benchmarks use
#                  (bpftrace, prometheus/promtool, valgrind, cppcheck, tmux,
#                  chromium, ...)
#   --build-dir    build directory (default: build/)
#   --sanitize     configure with -DFLUSHLAT_SANITIZE=ON (ASan + UBSan)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
TEST_DEPS=0
SANITIZE=OFF

while [ $# -gt 0 ]; do
	case "$1" in
	--test-deps) TEST_DEPS=1 ;;
	--build-dir) BUILD="$2"; shift ;;
	--sanitize) SANITIZE=ON ;;
	*) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

die() { echo "setup.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (installs Debian packages; the tracer needs CAP_BPF+CAP_PERFMON)"

PKGS=(build-essential cmake ninja-build pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
      libcmocka-dev systemtap-sdt-dev libmicrohttpd-dev libjson-c-dev)
if [ "$TEST_DEPS" -eq 1 ]; then
	PKGS+=(bpftrace prometheus valgrind cppcheck clang-tidy curl python3 procps util-linux
	       binutils g++ libclang-rt-14-dev iproute2 tmux chromium mandoc lintian bash-completion
	       libprotobuf-c-dev protobuf-c-compiler strace)
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "setup.sh: installing: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]}"
fi

# Ninja for a new build directory: the same build for about a third less CPU than
# Makefiles (fewer processes); an existing one keeps the generator it was made with.
GEN=()
[ -e "$BUILD/CMakeCache.txt" ] || GEN=(-G Ninja)
cmake -S "$ROOT" -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLUSHLAT_SANITIZE="$SANITIZE" >/dev/null ||
	die "cmake configure failed"
# The build log is kept, and shown only when the build fails.
if ! cmake --build "$BUILD" -j"$(nproc)" >"$BUILD/build.log" 2>&1; then
	tail -40 "$BUILD/build.log" >&2
	die "build failed (full log: $BUILD/build.log)"
fi
echo "setup.sh: built into $BUILD" >&2
