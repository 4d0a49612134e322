"""Shared by the picture tests: the log-linear bucket math (include/flushlat/hist.h),
hand-made snapshot lines, and the checks every heat map SVG must pass."""
import json
import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"


def bucket_of(v):
    """fl_hist_bucket(): 0..15 exact, then 16 sub-buckets per power of two."""
    if v < 16:
        return v
    k = v.bit_length() - 1
    sub = (v >> (k - 4)) & 15
    return (k - 3) * 16 + sub


def bucket_lo(i):
    if i < 16:
        return i
    k = i // 16 + 3
    return (16 + i % 16) << (k - 4)


def snapshot(values, ts_ns, delta=True, pid=4242):
    """A --format json line recording values (ns), as flushlat writes it."""
    hist = {}
    for v in values:
        b = bucket_of(v)
        hist[b] = hist.get(b, 0) + 1
    n = len(values)
    snap = {
        "meta_store": {"maintenance_meta_flush": {
            "samples": n, "total_ns": sum(values),
            "min_ns": min(values) if n else 18446744073709551615,
            "max_ns": max(values) if n else 0,
            "avg_ns": sum(values) // n if n else 0}},
        "percentiles": {"p50_ns": 0, "p90_ns": 0, "p99_ns": 0, "p99_9_ns": 0},
        "in_flight": {"count": 0, "oldest_age_ns": 0}, "unmatched": 0, "dropped": 0,
        "pid": pid, "timestamp_ns": ts_ns,
        "histogram": [[bucket_lo(b), c] for b, c in sorted(hist.items())],
        "processes": [], "programs": []}
    if delta:
        snap["delta"] = True
    return json.dumps(snap)


def intervals(path):
    """The per-interval histograms of a JSON lines file: [{bucket_lo: count}], and
    the total samples (differencing cumulative snapshots, as the heat map does)."""
    out, prev, samples = [], None, 0
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            if "type" in o and o["type"] != "snapshot":
                continue
            h = {lo: c for lo, c in o["histogram"]}
            n = o["meta_store"]["maintenance_meta_flush"]["samples"]
            if not o.get("delta"):
                cur = dict(h)
                if prev is not None:
                    h = {lo: c - prev[0].get(lo, 0) for lo, c in h.items()}
                    n -= prev[1]
                prev = (cur, o["meta_store"]["maintenance_meta_flush"]["samples"])
            out.append({lo: c for lo, c in h.items() if c})
            samples += n
    return out, samples


def check_svg(svg_path, json_path, fail):
    """The heat map of json_path: valid XML; exactly one cell per non-empty
    (interval, row) pair -- every non-empty bucket in exactly one cell of its
    interval, no empty cell, rows of an interval disjoint; cell counts equal
    the buckets' and add up to the samples; nothing external.  Returns
    (cells, total count, marks)."""
    root = ET.parse(svg_path).getroot()
    if root.tag != SVG_NS + "svg":
        fail("root element is %s, not svg" % root.tag)
    ivs, samples = intervals(json_path)
    cells = [e for e in root.iter(SVG_NS + "rect") if e.get("class") == "cell"]
    by_iv = {}
    for c in cells:
        by_iv.setdefault(int(c.get("data-i")), []).append(
            (int(c.get("data-lo")), int(c.get("data-hi")), int(c.get("data-n"))))
    if set(by_iv) - set(range(len(ivs))):
        fail("cells for intervals that do not exist: %s" % sorted(set(by_iv) - set(range(len(ivs)))))
    for i, hist in enumerate(ivs):
        rows = sorted(by_iv.get(i, []))
        for (lo1, hi1, _), (lo2, _, _) in zip(rows, rows[1:]):
            if lo2 < hi1:
                fail("interval %d: cells overlap: %s" % (i, rows))
        got = {r: 0 for r in rows}
        for lo, cnt in hist.items():
            holders = [r for r in rows if r[0] <= lo < r[1]]
            if len(holders) != 1:
                fail("interval %d: bucket %d ns (%d flushes) in %d cells" % (i, lo, cnt, len(holders)))
            got[holders[0]] += cnt
        for r, cnt in got.items():
            if cnt == 0:
                fail("interval %d: empty cell %s" % (i, r))
            if cnt != r[2]:
                fail("interval %d: cell %s says %d flushes, its buckets hold %d" % (i, r, r[2], cnt))
    total = sum(c[2] for v in by_iv.values() for c in v)
    if total != samples:
        fail("cells hold %d flushes, the snapshots %d samples" % (total, samples))
    check_self_contained(svg_path, fail)
    marks = [e for e in root.iter(SVG_NS + "circle") if e.get("class") == "mark"]
    return len(cells), total, marks


def check_self_contained(path, fail):
    """No script, no reference to anything outside the file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    low = text.lower()
    for bad in ("<script", "href=", "src=", "url(", "@import", "<iframe", "<object", "<embed",
                "<link", "<foreignobject"):
        if bad in low:
            fail("%s contains %r" % (path, bad))
    # the SVG namespace is a name, never fetched: the one allowed URL
    low = low.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for scheme in ("http:", "https:", "ftp:", "file:", "data:", "//"):
        i = low.find(scheme)
        if i >= 0:
            fail("%s refers to %r: %s" % (path, scheme, text[max(0, i - 40):i + 40]))
