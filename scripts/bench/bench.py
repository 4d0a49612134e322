#!/usr/bin/env python3
"""bench.py - what tracing costs. Driven by scripts/bench.sh.

Every comparison is made side by side inside one run: each trial runs every
variant once, in turn, and the table reports medians over trials. A stage whose
binaries are missing writes -1 for its keys and is named in "missing".
"""
import argparse, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

SPIN_RE = re.compile(r"spin:\s*(\d+)\s+pairs in\s+(\d+)\s+ns")
FORMATS = {  # /metrics formats: the Accept header that selects each
    "text": None,
    "openmetrics": "application/openmetrics-text;version=1.0.0",
    "protobuf": "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                "encoding=delimited",
}
# flushlat modes whose BPF cost differs: epochs (--delta), + native histogram and
# exemplars (--listen, schema 3 and 8)
MODES = {"delta": ["--interval", "1", "--delta"], "listen": ["--listen", "PORT"],
         "listen_s8": ["--listen", "PORT", "--native-schema", "8"]}
KEYS = (["untraced_extra_instr_per_flush", "untraced_extra_ns_per_flush", "floor_ns_per_flush",
         "flushlat_ns_per_flush", "flushlat_kernel_clock_ns_per_flush", "flushlat_lean_ns_per_flush"]
        + ["flushlat_listen_ns_per_flush"]
        + ["bpftrace_ns_per_flush", "bpf_run_ns_per_event"]
        + ["bpf_run_ns_per_event_%s" % m for m in MODES]
        + ["attach_ms_flushlat", "attach_ms_bpftrace", "rss_kb_flushlat", "rss_kb_bpftrace",
           "scrape_us", "http_scrape_us"]
        + ["scrape_us_%s" % f for f in FORMATS] + ["http_scrape_us_%s" % f for f in FORMATS]
        + ["scrape_bytes_%s" % f for f in FORMATS]
        + ["series_per_target", "max_events_per_sec_lossless", "nop1_ns_per_hit", "nop5_ns_per_hit"]
        # the flush anatomy (--breakdown): unrelated tasks, and per flush
        + ["ctxsw_ns", "ctxsw_added_ns_empty_switch", "ctxsw_added_ns_breakdown_idle",
           "ctxsw_added_ns_breakdown_open", "ctxsw_breakdown_idle_x_empty",
           "ctxsw_breakdown_open_x_empty", "getppid_ns", "getppid_added_ns_empty_sys",
           "getppid_added_ns_breakdown", "getppid_added_ns_syscalls",
           "breakdown_ns_per_flush", "breakdown_x_default_per_flush",
           "breakdown_slow_top_ns_per_flush", "bpf_ns_per_fsync_flush_default",
           "bpf_ns_per_fsync_flush_breakdown", "bpf_ns_per_fsync_flush_breakdown_slow",
           "bpf_fsync_breakdown_x_default", "switches_per_fsync_flush",
           "bpf_ns_per_run_empty_switch", "bpf_ns_per_run_switch_idle", "bpf_ns_per_run_switch_open",
           "bpf_ns_per_run_switch_traced"])

BT_SCRIPT = ("usdt:{p}:flashstrike:meta_flush_start {{ @s[tid] = nsecs; }} "
             "usdt:{p}:flashstrike:meta_flush_done /@s[tid]/ {{ @st = stats(nsecs - @s[tid]); "
             "@h = hist(nsecs - @s[tid]); delete(@s[tid]); }}")


BPF_STATS_LOCK = "/run/lock/flushlat-bpf-stats.lock" if os.path.isdir("/run/lock") else \
    "/tmp/flushlat-bpf-stats.lock"


