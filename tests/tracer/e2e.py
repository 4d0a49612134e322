#!/usr/bin/env python3
"""End-to-end tests of flushlat against the sample recorder (real BPF, real
uprobes; these machines are root with BPF, so they RUN in CI).

    e2e.py BIN_DIR CASE

Each CASE is its own ctest test.  Exit 0 pass, 1 fail, 77 skip (only when
the kernel truly lacks a feature, said loudly).
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
FL = os.path.join(BIN, "flushlat")
ORIG_TMPDIR = os.environ.get("TMPDIR")
TMP = tempfile.mkdtemp(prefix="flushlat-e2e-")
HIST_ERR = 0.0625  # log-linear buckets: 16 per octave

# Cases run in parallel (ctest -j), so each one runs PRIVATE COPIES of the programs that
# fire probes and of the probe libraries: new inodes in its own TMP.  A -b or --lib attach
# without a PID (every process running that file) then sees only this case's processes,
# and moves the semaphores of no other case's recorder; -p and -- CMD are scoped to their
# process anyway.  flush_recorder_so finds the private libflashstrike.so through
# LD_LIBRARY_PATH (its build-tree RUNPATH comes after it).  TMP is 0711 so that the cases
# that run flushlat or a recorder as another user can reach the copies.
PRIV_BIN, PRIV_LIB = os.path.join(TMP, "bin"), os.path.join(TMP, "lib")
LIB = os.path.join(PRIV_LIB, "libflashstrike.so")
# A recorder without --dir writes its metadata file in a fresh directory under TMPDIR: on
# tmpfs here, as --no-sync means (nothing to wait for).  On ext4 a rename over the file
# waits for its writeback (auto_da_alloc) while the writer threads spin: seconds of CPU per
# thousand flushes, on a machine running many cases at once.  Cases that want real I/O
# give --dir under TMP (ext4, with fsync).
RECTMP = tempfile.mkdtemp(prefix="flushlat-e2e-", dir="/dev/shm") \
    if os.path.isdir("/dev/shm") else os.path.join(TMP, "rec")


def private_copies():
    import shutil
    os.chmod(TMP, 0o711)
    os.mkdir(PRIV_BIN)
    os.mkdir(PRIV_LIB)
    for name in ("libflashstrike.so", "libflashstrike_nosem.so"):
        shutil.copy2(os.path.join(os.path.dirname(BIN), "lib", name), PRIV_LIB)
    os.environ["LD_LIBRARY_PATH"] = PRIV_LIB
    os.makedirs(RECTMP, exist_ok=True)
    os.chmod(RECTMP, 0o1777)  # recorders run as other users too
    os.environ["TMPDIR"] = RECTMP


def rec(name="flush_recorder"):
    """This case's own copy of BIN/name (made on first use)."""
    path = os.path.join(PRIV_BIN, name)
    if not os.path.exists(path):
        import shutil
        shutil.copy2(os.path.join(BIN, name), path + ".tmp")
        os.rename(path + ".tmp", path)
    return path


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(args, timeout=60, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    return p


def tmp(name):
    return os.path.join(TMP, name)


def read(path):
    with open(path) as f:
        return f.read()


def json_last(text):
    lines = [l for l in text.splitlines() if l.startswith("{")]
    check(lines, "no JSON snapshot in: %r" % text[-500:])
    return json.loads(lines[-1])


def durations(path):
    return [int(l) for l in read(path).split()]


def mfl(snap):
    return snap["meta_store"]["maintenance_meta_flush"]


def exact(snap, durs, what):
    m = mfl(snap)
    want = {"samples": len(durs), "total_ns": sum(durs), "min_ns": min(durs),
            "max_ns": max(durs)}
    got = {k: m[k] for k in want}
    check(got == want, "%s: tracer %s != recorder %s" % (what, got, want))


def dump_block(text):
    return "".join(text.splitlines(True)[:4])


def wait_for(pred, timeout=10.0, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.02)
    fail("timed out waiting for " + what)


def kill_descendants():
    """SIGKILL every process this case started, directly or not, that is still there (a
    failed case leaves no recorder running: ctest would wait for it, it holds the output)."""
    parent = {}
    for d in os.listdir("/proc"):
        try:
            st = read("/proc/%s/stat" % d)
            parent[int(d)] = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            pass
    mine, todo = set(), [os.getpid()]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p and c not in mine]
        mine.update(kids)
        todo += kids
    for p in mine:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


def wait_mapped(pid, name):
    """Until process pid maps a file whose name starts with name (a -p attach finds the
    probes only once the dynamic loader has mapped their ELF)."""
    def mapped():
        try:
            return any(os.path.basename(l.split()[-1]).startswith(name)
                       for l in read("/proc/%d/maps" % pid).splitlines() if "/" in l)
        except OSError:
            return False
    wait_for(mapped, 30, "process %d to map %s" % (pid, name))


STARTED = []  # background tracers, killed if a case fails and leaves them running


def start_tracer(args, err_path):
    """Starts flushlat in the background; returns once it says 'attached'."""
    err = open(err_path, "w")
    p = subprocess.Popen([FL] + args, stdout=subprocess.PIPE, stderr=err, text=True)
    STARTED.append(p)
    wait_for(lambda: "attached" in read(err_path) or p.poll() is not None, 20, "attach")
    check(p.poll() is None, "tracer exited: " + read(err_path))
    return p


# ---- cases -----------------------------------------------------------------

def case_cmd_exact():
    """-- CMD: merged MetaStore == recorder's, dump byte-identical; every variant."""
    variants = ["flush_recorder", "flush_recorder_nosem", "flush_recorder_so",
                "flush_recorder_so_nosem"]
    for name in variants:
        for writers in (1, 4):
            log = tmp("d-%s-%d" % (name, writers))
            args = [rec(name), "--flushes", "300", "--writers", str(writers), "--no-sync",
                    "--dump", "--log-durations", log]
            p = run([FL, "--output", tmp("t.txt"), "--"] + args)
            check(p.returncode == 0, "%s rc=%d %s" % (name, p.returncode, p.stderr))
            mine, theirs = dump_block(read(tmp("t.txt"))), dump_block(p.stdout)
            check(mine == theirs, "%s: dump differs:\n%s\nvs recorder\n%s" % (name, mine, theirs))
            p = run([FL, "--format", "json", "--output", tmp("t.json"), "--"] + args)
            check(p.returncode == 0, "%s json rc=%d %s" % (name, p.returncode, p.stderr))
            snap = json_last(read(tmp("t.json")))
            exact(snap, durations(log), "%s writers=%d" % (name, writers))
            check(snap["unmatched"] == 0 and snap["dropped"] == 0, "counters: %s" % snap)
            check(snap["in_flight"]["count"] == 0, "in flight after exit: %s" % snap)
            print("ok %s writers=%d samples=%d" % (name, writers, mfl(snap)["samples"]))
    # with fdatasync + rename + directory fsync (real I/O)
    log = tmp("d-sync")
    p = run([FL, "--format", "json", "--output", tmp("s.json"), "--", rec(), "--flushes", "60",
             "--writers", "2", "--rate", "2000", "--dir", tmp("wal"), "--log-durations", log],
            timeout=120)
    check(p.returncode == 0, "sync rc=%d %s" % (p.returncode, p.stderr))
    exact(json_last(read(tmp("s.json"))), durations(log), "fsync mode")
    print("ok fsync mode")


def case_cmd_lib_filter():
    """-- CMD with the probes in a shared library: only CMD is counted, not another
    process using the same library at the same time."""
    olog = tmp("other")
    other = subprocess.Popen([rec("flush_recorder_so"), "--seconds", "60", "--rate", "3000",
                              "--no-sync", "--log-durations", olog], stdout=subprocess.DEVNULL)
    wait_for(lambda: os.path.exists(olog) and lines(olog) > 0, 30, "the other process flushing")
    log = tmp("d")
    p = run([FL, "--format", "json", "--output", tmp("j"), "--", rec("flush_recorder_so"),
             "--flushes", "150", "--no-sync", "--log-durations", log])
    other.kill()
    other.wait()
    check(p.returncode == 0, "rc %d %s" % (p.returncode, p.stderr))
    check("warning" not in p.stderr, "fell back to tracing every process: %s" % p.stderr)
    exact(json_last(read(tmp("j"))), durations(log), "CMD with its probes in a library")
    print("ok -- CMD with probes in libflashstrike.so counts only CMD")


def case_kernel_clock():
    """Kernel clock: same sample count; totals within the stated tolerance."""
    log = tmp("d")
    p = run([FL, "--clock", "kernel", "--format", "json", "--output", tmp("k.json"), "--",
             rec(), "--flushes", "400", "--writers", "2", "--no-sync", "--log-durations", log])
    check(p.returncode == 0, "rc=%d %s" % (p.returncode, p.stderr))
    snap, durs = json_last(read(tmp("k.json"))), durations(log)
    m = mfl(snap)
    check(m["samples"] == len(durs), "samples %d != %d" % (m["samples"], len(durs)))
    # The kernel clock also counts the probe traps and the recorder's own
    # clock reads: allow 20% of the total plus 50 us per flush.
    tol = 0.2 * sum(durs) + 50000 * len(durs)
    check(abs(m["total_ns"] - sum(durs)) <= tol,
          "kernel total %d vs recorder %d (tol %d)" % (m["total_ns"], sum(durs), tol))
    check(snap["unmatched"] == 0, "unmatched %s" % snap["unmatched"])
    print("ok kernel clock: %d samples, total %d vs %d ns" % (m["samples"], m["total_ns"], sum(durs)))


def find_window(durs, m, start=0):
    """Index of a contiguous run of durs equal to m's samples/total/min/max."""
    n = m["samples"]
    s = sum(durs[start:start + n])
    for i in range(start, len(durs) - n + 1):
        if i > start:
            s += durs[i + n - 1] - durs[i - 1]
        if s == m["total_ns"]:
            w = durs[i:i + n]
            if min(w) == m["min_ns"] and max(w) == m["max_ns"]:
                return i
    return -1


def case_pid_midrun():
    """-p on a running recorder: only what happened while attached; detach, re-attach."""
    log = tmp("d")
    r = subprocess.Popen([rec(), "--seconds", "60", "--rate", "4000", "--no-sync",
                          "--log-durations", log, "--dump"], stdout=subprocess.PIPE, text=True)
    snaps = []
    for _ in range(2):
        # flushes before each attach that the tracer does not see
        n = lines(log) if os.path.exists(log) else 0
        wait_for(lambda: os.path.exists(log) and lines(log) > n + 200, 30, "the recorder flushing")
        p = run([FL, "-p", str(r.pid), "--duration", "1", "--format", "json"])
        check(p.returncode == 0, "rc=%d %s" % (p.returncode, p.stderr))
        snaps.append(json_last(p.stdout))
        check(snaps[-1]["pid"] == r.pid, "pid field %s" % snaps[-1]["pid"])
    n = lines(log)
    wait_for(lambda: lines(log) > n + 200, 30, "flushes after the second detach")
    r.send_signal(signal.SIGTERM)
    out, _ = r.communicate(timeout=30)
    check(r.returncode == 0, "recorder rc %d" % r.returncode)
    durs = durations(log)
    total = int(re.search(r"samples=(\d+)", out).group(1))
    check(total == len(durs), "log has %d lines, dump %d samples" % (len(durs), total))
    first = find_window(durs, mfl(snaps[0]))
    check(first > 0, "first attach: no contiguous window of the log matches %s" % mfl(snaps[0]))
    second = find_window(durs, mfl(snaps[1]), first + mfl(snaps[0])["samples"])
    check(second > first + mfl(snaps[0])["samples"],
          "second attach: no later window matches %s" % mfl(snaps[1]))
    check(second + mfl(snaps[1])["samples"] < len(durs), "second window reaches the end")
    print("ok -p mid-run: windows [%d,+%d) and [%d,+%d) of %d flushes" %
          (first, mfl(snaps[0])["samples"], second, mfl(snaps[1])["samples"], len(durs)))


def case_pid_waiting():
    """-p with --wait-for-tracer: every flush seen, incl. the probes in a .so."""
    for name in ("flush_recorder", "flush_recorder_so", "flush_recorder_so_nosem"):
        log = tmp("d-" + name)
        nosem = name.endswith("nosem")
        if nosem:
            # No semaphore: the recorder cannot wait for us; attach to it
            # running and find the traced flushes as a window of its log.
            stop = ["--seconds", "60", "--rate", "2000"]
        else:
            stop = ["--wait-for-tracer=20", "--flushes", "200"]
        r = subprocess.Popen([rec(name), "--no-sync", "--dump", "--log-durations", log] + stop,
                             stdout=subprocess.PIPE, text=True)
        wait_mapped(r.pid, "libflashstrike" if "_so" in name else name)
        t = start_tracer(["-p", str(r.pid), "--format", "json"], tmp("e-" + name))
        if nosem:  # some flushes traced, then the recorder stops (SIGTERM: exit 0)
            n = lines(log)
            wait_for(lambda: lines(log) > n + 300, 30, "flushes while attached")
            r.send_signal(signal.SIGTERM)
        out, _ = r.communicate(timeout=30)
        tout, _ = t.communicate(timeout=30)
        check(t.returncode == 0, "%s rc=%d %s" % (name, t.returncode, read(tmp("e-" + name))))
        snap = json_last(tout)
        durs = durations(log)
        if nosem:
            check(find_window(durs, mfl(snap)) >= 0, "%s: no log window matches" % name)
        else:
            check(r.returncode == 0, "%s: recorder rc %d" % (name, r.returncode))
            exact(snap, durs, name)
        print("ok -p %s: %d samples" % (name, mfl(snap)["samples"]))


def case_binary():
    """-b PATH: every process running PATH, present and future (restart)."""
    t = start_tracer(["-b", rec(), "--format", "json"], tmp("e"))
    n = 0
    for k in (50, 70):
        p = run([rec(), "--flushes", str(k), "--no-sync"])
        check(p.returncode == 0, "recorder rc %d" % p.returncode)
        n += k
    t.send_signal(signal.SIGINT)
    out, _ = t.communicate(timeout=20)
    check(t.returncode == 0, "tracer rc %d %s" % (t.returncode, read(tmp("e"))))
    snap = json_last(out)
    check(mfl(snap)["samples"] == n, "-b: %d samples, want %d" % (mfl(snap)["samples"], n))
    check(len(snap["processes"]) == 2, "-b: processes %s" % snap["processes"])
    check(sorted(p["samples"] for p in snap["processes"]) == [50, 70], "per process %s" % snap)
    # a library given with -b
    t = start_tracer(["-b", LIB, "--format", "json"], tmp("e2"))
    p = run([rec("flush_recorder_so"), "--flushes", "40", "--no-sync"])
    t.send_signal(signal.SIGTERM)
    out, _ = t.communicate(timeout=20)
    check(mfl(json_last(out))["samples"] == 40, "-b lib: %s" % out)
    print("ok -b (program restarted, and a library)")


def case_lean():
    """--lean: done probe only, exact; in-flight unknown, never a zero."""
    log = tmp("d")
    p = run([FL, "--lean", "--format", "json", "--output", tmp("l.json"), "--", rec(),
             "--flushes", "300", "--writers", "3", "--no-sync", "--log-durations", log])
    check(p.returncode == 0, "rc=%d %s" % (p.returncode, p.stderr))
    snap = json_last(read(tmp("l.json")))
    exact(snap, durations(log), "lean")
    check(snap["in_flight"] is None or snap["in_flight"]["count"] is None,
          "lean in_flight must be unknown (null): %s" % snap["in_flight"])
    check(snap["unmatched"] is None, "lean unmatched must be null: %s" % snap["unmatched"])
    p = run([FL, "--lean", "--output", tmp("l.txt"), "--", rec(), "--flushes", "10", "--no-sync"])
    check("unknown" in read(tmp("l.txt")), "lean text must say unknown: " + read(tmp("l.txt")))
    print("ok lean")


def nearest_rank(sorted_durs, q):
    import math
    k = max(1, math.ceil(q * len(sorted_durs)))
    return sorted_durs[k - 1]


def case_percentiles():
    """Histogram percentiles within the bucket error of exact ones from the log."""
    log = tmp("d")
    p = run([FL, "--format", "json", "--output", tmp("p.json"), "--", rec(), "--flushes", "3000",
             "--writers", "2", "--no-sync", "--log-durations", log], timeout=120)
    check(p.returncode == 0, "rc=%d %s" % (p.returncode, p.stderr))
    snap = json_last(read(tmp("p.json")))
    durs = sorted(durations(log))
    for key, q in (("p50_ns", .5), ("p90_ns", .9), ("p99_ns", .99), ("p99_9_ns", .999)):
        want, got = nearest_rank(durs, q), snap["percentiles"][key]
        check(abs(got - want) <= want * HIST_ERR + 1,
              "%s: histogram %d vs exact %d (> %.2f%%)" % (key, got, want, HIST_ERR * 100))
        print("ok %s: %d vs exact %d (%.2f%%)" % (key, got, want, 100.0 * abs(got - want) / want))
    hist_total = sum(c for _, c in snap["histogram"])
    check(hist_total == len(durs), "histogram holds %d of %d" % (hist_total, len(durs)))


def case_spin_load():
    """More writer threads than CPUs in a tight probe loop: counts stay exact."""
    writers = 2 * os.cpu_count() + 2
    p = run([FL, "--format", "json", "--output", tmp("s.json"), "--", rec(), "--spin", "20000",
             "--writers", str(writers), "--dump"], timeout=120)
    check(p.returncode == 0, "rc=%d %s" % (p.returncode, p.stderr))
    snap = json_last(read(tmp("s.json")))
    want = 20000 * writers
    m = re.search(r"samples=(\d+) total=", p.stdout)
    check(m and int(m.group(1)) == want, "recorder dump: %s" % p.stdout)
    check(mfl(snap)["samples"] == want, "tracer samples %d != %d" % (mfl(snap)["samples"], want))
    # dump block equal too (min/max/total exact under preemption)
    p2 = run([FL, "--output", tmp("s.txt"), "--", rec(), "--spin", "5000", "--writers",
              str(writers), "--dump"], timeout=120)
    check(dump_block(read(tmp("s.txt"))) == dump_block(p2.stdout),
          "spin dump differs:\n%s\n%s" % (read(tmp("s.txt")), p2.stdout))
    print("ok spin load: %d writers x 20000 pairs exact" % writers)


