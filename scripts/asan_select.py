#!/usr/bin/env python3
"""Which e2e cases the ASan+UBSan pass needs, by line coverage of user/.

    scripts/asan_select.py [--build-dir DIR] [--keep CASE]... [CASE...]

Builds the tree with gcc --coverage in DIR (default: build-cov/), runs the tests the
ASan pass runs anyway (ctest -L asan -LE e2e: unit, output, recorder, exporter tests),
then each e2e case alone (all of them, or the CASEs given), and collects the lines of
user/ each one reaches.  Prints, for the lines only e2e cases reach, a smallest set of
cases that reaches them all (greedy, starting from the --keep cases: those kept in the
pass for what coverage does not show, such as hostile data or races), and compares it
with the cases labelled asan now (tests/tracer/CMakeLists.txt, E2E_NOT_ASAN).  Needs
root (the e2e cases load BPF); takes a few minutes.  Cases run as another user
(privileges, unprivileged) write no coverage data and show as reaching nothing.
"""
import argparse
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "user") + "/"


def sh(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def lines_reached(build):
    """{(file, line)} of user/ with a non-zero count in the .gcda files, which are removed."""
    seen = set()
    for gcda in glob.glob(build + "/**/*.gcda", recursive=True):
        if "/user/" in gcda:
            out = sh(["gcov", "--json-format", "--stdout", gcda], cwd=os.path.dirname(gcda)).stdout
            for doc in filter(str.strip, out.splitlines()):
                for f in json.loads(doc)["files"]:
                    if f["file"].startswith(SRC):
                        seen |= {(f["file"][len(SRC):], l["line_number"])
                                 for l in f["lines"] if l["count"]}
        os.unlink(gcda)
    return seen


def ctest(build, *args):
    p = sh(["ctest", "--test-dir", build, "--timeout", "300"] + list(args))
    return p.returncode == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-cov"))
    ap.add_argument("--keep", action="append", default=[])
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    b = os.path.abspath(a.build_dir)
    # -O2 as CI builds it (the sample recorder behaves as tested); no -Werror surprises
    # from the instrumentation
    cfg = sh(["cmake", "-S", ROOT, "-B", b, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
              "-DCMAKE_C_FLAGS=--coverage", "-DCMAKE_EXE_LINKER_FLAGS=--coverage",
              "-DCMAKE_SHARED_LINKER_FLAGS=--coverage"])
    if cfg.returncode or sh(["cmake", "--build", b, "-j%d" % os.cpu_count()]).returncode:
        sys.exit("asan_select: the coverage build failed: " + cfg.stderr[-500:])
    lines_reached(b)  # stale data
    ctest(b, "-L", "asan", "-LE", "e2e")  # unit_install fails here (--coverage lib): no matter
    base = lines_reached(b)
    listed = sh(["ctest", "--test-dir", b, "-N", "-L", "e2e"]).stdout
    all_cases = [l.split("tracer_e2e_")[1].strip() for l in listed.splitlines() if "tracer_e2e_" in l]
    in_asan = {l.split("tracer_e2e_")[1].strip() for l in
               sh(["ctest", "--test-dir", b, "-N", "-L", "asan"]).stdout.splitlines()
               if "tracer_e2e_" in l}
    reach = {}
    for c in a.cases or all_cases:
        ok = ctest(b, "-R", "^tracer_e2e_%s$" % c)
        reach[c] = lines_reached(b) - base
        print("%-24s %s %4d lines beyond the other tests" % (c, "ok  " if ok else "FAIL",
                                                           len(reach[c])), flush=True)
    want = set().union(*reach.values())
    chosen, got = list(a.keep), set().union(*(reach.get(c, set()) for c in a.keep))
    while want - got:
        best = max(sorted(reach), key=lambda c: len(reach[c] - got))
        print("  + %-22s %4d new lines" % (best, len(reach[best] - got)))
        chosen.append(best)
        got |= reach[best]
    print("%d lines of user/ reached by the other ASan tests; %d more only by e2e cases" %
          (len(base), len(want)))
    print("a smallest set reaching them all (--keep first): " + " ".join(sorted(chosen)))
    now = set().union(*(reach[c] for c in in_asan if c in reach))
    print("labelled asan now: %d cases, reaching %d of the %d" % (len(in_asan), len(want & now),
                                                                len(want)))
    for c in sorted(reach):
        if c not in in_asan and reach[c] - now:
            print("  not in the pass, reaches %d lines it misses: %s" % (len(reach[c] - now), c))


if __name__ == "__main__":
    main()