def free_listen():
    """127.0.0.1:PORT of a port nobody listens on now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "127.0.0.1:%d" % port


def prog_ids(pid):
    """IDs of the BPF programs process pid holds (other tracers on the machine not counted)."""
    ids = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            for line in open("/proc/%d/fdinfo/%s" % (pid, fd)):
                if line.startswith("prog_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


class Bench:
    def __init__(self, a):
        self.a, self.bin = a, os.path.join(a.build_dir, "bin")
        self.res = {k: -1 for k in KEYS}
        self.missing, self.tmp = [], tempfile.mkdtemp(prefix="flushlat-bench.")

    def exe(self, name):
        p = os.path.join(self.bin, name)
        return p if os.access(p, os.X_OK) else None

    def need(self, stage, *names):
        bad = [n for n in names if not (self.exe(n) or shutil.which(n))]
        if bad:
            self.missing.append("%s (no %s)" % (stage, ", ".join(bad)))
        return not bad

    # ---- tracers ---------------------------------------------------------
    def tracer_cmd(self, kind, pid, path):
        if kind == "floor":
            return [self.exe("flushlat_floor"), "-p", str(pid), "-b", path]
        if kind == "bpftrace":
            return ["bpftrace", "-p", str(pid), "-e", BT_SCRIPT.format(p=path)]
        extra = {"flushlat": ["--clock", "recorder"], "flushlat_kclock": ["--clock", "kernel"],
                 "flushlat_lean": ["--lean"], "breakdown": ["--breakdown"],
                 "breakdown_slow_top": ["--breakdown", "--slow", "1s", "--top", "10"]
                 }.get(kind) or MODES[kind[len("flushlat_"):]]
        extra = [free_listen() if a == "PORT" else a for a in extra]
        return [self.exe("flushlat"), "-p", str(pid),
                "--output", os.path.join(self.tmp, "out.json"), "--format", "json"] + extra

    def spin_once(self, kind, pairs, rec="flush_recorder", writers=1):
        """ns per pair of one --spin run, with tracer `kind` (None = untraced)."""
        path = self.exe(rec)
        cmd = [path, "--spin", str(pairs), "--writers", str(writers)]
        if kind:
            cmd.insert(3, "--wait-for-tracer=20")
        r = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        t = None
        if kind:
            t = subprocess.Popen(self.tracer_cmd(kind, r.pid, path), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        _, err = r.communicate(timeout=120)
        if t:
            self.stop(t)
        m = SPIN_RE.search(err or "")
        if r.returncode != 0 or not m:
            raise RuntimeError("%s --spin failed (%s): %s" % (rec, kind, (err or "").strip()[-200:]))
        return int(m.group(2)) / int(m.group(1))

    @staticmethod
    def stop(p):
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    # ---- items -----------------------------------------------------------
    def traced_cost(self):
        """Items 1 (ns part) and 2: interleaved variants per trial, medians."""
        if not self.need("traced cost", "flush_recorder", "flushlat_floor"):
            return
        kinds = ["floor"]
        if self.exe("flushlat"):
            # of the modes only the exporter's default here (the full run stays < 10 min);
            # bpf_stats measures every mode
            kinds += ["flushlat", "flushlat_kclock", "flushlat_lean", "flushlat_listen"]
        else:
            self.missing.append("flushlat variants (no flushlat)")
        if shutil.which("bpftrace"):
            kinds.append("bpftrace")
        samples = {k: [] for k in kinds + ["none", "noprobes"]}
        for _ in range(self.a.trials):
            samples["none"].append(self.spin_once(None, self.a.pairs))
            if self.exe("flush_recorder_noprobes"):
                samples["noprobes"].append(self.spin_once(None, self.a.pairs, "flush_recorder_noprobes"))
            for k in kinds:
                samples[k].append(self.spin_once(k, self.a.pairs))
        med = {k: statistics.median(v) for k, v in samples.items() if v}
        self.med = med
        base = med["none"]
        key = {"floor": "floor_ns_per_flush", "flushlat": "flushlat_ns_per_flush",
               "flushlat_kclock": "flushlat_kernel_clock_ns_per_flush",
               "flushlat_lean": "flushlat_lean_ns_per_flush", "bpftrace": "bpftrace_ns_per_flush"}
        key.update({"flushlat_" + m: "flushlat_%s_ns_per_flush" % m for m in MODES})
        for k in kinds:
            self.res[key[k]] = round(med[k] - base, 1)
        if "noprobes" in med:
            self.res["untraced_extra_ns_per_flush"] = round(base - med["noprobes"], 2)

    def callgrind(self, rec, n):
        out = os.path.join(self.tmp, "cg.%s.%d" % (rec, n))
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                            self.exe(rec), "--spin", str(n)], capture_output=True, text=True)
        m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
        if not m:
            raise RuntimeError("callgrind failed: " + p.stderr[-200:])
        return int(m.group(1))

    def untraced_instr(self):
        """Item 1: (probes - noprobes) instruction delta, two sizes cancel fixed cost."""
        if not self.need("untraced instr", "flush_recorder", "flush_recorder_noprobes", "valgrind"):
            return
        n1, n2 = self.a.cg_pairs, self.a.cg_pairs * 2
        d1 = self.callgrind("flush_recorder", n1) - self.callgrind("flush_recorder_noprobes", n1)
        d2 = self.callgrind("flush_recorder", n2) - self.callgrind("flush_recorder_noprobes", n2)
        self.res["untraced_extra_instr_per_flush"] = round((d2 - d1) / (n2 - n1), 2)

    def bpf_stats_once(self, kind):
        """Mean run_time_ns / run_cnt of flushlat's programs under load (statistics on)."""
        rec = self.exe("flush_recorder")
        r = subprocess.Popen([rec, "--spin", str(self.a.pairs), "--wait-for-tracer=20"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t = subprocess.Popen(self.tracer_cmd(kind, r.pid, rec) + ["--duration", "60"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r.wait(timeout=120)
        progs = json.loads(subprocess.run(["bpftool", "prog", "show", "-j"],
                                          capture_output=True, text=True).stdout or "[]")
        mine = prog_ids(t.pid)
        self.stop(t)
        per = {p.get("name"): p["run_time_ns"] / p["run_cnt"] for p in progs
               if p.get("run_cnt") and p["id"] in mine}
        return per

    def bpf_stats(self):
        """Item 3: BPF run time per event of each mode; the sysctl is restored."""
        if not self.need("bpf run time", "flush_recorder", "flushlat", "bpftool"):
            return
        runs = {k: [] for k in ["flushlat"] + ["flushlat_" + m for m in MODES]}
        # The sysctl is the machine's: another run of this stage (a test suite in another
        # build tree, say) would restore it under our feet; a lock every run takes.
        import fcntl
        with open(BPF_STATS_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
            try:
                open("/proc/sys/kernel/bpf_stats_enabled", "w").write("1")
                for _ in range(max(1, self.a.trials // 3)):
                    for k in runs:
                        per = self.bpf_stats_once(k)
                        if k == "flushlat":
                            self.prog_ns = per
                        if per:
                            runs[k].append(statistics.mean(per.values()))
            finally:
                open("/proc/sys/kernel/bpf_stats_enabled", "w").write(old)
        for k, v in runs.items():
            if v:
                key = "bpf_run_ns_per_event" + ("" if k == "flushlat" else k[len("flushlat"):])
                self.res[key] = round(statistics.median(v), 1)

    def attach_once(self, kind):
        rec = self.exe("flush_recorder")
        # The recorder is already waiting (no grace period): the time measured
        # is tracer start -> first probe registered (semaphore up) -> released.
        r = subprocess.Popen([rec, "--wait-for-tracer=30", "--tracer-grace-ms", "0", "--flushes",
                              "1", "--no-sync"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(0.2)
        t0 = time.monotonic()
        t = subprocess.Popen(self.tracer_cmd(kind, r.pid, rec), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        r.wait(timeout=60)
        ms = (time.monotonic() - t0) * 1000
        self.stop(t)
        return ms if r.returncode == 0 else None

    def attach(self):
        """Item 4: tracer start -> recorder released, interleaved, medians."""
        if not self.need("attach", "flush_recorder"):
            return
        fl, bt = self.need("attach flushlat", "flushlat"), self.need("attach bpftrace", "bpftrace")
        a, b = [], []
        for _ in range(self.a.trials):
            if fl:
                a.append(self.attach_once("flushlat"))
            if bt:
                b.append(self.attach_once("bpftrace"))
        a, b = [x for x in a if x], [x for x in b if x]
        if a:
            self.res["attach_ms_flushlat"] = round(statistics.median(a), 1)
        if b:
            self.res["attach_ms_bpftrace"] = round(statistics.median(b), 1)

    def rss_once(self, kind):
        rec = self.exe("flush_recorder")
        r = subprocess.Popen([rec, "--wait-for-tracer=30", "--seconds", "2", "--rate", "1000",
                              "--no-sync"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t = subprocess.Popen(self.tracer_cmd(kind, r.pid, rec), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        peak = 0
        while r.poll() is None:
            try:
                for line in open("/proc/%d/status" % t.pid):
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.05)
        self.stop(t)
        return peak

    def memory(self):
        """Item 5: peak RSS (VmHWM) of the tracer while attached."""
        if not self.need("memory", "flush_recorder"):
            return
        if self.need("memory flushlat", "flushlat"):
            self.res["rss_kb_flushlat"] = self.rss_once("flushlat")
        if self.need("memory bpftrace", "bpftrace"):
            self.res["rss_kb_bpftrace"] = self.rss_once("bpftrace")

    def scrape(self):
        """Item 6: /metrics per format: HTTP round trip, flushlat's own read + merge + render
        (reported by the next scrape), body bytes; series per target."""
        if not self.need("scrape", "flush_recorder", "flushlat"):
            return
        import urllib.request
        rec = self.exe("flush_recorder")
        listen = free_listen()  # never a fixed port: other runs may be on the machine
        r = subprocess.Popen([rec, "--wait-for-tracer=30", "--seconds", "60", "--rate", "1000",
                              "--no-sync"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t = subprocess.Popen([self.exe("flushlat"), "-p", str(r.pid), "--listen", listen],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = "http://%s/metrics" % listen

        def get(accept):
            req = urllib.request.Request(url)
            if accept:
                req.add_header("Accept", accept)
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.read()
        try:
            for _ in range(100):
                try:
                    get(None)
                    break
                except OSError:
                    time.sleep(0.1)
            n = self.a.scrapes
            for f, accept in FORMATS.items():
                rt, own = [], []
                for _ in range(n):
                    t0 = time.monotonic()
                    body = get(accept)
                    rt.append((time.monotonic() - t0) * 1e6)
                    if len(own) < 50:  # the next (text) scrape reports this one's cost
                        m = re.search(rb"^flushlat_scrape_duration_seconds\{[^}]*\} ([0-9.e-]+)$",
                                      get(None), re.M)
                        if m:
                            own.append(float(m.group(1)) * 1e6)
                self.res["http_scrape_us_" + f] = round(statistics.median(rt), 1)
                if own:
                    self.res["scrape_us_" + f] = round(statistics.median(own), 1)
                else:
                    self.missing.append("scrape: no scrape_duration_seconds after %s" % f)
                self.res["scrape_bytes_" + f] = len(body)
            self.res["scrape_us"] = self.res["scrape_us_text"]
            self.res["http_scrape_us"] = self.res["http_scrape_us_text"]
            self.res["series_per_target"] = len([l for l in get(None).splitlines()
                                                 if l and not l.startswith(b"#")])
        finally:
            self.stop(t)
            self.stop(r)

    def scale(self):
        """Item 7: 4 writers at max rate; lossless when flushlat's count == recorder's."""
        if not self.need("scale", "flush_recorder", "flushlat"):
            return
        rec, out = self.exe("flush_recorder"), os.path.join(self.tmp, "out.json")
        secs = self.a.scale_secs
        r = subprocess.Popen([rec, "--wait-for-tracer=30", "--writers", "4", "--seconds",
                              str(secs), "--no-sync", "--collect"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        t = subprocess.Popen(self.tracer_cmd("flushlat", r.pid, rec), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        text, _ = r.communicate(timeout=secs + 60)
        time.sleep(0.5)
        self.stop(t)
        m = re.search(r"meta_store_maintenance_meta_flush_samples_total\{[^}]*\}\s+(\d+)", text)
        want = int(m.group(1)) if m else -1
        got = -1
        try:
            last = [l for l in open(out) if l.strip()][-1]
            got = json.loads(last)["meta_store"]["maintenance_meta_flush"]["samples"]
        except (OSError, IndexError, KeyError, ValueError):
            pass
        self.scale_counts = (want, got)
        if want > 0 and got == want:
            self.res["max_events_per_sec_lossless"] = round(2 * want / secs)
        # Probe events as fast as the machine fires them: --spin on 4 writer
        # threads (both cores, more threads than CPUs), zero loss required.
        pairs = self.a.pairs // 4
        p = subprocess.run([self.exe("flushlat"), "--format", "json", "--output", out, "--", rec,
                            "--spin", str(pairs), "--writers", "4"], capture_output=True,
                           text=True, timeout=300)
        m = SPIN_RE.search(p.stderr)
        try:
            last = [l for l in open(out) if l.strip()][-1]
            got = json.loads(last)["meta_store"]["maintenance_meta_flush"]["samples"]
        except (OSError, IndexError, KeyError, ValueError):
            got = -1
        if p.returncode == 0 and m and got == int(m.group(1)) == pairs * 4:
            eps = round(2 * got / (int(m.group(2)) / 1e9))
            self.res["max_events_per_sec_lossless"] = max(self.res["max_events_per_sec_lossless"], eps)
        elif m:
            self.missing.append("scale: spin lost events (%d of %s)" % (got, m.group(1)))

    def nop_sites(self):
        """Investigation: uprobe on a 1-byte nop (int3 trap) vs a 5-byte nop."""
        if not self.need("nop sites", "flushlat_floor", "gcc", "objdump"):
            return
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nop_site.c")
        site = os.path.join(self.tmp, "nop_site")
        subprocess.run(["gcc", "-O2", "-fcf-protection=none", "-o", site, src], check=True)
        dis = subprocess.run(["objdump", "-d", site], capture_output=True, text=True).stdout
        off = {m.group(2): int(m.group(1), 16)
               for m in re.finditer(r"^([0-9a-f]+) <site_(nop[15])>:", dis, re.M)}
        hits = self.a.pairs
        res = {"nop1": [], "nop5": []}
        for _ in range(self.a.trials):
            for v in ("nop1", "nop5"):
                res[v].append(self.site_once(site, v, hits, off[v]) - self.site_once(site, v, hits, None))
        self.res["nop1_ns_per_hit"] = round(statistics.median(res["nop1"]), 1)
        self.res["nop5_ns_per_hit"] = round(statistics.median(res["nop5"]), 1)

    def site_once(self, site, v, n, off):
        s = subprocess.Popen([site, v, str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        t = None
        if off is not None:
            t = subprocess.Popen([self.exe("flushlat_floor"), "-p", str(s.pid), "-b", site,
                                  "-u", hex(off)], stderr=subprocess.PIPE, text=True)
            t.stderr.readline()  # "attached"
        out, _ = s.communicate("\n", timeout=120)
        if t:
            self.stop(t)
        return float(out)

    # ---- the flush anatomy ------------------------------------------------
    def waited(self, cmd, marker="attached", timeout=20):
        """Starts cmd; returns once its stderr says marker (the hooks are in place)."""
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        end = time.time() + timeout
        while time.time() < end:
            line = p.stderr.readline()
            if marker in line:
                return p
            if not line and p.poll() is not None:
                break
        self.stop(p)
        raise RuntimeError("%s did not attach" % cmd[0])

    def anat_variant(self, kind):
        """Starts what variant kind needs; returns the processes to stop."""
        fl, rec = self.exe("flushlat"), self.exe("flush_recorder")
        if kind == "none":
            return []
        if kind in ("empty_switch", "empty_sys"):
            return [self.waited([self.exe("flushlat_floor"), "-s", kind[6:]])]
        if kind == "breakdown_open":
            # a flush held open: every switch of the machine passes the first test
            r = subprocess.Popen([rec, "--wait-for-tracer=20", "--tracer-grace-ms", "0", "--flushes",
                                  "1", "--hold-flush", "600000", "--no-sync"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t = self.waited([fl, "-p", str(r.pid), "--breakdown"])
            time.sleep(0.3)
            return [t, r]
        # an idle recorder: attached, one flush a second
        r = subprocess.Popen([rec, "--seconds", "600", "--rate", "1", "--no-sync"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.1)
        extra = ["--syscalls"] if kind == "syscalls_idle" else []
        return [self.waited([fl, "-p", str(r.pid), "--breakdown"] + extra), r]

    def pingpong(self, mode, n):
        out = subprocess.run([self.exe("flushlat_pingpong"), mode, str(n)], capture_output=True,
                             text=True, check=True).stdout.split()
        return float(out[1])  # CPU ns: robust to other tasks sharing the CPU

    def anatomy_unrelated(self):
        """ns added to an unrelated task's context switch and system call by --breakdown,
        against empty programs on the same hooks; interleaved trials, medians of CPU time."""
        if not self.need("anatomy costs", "flushlat", "flush_recorder", "flushlat_floor",
                         "flushlat_pingpong"):
            return
        smoke = self.a.mode == "smoke"  # the harness runs; fewer variants
        sw = {k: [] for k in ("none", "empty_switch", "breakdown_idle") + (() if smoke else ("breakdown_open",))}
        sc = {k: [] for k in ("none", "breakdown_idle", "syscalls_idle") + (() if smoke else ("empty_sys",))}
        for _ in range(self.a.anat_trials):
            for k in sorted(set(sw) | set(sc)):
                procs = self.anat_variant(k)
                try:
                    if k in sw:
                        sw[k].append(self.pingpong("pipe", self.a.pingpongs))
                    if k in sc:
                        sc[k].append(self.pingpong("getppid", self.a.getppids))
                finally:
                    for p in procs:
                        self.stop(p)
        m = {k: statistics.median(v) for k, v in sw.items()}
        g = {k: statistics.median(v) for k, v in sc.items()}
        self.res["ctxsw_ns"] = round(m["none"], 1)
        for k in ("empty_switch", "breakdown_idle", "breakdown_open"):
            if k in m:
                self.res["ctxsw_added_ns_" + k] = round(m[k] - m["none"], 1)
        e = m["empty_switch"] - m["none"]
        for k in ("idle", "open"):
            if e > 0 and "breakdown_" + k in m:
                self.res["ctxsw_breakdown_%s_x_empty" % k] = round((m["breakdown_" + k] - m["none"]) / e, 2)
        self.res["getppid_ns"] = round(g["none"], 1)
        if "empty_sys" in g:
            self.res["getppid_added_ns_empty_sys"] = round(g["empty_sys"] - g["none"], 1)
        self.res["getppid_added_ns_breakdown"] = round(g["breakdown_idle"] - g["none"], 1)
        self.res["getppid_added_ns_syscalls"] = round(g["syscalls_idle"] - g["none"], 1)
        self.anat_raw = {"ctxsw": sw, "getppid": sc}

    def prog_stats(self, pid, name):
        """(run_time_ns, run_cnt) of program name held by process pid (not another tracer's)."""
        ids = set()
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                for l in open("/proc/%d/fdinfo/%s" % (pid, fd)):
                    if l.startswith("prog_id:"):
                        ids.add(int(l.split()[1]))
            except OSError:
                pass
        progs = json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True,
                                          text=True).stdout or "[]")
        for p in progs:
            if p["id"] in ids and p.get("name") == name:
                return p.get("run_time_ns", 0), p.get("run_cnt", 0)
        raise RuntimeError("no program %s in process %d" % (name, pid))

    def anatomy_bpf_run(self):
        """BPF run time per sched_switch run (kernel.bpf_stats_enabled): an empty program;
        --breakdown with no flush open; with one open elsewhere (the machine's switches pass
        the first test); with both ping-pong threads inside flushes (traced switches)."""
        if not self.need("anatomy bpf run time", "flushlat", "flush_recorder", "flushlat_floor",
                         "flushlat_pingpong", "bpftool"):
            return
        old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
        res = {k: [] for k in ("empty", "idle", "open", "traced")}
        try:
            open("/proc/sys/kernel/bpf_stats_enabled", "w").write("1")
            variants = (("empty", "empty_switch", "empty_switch"), ("idle", "breakdown_idle", "an_switch"),
                        ("open", "breakdown_open", "an_switch"))
            if self.a.mode == "smoke":
                variants = variants[1:2]
            for _ in range(self.a.anat_trials):
                for k, kind, prog in variants:
                    procs = self.anat_variant(kind)
                    try:
                        t0 = self.prog_stats(procs[0].pid, prog)
                        self.pingpong("pipe", self.a.pingpongs)
                        t1 = self.prog_stats(procs[0].pid, prog)
                        res[k].append((t1[0] - t0[0]) / max(1, t1[1] - t0[1]))
                    finally:
                        for p in procs:
                            self.stop(p)
                # both threads inside flushes: flushlat's own statistics of its hook
                pp = subprocess.Popen([self.exe("flushlat_pingpong"), "pipespan", str(self.a.pingpongs)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                out = subprocess.run([self.exe("flushlat"), "-p", str(pp.pid), "--breakdown",
                                      "--bpf-stats", "--format", "json"], capture_output=True,
                                     text=True, timeout=300).stdout
                pp.wait(timeout=60)
                progs = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])["programs"]
                sw = [p for p in progs if p["name"] == "an_switch"][0]
                res["traced"].append(sw["run_time_ns"] / max(1, sw["run_cnt"]))
        finally:
            open("/proc/sys/kernel/bpf_stats_enabled", "w").write(old)
        for k, key in (("empty", "bpf_ns_per_run_empty_switch"), ("idle", "bpf_ns_per_run_switch_idle"),
                       ("open", "bpf_ns_per_run_switch_open"), ("traced", "bpf_ns_per_run_switch_traced")):
            if res[k]:
                self.res[key] = round(statistics.median(res[k]), 1)

    def anatomy_per_flush(self):
        """ns added per flush (recorder --spin, no I/O): --breakdown against the default mode,
        interleaved; and the BPF run time per real fsync flush (kernel.bpf_stats_enabled)."""
        if not self.need("anatomy per flush", "flushlat", "flush_recorder"):
            return
        kinds = ["flushlat", "breakdown"] + ([] if self.a.mode == "smoke" else ["breakdown_slow_top"])
        samples = {k: [] for k in kinds + ["none"]}
        for _ in range(self.a.anat_trials):
            samples["none"].append(self.spin_once(None, self.a.pairs // 2))
            for k in kinds:
                samples[k].append(self.spin_once(k, self.a.pairs // 2))
        med = {k: statistics.median(v) for k, v in samples.items()}
        d = med["flushlat"] - med["none"]
        self.res["breakdown_ns_per_flush"] = round(med["breakdown"] - med["none"], 1)
        if "breakdown_slow_top" in med:
            self.res["breakdown_slow_top_ns_per_flush"] = round(med["breakdown_slow_top"] - med["none"], 1)
        if d > 0:
            self.res["breakdown_x_default_per_flush"] = round((med["breakdown"] - med["none"]) / d, 2)
        self.fsync_bpf_time()

    def fsync_bpf_time(self):
        """BPF run time per real fsync flush: every program of the tracer (probes and the
        scheduler hook, which also runs for the machine's other switches) / flushes."""
        old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
        per = {k: [] for k in ("default", "breakdown", "breakdown_slow")}
        wal = tempfile.mkdtemp(prefix="flushlat-bench-wal-", dir="/var/tmp")
        try:
            open("/proc/sys/kernel/bpf_stats_enabled", "w").write("1")
            for _ in range(self.a.anat_trials):
                for k, extra in (("default", []), ("breakdown", ["--breakdown"]),
                                 ("breakdown_slow", ["--breakdown", "--slow", "0"]))[
                                     :2 if self.a.mode == "smoke" else 3]:
                    out = os.path.join(self.tmp, "fs.json")
                    subprocess.run([self.exe("flushlat"), "--bpf-stats", "--format", "json",
                                    "--output", out] + extra + ["--", self.exe("flush_recorder"),
                                    "--flushes", str(self.a.fsync_flushes), "--dir", wal],
                                   capture_output=True, timeout=300, check=True)
                    snap = [json.loads(l) for l in open(out) if l.startswith("{") and '"type"' not in l][-1]
                    n = snap["meta_store"]["maintenance_meta_flush"]["samples"]
                    per[k].append(sum(p["run_time_ns"] for p in snap["programs"]) / n)
                    if k == "breakdown":
                        sw = [p["run_cnt"] for p in snap["programs"] if p["name"] == "an_switch"]
                        self.res["switches_per_fsync_flush"] = round(sw[0] / n, 1) if sw else -1
        finally:
            open("/proc/sys/kernel/bpf_stats_enabled", "w").write(old)
            shutil.rmtree(wal, ignore_errors=True)
        med = {k: statistics.median(v) for k, v in per.items() if v}
        self.res["bpf_ns_per_fsync_flush_default"] = round(med["default"], 1)
        self.res["bpf_ns_per_fsync_flush_breakdown"] = round(med["breakdown"], 1)
        if "breakdown_slow" in med:
            self.res["bpf_ns_per_fsync_flush_breakdown_slow"] = round(med["breakdown_slow"], 1)
        self.res["bpf_fsync_breakdown_x_default"] = round(med["breakdown"] / med["default"], 2)

    # ---- output ----------------------------------------------------------
    def run(self):
        stages = (self.untraced_instr, self.traced_cost, self.bpf_stats, self.attach,
                  self.memory, self.scrape, self.scale, self.nop_sites, self.anatomy_unrelated,
                  self.anatomy_bpf_run, self.anatomy_per_flush)
        if self.a.only:
            stages = [st for st in stages if st.__name__ in self.a.only.split(",")]
        for stage in stages:
            try:
                stage()
            except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as e:
                self.missing.append("%s: %s" % (stage.__name__, e))
        shutil.rmtree(self.tmp, ignore_errors=True)
        r = dict(self.res)
        fl = r["floor_ns_per_flush"]
        ratios = ["flushlat", "flushlat_kernel_clock", "flushlat_lean", "bpftrace"]
        ratios += ["flushlat_listen"]
        for k in ratios:
            v = r[k + "_ns_per_flush"]
            r[k + "_x_floor"] = round(v / fl, 3) if fl > 0 and v >= 0 else -1
        r["missing"] = self.missing
        r["mode"] = self.a.mode
        r["machine"] = "%s, %d cpus, kernel %s" % (os.uname().machine, os.cpu_count(),
                                                   os.uname().release)
        os.makedirs(os.path.dirname(os.path.abspath(self.a.json)), exist_ok=True)
        with open(self.a.json, "w") as f:
            json.dump(r, f, indent=1)
        print("%-40s %12s" % ("measure", "value"))
        for k in KEYS + [k + "_x_floor" for k in ratios]:
            print("%-40s %12s" % (k, r[k]))
        for m in self.missing:
            print("not measured: " + m, file=sys.stderr)
        print("wrote " + self.a.json)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--mode", choices=["smoke", "quick", "full"], default="full")
    ap.add_argument("--json")
    ap.add_argument("--only", help="comma-separated stage names (e.g. anatomy_unrelated)")
    a = ap.parse_args()
    a.json = a.json or os.path.join(a.build_dir, "bench.json")
    (a.trials, a.pairs, a.cg_pairs, a.scrapes, a.scale_secs, a.pingpongs, a.getppids,
     a.fsync_flushes, a.anat_trials) = {
        "smoke": (1, 2000, 1000, 5, 1, 2000, 20000, 10, 1),
        "quick": (3, 200000, 10000, 50, 3, 50000, 500000, 100, 3),
        "full": (9, 1000000, 100000, 500, 10, 100000, 1000000, 200, 5)}[a.mode]
    Bench(a).run()


if __name__ == "__main__":
    main()
