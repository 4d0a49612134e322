#!/usr/bin/env python3
"""A fleet as Prometheus sees it: two exporters standing for two hosts with very
different flush latencies, scraped every second by two real Prometheus 2.42 servers
(loopback, temporary storage):

  host A: flushlat -b <copy A of the recorder>, two recorders on tmpfs with --no-sync
          (tens of us); one of them exits mid-run;
  host B: flushlat -b <copy B>, one recorder on ext4 with fsync (hundreds of us);
  P1:     Prometheus with exemplar storage: asks for OpenMetrics (classic buckets);
  P2:     Prometheus with native histograms (and exemplar storage): asks for protobuf.

Checked against the recorders' own logs (--log-flushes: duration, tid, wall clock):
  - fleet p50/p90/p99 by histogram_quantile(q, sum by (le) (..._bucket)) within 10%,
    and by histogram_quantile(q, sum(...)) on the native histograms within 5%;
  - every host publishes the same 97 le bounds + +Inf; counts exact per host;
  - exemplars (/api/v1/query_exemplars) are flushes that happened: the pid of a recorder
    of that host, its tid, its exact duration, its completion time;
  - a recorder exiting mid-run: no counter reset, its per-process count is final;
  - the text passes promtool; content negotiation answers the right type.

    test_fleet.py BIN_DIR
"""
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

BIN = sys.argv[1]
FL = os.path.join(BIN, "flushlat")
TMP = tempfile.mkdtemp(prefix="flushlat-fleet-")
SHM = tempfile.mkdtemp(prefix="flushlat-fleet-", dir="/dev/shm")
EXT4 = tempfile.mkdtemp(prefix="flushlat-fleet-", dir="/var/tmp")
PROCS = []
HIST = "flushlat_meta_flush_duration_seconds"


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for name in ("p1.log", "p2.log"):
        path = os.path.join(TMP, name)
        if os.path.exists(path):
            print("--- %s (tail)\n%s" % (name, "".join(open(path).readlines()[-5:])))
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(args, log):
    p = subprocess.Popen(args, stdout=open(os.path.join(TMP, log), "w"), stderr=subprocess.STDOUT)
    PROCS.append(p)
    return p


def get(url, accept=None):
    req = urllib.request.Request(url)
    if accept:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read(), r.headers


def api(port, path, **params):
    url = "http://127.0.0.1:%d/api/v1/%s?%s" % (port, path, urllib.parse.urlencode(params))
    body = json.loads(get(url)[0])
    check(body.get("status") == "success", "%s: %s" % (url, body))
    return body["data"]


def query(port, expr):
    """The instant vector of expr now, as {frozenset(labels): float}."""
    return {frozenset(r["metric"].items()): float(r["value"][1])
            for r in api(port, "query", query=expr)["result"]}


def scalar(port, expr):
    r = query(port, expr)
    check(len(r) == 1, "%s: want one value, got %s" % (expr, r))
    return next(iter(r.values()))


def wait(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def exporter(path, port, host):
    err = os.path.join(TMP, "fl-%s.err" % host)
    p = subprocess.Popen([FL, "-b", path, "--listen", "127.0.0.1:%d" % port, "--label-set",
                          "host=" + host], stdout=subprocess.DEVNULL, stderr=open(err, "w"))
    PROCS.append(p)
    wait(lambda: "attached" in open(err).read() or p.poll() is not None, 20, "flushlat attach")
    check(p.poll() is None, "flushlat exited: " + open(err).read())
    return p


def prometheus(name, port, targets, features):
    cfg = os.path.join(TMP, name + ".yml")
    with open(cfg, "w") as f:
        f.write("global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                "scrape_configs:\n  - job_name: fleet\n    static_configs:\n"
                "      - targets: [%s]\n" % ", ".join("'127.0.0.1:%d'" % t for t in targets))
    return start(["prometheus", "--config.file=" + cfg,
                  "--storage.tsdb.path=" + os.path.join(TMP, name + "-data"),
                  "--web.listen-address=127.0.0.1:%d" % port,
                  "--enable-feature=" + features], name + ".log")


def flushes(path):
    """[(duration_ns, tid, realtime_ns)] from a recorder's --log-flushes."""
    out = []
    for line in open(path):
        d, tid, t = line.split()
        out.append((int(d), int(tid), int(t)))
    return out


def truth(durs, q):
    """The value of rank ceil(q * N) (nearest rank), in seconds."""
    return durs[max(1, math.ceil(q * len(durs))) - 1] / 1e9


def check_negotiation(port):
    url = "http://127.0.0.1:%d/metrics" % port
    cases = [
        (None, "text/plain; version=0.0.4"),
        ("text/plain", "text/plain; version=0.0.4"),
        ("application/openmetrics-text;version=1.0.0", "application/openmetrics-text; version=1.0.0"),
        ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
         "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"),
        ("text/plain;q=0.3,application/openmetrics-text;q=0.7,*/*;q=0.1",
         "application/openmetrics-text; version=1.0.0"),
        ("application/openmetrics-text;q=0.2,text/plain;version=0.0.4;q=0.9",
         "text/plain; version=0.0.4"),
    ]
    for accept, want in cases:
        body, headers = get(url, accept)
        check(headers["Content-Type"].startswith(want),
              "Accept %r: Content-Type %r, want %r" % (accept, headers["Content-Type"], want))
        check(headers["Vary"] == "Accept", "no Vary: Accept")
        if "openmetrics" in want:
            check(body.endswith(b"# EOF\n"), "OpenMetrics without # EOF")
    print("ok content negotiation: %d Accept headers" % len(cases))


