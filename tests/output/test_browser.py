#!/usr/bin/env python3
"""Headless Chromium (Debian `chromium`, driven by cdp.py) loads the heat map
SVG and the HTML report and must see no console message of level error or
warning, no script exception, no network request but the file itself; its
screenshot must not be blank.

    test_browser.py BIN_DIR [SCREENSHOT_DIR]
"""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svgcheck  # noqa: E402
import test_svg  # noqa: E402  (the same hand-written run)
from cdp import Browser, png_pixels  # noqa: E402

FL = os.path.join(sys.argv[1], "flushlat")
SHOTS = sys.argv[2] if len(sys.argv) > 2 else None
TMP = tempfile.mkdtemp(prefix="flushlat-browser-")
atexit.register(shutil.rmtree, TMP, True)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check_not_blank(name, png):
    """Not one colour: enough non-white pixels, several colours (the heat map's)."""
    w, h, rows, bpp = png_pixels(png)
    colours, inked = set(), 0
    for r in rows[::4]:
        for x in range(0, w * bpp, bpp * 4):
            px = r[x:x + 3]
            colours.add(px)
            inked += px != b"\xff\xff\xff"
    sampled = len(rows[::4]) * len(range(0, w * bpp, bpp * 4))
    if inked < sampled * 0.02 or len(colours) < 8:
        fail("%s: the screenshot looks blank (%d of %d pixels inked, %d colours)" %
             (name, inked, sampled, len(colours)))
    return w, h, inked * 100.0 / sampled, len(colours)


def main():
    dpath = test_svg.write("delta.json", test_svg.delta_lines())
    svg = os.path.join(TMP, "heat.svg")
    page = os.path.join(TMP, "report.html")
    p = subprocess.run([FL, "heatmap", dpath, "-o", svg], capture_output=True, text=True, timeout=60)
    if p.returncode:
        fail("heatmap: %s" % p.stderr)
    p = subprocess.run([FL, "report", "--format", "html", "--fail-if", "p99>100ms", dpath],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 3:
        fail("report --format html: exit %d %s" % (p.returncode, p.stderr))
    with open(page, "w") as f:
        f.write(p.stdout)
    ncells = svgcheck.check_svg(svg, dpath, fail)[0]
    b = Browser(TMP)
    try:
        for name, path in (("heat map SVG", svg), ("HTML report", page)):
            problems, urls, png, metrics = b.load(path)
            if problems:
                fail("%s: %s" % (name, "; ".join(problems)))
            others = [u for u in urls if u != "file://" + os.path.abspath(path)]
            if others:
                fail("%s requested %s" % (name, others))
            if metrics["cells"] != ncells:
                fail("%s: the browser sees %d cells, the file has %d" % (name, metrics["cells"], ncells))
            w, h, inked, colours = check_not_blank(name, png)
            if SHOTS:
                with open(os.path.join(SHOTS, os.path.basename(path) + ".png"), "wb") as f:
                    f.write(png)
            print("ok %s: no console error, no request, %d cells, %dx%d screenshot, %.0f%% inked, "
                  "%d colours" % (name, metrics["cells"], w, h, inked, colours))
    finally:
        b.close()


if __name__ == "__main__":
    main()
