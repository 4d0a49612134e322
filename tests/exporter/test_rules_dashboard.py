#!/usr/bin/env python3
"""The shipped Prometheus rules and Grafana dashboard against two real
Prometheus servers (Debian prometheus 2.42, loopback, temp storage, 1 s
scrapes and rule evaluation) scraping two real flushlat exporters:

  A: flushlat -b fs_recorder --breakdown --slow 5ms --top 5 (the
     FlashStrike-shaped recorder, failing some flushes with ENOSPC and
     EACCES), two processes
  B: flushlat -b flush_recorder --breakdown --slow 0 --slow-buffer 4
     --stuck 1s --top 5 (the sample recorder, flushing steadily: a 4 KiB
     ring buffer cannot take every record), two processes (so per-process
     series exist), and, for the stuck-flush alert, a third whose one
     flush takes 4 s

  classic: exemplar storage on; gets OpenMetrics, stores the classic buckets
  native:  --enable-feature=native-histograms; gets protobuf and, being 2.42,
           stores only the native histogram (no _bucket, _sum, _count)

Checks, in order:
  1. the native server really has no classic histogram series, and the
     classic one no native histogram (so each branch of the rules' and the
     dashboard's `or` is the one answering there);
  2. on both servers, every PromQL expression of the dashboard (panels and
     template variables, with $job/$instance/$__rate_interval substituted)
     returns data, at least one value a number;
  3. the fleet p99 recorded on each server agree (within 1.5x: classic
     buckets are up to 25% wide, native ones 9%, and Prometheus
     interpolates inside them);
  4. every dashboard target marked "exemplar" has exemplars on the classic
     server, each a flush (pid, tid) with its duration;
  5. on the classic server the alert FlushlatMetaFlushFailed fires, for
     exporter A only, and FlushlatStuckFlushes and
     FlushlatSlowRecordsDropped for B only; then exporter B is killed and
     FlushlatExporterDown fires for B only.
The rules are used as shipped except that every `for:` is cut to 0s (the
test runs seconds, not minutes).

    test_rules_dashboard.py BIN_DIR RULES DASHBOARD
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

BIN, RULES, DASH = sys.argv[1:4]
FL = os.path.join(BIN, "flushlat")
TMP = tempfile.mkdtemp(prefix="flushlat-rules-")
procs = []
SUBST = {"$job": ".+", "$instance": ".+", "$__rate_interval": "1m", "$__range": "2m",
         "$__interval": "15s"}


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for name in ("classic", "native"):
        log = os.path.join(TMP, name + ".log")
        if os.path.exists(log):
            print(name + ": " + "".join(open(log).readlines()[-5:]))
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def spawn(args, name):
    out = open(os.path.join(TMP, name), "w")
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    procs.append(p)
    return p


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.25)
    fail("timed out (%ds) waiting for %s" % (timeout, what))


def private(binary):
    """A copy of a recorder of BIN_DIR in this test's directory: -b of it sees only this
    test's processes, whatever else runs the build's recorders meanwhile."""
    path = os.path.join(TMP, binary)
    if not os.path.exists(path):
        shutil.copy2(os.path.join(BIN, binary), path)
    return path


def exporter(binary, port, name, args):
    # --format prometheus: the slow records are only counted, not printed
    p = spawn([FL, "-b", private(binary), "--listen", "127.0.0.1:%d" % port,
               "--format", "prometheus"] + args, name)
    wait_for(lambda: "attached" in open(os.path.join(TMP, name)).read() or p.poll() is not None,
             20, "flushlat to attach")
    if p.poll() is not None:
        fail("flushlat exited: " + open(os.path.join(TMP, name)).read())
    return p


def api(port, path, **params):
    url = "http://127.0.0.1:%d/api/v1/%s?%s" % (port, path, urllib.parse.urlencode(params, True))
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
    except OSError as e:
        return None, str(e)
    return body.get("data"), body.get("error")


def firing(port, name):
    data, _ = api(port, "alerts")
    return [a for a in (data or {}).get("alerts", [])
            if a["labels"].get("alertname") == name and a["state"] == "firing"]


def dashboard_queries(d, exemplar=False):
    """(where, PromQL) for every panel target and template variable (only
    the targets that ask for exemplars with exemplar=True)."""
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("exemplar") or not exemplar:
                    out.append(("panel '%s' %s" % (p["title"], t["refId"]), t["expr"]))
            walk(p.get("panels", []))
    walk(d["panels"])
    for v in d["templating"]["list"]:
        if v["type"] == "query" and not exemplar:
            out.append(("variable $" + v["name"], v["query"]["query"]))
    return out


def substitute(expr):
    for k in sorted(SUBST, key=len, reverse=True):
        expr = expr.replace(k, SUBST[k])
    left = re.findall(r"\$\w+", expr)
    if left:
        fail("dashboard variable %s has no test value in: %s" % (left, expr))
    return expr


def check_query(port, where, expr):
    m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", expr)
    if m:  # a Grafana template variable
        vals, err = api(port, "label/%s/values" % m.group(2), **{"match[]": m.group(1)})
        return bool(vals), "%s: %s -> %s %s" % (where, expr, vals, err or "")
    data, err = api(port, "query", query=expr)
    res = (data or {}).get("result", [])
    ok = any(not math.isnan(float(r["value"][1])) for r in res)
    return ok, "%s: %s -> %d series %s %s" % (where, expr, len(res),
                                              [r["value"][1] for r in res][:4], err or "")


def exemplars(port, expr):
    now = time.time()
    data, err = api(port, "query_exemplars", query=expr, start="%.3f" % (now - 120),
                    end="%.3f" % now)
    return [e for s in (data or []) for e in s.get("exemplars", [])], err


def prometheus(name, port, rules, targets, features):
    cfg = os.path.join(TMP, name + ".yml")
    with open(cfg, "w") as f:
        f.write("""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%s]