def run():
    if shutil.which("prometheus") is None or shutil.which("promtool") is None:
        fail("prometheus/promtool (Debian package prometheus) is not installed")
    recs = {}
    for host in ("a", "b"):  # one copy of the recorder per host: -b traces only its own
        os.mkdir(os.path.join(TMP, host))
        recs[host] = os.path.join(TMP, host, "flush_recorder")
        shutil.copy2(os.path.join(BIN, "flush_recorder"), recs[host])
    fa, fb, p1, p2 = free_port(), free_port(), free_port(), free_port()
    exporter(recs["a"], fa, "a")
    exporter(recs["b"], fb, "b")
    prometheus("p1", p1, (fa, fb), "exemplar-storage")
    prometheus("p2", p2, (fa, fb), "native-histograms,exemplar-storage")
    for port in (p1, p2):  # both servers scrape both hosts before any flush
        wait(lambda port=port: len([v for v in query(port, "up").values() if v == 1]) == 2, 60,
             "Prometheus on %d to scrape both exporters" % port)

    logs = {n: os.path.join(TMP, n + ".log") for n in ("a1", "a2", "b")}
    a1 = subprocess.Popen([recs["a"], "--seconds", "6", "--rate", "3000", "--no-sync", "--dir",
                           os.path.join(SHM, "a1"), "--log-flushes", logs["a1"]])
    b = subprocess.Popen([recs["b"], "--seconds", "6", "--rate", "3000", "--dir",
                          os.path.join(EXT4, "b"), "--log-flushes", logs["b"]])
    time.sleep(1.5)
    a2 = subprocess.Popen([recs["a"], "--flushes", "2000", "--no-sync", "--dir",
                           os.path.join(SHM, "a2"), "--log-flushes", logs["a2"]])
    for r in (a2, a1, b):
        check(r.wait(timeout=60) == 0, "a recorder failed: rc %d" % r.returncode)
    pids = {"a": {a1.pid, a2.pid}, "b": {b.pid}}
    fl = {n: flushes(p) for n, p in logs.items()}
    host_flushes = {"a": fl["a1"] + fl["a2"], "b": fl["b"]}
    durs = sorted(d for v in fl.values() for d, _, _ in v)
    end = time.time()
    # the final counts in both servers (a scrape after the last flush)
    for port in (p1, p2):
        wait(lambda port=port: scalar(port, "min(timestamp(up))") > end + 1, 20, "final scrapes")

    # 1. the same le set on both hosts, exact counts per host
    check(scalar(p1, 'count(count by (le) (%s_bucket))' % HIST) == 98, "fleet le set is not 97 + +Inf")
    for host in ("a", "b"):
        n = scalar(p1, 'count(%s_bucket{host="%s"})' % (HIST, host))
        check(n == 98, "host %s publishes %d buckets" % (host, n))
        got = scalar(p1, '%s_count{host="%s"}' % (HIST, host))
        check(got == len(host_flushes[host]), "host %s: count %d, recorders logged %d" %
              (host, got, len(host_flushes[host])))
    series = {h: int(scalar(p1, 'scrape_samples_scraped{instance="127.0.0.1:%d"}' % port))
              for h, port in (("a", fa), ("b", fb))}
    print("ok same 98 le values on both hosts; counts exact (a %d, b %d); series per target %s"
          % (len(host_flushes["a"]), len(host_flushes["b"]), series))
    print("   host a: p50 %.1f us, host b: p50 %.1f us" %
          tuple(truth(sorted(d for d, _, _ in host_flushes[h]), 0.5) * 1e6 for h in ("a", "b")))

    # 2. fleet quantiles: classic through sum by (le), native through sum()
    for q in (0.5, 0.9, 0.99):
        want = truth(durs, q)
        classic = scalar(p1, "histogram_quantile(%g, sum by (le) (%s_bucket))" % (q, HIST))
        native = scalar(p2, "histogram_quantile(%g, sum(%s))" % (q, HIST))
        ec, en = (classic - want) / want, (native - want) / want
        print("   p%g: truth %.2f us, classic %.2f us (%+.2f%%), native %.2f us (%+.2f%%)" %
              (q * 100, want * 1e6, classic * 1e6, ec * 100, native * 1e6, en * 100))
        check(abs(ec) <= 0.10, "classic fleet p%g off by %.1f%%" % (q * 100, ec * 100))
        check(abs(en) <= 0.05, "native fleet p%g off by %.1f%%" % (q * 100, en * 100))
    check(scalar(p2, "histogram_count(sum(%s))" % HIST) == len(durs), "native count != flushes")
    print("ok fleet p50/p90/p99: classic within 10%%, native within 5%% of %d logged flushes"
          % len(durs))

    # 3. a recorder that exited mid-run: no reset, its per-process count final
    for host in ("a", "b"):
        check(scalar(p1, 'resets(%s_count{host="%s"}[1m])' % (HIST, host)) == 0,
              "host %s: the count went backwards" % host)
    got = scalar(p1, 'last_over_time(flushlat_process_meta_flush_count_total{pid="%d"}[1m])' % a2.pid)
    check(got == len(fl["a2"]), "exited recorder: per-process count %d, logged %d" %
          (got, len(fl["a2"])))
    print("ok across a process exit: no counter reset, its final count %d reported" % got)

    # 4. exemplars: flushes that happened, on the host that had them, in their bucket
    def check_exemplars(port, metric, what):
        t0, t1 = end - 60, time.time()
        data = api(port, "query_exemplars", query=metric, start="%.3f" % t0, end="%.3f" % t1)
        n = 0
        for series in data:
            host = series["seriesLabels"]["host"]
            le = float(series["seriesLabels"].get("le", "inf"))
            when = {}  # (duration, tid) -> completion times (a duration can repeat)
            for d, tid, t in host_flushes[host]:
                when.setdefault((d, tid), []).append(t / 1e9)
            for ex in series["exemplars"]:
                pid, tid = int(ex["labels"]["pid"]), int(ex["labels"]["tid"])
                ns = round(float(ex["value"]) * 1e9)
                check(pid in pids[host], "%s: exemplar pid %d is not a recorder of host %s %s"
                      % (what, pid, host, pids[host]))
                check((ns, tid) in when, "%s: exemplar %d ns on tid %d is no logged flush of host %s"
                      % (what, ns, tid, host))
                check(float(ex["value"]) <= le, "%s: exemplar above its bucket's le" % what)
                # ktime at the done probe, the recorder's clock_gettime just after it
                ts = float(ex["timestamp"])
                check(any(-0.01 <= t - ts <= 0.1 for t in when[(ns, tid)]),
                      "%s: exemplar %d ns tid %d at %.3f: no such flush then (%s)" %
                      (what, ns, tid, ts, when[(ns, tid)][:5]))
                n += 1
        return n

    n1 = check_exemplars(p1, HIST + "_bucket", "OpenMetrics")
    n2 = check_exemplars(p2, HIST, "protobuf")
    check(n1 >= 20, "only %d exemplars through OpenMetrics" % n1)
    check(n2 >= 3, "only %d exemplars through protobuf" % n2)
    print("ok exemplars: %d (OpenMetrics) and %d (protobuf), each a logged flush: pid, tid, "
          "duration, time" % (n1, n2))

    # 5. promtool on the text, and content negotiation on the live exporter
    for port in (fa, fb):
        body, _ = get("http://127.0.0.1:%d/metrics" % port)
        pc = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
        check(pc.returncode == 0, "promtool: %s %s" % (pc.stdout, pc.stderr))
    check_negotiation(fa)
    for port in (p1, p2):
        check(all(v == 1 for v in query(port, "up").values()), "a target is down")


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: not root; this test loads BPF and needs root (CI runs as root)")
        sys.exit(77)
    try:
        run()
    finally:
        for p in reversed(PROCS):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in PROCS:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for d in (TMP, SHM, EXT4):
            shutil.rmtree(d, ignore_errors=True)
    print("PASS")
