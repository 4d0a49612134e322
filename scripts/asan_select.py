#!/usr/bin/env python3
"""Which tracer-level tests the ASan+UBSan pass needs, by line coverage of user/.

    scripts/asan_select.py [--build-dir DIR] [--candidates REGEX] [--keep TEST]...

Builds the tree with gcc --coverage in DIR (default: build-cov/), runs the tests of the
pass that are not candidates (ctest -L asan, minus those matching REGEX: the unit,
output, recorder tests and the like), then each candidate alone (default: the e2e cases,
the FlashStrike-shaped recorder's cases and the real-Prometheus exporter tests), and
collects the lines of user/ each one reaches.  Prints, for the lines only candidates
reach, a cheap set of candidates that reaches them all (greedy on new lines per second of
the test's run time, as ctest measured it; starting from the --keep tests: those kept in
the pass for what coverage does not show, such as hostile data or races), and compares it
with the candidates labelled asan now.  Needs root (the
tests load BPF); takes several minutes.  Tests run as another user (privileges,
unprivileged) write no coverage data and show as reaching nothing.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "user") + "/"
CANDIDATES = r"^(tracer_e2e_|flashstrike_|exporter_fleet$|exporter_rules_dashboard$)"


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


def tests(build, *args):
    out = sh(["ctest", "--test-dir", build, "-N"] + list(args)).stdout
    return [m.group(1) for m in re.finditer(r"Test +#\d+: (\S+)", out)]


def ctest(build, names):
    regex = "^(%s)$" % "|".join(re.escape(n) for n in names)
    return sh(["ctest", "--test-dir", build, "--timeout", "300", "-R", regex]).returncode == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-cov"))
    ap.add_argument("--candidates", default=CANDIDATES)
    ap.add_argument("--keep", action="append", default=[])
    ap.add_argument("--reuse", action="store_true",
                    help="the lines measured by the last run (DIR/asan_select.json), nothing run")
    a = ap.parse_args()
    b = os.path.abspath(a.build_dir)
    cache = os.path.join(b, "asan_select.json")
    if a.reuse:
        c = json.load(open(cache))
        report(a, c["base"], {t: set(map(tuple, v)) for t, v in c["reach"].items()}, c["in_asan"])
        return
    # -O2 as CI builds it (the sample recorder behaves as tested)
    cfg = sh(["cmake", "-S", ROOT, "-B", b, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
              "-DCMAKE_C_FLAGS=--coverage", "-DCMAKE_EXE_LINKER_FLAGS=--coverage",
              "-DCMAKE_SHARED_LINKER_FLAGS=--coverage"])
    if cfg.returncode or sh(["cmake", "--build", b, "-j%d" % os.cpu_count()]).returncode:
        sys.exit("asan_select: the coverage build failed: " + cfg.stderr[-500:])
    cand = re.compile(a.candidates)
    in_asan = set(tests(b, "-L", "asan"))
    candidates = [t for t in tests(b) if cand.search(t)]
    lines_reached(b)  # stale data
    # (unit_install fails here: its consumer does not link gcov; no matter)
    ctest(b, [t for t in in_asan if not cand.search(t)])
    base = lines_reached(b)
    reach = {}
    for t in candidates:
        ok = ctest(b, [t])
        reach[t] = lines_reached(b) - base
        print("%-34s %s %4d lines beyond the other tests" % (t, "ok  " if ok else "FAIL",
                                                           len(reach[t])), flush=True)
    with open(cache, "w") as f:
        json.dump({"base": len(base), "in_asan": sorted(in_asan),
                   "reach": {t: sorted(v) for t, v in reach.items()}}, f)
    report(a, len(base), reach, in_asan)


def costs(build):
    """{test: seconds} from ctest's own measurements in the coverage tree."""
    out = {}
    path = os.path.join(build, "Testing", "Temporary", "CTestCostData.txt")
    for l in open(path) if os.path.exists(path) else []:
        f = l.split()
        if len(f) == 3:
            out[f[0]] = float(f[2])
    return out


def report(a, base, reach, in_asan):
    candidates = sorted(reach)
    cost = costs(os.path.abspath(a.build_dir))
    want = set().union(*reach.values())
    chosen, got = list(a.keep), set().union(*(reach.get(t, set()) for t in a.keep))
    while want - got:
        best = max(sorted(reach), key=lambda t: len(reach[t] - got) / max(cost.get(t, 5), 1))
        print("  + %-30s %4d new lines in %4.1f s" % (best, len(reach[best] - got),
                                                     cost.get(best, 0)))
        chosen.append(best)
        got |= reach[best]
    print("%d lines of user/ reached by the other tests of the pass; %d more only by candidates"
          % (base, len(want)))
    print("a set reaching them all (--keep first), %d tests, %.0f s: %s" %
          (len(chosen), sum(cost.get(t, 0) for t in chosen), " ".join(sorted(chosen))))
    now = set().union(*(reach[t] for t in candidates if t in in_asan))
    print("candidates labelled asan now: %d, reaching %d of the %d" %
          (len([t for t in candidates if t in in_asan]), len(want & now), len(want)))
    for t in candidates:
        if t not in in_asan and reach[t] - now:
            print("  not in the pass, reaches %d lines it misses: %s" % (len(reach[t] - now), t))
        if t in in_asan and t not in chosen:
            print("  in the pass, not in the set: %s" % t)


if __name__ == "__main__":
    main()
