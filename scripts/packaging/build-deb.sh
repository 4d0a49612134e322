#!/usr/bin/env bash
# Builds the flushlat Debian package (CPack DEB, scripts/packaging/CMakeLists.txt)
# in a build directory of its own: prefix /usr (so the library and pkg-config
# file land in Debian's multiarch directory), Debian's hardening build flags
# (dpkg-buildflags, hardening=+all), no tests.  Then checks it with lintian.
#
#   scripts/packaging/build-deb.sh [--build-dir DIR] [--no-lintian]
#
# The path of the .deb is the last line on stdout.  Exit 1 when the build
# fails or lintian reports anything not explained in LINTIAN_KEEP below (each
# kept tag is explained in the README, "Debian package").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build-deb"
LINTIAN=1
while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) BUILD="$2"; shift ;;
	--no-lintian) LINTIAN=0 ;;
	*) echo "build-deb.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
die() { echo "build-deb.sh: $*" >&2; exit 1; }

# Tags lintian reports that are accepted, each with its reason in the README.
LINTIAN_KEEP=()

export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
CXXFLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"
export CFLAGS CXXFLAGS LDFLAGS
# A fresh configure: CMake reads CFLAGS/LDFLAGS only then.
rm -rf "$BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_INSTALL_PREFIX=/usr \
	-DFLUSHLAT_BUILD_TESTS=OFF >"$BUILD.log" 2>&1 || { cat "$BUILD.log" >&2; die "configure failed"; }
cmake --build "$BUILD" -j"$(nproc)" >>"$BUILD.log" 2>&1 || { tail -30 "$BUILD.log" >&2; die "build failed"; }
(cd "$BUILD" && cpack -G DEB) >>"$BUILD.log" 2>&1 || { tail -30 "$BUILD.log" >&2; die "cpack failed"; }
DEB=$(ls "$BUILD"/package/flushlat_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || die "no .deb in $BUILD/package"
rm -f "$BUILD.log"

if [ "$LINTIAN" = 1 ]; then
	command -v lintian >/dev/null || die "lintian (Debian package lintian) is not installed"
	out=$(lintian --no-tag-display-limit --display-info --pedantic "$DEB" 2>&1 || true)
	unexplained=$(printf '%s\n' "$out" | grep -E '^[EWIPX]: ' |
		grep -v -F -f <(printf '%s\n' "${LINTIAN_KEEP[@]:-^$}") || true)
	if [ -n "$unexplained" ]; then
		printf '%s\n' "$unexplained" >&2
		die "lintian: tags not explained in the README (LINTIAN_KEEP)"
	fi
	echo "build-deb.sh: lintian: ${#LINTIAN_KEEP[@]} explained tag(s), nothing else" >&2
fi
echo "$DEB"
