#!/usr/bin/env python3
"""`flushlat heatmap` and `flushlat report --format html` on hand-written files
(no BPF needed): the SVG parses as XML, has exactly one cell per non-empty
(interval, row) pair with counts adding up to the samples, draws slow-flush
records, skips unknown record types, references nothing external; cumulative
input draws the same picture as --delta input; the HTML page embeds it; the
errors a user can cause give one line and the documented exit status.

    test_svg.py BIN_DIR
"""
import atexit
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svgcheck  # noqa: E402

FL = os.path.join(sys.argv[1], "flushlat")
TMP = tempfile.mkdtemp(prefix="flushlat-svg-")
atexit.register(shutil.rmtree, TMP, True)
T0 = 1764097200000000000  # 2025-11-25 19:00:00 UTC


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def run(*args):
    return subprocess.run([FL] + list(args), capture_output=True, text=True, timeout=60)


def write(name, lines):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


# Six 1 s intervals: a mode near 1 ms, a second mode near 8 ms from interval 3,
# a quiet (empty) interval, outliers from 0 ns to 300 ms.
INTERVALS = [
    [900000, 950000, 1000000, 1010000, 1200000],
    [1000000] * 40 + [1500000, 2000000],
    [],
    [1000000] * 10 + [8000000] * 7 + [8100000, 300000000],
    [0, 1, 15, 16, 1000000, 7900000],
    [1100000] * 3,
]
SLOW = [
    {"type": "slow_flush", "pid": 4242, "tid": 4243, "comm": "rec<b>&'\"", "start_ns": 77,
     "duration_ns": 300000000, "time_ns": T0 + 3600000000},
    {"type": "slow_flush", "pid": 4242, "tid": 4244, "comm": "w2", "start_ns": 99,
     "duration_ns": 8100000, "time_ns": T0 + 3900000000, "extra": {"a": [1]}},
]
OTHER = {"type": "breakdown_v9", "anything": [1, {"x": "y"}]}


def delta_lines():
    out = []
    for i, vals in enumerate(INTERVALS):
        out.append(svgcheck.snapshot(vals, T0 + (i + 1) * 1000000000, delta=True))
        if i == 3:
            out += [json.dumps(SLOW[0]), "", json.dumps(OTHER), json.dumps(SLOW[1])]
    return out


def cumulative_lines():
    out, acc = [], []
    for i, vals in enumerate(INTERVALS):
        acc = acc + vals
        out.append(svgcheck.snapshot(acc, T0 + (i + 1) * 1000000000, delta=False))
        if i == 3:
            out += [json.dumps(SLOW[0]), "", json.dumps(OTHER), json.dumps(SLOW[1])]
    return out


def expect_error(args, rc, needle):
    p = run(*args)
    if p.returncode != rc:
        fail("%s: exit %d, expected %d; stderr %r" % (args, p.returncode, rc, p.stderr))
    if needle not in p.stderr or p.stderr.count("\n") != 1:
        fail("%s: stderr %r: not one line naming %r" % (args, p.stderr, needle))


def check_heatmap():
    dpath = write("delta.json", delta_lines())
    cpath = write("cum.json", cumulative_lines())
    dsvg, csvg = os.path.join(TMP, "d.svg"), os.path.join(TMP, "c.svg")
    for src, dst in ((dpath, dsvg), (cpath, csvg)):
        p = run("heatmap", src, "-o", dst, "--title", "run <1> & \"x\"")
        if p.returncode != 0 or p.stdout or p.stderr:
            fail("heatmap %s: rc %d out %r err %r" % (src, p.returncode, p.stdout, p.stderr))
    ncells, total, marks = svgcheck.check_svg(dsvg, dpath, fail)
    if total != sum(len(v) for v in INTERVALS):
        fail("cells hold %d flushes, %d were recorded" % (total, sum(len(v) for v in INTERVALS)))
    svgcheck.check_svg(csvg, cpath, fail)
    with open(dsvg) as a, open(csvg) as b:
        if a.read() != b.read():
            fail("cumulative input draws another picture than --delta input")
    if len(marks) != 2:
        fail("%d slow-flush marks, 2 records" % len(marks))
    root = ET.parse(dsvg).getroot()
    titles = [t.text for t in root.iter(svgcheck.SVG_NS + "title")]
    if "run <1> & \"x\"" not in titles:
        fail("title not carried (escaped) into the SVG: %s" % titles[:3])
    if not any("rec<b>&'\"" in (t or "") for t in titles):
        fail("the slow flush's comm is not in a mark's title")
    # the stdout form gives the same bytes
    p = run("heatmap", dpath, "--title", "run <1> & \"x\"")
    with open(dsvg) as f:
        if p.returncode != 0 or p.stdout != f.read():
            fail("heatmap to stdout differs from -o (rc %d)" % p.returncode)
    # file mode: as any new file (umask), not mkstemp's 0600
    mode, mask = os.stat(dsvg).st_mode & 0o777, os.umask(0)
    os.umask(mask)
    if mode != 0o666 & ~mask:
        fail("the SVG has mode %o" % mode)
    print("ok heatmap: %d cells, %d flushes, 2 marks; cumulative == delta" % (ncells, total))
    return dpath