scrape_configs:
  - job_name: flushlat
    static_configs:
      - targets: [%s]
""" % (rules, ", ".join("'127.0.0.1:%d'" % p for p in targets)))
    spawn(["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(TMP, name),
           "--web.listen-address=127.0.0.1:%d" % port, "--enable-feature=" + features],
          name + ".log")


def main():
    for tool in ("prometheus",):
        if not shutil.which(tool):
            fail("%s (Debian package prometheus) is not installed" % tool)
    if os.geteuid() != 0:
        print("SKIP: needs root (BPF)")
        sys.exit(77)
    pa, pb = free_port(), free_port()
    servers = {"classic": free_port(), "native": free_port()}
    a = exporter("fs_recorder", pa, "a.log", ["--breakdown", "--slow", "5ms", "--top", "5"])
    b = exporter("flush_recorder", pb, "b.log", ["--breakdown", "--slow", "0", "--slow-buffer",
                                                 "4", "--stuck", "1s", "--top", "5"])
    rules = os.path.join(TMP, "rules.yml")
    with open(rules, "w") as f:
        f.write(re.sub(r"(?m)^(\s+for:) \S+$", r"\1 0s", open(RULES).read()))
    prometheus("classic", servers["classic"], rules, (pa, pb), "exemplar-storage")
    prometheus("native", servers["native"], rules, (pa, pb), "native-histograms")
    pp = servers["classic"]
    # As in production, the exporters are watched before anything fails: a
    # counter Prometheus first sees at 10 has no increase.
    for port in servers.values():
        wait_for(lambda: (api(port, "query", query='flushlat_meta_flush_failed_total == 0')[0] or {})
                 .get("result"), 30, "Prometheus to scrape failed_total = 0 from exporter A")
    for i in range(2):
        spawn([private("fs_recorder"), "--dir", os.path.join(TMP, "wal%d" % i),
               "--plan", "ok:20,enospc:3,clean:5,eacces:2,ok:20", "--hold"], "fs%d.log" % i)
        spawn([private("flush_recorder"), "--seconds", "120", "--rate", "200",
               "--no-sync"], "rec%d.log" % i)
    wait_for(lambda: (api(pp, "query", query='flushlat_meta_flush_failed_total >= 10')[0] or {})
             .get("result"), 60, "Prometheus to scrape both recorders' failures (10 = 2 x 5)")

    def series(port, expr):
        return (api(port, "query", query=expr)[0] or {}).get("result", [])
    wait_for(lambda: series(servers["native"], "flushlat_meta_flush_duration_seconds"), 30,
             "the native server to store native histograms")
    for port, absent in ((servers["native"], "flushlat_meta_flush_duration_seconds_count"),
                         (servers["native"], "flushlat_meta_flush_duration_seconds_bucket"),
                         (servers["classic"], "flushlat_meta_flush_duration_seconds")):
        if series(port, absent):
            fail("%s exists on the %s server: that branch of the rules would not be tested"
                 % (absent, [k for k, v in servers.items() if v == port][0]))
    print("ok: the native server has only the native histogram, the classic one only the "
          "classic buckets")

    dash = json.load(open(DASH))
    queries = dashboard_queries(dash)
    pending = {(s, where): substitute(expr) for s in servers for where, expr in queries}
    last = {}

    def all_data():
        for (s, where), expr in list(pending.items()):
            ok, why = check_query(servers[s], where, expr)
            last[(s, where)] = why
            if ok:
                del pending[(s, where)]
                print("ok: %s server: %s" % (s, why))
        return not pending
    end = time.time() + 60
    while not all_data() and time.time() < end:
        time.sleep(1)
    if pending:
        fail("dashboard queries without data:\n  " + "\n  ".join(
            "%s server: %s" % (k[0], last[k]) for k in pending))
    print("ok: all %d dashboard queries return data on both servers" % len(queries))

    p99 = {}
    for s, port in servers.items():
        res = series(port, "job:flushlat_meta_flush_duration_seconds:p99_5m")
        p99[s] = float(res[0]["value"][1]) if res else float("nan")
    if not (p99["classic"] > 0 and p99["native"] > 0 and
            max(p99.values()) / min(p99.values()) < 1.5):
        fail("fleet p99: classic %s, native %s: not within 1.5x" % (p99["classic"], p99["native"]))
    print("ok: fleet p99 classic %.6f s, native %.6f s" % (p99["classic"], p99["native"]))

    marked = [(w, substitute(e)) for w, e in dashboard_queries(dash, exemplar=True)]
    if not marked:
        fail("no dashboard target asks for exemplars")
    for where, expr in marked:
        ex = wait_for(lambda: exemplars(pp, expr)[0], 30, "exemplars of %s" % where)
        e = ex[-1]
        if set(e["labels"]) != {"pid", "tid"} or not float(e["value"]) > 0:
            fail("exemplar of %s: %s" % (where, e))
        print("ok: %s: %d exemplars, e.g. pid %s tid %s %s s" % (
            where, len(ex), e["labels"]["pid"], e["labels"]["tid"], e["value"]))

    got = wait_for(lambda: firing(pp, "FlushlatMetaFlushFailed"), 60,
                   "FlushlatMetaFlushFailed to fire")
    inst = sorted(x["labels"]["instance"] for x in got)
    if inst != ["127.0.0.1:%d" % pa]:
        fail("FlushlatMetaFlushFailed fires for %s, want only exporter A" % inst)
    print("ok: FlushlatMetaFlushFailed firing for %s: %s" % (inst[0], got[0]["annotations"]["summary"]))
    # one flush held 4 s: stuck from 1 s on (exporter B's --stuck), started only now so that
    # it is not in the fleet p99 compared above
    spawn([private("flush_recorder"), "--flushes", "1", "--rate", "10", "--no-sync",
           "--hold-flush", "4000"], "stuck.log")
    for alert in ("FlushlatStuckFlushes", "FlushlatSlowRecordsDropped"):
        got = wait_for(lambda: firing(pp, alert), 60, alert + " to fire")
        inst = sorted(set(x["labels"]["instance"] for x in got))
        if inst != ["127.0.0.1:%d" % pb]:
            fail("%s fires for %s, want only exporter B" % (alert, inst))
        print("ok: %s firing for %s: %s" % (alert, inst[0], got[0]["annotations"]["summary"]))

    b.send_signal(signal.SIGTERM)
    b.wait(10)
    got = wait_for(lambda: firing(pp, "FlushlatExporterDown"), 60, "FlushlatExporterDown to fire")
    inst = sorted(x["labels"]["instance"] for x in got)
    if inst != ["127.0.0.1:%d" % pb]:
        fail("FlushlatExporterDown fires for %s, want only exporter B" % inst)
    print("ok: FlushlatExporterDown firing for %s" % inst[0])
    print("PASS")


try:
    main()
finally:
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    shutil.rmtree(TMP, ignore_errors=True)