def case_exit_status():
    """CMD's status propagates; SIGTERM to the tracer stops CMD cleanly."""
    log = tmp("d")
    t = subprocess.Popen([FL, "--format", "json", "--", rec(), "--seconds", "30", "--rate", "2000",
                          "--no-sync", "--log-durations", log],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(log) and lines(log) > 0, 30, "CMD flushing")
    os.kill(child_pid(t.pid), signal.SIGKILL)
    _, err = t.communicate(timeout=20)
    check(t.returncode == 128 + 9, "killed CMD: rc %d, want 137" % t.returncode)
    check('"samples"' in err, "final snapshot missing after CMD died: %s" % err[-300:])
    log = tmp("d2")
    t = subprocess.Popen([FL, "--format", "json", "--", rec(), "--seconds", "30", "--rate", "2000",
                          "--no-sync", "--dump", "--log-durations", log],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(log) and lines(log) > 0, 30, "CMD flushing")
    t.send_signal(signal.SIGTERM)
    out, err = t.communicate(timeout=20)
    check(t.returncode == 0, "SIGTERM: rc %d %s" % (t.returncode, err))
    n_rec = int(re.search(r"samples=(\d+)", out).group(1))
    check(mfl(json_last(err))["samples"] == n_rec, "after SIGTERM: %s vs %d" % (err, n_rec))
    print("ok exit status 137, SIGTERM clean (%d samples equal)" % n_rec)


def case_fail_if():
    """--fail-if: exit 3 naming the condition; 0 when nothing holds."""
    args = ["--", rec(), "--flushes", "50", "--no-sync"]
    p = run([FL, "--fail-if", "samples<1000", "--fail-if", "max>1h" if False else "max>10s"] + args)
    check(p.returncode == 3, "rc %d, want 3: %s" % (p.returncode, p.stderr))
    check("--fail-if samples<1000 holds" in p.stderr, "message: %s" % p.stderr)
    check("max>10s" not in p.stderr, "a condition that does not hold was reported")
    p = run([FL, "--fail-if", "samples>1000", "--fail-if", "p99>10s", "--fail-if", "in_flight>0"] + args)
    check(p.returncode == 0, "rc %d, want 0: %s" % (p.returncode, p.stderr))
    print("ok fail-if")


def semaphore_addrs(path):
    """Semaphore addresses (link-time) of the two probes from readelf -n."""
    out = run(["readelf", "-n", path]).stdout
    return [int(m, 16) for m in re.findall(r"Semaphore: (0x[0-9a-f]+)", out)]


def semaphore_values(pid, path):
    base = None
    for line in read("/proc/%d/maps" % pid).splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[5] == path and int(parts[2], 16) == 0:
            base = int(parts[0].split("-")[0], 16)
            break
    check(base is not None, "no mapping of %s" % path)
    vals = []
    with open("/proc/%d/mem" % pid, "rb") as mem:
        for a in semaphore_addrs(path):
            mem.seek(base + a)
            vals.append(int.from_bytes(mem.read(2), "little"))
    return vals


def prog_ids(pid):
    """IDs of the BPF programs process pid holds (from its fds' fdinfo): other tracers that
    may run on the machine meanwhile are not counted."""
    ids = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            for l in read("/proc/%d/fdinfo/%s" % (pid, fd)).splitlines():
                if l.startswith("prog_id:"):
                    ids.add(int(l.split()[1]))
        except OSError:
            pass
    return ids


def live_prog_ids(ids):
    """Which of ids are still loaded in the kernel."""
    out = run(["bpftool", "-j", "prog", "show"]).stdout
    try:
        return {p["id"] for p in json.loads(out or "[]")} & set(ids)
    except ValueError:
        fail("bpftool prog show: " + out[:200])


def case_kill9():
    """Tracer SIGKILLed: recorder unharmed and exact, probes gone, semaphores 0."""
    path = os.path.realpath(rec())
    log = tmp("d")
    r = subprocess.Popen([path, "--seconds", "60", "--rate", "3000", "--no-sync", "--dump",
                          "--log-durations", log], stdout=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(log) and lines(log) > 0, 30, "the recorder flushing")
    check(semaphore_values(r.pid, path) == [0, 0], "semaphores before attach")
    t = start_tracer(["-p", str(r.pid)], tmp("e"))
    check(semaphore_values(r.pid, path) == [1, 1], "semaphores while attached: %s" %
          semaphore_values(r.pid, path))
    ids = prog_ids(t.pid)
    check(len(ids) == 2 and live_prog_ids(ids) == ids, "programs loaded: %s" % ids)
    t2 = start_tracer(["-p", str(r.pid)], tmp("e2"))
    # The kernel counts installed uprobes, not consumers: still 1 with two.
    check(semaphore_values(r.pid, path) == [1, 1], "two tracers: %s" % semaphore_values(r.pid, path))
    ids2 = prog_ids(t2.pid)
    check(len(ids2) == 2 and not ids & ids2, "two tracers' programs: %s %s" % (ids, ids2))
    t2.send_signal(signal.SIGINT)
    t2.communicate(timeout=10)
    check(t2.returncode == 0, "second tracer rc %d" % t2.returncode)
    check(semaphore_values(r.pid, path) == [1, 1], "one left: %s" % semaphore_values(r.pid, path))
    t.kill()
    t.wait()
    wait_for(lambda: semaphore_values(r.pid, path) == [0, 0], 5, "semaphores back to 0")
    wait_for(lambda: not live_prog_ids(ids | ids2), 5, "BPF programs released")
    p = run([FL, "-p", str(r.pid), "--duration", "0.5", "--format", "json"])
    check(p.returncode == 0 and mfl(json_last(p.stdout))["samples"] > 0, "re-attach: %s" % p.stderr)
    r.send_signal(signal.SIGTERM)
    out, _ = r.communicate(timeout=30)
    check(r.returncode == 0, "recorder rc %d" % r.returncode)
    durs = durations(log)
    check(("samples=%d " % len(durs)) in out, "recorder in-process count vs its log")
    print("ok kill -9: recorder exact (%d flushes), semaphores 0, no programs left" % len(durs))


def case_two_tracers():
    """Two tracers on one recorder at once: both exact, independent."""
    log = tmp("d")
    r = subprocess.Popen([rec(), "--wait-for-tracer=20", "--tracer-grace-ms", "0", "--flushes",
                          "300", "--no-sync", "--log-durations", log], stdout=subprocess.PIPE)
    # Stopped until both have attached (a grace period would be a race with their start-up):
    # uprobes and semaphores are installed in a stopped process all the same.
    os.kill(r.pid, signal.SIGSTOP)
    a = start_tracer(["-p", str(r.pid), "--format", "json"], tmp("ea"))
    b = start_tracer(["-p", str(r.pid), "--clock", "kernel", "--format", "json"], tmp("eb"))
    os.kill(r.pid, signal.SIGCONT)
    check(r.wait(timeout=60) == 0, "recorder rc %d" % r.returncode)
    sa, sb = json_last(a.communicate(timeout=20)[0]), json_last(b.communicate(timeout=20)[0])
    durs = durations(log)
    exact(sa, durs, "tracer A")
    check(mfl(sb)["samples"] == len(durs), "tracer B (kernel clock) samples %s" % mfl(sb))
    print("ok two tracers")