def check_errors(dpath):
    one = write("one.json", [svgcheck.snapshot([1000], T0, delta=True)])
    expect_error(("heatmap", one, "-o", os.path.join(TMP, "x.svg")), 2, "1 snapshot, at least 2 needed")
    if os.path.exists(os.path.join(TMP, "x.svg")):
        fail("a refused heat map left a file behind")
    expect_error(("heatmap", "/nonexistent.json"), 2, "/nonexistent.json: No such file or directory")
    bad = write("bad.json", delta_lines()[:2] + ["{\"meta_store\":"])
    expect_error(("heatmap", bad), 2, "line 3: not JSON")
    nots = write("nots.json", [l.replace("\"timestamp_ns\"", "\"ts\"") for l in delta_lines()[:2]])
    expect_error(("heatmap", nots), 2, "line 1: timestamp_ns: missing")
    mixed = write("mixed.json", delta_lines()[:1] + cumulative_lines()[1:2])
    expect_error(("heatmap", mixed), 2, "line 2: mixes --delta and cumulative snapshots")
    expect_error(("heatmap", dpath, "-o", "/nonexistent/dir/h.svg"), 1, "cannot write /nonexistent/dir/h.svg")
    expect_error(("heatmap",), 2, "expected exactly one RUN.json")
    expect_error(("heatmap", "--bogus", dpath), 2, "unknown or incomplete option")
    p = run("heatmap", "--help")
    if p.returncode != 0 or "usage: flushlat heatmap" not in p.stdout:
        fail("heatmap --help: rc %d %r" % (p.returncode, p.stdout[:200]))
    print("ok heatmap errors: one line each, exit 1 or 2")


class Tags(html.parser.HTMLParser):
    """Counts elements and checks that every non-void element is closed in order."""
    VOID = {"meta", "br", "rect", "line", "circle", "path", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.count, self.errors = [], {}, []

    def handle_starttag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else ""))
        else:
            self.stack.pop()


def check_html(dpath):
    out = os.path.join(TMP, "report.html")
    p = run("report", "--format", "html", "--fail-if", "p99>100ms", "--fail-if", "samples<1", dpath)
    if p.returncode != 3:
        fail("report --format html --fail-if p99>100ms: exit %d, expected 3 (%s)" % (p.returncode, p.stderr))
    if "--fail-if p99>100ms holds" not in p.stderr or "samples<1" in p.stderr:
        fail("verdicts on stderr: %r" % p.stderr)
    with open(out, "w") as f:
        f.write(p.stdout)
    t = Tags()
    t.feed(p.stdout)
    t.close()
    if t.errors or t.stack:
        fail("HTML not well nested: %s open %s" % (t.errors[:3], t.stack))
    svgcheck.check_self_contained(out, fail)
    cells = p.stdout.count("<rect class=\"cell\"")
    with open(os.path.join(TMP, "d.svg")) as f:
        want = f.read().count("<rect class=\"cell\"")
    if cells != want:
        fail("the page's heat map has %d cells, the SVG %d" % (cells, want))
    for needle in ("holds: FAIL", "does not hold: pass", "[Meta Store Metrics] Snapshot:",
                   "6 --delta snapshots summed into the run", "<h2>Histogram</h2>",
                   "<h2>Slow flushes</h2>", "rec&lt;b&gt;&amp;&#39;&quot;", "samples=75 "):
        if needle not in p.stdout:
            fail("the page lacks %r" % needle)
    p2 = run("report", dpath)
    if p2.returncode != 0 or " Meta flush: samples=75 " not in p2.stdout or \
            " Histogram (flushes per latency range):" not in p2.stdout:
        fail("report (text) of the --delta file: rc %d\n%s" % (p2.returncode, p2.stdout))
    p3 = run("report", "--no-hist", dpath)
    if "Histogram" in p3.stdout or p3.stdout != p2.stdout[:len(p3.stdout)]:
        fail("--no-hist: %r" % p3.stdout)
    expect_error(("report", "--format", "html", "--fail-if", "p99>+5%", dpath), 2,
                 "relative (%) thresholds are for 'flushlat diff'")
    expect_error(("report", "--format", "html", "/nonexistent.json"), 2, "No such file")
    print("ok report --format html: well nested, self-contained, %d cells, verdicts" % cells)
    return out


def main():
    dpath = check_heatmap()
    check_errors(dpath)
    check_html(dpath)


if __name__ == "__main__":
    main()
