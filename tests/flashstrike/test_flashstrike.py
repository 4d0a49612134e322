#!/usr/bin/env python3
"""flushlat against a recorder shaped like FlashStrike's
MetaStore::flush_to_disk_() (fs_recorder.cpp): real BPF, real uprobes, real
I/O failures (a temp file on /dev/full, a read-only directory, a directory in
the way of the rename).

    test_flashstrike.py BIN_DIR CASE

  exact  the probes placed as docs/instrumenting-flashstrike.md says: totals
         equal the in-process MetaStore, failed flushes counted by errno (and
         never recorded), nothing left in flight; --fail-if, report and diff
         see them.
  naive  the negative control: start before the dirty check, no failed probe,
         done reading the clock again -- every early return and failure stays
         in flight, the totals drift, failed flushes are unknown.
  lean   --lean: only done and failed attached; MetaStore and failures exact.
  deploy -b, then a build without the failed probe deployed over the path:
         failures become unknown (said once), and a --fail-if on them ends
         the run with exit 1, not a pass.
  anatomy --breakdown --stuck 1s --slow 0 --top 100: a failed flush closes
         the span its start opened (open spans back to 0, so sched_switch
         stops tracking the thread) and adds nothing: the breakdown, the slow
         records and --top hold exactly the successful flushes, and no failed
         flush is reported stuck although the run goes on past --stuck.

The recorder holds (alive) after its plan, so the in-flight table is read
while its process exists: flushlat frees an exited process's slots, which
would hide a leak.  Exit 0 pass, 1 fail, 77 skip (not root).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
FL = os.path.join(BIN, "flushlat")
TMP = tempfile.mkdtemp(prefix="flushlat-fs-")
PLAN = "ok:30,clean:10,enospc:4,ok:10,eacces:3,clean:5,eisdir:2,ok:10"
FAILED = {"ENOSPC": 4, "EACCES": 3, "EISDIR": 2}
CLEAN = 15
SAMPLES = 50


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def read(path):
    with open(path) as f:
        return f.read()


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.02)
    fail("timed out waiting for " + what)


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def trace(name, fl_args, tag, hold=0.0):
    """The recorder runs its plan under flushlat -p; flushlat's final snapshot
    is taken while the recorder is still alive (hold seconds after its plan).
    Returns (snapshot, ground truth, flushlat's exit status and stderr, the
    recorder's stdout, the output file)."""
    d = os.path.join(TMP, tag)
    os.makedirs(d)
    rep, out = os.path.join(d, "report.json"), os.path.join(d, "out.json")
    rec_out = open(os.path.join(d, "rec.txt"), "w")
    rec = subprocess.Popen([os.path.join(BIN, name), "--dir", os.path.join(d, "wal"), "--plan",
                            PLAN, "--wait-for-tracer", "30", "--report", rep, "--dump", "--hold"],
                           stdout=rec_out, stderr=subprocess.STDOUT)
    try:
        err_path = os.path.join(d, "fl.err")
        with open(err_path, "w") as err:
            fl = subprocess.Popen([FL, "-p", str(rec.pid), "--format", "json", "--output", out]
                                  + fl_args, stderr=err)
        wait_for(lambda: os.path.exists(rep) or rec.poll() is not None or fl.poll() is not None,
                 60, "the recorder's plan")
        check(os.path.exists(rep), "recorder rc=%s: %s / flushlat: %s"
              % (rec.poll(), read(os.path.join(d, "rec.txt")), read(err_path)))
        time.sleep(hold)
        fl.send_signal(signal.SIGINT)
        rc = fl.wait(30)
        snap = [l for l in read(out).splitlines() if l.startswith("{") and '"type":' not in l]
        check(snap, "no snapshot: rc=%d %s" % (rc, read(err_path)))
    finally:
        rec.send_signal(signal.SIGTERM)
        try:
            rec.wait(10)
        except subprocess.TimeoutExpired:
            rec.kill()
            rec.wait()
    rec_out.close()
    check(rec.returncode == 0, "recorder exit %d: %s" % (rec.returncode,
                                                          read(os.path.join(d, "rec.txt"))))
    truth = json.loads(read(rep))
    check(truth["samples"] == SAMPLES and truth["clean"] == CLEAN and truth["failed"] == FAILED,
          "the recorder did not run its plan: %s" % truth)
    return json.loads(snap[-1]), truth, rc, read(err_path), read(os.path.join(d, "rec.txt")), out


def metastore(snap):
    m = snap["meta_store"]["maintenance_meta_flush"]
    return {k: m[k] for k in ("samples", "total_ns", "min_ns", "max_ns")}


def truth_metastore(t):
    return {k: t[k] for k in ("samples", "total_ns", "min_ns", "max_ns")}


def case_exact():
    snap, truth, rc, err, rec_txt, out = trace("fs_recorder", ["--fail-if", "failed>0"], "exact")
    check(rc == 3 and "--fail-if failed>0 holds: failed = 9" in err,
          "--fail-if failed>0: rc=%d %s" % (rc, err))
    check(metastore(snap) == truth_metastore(truth),
          "MetaStore: tracer %s != recorder %s" % (metastore(snap), truth_metastore(truth)))
    print("ok: MetaStore exact, %d samples (the %d failures and %d clean returns not recorded)"
          % (SAMPLES, sum(FAILED.values()), CLEAN))
    check(snap["failed"] == {"count": 9, "errno": FAILED},
          "failed: tracer %s, recorder %s" % (snap["failed"], truth["failed"]))
    print("ok: failed flushes by errno", snap["failed"])
    check(snap["in_flight"]["count"] == 0 and snap["unmatched"] == 0 and snap["dropped"] == 0,
          "in flight/unmatched/dropped: %s %s %s"
          % (snap["in_flight"], snap["unmatched"], snap["dropped"]))
    print("ok: nothing left in flight, nothing unmatched or dropped")
    # report and diff read the saved snapshot with its failures
    p = run([FL, "report", out])
    check(p.returncode == 0, "report: %s" % p.stderr)
    check(p.stdout.splitlines(True)[:4] == rec_txt.splitlines(True)[:4],
          "dump differs:\n%s\nvs recorder\n%s" % (p.stdout, rec_txt))
    check(" Failed flushes: 9 (EACCES 3, EISDIR 2, ENOSPC 4)\n" in p.stdout, p.stdout)
    p = run([FL, "report", "--format", "prometheus", out])
    for line in ('flushlat_meta_flush_failed_total{subsystem="wal_meta"} 9',
                 'flushlat_meta_flush_failed_by_errno_total{subsystem="wal_meta",errno="EACCES"} 3',
                 'flushlat_meta_flush_failed_by_errno_total{subsystem="wal_meta",errno="ENOSPC"} 4'):
        check(line + "\n" in p.stdout, "report --format prometheus lacks %s:\n%s" % (line, p.stdout))
    p = run([FL, "diff", "--fail-if", "failed>0", out, out])
    check(p.returncode == 3 and "failed" in p.stdout and "--fail-if failed>0 holds" in p.stderr,
          "diff: rc=%d %s %s" % (p.returncode, p.stdout, p.stderr))
    print("ok: dump byte-identical; report, diff and --fail-if see the failures")


def case_naive():
    # --fail-if on failed flushes is refused up front: the probe is not there
    rec = subprocess.Popen([os.path.join(BIN, "fs_recorder_naive"), "--dir",
                            os.path.join(TMP, "w0"), "--plan", "ok:1", "--wait-for-tracer", "30"],
                           stdout=subprocess.DEVNULL)
    p = run([FL, "-p", str(rec.pid), "--fail-if", "failed>0"])
    rec.kill()
    rec.wait()
    check(p.returncode == 1 and "has no flashstrike:meta_flush_failed probe" in p.stderr,
          "--fail-if failed without the probe: rc=%d %s" % (p.returncode, p.stderr))
    snap, truth, rc, err, _, out = trace("fs_recorder_naive", [], "naive")
    check(rc == 0, "rc=%d %s" % (rc, err))
    leak = CLEAN + sum(FAILED.values())
    check(snap["in_flight"]["count"] == leak,
          "naive placement: %s in flight, expected every early return and failure (%d)"
          % (snap["in_flight"]["count"], leak))
    check(snap["failed"] is None, "failed without the probe: %s" % snap["failed"])
    m, t = metastore(snap), truth_metastore(truth)
    check(m["samples"] == t["samples"] and m["total_ns"] < t["total_ns"],
          "naive done probe: tracer %s, recorder %s (a second clock read: the tracer's total "
          "must fall short)" % (m, t))
    p = run([FL, "report", out])
    check(" Failed flushes: unknown (no flashstrike:meta_flush_failed probe)\n" in p.stdout, p.stdout)
    print("ok: naive placement leaves %d flushes in flight, total off by %d ns, failures unknown"
          % (leak, t["total_ns"] - m["total_ns"]))


def case_lean():
    snap, truth, rc, err, _, _ = trace("fs_recorder", ["--lean"], "lean")
    check(rc == 0, "rc=%d %s" % (rc, err))
    check(metastore(snap) == truth_metastore(truth),
          "MetaStore: tracer %s != recorder %s" % (metastore(snap), truth_metastore(truth)))
    check(snap["failed"] == {"count": 9, "errno": FAILED}, "failed: %s" % snap["failed"])
    check(snap["in_flight"]["count"] is None and snap.get("lean") is True, "lean: %s" % snap)
    print("ok: --lean: MetaStore exact, failures counted by errno, in-flight unknown")


def case_deploy():
    d = os.path.join(TMP, "deploy")
    os.makedirs(d)
    path = os.path.join(d, "recorder")
    shutil.copy2(os.path.join(BIN, "fs_recorder"), path)
    out, err_path = os.path.join(d, "out.json"), os.path.join(d, "fl.err")
    with open(err_path, "w") as err:
        fl = subprocess.Popen([FL, "-b", path, "--format", "json", "--output", out,
                               "--fail-if", "failed>5"], stderr=err)
    try:
        wait_for(lambda: "attached" in read(err_path) or fl.poll() is not None, 20, "attach")
        check(fl.poll() is None, "flushlat: " + read(err_path))
        r = run([path, "--dir", os.path.join(d, "w1"), "--plan", "ok:3,enospc:1"])
        check(r.returncode == 0, "recorder: " + r.stderr)
        shutil.copy2(os.path.join(BIN, "fs_recorder_naive"), path + ".new")
        os.rename(path + ".new", path)
        wait_for(lambda: "failed flushes are unknown from now on" in read(err_path), 20,
                 "the warning about the deployed file")
        r = run([path, "--dir", os.path.join(d, "w2"), "--plan", "ok:2,enospc:1"])
        check(r.returncode == 0, "recorder: " + r.stderr)
    finally:
        fl.send_signal(signal.SIGINT)
        rc = fl.wait(30)
    msg = read(err_path)
    snap = json.loads([l for l in read(out).splitlines() if l.startswith("{")][-1])
    check(snap["failed"] is None and snap["meta_store"]["maintenance_meta_flush"]["samples"] == 5,
          "after the deploy: %s" % snap)
    check(msg.count("failed flushes are unknown from now on") == 1, msg)
    check(rc == 1 and "--fail-if failed>5: failed is unknown" in msg,
          "--fail-if on failures that became unknown: rc=%d %s" % (rc, msg))
    print("ok: a deployed build without the failed probe: failures unknown (said once), "
          "--fail-if failed>5 exits 1")


def case_anatomy():
    # held 1.5 s after the plan: a failed flush left in flight would be stuck by then
    snap, truth, rc, err, _, out = trace("fs_recorder", ["--breakdown", "--stuck", "1s", "--slow",
                                                         "0", "--top", "100"], "anatomy", 1.5)
    check(rc == 0, "rc=%d %s" % (rc, err))
    recs = [json.loads(l) for l in read(out).splitlines() if '"type":' in l]
    check(metastore(snap) == truth_metastore(truth),
          "MetaStore: tracer %s != recorder %s" % (metastore(snap), truth_metastore(truth)))
    check(snap["failed"] == {"count": 9, "errno": FAILED}, "failed: %s" % snap["failed"])
    check(snap["in_flight"]["count"] == 0, "in flight: %s" % snap["in_flight"])
    bd = snap["breakdown"]
    checks = bd["checks"]
    check(checks["open_spans"] == 0,
          "%d spans left open after the run (a failed flush must close its span): %s"
          % (checks["open_spans"], checks))
    check(checks["not_anatomised"] == 0, "not anatomised: %s" % checks)
    check(bd["flushes"] == SAMPLES and bd["slow"]["flushes"] == SAMPLES,
          "breakdown of %d flushes (slow tail %d), the recorder completed %d"
          % (bd["flushes"], bd["slow"]["flushes"], SAMPLES))
    print("ok: failed flushes close their spans: open spans 0, breakdown of exactly the %d "
          "successful flushes" % SAMPLES)
    stuck = [r for r in recs if r["type"] == "stuck_flush"]
    check(not stuck and snap["stuck_flushes"] == 0, "stuck: %s %s" % (snap["stuck_flushes"], stuck))
    slow = [r for r in recs if r["type"] == "slow_flush"]
    check(len(slow) == SAMPLES and snap["slow_flushes"] == SAMPLES and snap["slow_dropped"] == 0,
          "--slow 0: %d records, slow_flushes %d, dropped %d; %d flushes succeeded"
          % (len(slow), snap["slow_flushes"], snap["slow_dropped"], SAMPLES))
    # the records are the successful flushes: their durations add up to the MetaStore's total
    check(sum(r["duration_ns"] for r in slow) == truth["total_ns"],
          "slow records' durations %d != recorded total %d"
          % (sum(r["duration_ns"] for r in slow), truth["total_ns"]))
    for r in slow:
        comp = sum(c["total_ns"] for c in r["components"].values())
        check(comp == r["wall_ns"], "a record's components %d != its wall time %d: %s"
              % (comp, r["wall_ns"], r))
    top = snap["top"]
    check(len(top) == SAMPLES and sum(t["duration_ns"] for t in top) == truth["total_ns"]
          and top[0]["duration_ns"] == truth["max_ns"],
          "--top 100: %d entries, sum %d, first %s; recorder: %d flushes, total %d, max %d"
          % (len(top), sum(t["duration_ns"] for t in top), top[:1], SAMPLES, truth["total_ns"],
             truth["max_ns"]))
    print("ok: no failed flush stuck, slow-recorded or in --top: %d records and %d top entries, "
          "durations adding up to the recorder's total" % (len(slow), len(top)))


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (BPF, uprobes)")
        sys.exit(77)
    try:
        {"exact": case_exact, "naive": case_naive, "lean": case_lean,
         "deploy": case_deploy, "anatomy": case_anatomy}[sys.argv[2]]()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("PASS")


main()