def case_errors():
    """Every user-caused failure: one clear line, the right exit status."""
    sleeper = subprocess.Popen(["sleep", "30"])
    d = tmp("dir")
    os.mkdir(d)
    with open(tmp("notelf"), "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(tmp("notelf"), 0o755)
    cases = [
        (["-p", "4194000"], 1, "no such process: 4194000"),
        (["-p", str(sleeper.pid)], 1, "process %d has no flashstrike USDT probes" % sleeper.pid),
        (["-b", "/bin/true"], 1, "/bin/true has no flashstrike USDT probes"),
        (["-b", "/nonexistent/rec"], 1, "cannot read /nonexistent/rec: No such file"),
        (["-b", d], 1, "cannot read %s: Is a directory" % d),
        (["-b", tmp("notelf")], 1, "not an ELF file"),
        (["--", "/nonexistent/cmd"], 1, "command not found"),
        (["--", "/bin/true"], 1, "has no flashstrike USDT probes"),
        (["--lib", "/bin/true", "-b", rec()], 1, "--lib /bin/true: no flashstrike USDT probes"),
        (["-p", "abc"], 2, "bad --pid 'abc'"),
        (["-p", "-5"], 2, "bad --pid"),
        (["-p", "0"], 2, "bad --pid"),
        (["--clock", "wall", "-b", rec()], 2, "bad --clock 'wall'"),
        (["--format", "xml", "-b", rec()], 2, "bad --format 'xml'"),
        (["--interval", "-1", "-b", rec()], 2, "bad --interval"),
        (["--interval", "0", "-b", rec()], 2, "bad --interval"),
        (["--interval", "1e400", "-b", rec()], 2, "bad --interval"),
        (["--duration", "abc", "-b", rec()], 2, "bad --duration"),
        (["--duration", "5x", "-b", rec()], 2, "bad --duration"),
        (["--fail-if", "p99>5parsecs", "-b", rec()], 2, "bad --fail-if"),
        (["--fail-if", "bogus>1", "-b", rec()], 2, "bad --fail-if"),
        (["--listen", "1.2.3.4.5:80", "-b", rec()], 2, "bad --listen"),
        (["--listen", ":99999", "-b", rec()], 2, "bad --listen"),
        (["--listen", "nonsense", "-b", rec()], 2, "bad --listen"),
        (["--label-set", "9x=1", "-b", rec()], 2, "bad --label-set"),
        (["--label-set", "pid=1", "-b", rec()], 2, "set by flushlat itself"),
        (["--prefix", "bad-prefix", "-b", rec()], 2, "bad --prefix"),
        (["--lean", "--clock", "kernel", "-b", rec()], 2, "--lean needs --clock recorder"),
        (["--delta", "-b", rec()], 2, "--delta needs --interval"),
        (["--buckets", "2us..32s/5", "-b", rec()], 2, "bad --buckets '2us..32s/5'"),
        (["--native-schema", "4", "-b", rec()], 2, "need --listen"),
        (["--listen", ":1", "--native-schema", "12", "-b", rec()], 2, "bad --native-schema"),
        (["--listen", ":1", "--window", "x", "-b", rec()], 2, "bad --window"),
        (["--bogus"], 2, "unknown option '--bogus'"),
        (["--pid"], 2, "needs a value"),
        ([], 2, "give exactly one target"),
        (["-p", "1", "-b", rec()], 2, "give exactly one target"),
        (["-b", rec(), "stray"], 2, "unexpected argument 'stray'"),
        (["-p", "1", "-p", "2"], 2, "-p given twice (one process per run)"),
        (["--pid", "1", "-p", "1"], 2, "-p given twice"),
        (["-b", rec(), "-b", rec()], 2, "-b given twice (one PATH per run; add libraries with --lib)"),
        (["--", ""], 1, "empty command after --"),
        (["--listen", ":0", "-b", rec()], 2, "bad --listen ':0': port 0 out of range (1-65535)"),
        (["--label", "a\nb", "-b", rec()], 2, "bad --label 'a?b': byte 2 is a control character"),
        (["--label-set", "a=b\udcff", "-b", rec()], 2,
         "bad --label-set 'a=b?': byte 2 of the value is not valid UTF-8"),
        (["--output", "", "-b", rec()], 2, "empty --output"),
        (["--duration", "0", "-b", rec()], 2, "bad --duration '0' (seconds, > 0)"),
        (["-b", "/nonexistent/\x1b[2Jrec"], 1, "cannot read /nonexistent/?[2Jrec: No such file"),
    ]
    for args, rc, msg in cases:
        p = run([FL] + args)
        check(p.returncode == rc, "%s: rc %d, want %d (%s)" % (args, p.returncode, rc, p.stderr))
        check(msg in p.stderr, "%s: message %r lacks %r" % (args, p.stderr, msg))
        check(p.stderr.count("\n") == 1, "%s: want one line, got %r" % (args, p.stderr))
        for a in args:  # an option is named once, never "bad --x '…': --x '…': …"
            if a.startswith("--") and len(a) > 2:
                check(p.stderr.count(a) <= 1, "%s named twice: %r" % (a, p.stderr))
        check("Segmentation" not in p.stderr and p.returncode >= 0, "crash: %s" % args)
    sleeper.kill()
    # port in use: refused before anything attaches
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    p = run([FL, "--listen", "127.0.0.1:%d" % port, "--", rec(), "--flushes", "5", "--no-sync"])
    check(p.returncode == 1 and "--listen" in p.stderr and "attached" not in p.stderr,
          "port in use: rc %d %s" % (p.returncode, p.stderr))
    s.close()
    print("ok %d error cases" % (len(cases) + 1))


def case_exit_during_attach():
    """A target that exits while flushlat attaches: one clear line or a clean final
    snapshot, never a crash or a hang.  The recorder leaves the moment the first
    probe's semaphore flips, i.e. in the middle of flushlat's attach sequence."""
    seen = {"exited": 0, "clean": 0}
    for _ in range(12):
        r = subprocess.Popen([rec(), "--wait-for-tracer=10", "--tracer-grace-ms", "0", "--flushes",
                              "1", "--no-sync"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.05)
        p = subprocess.Popen([FL, "-p", str(r.pid), "--format", "json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        r.wait(timeout=20)  # reaped at once: the PID is really gone
        out, err = p.communicate(timeout=20)
        lines = [l for l in err.splitlines() if not l.startswith("flushlat: attached")]
        if p.returncode == 0:
            check(json_last(out)["pid"] == r.pid, "final snapshot: %r" % out)
            seen["clean"] += 1
        else:
            check(p.returncode == 1, "rc %d: %s" % (p.returncode, err))
            check(len(lines) == 1 and re.search(r"process \d+ (exited during attach|has exited)|"
                                                 r"no such process", lines[0]),
                  "want one line naming the exit, got %r" % err)
            seen["exited"] += 1
    print("ok target exiting during attach: %s" % seen)


def case_unprivileged():
    """No capabilities: a message naming what is missing, exit 1."""
    if run(["sh", "-c", "command -v setpriv"]).returncode:
        fail("setpriv (util-linux) is missing")
    p = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
             FL, "-b", os.path.realpath(rec())])
    check(p.returncode == 1, "rc %d: %s" % (p.returncode, p.stderr))
    check("missing capabilities: CAP_SYS_ADMIN (this kernel requires it to attach uprobes)"
          in p.stderr, p.stderr)
    print("ok unprivileged: " + p.stderr.strip())


def case_stripped():
    """A stripped recorder keeps its probe notes and is traced exactly."""
    path = tmp("rec-stripped")
    check(run(["strip", "-o", path, rec()]).returncode == 0, "strip failed")
    log = tmp("d")
    p = run([FL, "--format", "json", "--output", tmp("j"), "--", path, "--flushes", "100",
             "--no-sync", "--log-durations", log])
    check(p.returncode == 0, "rc %d %s" % (p.returncode, p.stderr))
    exact(json_last(read(tmp("j"))), durations(log), "stripped")
    print("ok stripped binary")


def case_interval():
    """--interval cumulative and --delta: deltas sum to the cumulative total."""
    log = tmp("d")
    p = run([FL, "--interval", "0.2", "--delta", "--format", "json", "--output", tmp("i.json"),
             "--", rec(), "--seconds", "1.5", "--rate", "3000", "--no-sync", "--log-durations", log])
    check(p.returncode == 0, "rc %d %s" % (p.returncode, p.stderr))
    snaps = [json.loads(l) for l in read(tmp("i.json")).splitlines() if l.startswith("{")]
    check(len(snaps) >= 5, "want >= 5 interval snapshots, got %d" % len(snaps))
    durs = durations(log)
    check(sum(mfl(s)["samples"] for s in snaps) == len(durs), "delta samples do not add up")
    check(sum(mfl(s)["total_ns"] for s in snaps) == sum(durs), "delta totals do not add up")
    p = run([FL, "--interval", "0.2", "--format", "json", "--", rec(), "--seconds", "1",
             "--rate", "2000", "--no-sync"])
    cum = [mfl(json.loads(l))["samples"] for l in p.stderr.splitlines() if l.startswith("{")]
    check(cum == sorted(cum) and len(cum) >= 4, "cumulative not monotonic: %s" % cum)
    print("ok interval: %d deltas add up to %d flushes" % (len(snaps), len(durs)))


def case_prometheus_listen():
    """--listen: /metrics while tracing; promtool-clean; counts equal at the end."""
    import socket
    import urllib.request
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    log = tmp("d")
    r = subprocess.Popen([rec(), "--seconds", "30", "--rate", "2000", "--no-sync",
                          "--log-durations", log], stdout=subprocess.PIPE)
    t = start_tracer(["-p", str(r.pid), "--listen", "127.0.0.1:%d" % port, "--label-set",
                      "host=ci", "--bpf-stats"], tmp("e"))
    time.sleep(0.5)
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    check("flushlat_meta_flush_duration_seconds_count" in body, body[:500])
    check('host="ci"' in body, "label-set missing")
    pc = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
    check(pc.returncode == 0, "promtool: %s %s" % (pc.stdout, pc.stderr))
    check("flushlat_bpf_program_run_count_total" in body, "own cost missing with --bpf-stats")
    check_other_formats(port)
    # attached and serving: every capability dropped, map reads still work
    caps = dict(l.split(":\t") for l in read("/proc/%d/status" % t.pid).splitlines() if ":\t" in l)
    for k in ("CapEff", "CapPrm"):
        check(int(caps[k], 16) == 0, "tracer still holds %s %s" % (k, caps[k]))
    r.send_signal(signal.SIGTERM)
    r.wait(timeout=20)
    out, _ = t.communicate(timeout=20)
    check(t.returncode == 0, "tracer rc %d" % t.returncode)
    print("ok /metrics promtool-clean while tracing")


def varint(b, i):
    """(value, next index) of the protobuf varint at b[i]."""
    v, shift = 0, 0
    while True:
        check(i < len(b), "protobuf: a varint runs past the end")
        v |= (b[i] & 0x7f) << shift
        i += 1
        if not b[i - 1] & 0x80:
            return v, i
        shift += 7


def check_other_formats(port):
    """The scrape formats other than text, from a live tracer: OpenMetrics (with # EOF,
    exemplars) and length-delimited protobuf MetricFamily messages that tile the body."""
    import urllib.request
    url = "http://127.0.0.1:%d/metrics" % port
    om = "application/openmetrics-text; version=1.0.0"
    pb = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
    got = {}
    for accept in (om, pb):
        req = urllib.request.Request(url, headers={"Accept": accept.replace(" ", "")})
        with urllib.request.urlopen(req, timeout=5) as r:
            check(r.headers["Content-Type"].startswith(accept),
                  "Accept %s: Content-Type %s" % (accept, r.headers["Content-Type"]))
            got[accept] = r.read()
    text = got[om].decode()
    check(text.endswith("# EOF\n") and "flushlat_meta_flush_duration_seconds_count" in text,
          "OpenMetrics: %s" % text[-300:])
    b, i, names = got[pb], 0, []
    while i < len(b):
        n, i = varint(b, i)
        msg, i = b[i:i + n], i + n
        check(len(msg) == n and msg[:1] == b"\x0a", "protobuf: a MetricFamily without its name")
        ln, j = varint(msg, 1)
        names.append(msg[j:j + ln].decode())
    check(i == len(b) and "flushlat_meta_flush_duration_seconds" in names,
          "protobuf: families %s" % names)
    print("ok OpenMetrics (%d bytes) and protobuf (%d families) scraped" % (len(text), len(names)))


def case_migrate():
    """Start and done on different CPUs (threads moved between them): still paired."""
    if os.cpu_count() < 2:
        print("SKIP: one CPU, no migration possible")
        sys.exit(77)
    log = tmp("d")
    # paced writers (flat out they would spin on both CPUs for the whole run): the probes
    # fire on the flushing thread, bounced like every other
    t = subprocess.Popen([FL, "--clock", "kernel", "--format", "json", "--", rec(), "--flushes",
                          "500", "--writers", "2", "--rate", "2000", "--dir", tmp("wal"),
                          "--log-durations", log],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = child_pid(t.pid)  # forked once the probes are attached
    cpu, moves = 0, 0
    while t.poll() is None:
        # bounce every thread of the recorder between the CPUs, every ~0.2 ms
        try:
            for tid in os.listdir("/proc/%d/task" % child):
                os.sched_setaffinity(int(tid), {cpu})
                moves += 1
        except (FileNotFoundError, ProcessLookupError, OSError):
            pass
        cpu ^= 1
        time.sleep(0.0002)
    _, err = t.communicate(timeout=30)
    check(t.returncode == 0, "rc %d %s" % (t.returncode, err[-300:]))
    snap = json_last(err)
    check(mfl(snap)["samples"] == len(durations(log)) == 500,
          "samples %d vs %d" % (mfl(snap)["samples"], len(durations(log))))
    check(snap["unmatched"] == 0, "unmatched %d with migrations" % snap["unmatched"])
    check(moves > 200, "only %d migrations forced" % moves)
    print("ok %d flushes paired across %d forced migrations" % (mfl(snap)["samples"], moves))


def case_inflight():
    """Flushes held open show as in flight with their age; overflow is counted."""
    n = 5000  # above the 4096-slot in-flight table
    flood = rec("inflight_flood")
    notes = run(["readelf", "-n", flood]).stdout
    args = re.findall(r"Arguments: (.*)", notes)
    check(any("(%" in a for a in args),
          "inflight_flood must pass an argument in memory (built -O0): %s" % args)
    t = subprocess.Popen([FL, "--interval", "0.25", "--format", "json", "--", flood, str(n),
                          "1500"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = t.communicate(timeout=60)
    check(t.returncode == 0, "rc %d %s" % (t.returncode, err[-300:]))
    snaps = [json.loads(l) for l in err.splitlines() if l.startswith("{")]
    held = [s for s in snaps if s["in_flight"]["count"] > 0]
    check(held, "no snapshot saw flushes in flight: %s" % [s["in_flight"] for s in snaps])
    peak = max(held, key=lambda s: s["in_flight"]["oldest_age_ns"])
    check(peak["in_flight"]["oldest_age_ns"] >= 500 * 1000 * 1000,
          "oldest in-flight age %d ns after holding 1.5 s" % peak["in_flight"]["oldest_age_ns"])
    stored = max(s["in_flight"]["count"] for s in held)
    final = snaps[-1]
    check(stored + final["dropped"] == n, "in flight %d + dropped %d != %d started" %
          (stored, final["dropped"], n))
    check(final["dropped"] > 0 and final["unmatched"] == final["dropped"],
          "dropped %d, unmatched %d" % (final["dropped"], final["unmatched"]))
    check(mfl(final)["samples"] == n, "completions recorded: %d of %d" % (mfl(final)["samples"], n))
    # exact durations through the generic (memory operand) argument reader
    _, base, end = (int(v) for v in out.split())
    want = {"total_ns": n * (end - base) - n * (n - 1) // 2, "min_ns": end - base - (n - 1),
            "max_ns": end - base}
    got = {k: mfl(final)[k] for k in want}
    check(got == want, "durations: %s, want %s" % (got, want))
    check(final["in_flight"]["count"] == 0, "still in flight at the end: %s" % final["in_flight"])
    print("ok in flight: %d held (oldest %.2f s), %d dropped and counted, %d recorded" %
          (stored, peak["in_flight"]["oldest_age_ns"] / 1e9, final["dropped"], n))


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(port):
    import urllib.request
    return urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()


def proc_counts(body):
    """{pid: count} of flushlat_process_meta_flush_count_total series."""
    out = {}
    for l in body.splitlines():
        m = re.match(r'flushlat_process_meta_flush_count_total\{.*pid="(\d+)".*\} (\d+)$', l)
        if m:
            check(m.group(1) not in out, "pid %s listed twice:\n%s" % (m.group(1), body))
            out[int(m.group(1))] = int(m.group(2))
    return out


def case_procs_once():
    """Regression: recorders exiting at different times under -b --interval are each listed
    once per snapshot (deleting map entries while walking the map listed every pid twice),
    and each one's final count is reported."""
    t = start_tracer(["-b", rec(), "--interval", "0.3", "--format", "json"], tmp("e"))
    recs = []
    for i in range(5):  # exits 0.4 s apart: more than an interval
        log = tmp("d%d" % i)
        recs.append((subprocess.Popen([rec(), "--seconds", str(0.4 * (i + 1)), "--rate", "300",
                                       "--no-sync", "--log-durations", log],
                                      stdout=subprocess.DEVNULL), log))
    left = [r for r, _ in recs]
    while left:  # reap each as soon as it exits: its PID is then really gone
        for r in left:
            if r.poll() is not None:
                check(r.returncode == 0, "recorder rc %d" % r.returncode)
        left = [r for r in left if r.returncode is None]
        time.sleep(0.01)
    want = {r.pid: len(durations(log)) for r, log in recs}
    # the snapshots until one after every exit: all flushes counted, no process listed
    lines_out, end = [], time.time() + 20
    while True:
        l = t.stdout.readline()
        check(l, "the tracer stopped writing: %s" % read(tmp("e")))
        check(time.time() < end, "no snapshot with every exit in 20 s: %s" % l)
        lines_out.append(l)
        sn = json.loads(l)
        if mfl(sn)["samples"] == sum(want.values()) and not sn["processes"]:
            break
    t.send_signal(signal.SIGINT)
    out, _ = t.communicate(timeout=20)
    check(t.returncode == 0, "tracer rc %d %s" % (t.returncode, read(tmp("e"))))
    out = "".join(lines_out) + out
    snaps = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    final = {}
    for sn in snaps:
        pids = [p["pid"] for p in sn["processes"]]
        check(len(pids) == len(set(pids)), "a pid listed twice in one snapshot: %s" % pids)
        for p in sn["processes"]:
            final[p["pid"]] = p["samples"]
    check(final == want, "final per-process counts %s, want %s" % (final, want))
    check(mfl(snaps[-1])["samples"] == sum(want.values()), "total %s" % mfl(snaps[-1]))
    # an exited process is reported once after its exit, then forgotten
    check(snaps[-1]["processes"] == [], "exited processes still listed: %s" % snaps[-1]["processes"])
    print("ok %d snapshots, each pid once, final counts %s" % (len(snaps), sorted(final.values())))


def case_two_readers():
    """Regression: with --interval output and --listen together, a process that exits is
    reported with its final count by BOTH readers, whichever sees the exit first; /metrics
    keeps reporting it for --window (every scraper of an HA pair sees it), then forgets it."""
    port = free_port()
    alive = subprocess.Popen([rec(), "--seconds", "30", "--rate", "200", "--no-sync"],
                             stdout=subprocess.DEVNULL)
    t = start_tracer(["-b", rec(), "--interval", "0.2", "--format", "json", "--listen",
                      "127.0.0.1:%d" % port, "--window", "1"], tmp("e"))
    short = subprocess.Popen([rec(), "--flushes", "50", "--no-sync"], stdout=subprocess.DEVNULL)
    check(short.wait(timeout=30) == 0, "recorder rc %d" % short.returncode)
    time.sleep(0.6)  # several intervals: the interval reader sees the exit first
    first = proc_counts(scrape(port))
    check(first.get(short.pid) == 50, "/metrics after the exit: %s (want pid %d: 50)" %
          (first, short.pid))
    again = proc_counts(scrape(port))  # a second scraper, within --window: still there
    check(again.get(short.pid) == 50, "a second scrape lost the exited pid: %s" % again)
    time.sleep(1.2)
    scrape(port)
    second = proc_counts(scrape(port))  # one live process left: no per-process series
    check(short.pid not in second, "exited pid kept after --window: %s" % second)
    # and the other way round: /metrics sees the next exit first
    short2 = subprocess.Popen([rec(), "--flushes", "30", "--no-sync"], stdout=subprocess.DEVNULL)
    check(short2.wait(timeout=30) == 0, "recorder rc %d" % short2.returncode)
    got = {}
    for _ in range(50):  # scrape until /metrics has reported it, racing the interval reader
        got = proc_counts(scrape(port))
        if short2.pid in got:
            break
        time.sleep(0.01)
    alive.kill()
    alive.wait()
    time.sleep(0.5)
    t.send_signal(signal.SIGINT)
    out, _ = t.communicate(timeout=20)
    check(t.returncode == 0, "tracer rc %d" % t.returncode)
    seen = {}
    for l in out.splitlines():
        if l.startswith("{"):
            for p in json.loads(l)["processes"]:
                seen[p["pid"]] = p["samples"]
    check(seen.get(short.pid) == 50 and seen.get(short2.pid) == 30,
          "interval output final counts: %s" % seen)
    check(got.get(short2.pid) == 30, "/metrics final count of the second: %s" % got)
    print("ok both readers reported both exits (50 and 30 flushes)")


def voluntary_switches(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        for l in read("/proc/%d/task/%s/status" % (pid, tid)).splitlines():
            if l.startswith("voluntary_ctxt_switches"):
                total += int(l.split()[1])
    return total


def case_idle():
    """An idle exporter (no flushes, no scrapes) does not wake up: poll, not a tick; also
    with every anatomy option (records and the stuck watch wake it only when flushes happen)."""
    t = start_tracer(["-b", rec(), "--listen", "127.0.0.1:%d" % free_port()], tmp("e"))
    t2 = start_tracer(["-b", rec(), "--listen", "127.0.0.1:%d" % free_port(), "--breakdown",
                       "--slow", "1ms", "--stuck", "1s", "--top", "3", "--folded", tmp("f")], tmp("e2"))
    time.sleep(1.0)
    a, a2 = voluntary_switches(t.pid), voluntary_switches(t2.pid)
    time.sleep(4.0)  # any tick of 2 s or less wakes them at least twice
    b, b2 = voluntary_switches(t.pid), voluntary_switches(t2.pid)
    for p in (t, t2):
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=20)
        check(p.returncode == 0, "tracer rc %d" % p.returncode)
    check(b - a < 2, "idle exporter: %d voluntary context switches in 4 s" % (b - a))
    check(b2 - a2 < 2, "idle exporter with the anatomy: %d voluntary context switches in 4 s" %
          (b2 - a2))
    print("ok idle exporter: %d and %d (anatomy) voluntary context switches in 4 s" %
          (b - a, b2 - a2))


def case_interval_exact():
    """--interval is honoured at its smallest accepted value (0.01 s used to run every 20 ms)."""
    p = run([FL, "--interval", "0.01", "--format", "json", "--", rec(), "--seconds", "1.5",
             "--rate", "500", "--no-sync"], timeout=60)
    check(p.returncode == 0, "rc %d %s" % (p.returncode, p.stderr[-300:]))
    ts = [json.loads(l)["timestamp_ns"] for l in p.stderr.splitlines() if l.startswith("{")]
    gaps = sorted(b - a for a, b in zip(ts, ts[1:]))
    check(len(gaps) > 50, "only %d snapshots" % len(ts))
    median = gaps[len(gaps) // 2]
    check(8e6 <= median <= 12e6, "median spacing %.2f ms, want 10 ms" % (median / 1e6))
    print("ok --interval 0.01: %d snapshots, median spacing %.2f ms" % (len(ts), median / 1e6))


# ---- pictures: text histogram, heat map, HTML report, --watch ---------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "output"))
import svgcheck  # noqa: E402


def hist_rows(text):
    """The histogram of a text report: [(lo, hi, count, bar, marks)], bars as drawn."""
    lines = text.splitlines()
    check(" Histogram (flushes per latency range):" in lines, "no histogram in:\n" + text)
    rows = []
    for l in lines[lines.index(" Histogram (flushes per latency range):") + 1:]:
        m = re.match(r"^   +(\S+ \S+) \.\. (\S+ \S+) +(\d+) \|([* ]*)\|((?: p\d+)*)$", l)
        check(m, "not a histogram row: %r" % l)
        rows.append((m.group(1), m.group(2), int(m.group(3)), m.group(4), m.group(5).split()))
    return rows


def ns_of(text):
    """"1.05 ms" -> 1050000.0"""
    v, unit = text.split()
    return float(v) * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def case_hist():
    """Text report: the dump block unchanged, then the histogram (rows add up to the
    samples, p50/p99 marked where the percentiles lie, 40-column bars off a terminal);
    --no-hist; `report FILE.json` prints the same."""
    log = tmp("d")
    args = [rec(), "--flushes", "400", "--rate", "4000", "--no-sync", "--dump", "--log-durations", log]
    p = run([FL, "--output", tmp("h.txt"), "--"] + args)
    check(p.returncode == 0, "rc %d %s" % (p.returncode, p.stderr))
    text = read(tmp("h.txt"))
    check(dump_block(text) == dump_block(p.stdout), "dump block differs:\n%s\nvs\n%s" % (text, p.stdout))
    rows = hist_rows(text)
    check(sum(r[2] for r in rows) == len(durations(log)) == 400, "rows hold %d flushes" % sum(r[2] for r in rows))
    check(all(len(r[3]) == 40 for r in rows), "bars not 40 columns wide off a terminal")
    check(max(r[3].count("*") for r in rows) == 40, "the fullest row is not a full bar")
    check(all(r[3].count("*") >= 1 for r in rows if r[2]), "a non-empty row without a bar")
    check(rows[0][2] and rows[-1][2], "empty rows at the ends")
    check(len(rows) <= 65, "%d rows" % len(rows))
    pct = dict(re.findall(r"(p[\d.]+)=(\S+ \S+)", text))
    for q in ("p50", "p99"):
        marked = [r for r in rows if q in r[4]]
        check(len(marked) == 1, "%s marked on %d rows" % (q, len(marked)))
    p = run([FL, "--no-hist", "--output", tmp("n.txt"), "--"] + args)
    check(p.returncode == 0 and "Histogram" not in read(tmp("n.txt")), "--no-hist: %s" % read(tmp("n.txt")))
    check(read(tmp("n.txt")).startswith(dump_block(p.stdout)), "--no-hist changed the dump block")
    p = run([FL, "--format", "json", "--output", tmp("h.json"), "--"] + args)
    check(p.returncode == 0, "json rc %d %s" % (p.returncode, p.stderr))
    r = run([FL, "report", tmp("h.json")])
    check(r.returncode == 0, "report rc %d %s" % (r.returncode, r.stderr))
    rows2 = hist_rows(r.stdout)
    check(sum(x[2] for x in rows2) == 400 and all(len(x[3]) == 40 for x in rows2),
          "report's histogram: %s" % rows2)
    # the marked rows hold the exact percentiles of the JSON (labels have 3 digits)
    snap = json_last(read(tmp("h.json")))
    for q in ("p50", "p99"):
        v = snap["percentiles"][q + "_ns"]
        lo, hi = [(ns_of(x[0]), ns_of(x[1])) for x in rows2 if q in x[4]][0]
        check(lo * 0.995 <= v < hi * 1.005, "%s = %d ns is not in its marked row %s..%s" % (q, v, lo, hi))
    print("ok histogram: %d rows, p50 %s and p99 %s marked, --no-hist, report" %
          (len(rows), pct.get("p50"), pct.get("p99")))


def case_heatmap():
    """A real --interval --delta run drawn as a heat map: every traced flush in exactly
    one cell (the recorder's own count), one cell per non-empty (interval, row); the
    same from a cumulative --interval run; the HTML report embeds it."""
    for delta in (True, False):
        log, out, svg = tmp("d"), tmp("run.json"), tmp("heat.svg")
        args = [FL, "--interval", "0.1", "--format", "json", "--output", out]
        args += ["--delta"] if delta else []
        p = run(args + ["--", rec(), "--seconds", "1.2", "--rate", "2000", "--dir", tmp("wal"),
                        "--log-durations", log], timeout=60)
        check(p.returncode == 0, "rc %d %s" % (p.returncode, p.stderr))
        h = run([FL, "heatmap", out, "-o", svg])
        check(h.returncode == 0, "heatmap rc %d %s" % (h.returncode, h.stderr))
        ncells, total, _ = svgcheck.check_svg(svg, out, fail)
        n = len(durations(log))
        check(total == n, "the heat map holds %d flushes, the recorder made %d" % (total, n))
        r = run([FL, "report", "--format", "html", "--fail-if", "samples<1", out])
        check(r.returncode == 0, "report html rc %d %s" % (r.returncode, r.stderr))
        check(r.stdout.count('<rect class="cell"') == ncells, "the page's heat map differs")
        check(" Meta flush: samples=%d " % n in r.stdout, "the page's summary is not the run")
        with open(tmp("page.html"), "w") as f:
            f.write(r.stdout)
        svgcheck.check_self_contained(tmp("page.html"), fail)
        print("ok heatmap (%s): %d intervals' cells = %d, %d flushes = the recorder's" %
              ("--delta" if delta else "cumulative", len(svgcheck.intervals(out)[0]), ncells, n))


class Tmux:
    """A private tmux server (its own socket, so nothing else is touched) running an
    interactive shell, as a user's terminal would: job control included."""

    def __init__(self, cols, rows):
        self.sock = "flushlat-e2e-%d" % os.getpid()
        self.env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="xterm-256color",
                        PS1="$ ", HISTFILE="/dev/null")
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "w", "-x", str(cols), "-y", str(rows),
                  "bash --norc --noprofile -i")
        self.shell = int(self.fmt("#{pane_pid}"))

    def tmux(self, *args):
        p = subprocess.run(["tmux", "-u", "-L", self.sock] + list(args), capture_output=True,
                           text=True, env=self.env, timeout=20)
        check(p.returncode == 0, "tmux %s: %s" % (" ".join(args), p.stderr))
        return p.stdout

    def type(self, line):
        self.tmux("send-keys", "-t", "w", line, "Enter")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "w")

    def fmt(self, f):
        return self.tmux("display-message", "-p", "-t", "w", f).strip()

    def child(self, comm):
        """The shell's child named comm (the job in the foreground)."""
        for d in os.listdir("/proc"):
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except (OSError, ValueError):
                continue
            name, rest = st[st.index("(") + 1:st.rindex(")")], st[st.rindex(")") + 2:].split()
            if name == comm and int(rest[1]) == self.shell:
                return int(d)
        fail("no %s started by the shell" % comm)

    def wait(self, pred, what, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            s = self.screen()
            if pred(s):
                return s
            time.sleep(0.1)
        fail("tmux: timed out waiting for %s; screen:\n%s" % (what, self.screen()))

    def close(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True)


WATCH_FIELDS = [
    r"^flushlat --watch: every 200 ms, \d\d:\d\d:\d\d \(Ctrl-C quits\)$",
    r"^last [\d.]+ m?s: \d+ flushes, [\d.]+/s, p50 [\d.]+ [mu]?s, p99 [\d.]+ [mu]?s, max \u2264?[\d.]+ [mu]?s$",
    r"^whole run: \d+ flushes in [\d.]+ m?s, p50 [\d.]+ [mu]?s, p99 [\d.]+ [mu]?s, max [\d.]+ [mu]?s$",
    r"^in flight: \d+(, oldest [\d.]+ \S+)?; unmatched \d+, dropped \d+$",
    r"^p99 trend: last [\d.]+ (m?s|min), \d+ intervals? per mark, [\d.]+ [mu]?s \.\. [\d.]+ [mu]?s \(log scale\)$",
    r"^[\u2581-\u2588 ]+$",
    r"^heat strips: one line per interval, newest last; \u2591\u2592\u2593\u2588 = more flushes$",
    r"^ {10}\d",
    r"^\d\d:\d\d:\d\d  +[ \u2591\u2592\u2593\u2588]*[\u2591\u2592\u2593\u2588]",
]


WATCH_PREFIXES = ["flushlat --watch: every 200 ms", "last ", "whole run: ", "in flight: ",
                  "p99 trend: ", "", "heat strips: ", "          "]


def watch_ok(screen, cols):
    """Every field, each line narrower than the terminal (whole lines when they fit)."""
    lines = screen.splitlines()
    if len(lines) < len(WATCH_FIELDS) or any(len(l) >= cols for l in lines):
        return False
    for pat, pre, l in zip(WATCH_FIELDS, WATCH_PREFIXES + [""], lines):
        if len(l) < cols - 1 and not re.match(pat, l):
            return False
        if not l.startswith(pre):
            return False
    return True


def restored(t, what):
    check(t.fmt("#{alternate_on}") == "0", "%s: still on the alternate screen" % what)
    check(t.fmt("#{cursor_flag}") == "1", "%s: the cursor is still hidden" % what)


def case_watch():
    """--watch in tmux: every field drawn and redrawn; a resize redraws at the new width;
    Ctrl-Z gives the screen back, fg takes it again; Ctrl-C and SIGTERM end it with the
    terminal restored (main screen, cursor shown) and the final report on it.  Refused
    (exit 2, one line) when stdout is not a terminal."""
    p = run([FL, "--watch", "--", rec(), "--flushes", "5", "--no-sync"])
    check(p.returncode == 2 and p.stderr.count("\n") == 1 and "--watch needs a terminal" in p.stderr,
          "not a terminal: rc %d %r" % (p.returncode, p.stderr))
    p = run([FL, "--watch", "--format", "json", "-p", "1"])
    check(p.returncode == 2 and "--watch is a text view" in p.stderr, "json: %r" % p.stderr)
    if not shutil_which("tmux"):
        fail("tmux not installed (scripts/setup.sh --test-deps installs it)")
    t = Tmux(100, 30)
    r = subprocess.Popen([rec(), "--seconds", "60", "--rate", "500", "--no-sync"],
                         stdout=subprocess.DEVNULL)
    watch = "%s --watch --interval 0.2 -p %d" % (FL, r.pid)
    try:
        t.wait(lambda s: s.strip(), "the shell")
        t.type("PS1='$ '; clear")
        t.wait(lambda s: s.startswith("$"), "the prompt")
        t.type(watch)
        s = t.wait(lambda s: watch_ok(s, 100), "every field at 100 columns")
        check(t.fmt("#{alternate_on}") == "1" and t.fmt("#{cursor_flag}") == "0",
              "the view is not on the alternate screen with the cursor hidden")
        first = s.splitlines()[0]
        t.wait(lambda s: s.splitlines()[0] != first and watch_ok(s, 100), "a redraw")
        t.tmux("resize-window", "-t", "w", "-x", "56", "-y", "16")
        t.wait(lambda s: watch_ok(s, 56) and len(s.splitlines()) <= 16, "a redraw at 56x16")
        # Ctrl-Z: the shell gets its screen back; fg: the view again
        t.tmux("send-keys", "-t", "w", "C-z")
        t.wait(lambda s: "Stopped" in s and t.fmt("#{alternate_on}") == "0", "Ctrl-Z")
        restored(t, "Ctrl-Z")
        t.type("fg")
        t.wait(lambda s: t.fmt("#{alternate_on}") == "1" and watch_ok(s, 56), "the view after fg")
        t.tmux("resize-window", "-t", "w", "-x", "100", "-y", "30")
        t.wait(lambda s: watch_ok(s, 100), "a redraw at 100x30")
        # Ctrl-C: the final report on the main screen, at the terminal's width
        t.tmux("send-keys", "-t", "w", "C-c")
        s = t.wait(lambda s: s.rstrip().endswith("$"), "the prompt after Ctrl-C")
        restored(t, "Ctrl-C")
        check("[Meta Store Metrics] Snapshot:" in s and " Histogram (flushes per latency range):" in s,
              "no final report after Ctrl-C:\n" + s)
        bars = [x for x in s.splitlines() if re.match(r"^   .* \|[* ]+\|", x)]
        check(bars and 80 < max(len(x) for x in bars) < 100, "the final histogram is not at the "
              "terminal's width: %s" % bars[:2])
        t.type("clear; echo EXIT=$?")
        t.wait(lambda s: "EXIT=0" in s, "exit status 0 after Ctrl-C")
        # SIGTERM: the same
        t.type(watch)
        t.wait(lambda s: watch_ok(s, 100), "the second view")
        os.kill(t.child("flushlat"), signal.SIGTERM)
        s = t.wait(lambda s: s.rstrip().endswith("$"), "the prompt after SIGTERM")
        restored(t, "SIGTERM")
        check("[Meta Store Metrics] Snapshot:" in s, "no final report after SIGTERM:\n" + s)
    finally:
        t.close()
        r.kill()
        r.wait()
    print("ok --watch: fields, redraw, resize, Ctrl-Z/fg, Ctrl-C and SIGTERM restore the terminal")


def shutil_which(name):
    import shutil
    return shutil.which(name)

# ---- reliability: signals, write errors, odd files (issue 12) ---------------

def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has exited
        return read("/proc/%d/stat" % pid).rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def child_pid(parent):
    out = ""
    end = time.time() + 10
    while not out and time.time() < end:
        out = run(["pgrep", "-P", str(parent)]).stdout.split()
        if not out:
            time.sleep(0.02)
    check(out, "no child of %d" % parent)
    return int(out[0])


def lines(path):
    return len(read(path).split())


def killed_ok(samples, logged, what):
    """A CMD killed by a signal may die between a flush's probe and its log line: the
    snapshot then has that one flush more than the log, never fewer, never two more."""
    check(samples in (logged, logged + 1), "%s: %d samples, %d logged" % (what, samples, logged))


def slow_cmd(log, stop_ms, code, *extra):
    return [rec("slow_stop"), log, "10", str(stop_ms), str(code)] + list(extra)


def case_signals():
    """Signals with -- CMD: forwarded every time, CMD waited for, its status wins, the final
    snapshot counts every flush; SIGKILL of flushlat still stops CMD (PR_SET_PDEATHSIG)."""
    # SIGINT, then SIGTERM 0.5 s later, to a CMD that takes 1.5 s to stop and exits 7 (the
    # three pairs side by side)
    runs = []
    for first, second in ((signal.SIGINT, signal.SIGTERM), (signal.SIGTERM, signal.SIGHUP),
                          (signal.SIGHUP, signal.SIGINT)):
        log = tmp("slow-%s.log" % first.name)
        t = subprocess.Popen([FL, "--format", "json", "--"] + slow_cmd(log, 1500, 7),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        runs.append((first, second, log, t, child_pid(t.pid)))
    for first, _, log, t, _ in runs:
        wait_for(lambda: os.path.exists(log) and lines(log) > 20, 10, "CMD flushing")
        t.send_signal(first)
    time.sleep(0.5)
    for _, second, _, t, _ in runs:
        t.send_signal(second)
    time.sleep(0.5)
    for first, second, log, t, cmd in runs:
        check(t.poll() is None, "flushlat exited (rc %s) while CMD still ran" % t.returncode)
        t.send_signal(second)  # a third signal changes nothing either
        check(alive(cmd), "CMD died early")
    for first, second, log, t, cmd in runs:
        out, err = t.communicate(timeout=20)
        check(not alive(cmd), "CMD %d left running after flushlat exited" % cmd)
        check(t.returncode == 7, "%s+%s: rc %d, want CMD's 7: %s" % (first, second, t.returncode,
                                                                    err[-300:]))
        n = mfl(json_last(err))["samples"]
        check(n == lines(log), "final snapshot %d samples, CMD logged %d" % (n, lines(log)))
        print("ok %s then %s: waited for CMD, rc 7, %d flushes counted" % (first.name, second.name, n))
    # CMD without a SIGTERM handler, stopped by --duration or by a signal to flushlat:
    # killed by flushlat's own signal, not a failure
    for how in ("duration", "SIGTERM", "SIGINT"):
        log = tmp("nh-%s.log" % how)
        args = [FL, "--format", "json"] + (["--duration", "0.8"] if how == "duration" else [])
        t = subprocess.Popen(args + ["--"] + slow_cmd(log, 0, 0, "nohandler"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if how != "duration":
            wait_for(lambda: os.path.exists(log) and lines(log) > 20, 10, "CMD flushing")
            t.send_signal(getattr(signal, how))
        out, err = t.communicate(timeout=20)
        check(t.returncode == 0, "%s, CMD without handler: rc %d, want 0: %s" %
              (how, t.returncode, err[-300:]))
        killed_ok(mfl(json_last(err))["samples"], lines(log), how)
        print("ok %s: CMD killed by flushlat's own signal, rc 0" % how)
    # SIGINT (handled, slow), then SIGTERM kills it: both were ours, not a failure
    t = subprocess.Popen([FL, "--format", "json", "--"] + slow_cmd(tmp("io.log"), 3000, 0, "intonly"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(tmp("io.log")) and lines(tmp("io.log")) > 20, 10, "CMD flushing")
    t.send_signal(signal.SIGINT)
    time.sleep(0.3)
    t.send_signal(signal.SIGTERM)
    _, err = t.communicate(timeout=20)
    check(t.returncode == 0, "SIGINT then SIGTERM killing CMD: rc %d, want 0" % t.returncode)
    killed_ok(mfl(json_last(err))["samples"], lines(tmp("io.log")), "SIGINT then SIGTERM")
    print("ok CMD killed by the second signal flushlat forwarded: rc 0")
    # ... but CMD's own failure after our signal wins, and so does a kill by someone else
    log = tmp("d7.log")
    p = run([FL, "--duration", "0.5", "--"] + slow_cmd(log, 100, 7))
    check(p.returncode == 7, "--duration, CMD exits 7: rc %d %s" % (p.returncode, p.stderr))
    t = subprocess.Popen([FL, "--format", "json", "--"] + slow_cmd(tmp("k.log"), 0, 0, "nohandler"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cmd = child_pid(t.pid)
    time.sleep(0.3)
    os.kill(cmd, signal.SIGTERM)
    _, err = t.communicate(timeout=20)
    check(t.returncode == 143, "CMD killed by another's SIGTERM: rc %d, want 143" % t.returncode)
    print("ok CMD's own status 7 and a third party's SIGTERM (143) win")
    # flushlat SIGKILLed: CMD gets SIGTERM (PR_SET_PDEATHSIG) and stops
    log = tmp("pd.log")
    errf = open(tmp("pd.err"), "w")
    t = subprocess.Popen([FL, "--"] + slow_cmd(log, 0, 0), stdout=subprocess.DEVNULL, stderr=errf)
    cmd = child_pid(t.pid)
    wait_for(lambda: os.path.exists(log) and lines(log) > 5, 10, "CMD flushing")
    t.kill()
    t.wait()
    wait_for(lambda: not alive(cmd), 5, "CMD to stop after flushlat was SIGKILLed")
    check("slow_stop: signal 15" in read(tmp("pd.err")), "CMD did not get SIGTERM: %s" %
          read(tmp("pd.err")))
    print("ok flushlat SIGKILLed: CMD got SIGTERM and stopped")


def pipe_full(pid):
    try:
        return read("/proc/%d/wchan" % pid).endswith("pipe_write")
    except OSError:
        return False


def case_signal_blocked_write():
    """SIGTERM while a snapshot write is blocked on a slow pipe reader: the run still ends
    cleanly, with every snapshot whole and the final one last, exit 0."""
    for target in (["-b", rec()], ["--", rec("slow_stop"), tmp("w.log"), "10", "0", "0"]):
        out_args = ["--output", "/dev/stdout"] if target[0] == "--" else []
        t = subprocess.Popen([FL, "--interval", "0.01", "--format", "json"] + out_args + target,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: pipe_full(t.pid), 30, "the output pipe to fill")
        t.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        check(t.poll() is None, "exited while its write was blocked: rc %s" % t.returncode)
        data = b""
        while True:  # a slow reader: 4 KiB every 10 ms
            chunk = t.stdout.read1(4096)
            if not chunk:
                break
            data += chunk
            time.sleep(0.01)
        t.wait(timeout=20)
        err = t.stderr.read().decode()
        check(t.returncode == 0, "%s: rc %d: %s" % (target[0], t.returncode, err[-300:]))
        check("Interrupted" not in err and "cannot write" not in err, err)
        text = data.decode()
        check(text.endswith("\n"), "output ends inside a line")
        snaps = [json.loads(l) for l in text.splitlines()]  # every line whole JSON
        check(len(snaps) > 50, "only %d snapshots" % len(snaps))
        print("ok %s: SIGTERM during a blocked write: %d whole snapshots, rc 0" %
              (target[0], len(snaps)))



def sh(script, timeout=60):
    return run(["sh", "-c", script], timeout=timeout)


def case_write_errors():
    """A write error ends the run: CMD gets SIGTERM and is waited for, exit 1, one line,
    never a hang; also on a file system that fills up mid-run and for the final snapshot."""
    log = tmp("we.log")
    t = subprocess.Popen([FL, "--interval", "0.5", "--output", "/dev/full", "--"] +
                         slow_cmd(log, 1500, 7), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    cmd = child_pid(t.pid)
    _, err = t.communicate(timeout=30)
    check(t.returncode == 1, "/dev/full: rc %d, want 1: %s" % (t.returncode, err))
    errs = [l for l in err.splitlines() if l.startswith("flushlat:") and "attached" not in l]
    check(errs == ["flushlat: cannot write the snapshot: No space left on device"], err)
    check(not alive(cmd), "CMD left running")
    stopped = re.search(r"slow_stop: signal 15", err)
    check(stopped, "CMD did not get SIGTERM: %s" % err)
    # it flushes every 10 ms, and for 1.5 s more after the signal
    check(lines(log) > 150, "flushlat did not wait for CMD's 1.5 s stop: %d flushes" % lines(log))
    print("ok write error with --interval: CMD stopped and waited for (%d flushes), rc 1" %
          lines(log))
    # a small tmpfs that fills up, in a private mount namespace
    d = tmp("small")
    os.mkdir(d)
    p = run(["unshare", "-m", "sh", "-c",
             "mount --make-rprivate / && mount -t tmpfs -o size=64k flushlat-e2e %s && "
             "exec %s --interval 0.01 --format json --output %s/out.json -- %s" %
             (d, FL, d, " ".join(slow_cmd(tmp("fs.log"), 300, 0)))])
    check(p.returncode == 1 and "cannot write the snapshot: No space left on device" in p.stderr
          and "slow_stop: signal 15" in p.stderr, "full tmpfs: rc %d %s" % (p.returncode, p.stderr))
    # without CMD, and when only the final snapshot fails
    p = run([FL, "-b", rec(), "--interval", "0.05", "--output", "/dev/full"], timeout=20)
    check(p.returncode == 1 and "No space left on device" in p.stderr, "-b: %s" % p.stderr)
    p = run([FL, "--output", "/dev/full", "--", rec(), "--flushes", "5", "--no-sync"])
    check(p.returncode == 1 and "No space left on device" in p.stderr, "final: %s" % p.stderr)
    print("ok full tmpfs, -b, final snapshot: rc 1 with the cause")


def case_output_late():
    """--output is opened only once the run has started: a failed start leaves it as it was
    (and does not create it); a FIFO output without a reader is refused, not waited for."""
    base = tmp("base.json")
    missing = tmp("missing.json")
    with open(base, "w") as f:
        f.write("KEEP\n")
    s = socket_listening()
    failures = [
        ["-p", "4194000"],
        ["-b", "/nonexistent/rec"],
        ["-b", "/bin/true"],
        ["--fail-if", "bogus>1", "-b", rec()],
        ["--listen", "127.0.0.1:%d" % s.getsockname()[1], "-b", rec()],
        ["--", "/nonexistent/cmd"],
    ]
    for i, args in enumerate(failures):
        for out in (base, missing) if i < 2 else (base,):
            p = run([FL, "--output", out] + args)
            check(p.returncode in (1, 2), "%s: rc %d" % (args, p.returncode))
        check(read(base) == "KEEP\n", "%s: the existing --output was changed" % args)
        check(not os.path.exists(missing), "%s: --output created" % args)
    p = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
             FL, "--output", base, "-b", rec()])
    check(p.returncode == 1 and read(base) == "KEEP\n", "unprivileged: %s" % p.stderr)
    s.close()
    fifo = tmp("fifo")
    os.mkfifo(fifo)
    p = run([FL, "--output", fifo, "--", rec(), "--flushes", "5", "--no-sync"], timeout=20)
    check(p.returncode == 1 and "a FIFO with no reader" in p.stderr, "FIFO without reader: %s" % p.stderr)
    print("ok %d failed starts left --output untouched; FIFO without a reader refused" %
          (len(failures) + 1))


def socket_listening():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s


def case_closed_fds():
    """Closed standard streams: nothing flushlat opens takes their place, and writes to a
    closed one are errors, not silently lost."""
    args = "--format json --output %s -- %s --flushes 20 --no-sync" % (tmp("o.json"), rec())
    p = sh("exec %s %s 2>&-" % (FL, args))
    check(p.returncode == 0, "2>&- --output: rc %d" % p.returncode)
    text = read(tmp("o.json"))
    check(all(l.startswith("{") for l in text.splitlines()) and
          mfl(json_last(text))["samples"] == 20, "2>&-: --output holds %r" % text[:300])
    p = sh("exec %s %s >&-" % (FL, args))
    check(p.returncode == 0 and mfl(json_last(read(tmp("o.json"))))["samples"] == 20,
          ">&- --output: rc %d %s" % (p.returncode, p.stderr))
    p = sh("exec %s %s <&- >&- 2>&-" % (FL, args))
    check(p.returncode == 0 and mfl(json_last(read(tmp("o.json"))))["samples"] == 20,
          "all closed: rc %d" % p.returncode)
    # the snapshots' own stream closed: refused before attaching
    p = sh("exec %s -b %s --duration 0.2 >&-" % (FL, rec()))
    check(p.returncode == 1 and "standard output is closed" in p.stderr and
          "attached" not in p.stderr, ">&-: rc %d %s" % (p.returncode, p.stderr))
    p = sh("exec %s -- %s --flushes 5 --no-sync 2>&-" % (FL, rec()))
    check(p.returncode == 1, "-- CMD 2>&-: rc %d" % p.returncode)
    p = sh("exec %s report %s >&-" % (FL, tmp("o.json")))
    check(p.returncode == 1 and "Bad file descriptor" in p.stderr, "report >&-: %s" % p.stderr)
    # --listen with stdout and stderr closed: the socket is not fd 1 or 2
    port = free_port()
    t = subprocess.Popen(["sh", "-c", "exec %s -b %s --listen 127.0.0.1:%d --format json --output %s "
                          ">&- 2>&-" % (FL, rec(), port, tmp("l.json"))])
    wait_for(lambda: "flushlat_meta_flush" in try_scrape(port), 20, "/metrics")
    for fd in (1, 2):
        check(os.readlink("/proc/%d/fd/%d" % (t.pid, fd)) == "/dev/null",
              "fd %d is %s" % (fd, os.readlink("/proc/%d/fd/%d" % (t.pid, fd))))
    t.send_signal(signal.SIGINT)
    check(t.wait(timeout=20) == 0, "--listen >&- 2>&-: rc %d" % t.returncode)
    check(json_last(read(tmp("l.json")))["pid"] == -1, "--output after --listen")
    print("ok closed fds 0-2: --output, --listen and report behave")


def try_scrape(port):
    try:
        return scrape(port)
    except OSError:
        return ""




def trace_lib_run(fl_args, rec_env_dir, n=100):
    """flushlat FL_ARGS (tracing every process) while a flush_recorder_so loading its
    library from rec_env_dir does n flushes; returns (samples, stderr)."""
    err = tmp("lib.err")
    t = start_tracer(fl_args + ["--format", "json"], err)
    env = dict(os.environ, LD_LIBRARY_PATH=rec_env_dir)
    p = run([rec("flush_recorder_so"), "--flushes", str(n), "--no-sync"], env=env)
    check(p.returncode == 0, "recorder rc %d %s" % (p.returncode, p.stderr))
    t.send_signal(signal.SIGINT)
    out, _ = t.communicate(timeout=20)
    check(t.returncode == 0, "tracer rc %d %s" % (t.returncode, read(err)))
    return mfl(json_last(out))["samples"], read(err)


def case_same_file():
    """The same file reached by several paths (bind mount, hard link, symlink, -p + --lib,
    -- CMD + --lib, -b + --lib) is attached once: every flush counted once."""
    env = dict(os.environ)  # its own TMP on /tmp, as this one's
    env.pop("TMPDIR") if ORIG_TMPDIR is None else env.update(TMPDIR=ORIG_TMPDIR)
    p = run(["unshare", "-m", sys.executable, os.path.abspath(__file__), BIN, "same_file_ns"],
            timeout=170, env=env)
    sys.stdout.write(p.stdout)
    check(p.returncode == 0, "in a private mount namespace: rc %d %s" % (p.returncode,
                                                                       p.stderr[-500:]))


def case_same_file_ns():
    """(run by same_file inside unshare -m: its bind mount vanishes with the namespace)"""
    check(run(["mount", "--make-rprivate", "/"]).returncode == 0, "mount --make-rprivate")
    libdir = os.path.dirname(LIB)
    bind = tmp("bind")
    os.mkdir(bind)
    check(run(["mount", "--bind", libdir, bind]).returncode == 0 and
          run(["mount", "-o", "remount,bind,ro", bind]).returncode == 0, "read-only bind mount")
    try:
        same_file_checks(libdir, bind)
    finally:
        run(["umount", bind])


def same_file_checks(libdir, bind):
    hl = tmp("hl")
    os.mkdir(hl)
    import shutil
    shutil.copy(LIB, os.path.join(hl, "libflashstrike.so"))
    os.link(os.path.join(hl, "libflashstrike.so"), os.path.join(hl, "hardlink.so"))
    os.symlink(os.path.join(hl, "libflashstrike.so"), os.path.join(hl, "symlink.so"))
    hlib = os.path.join(hl, "libflashstrike.so")
    blib = os.path.join(bind, "libflashstrike.so")
    for name, args, envdir in (
            ("bind mount", ["--lib", LIB, "--lib", blib], bind),
            ("hard link and symlink", ["--lib", hlib, "--lib", os.path.join(hl, "hardlink.so"),
                                       "--lib", os.path.join(hl, "symlink.so")], hl),
            ("-b + --lib", ["-b", blib, "--lib", LIB], libdir)):
        n, err = trace_lib_run(args, envdir)
        check(n == 100, "%s: %d samples for 100 flushes: %s" % (name, n, err))
        check("in 1 file" in err, "%s: %s" % (name, err))
        print("ok %s: attached once, 100 flushes counted once" % name)
    # -p: the process maps the library through the bind mount, --lib names the original
    log = tmp("p.log")
    env = dict(os.environ, LD_LIBRARY_PATH=bind)
    # the semaphore flips when the start probe is attached: give the done probe time too
    # (50 ms were not enough on a loaded machine: 87 of 100 flushes seen)
    r = subprocess.Popen([rec("flush_recorder_so"), "--wait-for-tracer=20", "--tracer-grace-ms",
                          "1500", "--flushes", "100", "--no-sync", "--log-durations", log],
                         env=env, stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    p = run([FL, "-p", str(r.pid), "--lib", LIB, "--format", "json"])
    r.wait(timeout=30)
    check(p.returncode == 0 and "in 1 file" in p.stderr, "-p + --lib: %s" % p.stderr)
    exact(json_last(p.stdout), durations(log), "-p + --lib")
    # -- CMD loading the library through the bind mount, --lib the original
    log = tmp("c.log")
    p = run([FL, "--lib", LIB, "--format", "json", "--output", tmp("c.json"), "--",
             rec("flush_recorder_so"), "--flushes", "100", "--no-sync", "--log-durations", log],
            env=env)
    check(p.returncode == 0 and "in 1 file" in p.stderr, "-- CMD + --lib: %s" % p.stderr)
    exact(json_last(read(tmp("c.json"))), durations(log), "-- CMD + --lib")
    print("ok -p + --lib and -- CMD + --lib through a bind mount: exact")
    # overlayfs: one file under two mounts, two device numbers: warned about
    mounts = []
    for m in ("o1", "o2"):
        for sub in ("u", "w", "m"):
            os.makedirs(tmp("%s/%s" % (m, sub)))
        check(run(["mount", "-t", "overlay", "fl-" + m, "-o", "lowerdir=%s,upperdir=%s,workdir=%s"
                   % (libdir, tmp(m + "/u"), tmp(m + "/w")), tmp(m + "/m")]).returncode == 0,
              "overlay mount")
        mounts.append(tmp(m + "/m"))
    try:
        p = run([FL, "--lib", os.path.join(mounts[0], "libflashstrike.so"), "--lib",
                 os.path.join(mounts[1], "libflashstrike.so"), "--duration", "0.2"])
        check(p.returncode == 0 and "may be one file seen through overlayfs" in p.stderr,
              "overlayfs: %s" % p.stderr)
    finally:
        for m in mounts:
            run(["umount", m])
    print("ok overlayfs: the same file under two mounts is warned about")


def case_pid_replaced():
    """-p on a process whose executable or library was deleted or replaced on disk: attached
    through the mapping itself (the old inode), never through the path (another file)."""
    import shutil
    d = tmp("r")
    scenarios, runs = [], []
    for how in ("exe deleted", "exe replaced", "lib deleted", "lib replaced"):
        sd = os.path.join(d, how.replace(" ", "_"))
        os.makedirs(sd + "/lib")
        exe = os.path.join(sd, "rec")
        lib = os.path.join(sd, "lib", "libflashstrike.so")
        shutil.copy(rec("flush_recorder_so" if how.startswith("lib") else "flush_recorder"), exe)
        shutil.copy(LIB, lib)
        log = tmp("log-" + how.replace(" ", "_"))
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(sd, "lib"))
        r = subprocess.Popen([exe, "--seconds", "60", "--rate", "400", "--no-sync",
                              "--log-durations", log], env=env, stdout=subprocess.DEVNULL)
        runs.append((how, exe, lib, log, r))
    for how, exe, lib, log, r in runs:  # the files are mapped before they change on disk
        wait_mapped(r.pid, "libflashstrike" if how.startswith("lib") else "rec")
    tracers = []
    for how, exe, lib, log, r in runs:
        victim = lib if how.startswith("lib") else exe
        if how.endswith("deleted"):
            os.unlink(victim)
        else:  # a deploy: a different file renamed over the path
            other = rec("flush_recorder_nosem") if victim == exe else \
                os.path.join(os.path.dirname(LIB), "libflashstrike_nosem.so")
            shutil.copy(other, victim + ".new")
            os.rename(victim + ".new", victim)
        # traced until the recorder exits, which it does once it has flushed while traced:
        # the count depends neither on how fast attach is nor on a fixed run length
        tracers.append(start_tracer(["-p", str(r.pid), "--format", "json"],
                                    tmp("e-" + how.replace(" ", "_"))))
    for (how, exe, lib, log, r), t in zip(runs, tracers):
        n = lines(log) if os.path.exists(log) else 0
        wait_for(lambda: os.path.exists(log) and lines(log) > n + 100, 30,
                 "%s: flushes while traced" % how)
        r.send_signal(signal.SIGTERM)
        check(r.wait(timeout=30) == 0, "%s: recorder rc %d" % (how, r.returncode))
        out, _ = t.communicate(timeout=30)
        err = read(tmp("e-" + how.replace(" ", "_")))
        check(t.returncode == 0, "%s: rc %d %s" % (how, t.returncode, err))
        snap = json_last(out)
        check(mfl(snap)["samples"] > 50, "%s: only %d samples" % (how, mfl(snap)["samples"]))
        check(find_window(durations(log), mfl(snap)) >= 0, "%s: no log window matches %s" %
              (how, mfl(snap)))
        scenarios.append("%s: %d" % (how, mfl(snap)["samples"]))
    print("ok -p after the file changed on disk: " + ", ".join(scenarios))


def case_odd_files():
    """A FIFO, a device, a socket or a directory as -b, --lib or -- CMD: one line, exit 1,
    at once (never blocked in open(), whatever --duration says)."""
    import socket as so
    fifo = tmp("fifo")
    os.mkfifo(fifo)
    os.chmod(fifo, 0o755)
    sock = tmp("sock")
    s = so.socket(so.AF_UNIX)
    s.bind(sock)
    d = tmp("dir")
    os.mkdir(d)
    cases = []
    for path, why in ((fifo, "not a regular file"), ("/dev/null", "not a regular file"),
                      (sock, "not a regular file"), (d, "Is a directory")):
        cases += [(["-b", path], "cannot read %s: %s" % (path, why)),
                  (["--lib", path, "-b", rec()], "--lib %s: %s" % (path, why)),
                  (["--lib", path], "--lib %s: %s" % (path, why)),
                  (["--", path], "not an executable file: %s" % path)]
    for args, msg in cases:
        start = time.time()
        p = run([FL, "--duration", "1"] + args, timeout=10)
        check(p.returncode == 1 and msg in p.stderr and p.stderr.count("\n") == 1,
              "%s: rc %d %r" % (args, p.returncode, p.stderr))
        check(time.time() - start < 5, "%s took %.1f s" % (args, time.time() - start))
    s.close()
    # an --output FIFO with a reader works
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE, text=True)
    time.sleep(0.1)
    p = run([FL, "--format", "json", "--output", fifo, "--", rec(), "--flushes", "7", "--no-sync"])
    out, _ = reader.communicate(timeout=10)
    check(p.returncode == 0 and mfl(json_last(out))["samples"] == 7, "FIFO output: %s" % p.stderr)
    print("ok %d odd files refused at once; a FIFO --output with a reader works" % len(cases))



def caps(pid, tid=None):
    path = "/proc/%d/task/%d/status" % (pid, tid) if tid else "/proc/%d/status" % pid
    st = dict(l.split(":\t") for l in read(path).splitlines() if ":\t" in l)
    return {k: int(st[k], 16) for k in ("CapEff", "CapPrm", "CapInh", "CapAmb")}


def as_user(uid, capset, args):
    c = "-all" + "".join(",+" + x for x in capset)
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
            "--inh-caps=" + c, "--ambient-caps=" + c] + args


CAP_SYS_ADMIN, CAP_SYS_PTRACE = 21, 19


def case_privileges():
    """What this kernel requires (CAP_SYS_ADMIN for uprobes) is checked first; -p on another
    user's process says CAP_SYS_PTRACE; CMD runs with the capabilities flushlat was started
    with, flushlat itself keeps none once attached."""
    os.chmod(TMP, 0o711)
    pub = tmp("pub")
    os.mkdir(pub)
    os.chmod(pub, 0o777)
    p = run(as_user(2001, ["bpf", "perfmon"], [FL, "--output", tmp("o"), "-b", rec()]))
    check(p.returncode == 1 and "missing capabilities: CAP_SYS_ADMIN" in p.stderr and
          "CAP_BPF and CAP_PERFMON are not enough" in p.stderr and
          p.stderr.count("\n") == 1, "BPF+PERFMON: rc %d %s" % (p.returncode, p.stderr))
    check(not os.path.exists(tmp("o")), "--output created")
    print("ok CAP_BPF+CAP_PERFMON: refused before attaching: " + p.stderr.strip())
    # CAP_SYS_ADMIN alone is enough; CMD gets it too (flushlat's own starting set), flushlat
    # keeps nothing once attached
    for uid, capset, want_cmd in ((2001, ["sys_admin"], 1 << CAP_SYS_ADMIN),
                                  (0, None, caps(os.getpid())["CapEff"])):
        log = os.path.join(pub, "c%d.log" % uid)
        args = [FL, "--format", "json", "--"] + slow_cmd(log, 0, 0)
        t = subprocess.Popen(as_user(uid, capset, args) if capset else args,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        cmd = child_pid(t.pid)
        wait_for(lambda: os.path.exists(log) and lines(log) > 5, 10, "CMD flushing")
        c, f = caps(cmd), caps(t.pid)
        t.send_signal(signal.SIGINT)
        out, err = t.communicate(timeout=20)
        check(t.returncode == 0, "uid %d: rc %d %s" % (uid, t.returncode, err))
        check(c["CapEff"] == want_cmd, "uid %d: CMD CapEff %x, want %x" % (uid, c["CapEff"],
                                                                         want_cmd))
        check(f["CapEff"] == 0 and f["CapPrm"] == 0, "uid %d: flushlat kept %s" % (uid, f))
        check(mfl(json_last(err))["samples"] == lines(log), "uid %d: samples" % uid)
        print("ok uid %d: CMD CapEff %x (flushlat's start), flushlat CapEff 0 CapPrm 0" %
              (uid, c["CapEff"]))
    # -p on another user's process: CAP_SYS_PTRACE, named
    r = subprocess.Popen([rec(), "--seconds", "60", "--rate", "300", "--no-sync"],
                         stdout=subprocess.DEVNULL)
    p = run(as_user(2001, ["sys_admin"], [FL, "-p", str(r.pid), "--duration", "0.5"]))
    check(p.returncode == 1 and "needs CAP_SYS_PTRACE" in p.stderr and
          "no USDT probes" not in p.stderr, "-p root process: %s" % p.stderr)
    print("ok -p another user's process: " + p.stderr.strip())
    p = run(as_user(2001, ["sys_admin", "sys_ptrace"], [FL, "-p", str(r.pid), "--duration", "0.5",
                                                        "--format", "json"]))
    r.kill()
    r.wait()
    check(p.returncode == 0 and mfl(json_last(p.stdout))["samples"] > 0,
          "with CAP_SYS_PTRACE: %s" % p.stderr)
    print("ok with CAP_SYS_ADMIN+CAP_SYS_PTRACE it traces another user's process")



def case_hostile_names():
    """A process name (and path) that is not valid UTF-8, with control characters, quotes and
    backslashes: every output stays valid (promtool-clean /metrics, strict UTF-8 JSON and
    text, one-line messages); bad user-given label values are refused at start-up."""
    import shutil
    name = b"r\xff\"\\\x1b[1m\xc3(\n"
    d = os.fsencode(tmp("h"))
    os.mkdir(d)
    path = os.path.join(d, name)
    shutil.copy(rec(), path)
    port = free_port()
    errp = tmp("e")
    t = subprocess.Popen([os.fsencode(FL), b"-b", path, b"--listen", b"127.0.0.1:%d" % port,
                          b"--interval", b"0.2", b"--format", b"json"],
                         stdout=subprocess.PIPE, stderr=open(errp, "w"))
    wait_for(lambda: "attached" in read(errp) or t.poll() is not None, 20, "attach")
    rs = [subprocess.Popen([path, "--seconds", "3", "--rate", "200", "--no-sync"],
                           stdout=subprocess.DEVNULL) for _ in range(2)]
    time.sleep(1.0)
    body = urllib_get(port)
    pc = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    check(pc.returncode == 0, "promtool: %s %s" % (pc.stdout, pc.stderr))
    text = body.decode("utf-8")  # strict
    check('comm="r?\\"\\\\?[1m?(?"' in text, "comm label: %s" %
          [l for l in text.splitlines() if "comm=" in l][:2])
    for r in rs:
        r.wait(timeout=20)
    t.send_signal(signal.SIGINT)
    out, _ = t.communicate(timeout=20)
    check(t.returncode == 0, "rc %d" % t.returncode)
    snaps = [json.loads(l.decode("utf-8")) for l in out.splitlines()]
    comms = {p["comm"] for s in snaps for p in s["processes"]}
    check(comms == {'r?"\\?[1m?(?'}, "JSON comms %s" % comms)
    err = open(errp, "rb").read()
    check(err.count(b"\n") == 1 and b"\x1b" not in err, "stderr %r" % err)
    # text output too
    p = subprocess.run([FL, "-b", path, "--duration", "1.5"], capture_output=True)
    check(p.returncode == 0, "text rc %d" % p.returncode)
    p.stdout.decode("utf-8")
    # user-given labels: refused at start-up, one printable line
    for args, msg in ((["--label-set", b"host=a\xffb"], "byte 2 of the value is not valid UTF-8"),
                      (["--label", b"a\nb"], "byte 2 is a control character"),
                      (["--label", b"\xc0\xaf"], "byte 1 is not valid UTF-8")):
        p = subprocess.run([FL] + args + ["-b", rec()], capture_output=True)
        check(p.returncode == 2 and msg in p.stderr.decode("utf-8") and
              p.stderr.count(b"\n") == 1, "%s: rc %d %r" % (args, p.returncode, p.stderr))
    print("ok hostile process name: /metrics promtool-clean, JSON and text valid UTF-8")


def urllib_get(port, path="/metrics"):
    import urllib.request
    return urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5).read()



def case_consistent_snapshots():
    """Snapshots taken while flushes pour in (cumulative and --delta, -b with recorders in a
    tight loop): every line flushlat writes is consistent (histogram total == samples) and
    passes `flushlat report`'s validation."""
    for mode in ([], ["--delta"]):
        t = start_tracer(["-b", rec(), "--interval", "0.02", "--format", "json"] + mode, tmp("e"))
        rs = [subprocess.Popen([rec(), "--spin", "300000", "--writers", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
              subprocess.Popen([rec(), "--seconds", "1", "--no-sync"], stdout=subprocess.DEVNULL)]
        for r in rs:
            r.wait(timeout=60)
        t.send_signal(signal.SIGINT)
        out, _ = t.communicate(timeout=20)
        check(t.returncode == 0, "rc %d %s" % (t.returncode, read(tmp("e"))))
        snaps = [l for l in out.splitlines() if l.startswith("{")]
        check(len(snaps) > 20, "only %d snapshots" % len(snaps))
        for i, l in enumerate(snaps):
            sn = json.loads(l)
            total = sum(c for _, c in sn["histogram"])
            check(total == mfl(sn)["samples"], "line %d: histogram %d, samples %d" %
                  (i, total, mfl(sn)["samples"]))
        for i in (0, len(snaps) // 3, len(snaps) // 2, len(snaps) - 1):
            with open(tmp("line.json"), "w") as f:
                f.write(snaps[i] + "\n")
            p = run([FL, "report", tmp("line.json")])
            check(p.returncode == 0, "report of line %d: %s" % (i, p.stderr))
        print("ok %s: %d snapshots under load, each consistent" % (mode or "cumulative", len(snaps)))



class Hostile:
    """n clients holding connections: each sends a partial request, then (trickle) one more
    header line every `every` s; with reconnect, it reconnects when the server closes it."""

    def __init__(self, port, n, trickle=False, reconnect=False, every=0.5):
        import threading
        self.port, self.trickle, self.reconnect, self.every = port, trickle, reconnect, every
        self.socks, self.closed, self.stop = [], 0, False
        for _ in range(n):
            self.socks.append(self.conn())
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def conn(self):
        import socket
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        return s

    def loop(self):
        import select
        nxt = time.time() + self.every
        while not self.stop:
            r, _, _ = select.select(self.socks, [], [], 0.05) if self.socks else ([], [], [])
            for s in r:
                try:
                    d = s.recv(4096)
                except OSError:
                    d = b""
                if not d:
                    self.closed += 1
                    self.socks.remove(s)
                    s.close()
                    if self.reconnect:
                        try:
                            self.socks.append(self.conn())
                        except OSError:
                            pass
            if self.trickle and time.time() >= nxt:
                nxt = time.time() + self.every
                for s in list(self.socks):
                    try:
                        s.sendall(b"X-T: y\r\n")
                    except OSError:
                        pass

    def close(self):
        self.stop = True
        self.thread.join()
        for s in self.socks:
            s.close()


def case_http_hostile():
    """Clients that trickle header lines, more connections than the limit reconnecting
    for ever, idle partial requests: a normal scrape is still answered, and shutdown does
    not wait for them."""
    port = free_port()
    t = start_tracer(["-b", rec(), "--listen", "127.0.0.1:%d" % port], tmp("e"))
    for name, kw, n in (("40 tricklers", dict(trickle=True), 40),
                        ("300 reconnecting tricklers", dict(trickle=True, reconnect=True), 300)):
        h = Hostile(port, n, **kw)
        time.sleep(1.5)
        for _ in range(3):
            body = urllib_get(port)  # a 5 s timeout: never reached
            check(b"flushlat_meta_flush_duration_seconds_count" in body, "scrape: %r" % body[:200])
        check(h.closed >= min(n, 40), "%s: the server closed only %d" % (name, h.closed))
        h.close()
        print("ok %s: scrapes answered, %d of them shut down" % (name, h.closed))
    h = Hostile(port, 40)
    time.sleep(0.3)
    start = time.time()
    t.send_signal(signal.SIGTERM)
    out, _ = t.communicate(timeout=20)
    took = time.time() - start
    h.close()
    check(t.returncode == 0 and "samples=" in out, "rc %d" % t.returncode)
    check(took < 3, "shutdown took %.1f s with 40 idle clients" % took)
    print("ok shutdown with 40 idle partial requests: %.2f s" % took)



def case_deploy():
    """-b PATH follows PATH across deploys (rename over it, install(1), a slow writer, a file
    without probes and back, a rewrite in place, a symlink switched): every flush of every
    run is counted, a process still running the old file stays counted, the old file is let
    go once no process runs it, and the server threads hold no capability."""
    import shutil
    d = tmp("d")
    os.mkdir(d)
    path = os.path.join(d, "rec")
    shutil.copy(rec(), path)
    port = free_port()
    errp = tmp("e")
    t = start_tracer(["-b", path, "--format", "json", "--listen", "127.0.0.1:%d" % port], errp)
    want = 0

    def flushes(n, exe=path):
        nonlocal want
        p = run([exe, "--flushes", str(n), "--no-sync"])
        check(p.returncode == 0, "recorder rc %d %s" % (p.returncode, p.stderr))
        want += n

    def said(text, count):
        wait_for(lambda: read(errp).count(text) >= count, 10, "%r x%d in %r" % (text, count,
                                                                              read(errp)))

    attached = "was replaced: attached to the new file"
    flushes(30)
    shutil.copy(rec(), path + ".tmp")  # 1. a new file renamed over the path
    os.rename(path + ".tmp", path)
    said(attached, 1)
    flushes(40)
    check(run(["install", "-m", "755", rec(), path]).returncode == 0, "install")  # 2. install(1)
    said(attached, 2)
    flushes(20)
    os.unlink(path)  # 3. a slow writer: half a file for 0.6 s
    data = open(rec(), "rb").read()
    with open(path, "wb") as f:
        f.write(data[:len(data) // 2])
        f.flush()
        time.sleep(0.6)
        f.write(data[len(data) // 2:])
    os.chmod(path, 0o755)
    said(attached, 3)
    check("cannot be traced" not in read(errp), "a half-written file was judged: " + read(errp))
    flushes(25)
    shutil.copy("/bin/true", path + ".tmp")  # 4. a file without probes, and back
    os.rename(path + ".tmp", path)
    said("was replaced by a file that cannot be traced (no flashstrike USDT probes)", 1)
    with open(path + ".tmp", "w") as f:  # and a script: no ELF at all
        f.write("#!/bin/sh\nexit 0\n")
    os.rename(path + ".tmp", path)
    said("was replaced by a file that cannot be traced (not an ELF file)", 1)
    shutil.copy(rec(), path + ".tmp")
    os.rename(path + ".tmp", path)
    said(attached, 4)
    flushes(15)
    ino = os.stat(path).st_ino  # 5. rewritten in place (another build: other offsets)
    shutil.copyfile(rec("flush_recorder_nosem"), path)
    check(os.stat(path).st_ino == ino, "not in place")
    said("was rewritten in place: probes attached at its new offsets", 1)
    flushes(35)
    os.utime(path)  # touch(1): nothing to do, nothing missed
    time.sleep(0.5)
    flushes(5)
    check(read(errp).count("rewritten in place") == 1, "touch re-attached: " + read(errp))
    log = tmp("old.log")  # 6. a process of the old file keeps running across a deploy
    old = subprocess.Popen([path, "--seconds", "2", "--rate", "200", "--no-sync",
                            "--log-durations", log], stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    shutil.copy(rec(), path + ".tmp")
    os.rename(path + ".tmp", path)
    said(attached, 5)
    flushes(10)
    check(old.wait(timeout=20) == 0, "old recorder rc %d" % old.returncode)
    want += lines(log)
    said("no process runs the replaced %s any more: detached from it" % path, 1)
    # the server's threads hold nothing; the main thread keeps what attaching takes, permitted only
    tids = [int(x) for x in os.listdir("/proc/%d/task" % t.pid) if int(x) != t.pid]
    check(tids, "no server threads")
    for tid in tids:
        c = caps(t.pid, tid)
        check(c["CapEff"] == 0 and c["CapPrm"] == 0, "thread %d holds %s" % (tid, c))
    c = caps(t.pid)
    check(c["CapEff"] == 0 and c["CapPrm"] & (1 << CAP_SYS_ADMIN) and c["CapInh"] == 0 and
          c["CapAmb"] == 0, "main thread %s" % c)
    body = urllib_get(port).decode()
    t.send_signal(signal.SIGINT)
    out, _ = t.communicate(timeout=20)
    check(t.returncode == 0, "rc %d %s" % (t.returncode, read(errp)))
    got = mfl(json_last(out))["samples"]
    check(got == want, "%d samples, %d flushes ran" % (got, want))
    check("flushlat_meta_flush_duration_seconds_count" in body, "/metrics")
    print("ok -b across 6 kinds of deploy: %d flushes, all counted; old file let go" % want)
    # a symlink switched above the file (current -> release-N)
    for r in ("r1", "r2"):
        os.makedirs(os.path.join(d, r))
        shutil.copy(rec(), os.path.join(d, r, "rec"))
    os.symlink("r1", os.path.join(d, "current"))
    path = os.path.join(d, "current", "rec")
    errp = tmp("e2")
    t = start_tracer(["-b", path, "--format", "json"], errp)
    flushes(20, path)
    os.symlink("r2", os.path.join(d, "current.new"))
    os.rename(os.path.join(d, "current.new"), os.path.join(d, "current"))
    said(attached, 1)
    flushes(30, path)
    t.send_signal(signal.SIGINT)
    out, _ = t.communicate(timeout=20)
    check(mfl(json_last(out))["samples"] == 50, "symlink switch: %s" % mfl(json_last(out)))
    print("ok a symlink switched above the file: followed")
# ---- the flush anatomy (--breakdown, --slow, --top, --stuck, --folded) ------

def fs_type(path):
    """The file system type of the mount holding path (longest mount point prefix)."""
    best, typ = "", "?"
    for l in read("/proc/mounts").splitlines():
        dev, mnt, t = l.split()[:3]
        if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
            best, typ = mnt, t
    return typ


WAL = None


def waldir(name):
    """A directory on a real disk (not tmpfs) for fsync-mode recorders."""
    global WAL
    if WAL is None:
        WAL = tempfile.mkdtemp(prefix="flushlat-e2e-wal-", dir="/var/tmp")
        check(fs_type(WAL) not in ("tmpfs", "ramfs", "?"),
              "/var/tmp is %s: the anatomy tests need real disk I/O" % fs_type(WAL))
    return os.path.join(WAL, name)


def snapshots_until(t, pred, what, timeout=30):
    """The lines tracer t (--interval, --format json, stdout a pipe) writes until a snapshot
    for which pred holds (records are passed over)."""
    got, end = [], time.time() + timeout
    while True:
        l = t.stdout.readline()
        check(l, "the tracer stopped writing before %s" % what)
        check(time.time() < end, "no %s in %d s" % (what, timeout))
        got.append(l)
        o = json.loads(l) if l.startswith("{") else {}
        if o and "type" not in o and pred(o):
            return got


def split_json(text):
    """(records, snapshots) of a --format json stream."""
    recs, snaps = [], []
    for l in text.splitlines():
        if l.startswith("{"):
            o = json.loads(l)
            (recs if "type" in o else snaps).append(o)
    return recs, snaps


def anat_run(fl_args, rec_args, timeout=120, recorder="flush_recorder"):
    """flushlat FL_ARGS --format json -- recorder REC_ARGS: (records, snapshots, process)."""
    out = tmp("anat.json")
    p = run([FL, "--format", "json", "--output", out] + fl_args + ["--", rec(recorder)] + rec_args,
            timeout=timeout)
    check(p.returncode == 0, "flushlat %s: rc %d %s" % (fl_args, p.returncode, p.stderr[-400:]))
    recs, snaps = split_json(read(out))
    check(snaps, "no snapshot")
    return recs, snaps, p


def comps(b):
    return {k: v["total_ns"] for k, v in b["components"].items()}


def check_sum(r, what):
    """The four components of one flush add up to its wall time (1% or 2 us)."""
    s = sum(c["total_ns"] for c in r["components"].values())
    tol = max(r["wall_ns"] // 100, 2000)
    check(abs(s - r["wall_ns"]) <= tol, "%s: components %d != wall %d (tol %d): %s" %
          (what, s, r["wall_ns"], tol, r))
    off = s - r["components"]["on_cpu"]["total_ns"]
    soff = sum(v["off_cpu_ns"] for v in r["syscalls"].values())
    check(soff == off, "%s: off-CPU time by system call %d != runq+io+sleep %d" % (what, soff, off))
    return abs(s - r["wall_ns"])


def case_breakdown_sum():
    """--breakdown: on_cpu + runq + io + sleep equal each flush's wall time, per flush (--slow 0
    records) and in aggregate; every record and the aggregate agree (real ext4 fsync flushes)."""
    n = 150
    log = tmp("d")
    recs, snaps, _ = anat_run(["--breakdown", "--slow", "0"],
                              ["--flushes", str(n), "--dir", waldir("sum"), "--log-durations", log])
    durs = durations(log)
    check(len(recs) == len(durs) == n, "%d records, %d logged, want %d" % (len(recs), len(durs), n))
    check(sorted(r["duration_ns"] for r in recs) == sorted(durs), "record durations != the log's")
    worst = max(check_sum(r, "flush %d" % r["start_ns"]) for r in recs)
    final = snaps[-1]
    b = final["breakdown"]
    check(b["flushes"] == n and b["cross_thread"] == 0, "breakdown %s" % b)
    tot = comps(b)
    check(b["wall_ns"] == sum(r["wall_ns"] for r in recs), "aggregate wall != records'")
    for k, v in tot.items():
        check(v == sum(r["components"][k]["total_ns"] for r in recs),
              "aggregate %s %d != the records' sum" % (k, v))
        hist = sum(c for _, c in b["components"][k]["histogram"])
        check(hist == n, "%s histogram holds %d of %d flushes" % (k, hist, n))
    check(abs(sum(tot.values()) - b["wall_ns"]) <= n * 2000, "aggregate components %s vs wall %d" %
          (tot, b["wall_ns"]))
    check(final["slow_flushes"] == n and final["slow_dropped"] == 0, "slow counters %s" % final)
    check(b["slow"]["flushes"] == n and b["slow"]["basis"] == "slow", "--slow 0 tail %s" % b["slow"])
    check(tot["io"] > 0, "fsync flushes blocked on no I/O: %s" % tot)
    print("ok %d flushes: components add up (max error %d ns), wall %.1f ms, %s" %
          (n, worst, b["wall_ns"] / 1e6, {k: "%.1f%%" % (100.0 * v / b["wall_ns"]) for k, v in tot.items()}))


def case_breakdown_io():
    """fsync mode: io is the blocked time and fdatasync/fsync dominate the calls; --no-sync:
    those calls are absent.  Exact call counts with --syscalls."""
    n = 80
    _, snaps, _ = anat_run(["--breakdown", "--syscalls"], ["--flushes", str(n), "--dir", waldir("io")])
    b = snaps[-1]["breakdown"]
    sc, tot = b["syscalls"], comps(b)
    check(b["syscalls_method"] == "hooks", "method %s" % b["syscalls_method"])
    for name in ("fdatasync", "fsync", "openat", "rename", "close"):
        check(sc[name]["count"] == n, "%s: %d calls in %d flushes" % (name, sc[name]["count"], n))
    check(sc["write"]["count"] >= n, "write: %d calls" % sc["write"]["count"])
    check(tot["io"] > 0 and tot["io"] >= 0.9 * (tot["io"] + tot["sleep"]),
          "blocked time is not I/O: %s" % tot)
    sync = sc["fdatasync"]["total_ns"] + sc["fsync"]["total_ns"]
    calls = sum(v["total_ns"] for k, v in sc.items() if k not in ("other", "none"))
    check(sync >= 0.5 * calls, "fdatasync+fsync %d ns of %d ns in the flush's calls" % (sync, calls))
    check(sc["fdatasync"]["blocked"] + sc["fsync"]["blocked"] >= n,
          "fdatasync/fsync blocked only %d times" % (sc["fdatasync"]["blocked"] + sc["fsync"]["blocked"]))
    print("ok fsync: io %.1f%% of wall, fdatasync+fsync %.0f%% of the time in calls" %
          (100.0 * tot["io"] / b["wall_ns"], 100.0 * sync / calls))
    for extra in (["--syscalls"], []):
        _, snaps, _ = anat_run(["--breakdown"] + extra, ["--flushes", str(n), "--no-sync"])
        sc = snaps[-1]["breakdown"]["syscalls"]
        for name in ("fdatasync", "fsync"):
            check(sc[name]["count"] == 0 and sc[name]["off_cpu_ns"] == 0,
                  "--no-sync %s: %s" % (extra, sc[name]))
        if extra:
            check(sc["rename"]["count"] == n, "--no-sync renames %s" % sc["rename"])
    print("ok --no-sync: no fdatasync, no fsync")


def runq_per_flush(hog):
    """runq per flush of a recorder pinned to CPU 0 (flushlat itself is not pinned)."""
    h = None
    if hog:  # running before the recorder: its whole run is under it, however slow attach is
        h = subprocess.Popen(["taskset", "-c", "0", "nice", "-n", "-20", "sh", "-c",
                              "while :; do :; done"])
        STARTED.append(h)
    # Pinned before exec (not taskset: -p must see the recorder, not taskset, at once).  Each
    # flush sleeps 1 ms between its probes (--hold-flush): it wakes up inside its span and,
    # with the hog, waits there for the CPU.  A flush that only computes for a few us is
    # rarely preempted: its runq depended on luck, hog or not.
    r = subprocess.Popen([rec(), "--wait-for-tracer=20", "--seconds", "1", "--rate", "500",
                          "--hold-flush", "1", "--no-sync"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, preexec_fn=lambda: os.sched_setaffinity(0, {0}))
    STARTED.append(r)
    t = start_tracer(["-p", str(r.pid), "--breakdown", "--format", "json"], tmp("rq.err"))
    try:
        r.wait(timeout=60)
        out, _ = t.communicate(timeout=60)
    finally:
        if h:
            h.kill()
            h.wait()
    check(t.returncode == 0 and r.returncode == 0, "rc %d/%d %s" % (t.returncode, r.returncode,
                                                              read(tmp("rq.err"))[-300:]))
    b = split_json(out)[1][-1]["breakdown"]
    check(b["flushes"] > 0, "no flushes")
    return comps(b)["runq"] / b["flushes"], b


def case_breakdown_runq():
    """A CPU hog pinned to the flush thread's CPU raises runq well above a run without it."""
    without, _ = runq_per_flush(False)
    with_hog, b = runq_per_flush(True)
    check(with_hog >= 4 * without, "runq per flush %.0f ns with a hog vs %.0f ns without" %
          (with_hog, without))
    awake = b["wall_ns"] - comps(b)["sleep"]  # the held 1 ms aside
    check(comps(b)["runq"] >= 0.5 * awake, "with the hog runq is only %s of %d ns awake" %
          (comps(b)["runq"], awake))
    print("ok runq per flush %.1f us without, %.1f us with a hog (%.0fx)" %
          (without / 1e3, with_hog / 1e3, with_hog / max(without, 1)))


def sysck_run(extra, n, name):
    """flushlat -p (--breakdown EXTRA) and the independent sysck on one recorder run."""
    r = subprocess.Popen([rec(), "--wait-for-tracer=30", "--flushes", str(n), "--dir", waldir(name)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ck = subprocess.Popen([os.path.join(BIN, "sysck"), str(r.pid)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    STARTED.extend([r, ck])
    check(ck.stderr.readline().strip() == "ready", "sysck did not attach")
    p = run([FL, "-p", str(r.pid), "--breakdown", "--format", "json"] + extra, timeout=120)
    r.wait(timeout=60)
    out, _ = ck.communicate(timeout=30)
    check(p.returncode == 0 and r.returncode == 0, "rc %d/%d %s" % (p.returncode, r.returncode, p.stderr))
    ref = {l.split()[0]: tuple(int(x) for x in l.split()[1:]) for l in out.splitlines()}
    b = split_json(p.stdout)[1][-1]["breakdown"]
    check(b["flushes"] == n, "flushes %d" % b["flushes"])
    return b["syscalls"]["fdatasync"], ref["fdatasync"]


def case_fdatasync_check():
    """fdatasync time agrees with an independent timer of the same run (sysck: its own
    sys_enter/sys_exit and sched_switch programs, its own process): within 10% with the
    syscall hooks (--syscalls); from the switch-outs, which count only the time off CPU,
    within 25% of the independently measured off-CPU time inside fdatasync, and never above
    the call's whole time."""
    n = 60
    mine, (cnt, ref, ref_off) = sysck_run(["--syscalls"], n, "ck1")
    check(cnt == n and mine["count"] == n, "calls: sysck %d, flushlat %d, want %d" % (cnt, mine["count"], n))
    check(abs(mine["total_ns"] - ref) <= 0.10 * ref, "hooks: fdatasync %d ns vs independent %d ns" %
          (mine["total_ns"], ref))
    print("ok --syscalls: fdatasync %.2f ms vs independent %.2f ms (%+.1f%%)" %
          (mine["total_ns"] / 1e6, ref / 1e6, 100.0 * (mine["total_ns"] - ref) / ref))
    mine, (cnt, ref, ref_off) = sysck_run([], n, "ck2")
    check(cnt == n, "sysck counted %d calls" % cnt)
    off = mine["off_cpu_ns"]
    check(abs(off - ref_off) <= 0.25 * ref_off and off <= ref,
          "switch-outs: fdatasync off-CPU %d ns vs independent off-CPU %d ns (whole calls %d ns)" %
          (off, ref_off, ref))
    print("ok switch-outs: fdatasync off-CPU %.2f ms vs independent %.2f ms (%+.1f%%); the calls "
          "took %.2f ms in all (off-CPU: %.0f%%)" % (off / 1e6, ref_off / 1e6,
                                                   100.0 * (off - ref_off) / ref_off, ref / 1e6,
                                                   100.0 * off / ref))


def case_slow_count():
    """--slow T emits exactly one record per logged duration >= T (recorder clock), as the
    snapshot's count says; text records are one line each, under one header."""
    t = 300000
    log = tmp("d")
    recs, snaps, _ = anat_run(["--breakdown", "--slow", "300us"],
                              ["--flushes", "300", "--no-sync", "--log-durations", log])
    want = sorted(d for d in durations(log) if d >= t)
    check(sorted(r["duration_ns"] for r in recs) == want,
          "%d records vs %d logged durations >= %d" % (len(recs), len(want), t))
    final = snaps[-1]
    check(final["slow_flushes"] == len(want) and final["slow_dropped"] == 0, "counters %s" % final)
    check(final["breakdown"]["slow"]["flushes"] == len(want), "tail %s" % final["breakdown"]["slow"])
    for r in recs:
        check_sum(r, "slow record")
        check(r["type"] == "slow_flush" and r["pid"] > 0 and r["tid"] > 0 and r["comm"] and
              r["time_ns"] > 1e18, "record fields %s" % r)
    log2 = tmp("d2")
    p = run([FL, "--slow", "300us", "--output", tmp("s.txt"), "--", rec(), "--flushes", "150",
             "--no-sync", "--log-durations", log2])
    check(p.returncode == 0, "text rc %d" % p.returncode)
    lines = read(tmp("s.txt")).splitlines()
    hdr = [i for i, l in enumerate(lines) if l.startswith("TIME ")]
    n2 = sum(1 for d in durations(log2) if d >= t)
    rows = [l for l in lines if re.match(r"\d\d:\d\d:\d\d\.\d{3} ", l)]
    check(len(rows) == n2 and (len(hdr) == 1 or n2 == 0), "text: %d lines for %d slow flushes, %d headers"
          % (len(rows), n2, len(hdr)))
    check(" Slow flushes (>= 300 us): %d  Records dropped: 0" % n2 in read(tmp("s.txt")), "text counts")
    print("ok --slow 300us: %d and %d records, exactly the logged durations >= 300 us" % (len(recs), n2))


def case_slow_drops():
    """A deliberately tiny ring buffer: records + dropped == slow flushes, and every output
    shows the drops."""
    n = 1000
    recs, snaps, _ = anat_run(["--breakdown", "--slow", "0", "--slow-buffer", "4"],
                              ["--flushes", str(n), "--no-sync"])
    final = snaps[-1]
    check(final["slow_flushes"] == n, "slow flushes %d" % final["slow_flushes"])
    check(final["slow_dropped"] > 0, "no drop with a 4 KiB buffer")
    check(len(recs) + final["slow_dropped"] == n, "%d records + %d dropped != %d" %
          (len(recs), final["slow_dropped"], n))
    p = run([FL, "--slow", "0", "--slow-buffer", "4", "--format", "prometheus", "--", rec(),
             "--flushes", "300", "--no-sync"])
    m = re.search(r"^flushlat_slow_records_dropped_total\{[^}]*\} (\d+)$", p.stderr, re.M)
    check(p.returncode == 0 and m and int(m.group(1)) > 0, "prometheus drops: %s" % p.stderr[-500:])
    print("ok tiny ring buffer: %d records + %d dropped = %d" % (len(recs), final["slow_dropped"], n))


def case_top():
    """--top 5 equals the five largest logged durations."""
    log = tmp("d")
    _, snaps, _ = anat_run(["--top", "5"], ["--flushes", "300", "--no-sync", "--log-durations", log])
    final = snaps[-1]
    want = sorted(durations(log), reverse=True)[:5]
    got = [e["duration_ns"] for e in final["top"]]
    check(got == want, "top %s, want %s" % (got, want))
    pid = final["top"][0]["pid"]
    check(final["top_n"] == 5 and all(e["pid"] == pid > 0 and e["tid"] > 0 and e["start_ns"] > 0
                                      for e in final["top"]), "top entries %s" % final["top"])
    log = tmp("d100")
    _, snaps, _ = anat_run(["--top", "100", "--breakdown"],
                           ["--flushes", "250", "--no-sync", "--log-durations", log])
    want = sorted(durations(log), reverse=True)[:100]
    check([e["duration_ns"] for e in snaps[-1]["top"]] == want, "--top 100 differs from the log")
    p = run([FL, "--top", "3", "--output", tmp("t.txt"), "--", rec(), "--flushes", "50", "--no-sync"])
    check(p.returncode == 0 and " Top 3 flushes (3):" in read(tmp("t.txt")), read(tmp("t.txt")))
    print("ok --top 5: %s; --top 100 exact too" % got)


def case_stuck():
    """--stuck reports a held flush with its age, state and stack before the flush completes."""
    t = subprocess.Popen([FL, "--stuck", "300ms", "--slow", "0", "--interval", "0.2", "--format",
                          "json", "--", rec(), "--flushes", "1", "--hold-flush", "1500", "--no-sync"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err = t.communicate(timeout=60)
    check(t.returncode == 0, "rc %d %s" % (t.returncode, err[-300:]))
    recs, snaps = split_json(err)
    stuck = [r for r in recs if r["type"] == "stuck_flush"]
    slow = [r for r in recs if r["type"] == "slow_flush"]
    check(stuck and len(slow) == 1, "records: %s" % recs)
    first = stuck[0]
    check(300e6 <= first["age_ns"] < 1.5e9, "first report at age %d ns" % first["age_ns"])
    check(first["time_ns"] < slow[0]["time_ns"], "reported after the flush completed")
    check(first["start_ns"] == slow[0]["start_ns"] and first["tid"] == slow[0]["tid"], "not the held flush")
    check(first["state"] == "S" and any("nanosleep" in f for f in first["stack"]),
          "state/stack of a flush held in nanosleep: %s" % first)
    check(len(stuck) >= 3 and [round(s["age_ns"] / 300e6) for s in stuck[:3]] == [1, 2, 3],
          "repeats every 300 ms: %s" % [s["age_ns"] for s in stuck])
    check(any(s.get("stuck_flushes") == 1 for s in snaps) and snaps[-1]["stuck_flushes"] == 0,
          "snapshot stuck counts %s" % [s.get("stuck_flushes") for s in snaps])
    print("ok --stuck: first report at %.0f ms (%s, %s), %d reports before completion" %
          (first["age_ns"] / 1e6, first["state"], first["stack"][0], len(stuck)))


def case_folded():
    """--folded: blocked time by kernel stack, all flushes and the slow ones, in the format
    flamegraph.pl reads; it adds up to the io + sleep components."""
    f = tmp("out.folded")
    recs, snaps, _ = anat_run(["--breakdown", "--slow", "0", "--folded", f],
                              ["--flushes", "60", "--dir", waldir("fold")])
    lines = read(f).splitlines()
    pat = re.compile(r"^(all|slow);(on_cpu|runq|io|sleep);(fdatasync|fsync|rename|openat|write|close|"
                     r"other|none)(;[^; ]+)+ (\d+)$")
    sums = {"all": 0, "slow": 0}
    for l in lines:
        m = pat.match(l)
        check(m, "not a folded line: %r" % l)
        sums[m.group(1)] += int(m.group(5))
    b = snaps[-1]["breakdown"]
    blocked = comps(b)["io"] + comps(b)["sleep"]
    check(sums["all"] == blocked, "folded all %d != io+sleep %d" % (sums["all"], blocked))
    check(sums["slow"] + b["checks"]["fold_lost_ns"] == blocked, "folded slow %d (+%d lost) != %d" %
          (sums["slow"], b["checks"]["fold_lost_ns"], blocked))
    text = read(f)
    check("__x64_sys_fdatasync" in text and "ext4_sync_file" in text, "no fdatasync stack: %s" % text[:500])
    # the call named from the saved registers is the one on the kernel stack
    calls = {"fdatasync": ("fdatasync",), "fsync": ("fsync",), "rename": ("rename", "renameat", "renameat2"),
             "openat": ("open", "openat", "openat2", "creat"), "close": ("close",),
             "write": ("write", "pwrite64", "writev", "pwritev", "pwritev2")}
    agree = 0
    for l in lines:
        sys_name, frames = l.split(";")[2], l.rsplit(" ", 1)[0].split(";")[3:]
        on_stack = [fr[len("__x64_sys_"):] for fr in frames if fr.startswith("__x64_sys_")]
        if "[stack lost]" in frames:
            continue
        if sys_name in calls:
            check(on_stack and on_stack[0] in calls[sys_name], "%s but the stack says %s" % (sys_name, on_stack))
        elif sys_name == "none":
            check(not on_stack, "no call but the stack says %s" % on_stack)
        else:
            check(on_stack and not any(on_stack[0] in v for v in calls.values()),
                  "other but the stack says %s" % on_stack)
        agree += 1
    print("ok --folded: %d lines, %.1f ms blocked, as io+sleep; the call agrees with the stack on %d"
          % (len(lines), blocked / 1e6, agree))


def case_anatomy_outputs():
    """Text, JSON, Prometheus (promtool), report/diff and --fail-if on component metrics; a
    flush completed on another thread is attributed to its starting thread."""
    n = 40
    recs, snaps, _ = anat_run(["--breakdown", "--slow", "1ms", "--stuck", "5s", "--top", "3"],
                              ["--flushes", str(n), "--done-thread", "--no-sync"])
    final = snaps[-1]
    b = final["breakdown"]
    check(b["cross_thread"] == n and all(r.get("done_tid", r["tid"]) != r["tid"] for r in recs),
          "cross-thread: %d of %d" % (b["cross_thread"], n))
    for r in recs:
        check_sum(r, "cross-thread record")
    saved = tmp("anat.json")
    p = run([FL, "report", "--format", "json", saved])
    check(p.returncode == 0 and p.stdout.strip() == read(saved).splitlines()[-1],
          "report does not reproduce the JSON: %s" % p.stderr)
    p = run([FL, "report", saved])
    for want in ("Breakdown of %d flushes" % n, "System calls", "Slow flushes (>= 1.00 ms)",
                 "Stuck flushes", "Top 3 flushes"):
        check(want in p.stdout, "report text lacks %r:\n%s" % (want, p.stdout))
    p = run([FL, "report", "--format", "prometheus", saved])
    pc = subprocess.run(["promtool", "check", "metrics"], input=p.stdout, capture_output=True, text=True)
    check(pc.returncode == 0, "promtool: %s %s" % (pc.stdout, pc.stderr))
    for want in ('flushlat_component_seconds_total{subsystem="wal_meta",component="io"}',
                 'flushlat_syscall_seconds_total{subsystem="wal_meta",method="switch-out",syscall="rename"}',
                 "flushlat_syscall_count_total", "flushlat_slow_flushes_total",
                 "flushlat_slow_records_dropped_total", "flushlat_stuck_flushes",
                 'flushlat_top_flush_duration_seconds{subsystem="wal_meta",rank="1"',
                 "flushlat_slow_component_seconds_total", "flushlat_breakdown_cross_thread_total"):
        check(want in p.stdout, "prometheus lacks %r" % want)
    p = run([FL, "diff", "--fail-if", "io.p99>+20%", saved, saved])
    check(p.returncode == 0 and re.search(r"^io\.p99 ", p.stdout, re.M) and
          re.search(r"^runq\.total ", p.stdout, re.M), "diff: rc %d %s" % (p.returncode, p.stdout))
    args = ["--", rec(), "--flushes", "20", "--no-sync"]
    p = run([FL, "--breakdown", "--fail-if", "on_cpu.p99>1ns"] + args)
    check(p.returncode == 3 and "--fail-if on_cpu.p99>1ns holds: on_cpu.p99 = " in p.stderr,
          "fail-if: rc %d %s" % (p.returncode, p.stderr))
    p = run([FL, "--breakdown", "--fail-if", "io.max>3600s", "--fail-if", "on_cpu.total<1ns"] + args)
    check(p.returncode == 0, "fail-if not holding: rc %d %s" % (p.returncode, p.stderr))
    p = run([FL, "--fail-if", "io.p99>5ms"] + args)
    check(p.returncode == 2 and "measured only with --breakdown" in p.stderr, p.stderr)
    print("ok outputs: report/diff/promtool, --fail-if on components, %d cross-thread flushes" % n)


def case_anatomy_crash():
    """A recorder killed mid-flush: its span is closed when flushlat frees the in-flight slot,
    so the sched_switch filter closes again (open_spans back to 0)."""
    t = start_tracer(["-b", rec(), "--breakdown", "--interval", "0.2", "--format", "json"], tmp("e"))
    r = subprocess.Popen([rec(), "--wait-for-tracer=20", "--flushes", "3", "--hold-flush", "30000",
                          "--no-sync"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    STARTED.append(r)

    def held(s):
        return s["breakdown"]["checks"]["open_spans"] == 1 and s["in_flight"]["count"] == 1

    def closed(s):
        return s["breakdown"]["checks"]["open_spans"] == 0 and s["in_flight"]["count"] == 0
    seen = snapshots_until(t, held, "a snapshot with the held flush open")
    r.kill()
    r.wait()
    seen += snapshots_until(t, closed, "a snapshot after the crash")
    t.send_signal(signal.SIGINT)
    out, _ = t.communicate(timeout=20)
    check(t.returncode == 0, "tracer rc %d %s" % (t.returncode, read(tmp("e"))))
    snaps = split_json("".join(seen) + out)[1]
    opened = [s for s in snaps if s["breakdown"]["checks"]["open_spans"] == 1 and s["in_flight"]["count"] == 1]
    check(opened, "no snapshot saw the held flush open: %s" %
          [(s["breakdown"]["checks"]["open_spans"], s["in_flight"]["count"]) for s in snaps])
    last = snaps[-1]
    check(last["breakdown"]["checks"]["open_spans"] == 0 and last["in_flight"]["count"] == 0,
          "after the crash: open_spans %d, in flight %d" %
          (last["breakdown"]["checks"]["open_spans"], last["in_flight"]["count"]))
    print("ok crashed mid-flush: span closed (open_spans 1 -> 0)")


def case_anatomy_overlap():
    """Flushes overlapping on one thread (50 started, held 300 ms, then completed): each gets
    its own anatomy, adding up to its own wall time; every span closes."""
    n = 50
    recs, snaps, _ = anat_run(["--breakdown", "--slow", "0"], [str(n), "300"], recorder="inflight_flood")
    b = snaps[-1]["breakdown"]
    check(len(recs) == n and b["flushes"] == n, "%d records, %d flushes" % (len(recs), b["flushes"]))
    for r in recs:
        check_sum(r, "overlapping flush")
        check(r["components"]["sleep"]["total_ns"] >= 250e6, "held 300 ms but sleep is %s" % r["components"])
    check(b["checks"]["open_spans"] == 0 and b["checks"]["not_anatomised"] == 0, "checks %s" % b["checks"])
    print("ok %d overlapping flushes on one thread, each adding up" % n)


def case_anatomy_errors():
    """The anatomy's usage errors: one line each, exit 2, nothing attached."""
    r = rec()
    cases = [
        (["--syscalls", "-b", r], "--syscalls needs --breakdown"),
        (["--folded", "x", "-b", r], "--folded needs --breakdown"),
        (["--slow-buffer", "64", "-b", r], "--slow-buffer needs --slow"),
        (["--slow", "5", "-b", r], "bad --slow '5'"),
        (["--slow", "-1ms", "-b", r], "bad --slow"),
        (["--slow", "abc", "-b", r], "bad --slow"),
        (["--slow", "1ms", "--slow-buffer", "5", "-b", r], "bad --slow-buffer '5'"),
        (["--slow", "1ms", "--slow-buffer", "2", "-b", r], "bad --slow-buffer"),
        (["--top", "0", "-b", r], "bad --top '0'"),
        (["--top", "101", "-b", r], "bad --top '101'"),
        (["--stuck", "0", "-b", r], "bad --stuck '0'"),
        (["--stuck", "10us", "-b", r], "bad --stuck"),
        (["--lean", "--breakdown", "-b", r], "--breakdown needs the start probe"),
        (["--lean", "--stuck", "1s", "-b", r], "--stuck needs the start probe"),
        (["--fail-if", "io.p99>5ms", "-b", r], "measured only with --breakdown"),
        (["--fail-if", "slow_dropped>0", "-b", r], "measured only with --slow"),
        (["--fail-if", "stuck>0", "-b", r], "measured only with --stuck"),
        (["--fail-if", "io.p98>5ms", "-b", r], "unknown metric"),
    ]
    for args, msg in cases:
        p = run([FL] + args)
        check(p.returncode == 2, "%s: rc %d (%s)" % (args, p.returncode, p.stderr))
        check(msg in p.stderr and p.stderr.count("\n") == 1, "%s: %r lacks %r" % (args, p.stderr, msg))
    # a --folded file that cannot be created: a runtime error, before CMD runs
    p = run([FL, "--breakdown", "--folded", "/nonexistent/dir/f", "--", r, "--flushes", "3",
             "--no-sync", "--log-durations", tmp("nolog")])
    check(p.returncode == 1 and p.stderr.count("\n") == 1 and
          "cannot open --folded /nonexistent/dir/f: No such file or directory" in p.stderr,
          "--folded: rc %d %r" % (p.returncode, p.stderr))
    check(not os.path.exists(tmp("nolog")), "CMD ran although the start failed")
    print("ok %d anatomy usage errors, --folded unwritable" % len(cases))


def case_no_btf():
    """Without kernel BTF the default mode works exactly; --breakdown fails with one line."""
    if run(["unshare", "-m", "true"]).returncode:
        print("SKIP: cannot create a mount namespace (unshare -m) to hide the kernel BTF")
        sys.exit(77)
    log = tmp("d")
    sh = ("mount --bind /dev/null /sys/kernel/btf/vmlinux && "
          "%s --format json --output %s -- %s --flushes 50 --no-sync --log-durations %s && "
          "%s --slow 0 --top 2 --output /dev/null -- %s --flushes 10 --no-sync && "
          "%s --breakdown -- %s --flushes 5 --no-sync") % (FL, tmp("j"), rec(), log, FL, rec(), FL, rec())
    p = run(["unshare", "-m", "sh", "-c", sh])
    exact(json_last(read(tmp("j"))), durations(log), "without kernel BTF")
    check(p.returncode == 1 and "--breakdown needs the kernel's BTF" in p.stderr,
          "--breakdown without BTF: rc %d %s" % (p.returncode, p.stderr))
    print("ok without BTF: default mode exact, --slow/--top work, --breakdown refused")


def case_anatomy_progs():
    """The default mode loads its two programs only; each option adds its hooks; a killed
    --breakdown tracer leaves the recorder exact and no program behind."""
    path = os.path.realpath(rec())
    log = tmp("d")
    r = subprocess.Popen([path, "--seconds", "60", "--rate", "2000", "--no-sync", "--dump",
                          "--log-durations", log], stdout=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(log) and lines(log) > 0, 30, "the recorder flushing")
    seen = {}
    for name, args, want in (("default", [], 2), ("breakdown", ["--breakdown"], 3),
                             ("syscalls", ["--breakdown", "--syscalls"], 5),
                             ("stuck", ["--stuck", "1s"], 3), ("slow+top", ["--slow", "1ms", "--top", "2"], 2)):
        t = start_tracer(["-p", str(r.pid)] + args, tmp("e-" + name))
        ids = prog_ids(t.pid)
        seen[name] = len(ids)
        check(len(ids) == want, "%s: %d programs, want %d" % (name, len(ids), want))
        if name == "syscalls":
            t.kill()
            t.wait()
            wait_for(lambda: not live_prog_ids(ids), 5, "programs released after kill -9")
            wait_for(lambda: semaphore_values(r.pid, path) == [0, 0], 5, "semaphores back to 0")
        else:
            t.send_signal(signal.SIGINT)
            t.communicate(timeout=20)
            check(t.returncode == 0, "%s: rc %d" % (name, t.returncode))
    r.send_signal(signal.SIGTERM)
    out, _ = r.communicate(timeout=30)
    check(r.returncode == 0 and ("samples=%d " % len(durations(log))) in out, "recorder harmed")
    print("ok programs per mode %s; kill -9 of --breakdown --syscalls left nothing" % seen)


def collect_values(text):
    """The recorder's --collect output: {samples_total, total_ns, min_ns, max_ns} exactly."""
    out = {}
    for k in ("samples_total", "total_ns", "min_ns", "max_ns"):
        m = re.search(r"_maintenance_meta_flush_%s\{[^}]*\} (\d+)" % k, text)
        check(m, "recorder --collect lacks %s: %s" % (k, text[-300:]))
        out[k] = int(m.group(1))
    return out


def case_epoch_exact():
    """Epoch rotation under load: more writers than CPUs in a tight probe loop, the
    interval reader flipping every 10 ms and /metrics scraped meanwhile (a second reader
    flipping at its own times).  No increment is lost at a flip: the deltas add up exactly
    to the recorder's own counts, every interval has an exact min and max, and the min of
    the mins and max of the maxes are the recorder's."""
    import threading
    import urllib.request
    writers = 2 * os.cpu_count() + 2
    port = free_port()
    t = subprocess.Popen([FL, "--interval", "0.01", "--delta", "--format", "json", "--output",
                          tmp("d.json"), "--listen", "127.0.0.1:%d" % port, "--", rec(),
                          "--wait-for-tracer", "--spin", "150000", "--writers", str(writers),
                          "--collect"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    scrapes = []

    def scraper():
        while t.poll() is None:
            try:
                scrapes.append(urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                                      timeout=5).read().decode())
            except OSError:
                pass
    th = threading.Thread(target=scraper)
    th.start()
    out, err = t.communicate(timeout=120)
    th.join()
    check(t.returncode == 0, "rc %d %s" % (t.returncode, err[-300:]))
    want = collect_values(out)
    check(want["samples_total"] == 150000 * writers, "recorder: %s" % want)
    snaps = [json.loads(l) for l in read(tmp("d.json")).splitlines() if l.startswith("{")]
    check(len(snaps) > 20, "only %d intervals" % len(snaps))
    busy = [mfl(s) for s in snaps if mfl(s)["samples"]]
    check(sum(m["samples"] for m in busy) == want["samples_total"],
          "deltas add up to %d, recorder %d" % (sum(m["samples"] for m in busy), want["samples_total"]))
    check(sum(m["total_ns"] for m in busy) == want["total_ns"], "delta totals differ")
    for m in busy:
        check(m["min_ns"] <= m["max_ns"] and m["max_ns"] > 0 and m["min_ns"] != 2**64 - 1,
              "an interval without its exact min/max: %s" % m)
    check(min(m["min_ns"] for m in busy) == want["min_ns"], "min of mins != recorder min")
    check(max(m["max_ns"] for m in busy) == want["max_ns"], "max of maxes != recorder max")
    for s in snaps:
        check(sum(c for _, c in s["histogram"]) == mfl(s)["samples"],
              "an interval's histogram holds %d of %d" % (sum(c for _, c in s["histogram"]),
                                                           mfl(s)["samples"]))
    check(len(scrapes) > 5, "only %d scrapes" % len(scrapes))
    counts = [int(re.search(r"flushlat_meta_flush_duration_seconds_count\{[^}]*\} (\d+)", b).group(1))
              for b in scrapes]
    check(counts == sorted(counts), "scraped counts not monotonic")
    check(all(c <= want["samples_total"] for c in counts), "scraped more than recorded")
    print("ok %d writers x 150000 pairs: %d intervals and %d scrapes, deltas exact, min %d max %d"
          % (writers, len(snaps), len(scrapes), want["min_ns"], want["max_ns"]))
    # with epochs, native histogram and exemplars on, the cumulative dump is still the
    # recorder's, byte for byte
    p = run([FL, "--listen", "127.0.0.1:%d" % free_port(), "--output", tmp("t.txt"), "--", rec(),
             "--spin", "20000", "--writers", str(writers), "--dump"], timeout=120)
    check(p.returncode == 0, "rc %d %s" % (p.returncode, p.stderr))
    check(dump_block(read(tmp("t.txt"))) == dump_block(p.stdout),
          "dump differs with epochs:\n%s\n%s" % (read(tmp("t.txt")), p.stdout))
    print("ok dump byte-identical with --listen")


def metric(body, name):
    """The value of a series (labels other than le ignored) in an exposition, as text, or None."""
    m = re.search(r"^%s\{[^}]*\} (\S+)$" % re.escape(name), body, re.M)
    return m.group(1) if m else None


def sec(ns):
    """ns as the exposition writes seconds: an exact decimal, no trailing zeros."""
    s = "%d.%09d" % (ns // 10**9, ns % 10**9)
    return s.rstrip("0").rstrip(".")


def case_window():
    """/metrics window gauges: exact over the epochs of the last --window seconds, and they
    move again after a spike (the all-time max does not)."""
    port = free_port()
    t = start_tracer(["-b", rec(), "--listen", "127.0.0.1:%d" % port, "--window", "1"], tmp("e"))
    scrape(port)
    slow = tmp("slow")
    p = run([rec(), "--flushes", "60", "--dir", tmp("wal"), "--log-durations", slow])
    check(p.returncode == 0, "recorder rc %d" % p.returncode)
    body = scrape(port)
    ds = durations(slow)
    check(metric(body, "flushlat_meta_flush_window_max_seconds") == sec(max(ds)),
          "window max %s, want %s" % (metric(body, "flushlat_meta_flush_window_max_seconds"),
                                      sec(max(ds))))
    time.sleep(1.2)
    body = scrape(port)  # the only epoch in the window saw no flush
    check(metric(body, "flushlat_meta_flush_window_max_seconds") is None, "empty window has a max")
    check(float(metric(body, "flushlat_meta_flush_window_seconds")) >= 1.0, "window span < 1 s")
    fast, shm = tmp("fast"), "/dev/shm/flushlat-e2e-%d" % os.getpid()
    p = run([rec(), "--flushes", "40", "--no-sync", "--dir", shm, "--log-durations", fast])
    subprocess.run(["rm", "-rf", shm])
    check(p.returncode == 0, "recorder rc %d" % p.returncode)
    time.sleep(1.1)
    body = scrape(port)  # one epoch in the window: exactly the second recorder's flushes
    df = durations(fast)
    got = (metric(body, "flushlat_meta_flush_window_min_seconds"),
           metric(body, "flushlat_meta_flush_window_max_seconds"))
    check(got == (sec(min(df)), sec(max(df))), "window (min, max) %s, want %s" %
          (got, (sec(min(df)), sec(max(df)))))
    check(metric(body, "flushlat_meta_flush_max_seconds") == sec(max(ds + df)),
          "the all-time max is not the run's")
    t.send_signal(signal.SIGINT)
    t.communicate(timeout=20)
    check(t.returncode == 0, "tracer rc %d" % t.returncode)
    print("ok window: max %d ns after the slow run, then [%d, %d] ns of the fast one only"
          % (max(ds), min(df), max(df)))

CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}

if __name__ == "__main__":
    if os.geteuid() != 0:
        print("SKIP: not root; these tests load BPF and need root (CI runs as root)")
        sys.exit(77)
    name = sys.argv[2]
    try:
        private_copies()
        CASES[name]()
    except subprocess.TimeoutExpired as e:
        fail("timeout: %s" % e)
    finally:
        for p in STARTED:
            if p.poll() is None:
                p.kill()
                p.wait()
        kill_descendants()
        # never into a mount a test made (a bind mount of build/lib, say)
        subprocess.run(["rm", "-rf", "--one-file-system", TMP, RECTMP] + ([WAL] if WAL else []))
    print("PASS " + name)
