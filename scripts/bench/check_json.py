#!/usr/bin/env python3
"""check_json.py BENCH_JSON - smoke check: every required key is a number and
every stage ran (nothing under "missing"). No timing assertions."""
import json, sys

REQUIRED = ["untraced_extra_instr_per_flush", "floor_ns_per_flush", "flushlat_ns_per_flush",
            "flushlat_kernel_clock_ns_per_flush", "bpftrace_ns_per_flush", "bpf_run_ns_per_event",
            "attach_ms_flushlat", "attach_ms_bpftrace", "rss_kb_flushlat", "rss_kb_bpftrace",
            "scrape_us", "max_events_per_sec_lossless",
            "flushlat_listen_ns_per_flush", "bpf_run_ns_per_event_listen_s8",
            "bpf_run_ns_per_event_delta", "bpf_run_ns_per_event_listen",
            "scrape_us_text", "scrape_us_openmetrics", "scrape_us_protobuf",
            "scrape_bytes_text", "scrape_bytes_openmetrics", "scrape_bytes_protobuf",
            "series_per_target",
            # the flush anatomy (signs may flip in a smoke run: no timing is judged)
            "ctxsw_ns", "ctxsw_added_ns_empty_switch", "ctxsw_added_ns_breakdown_idle",
            "getppid_added_ns_breakdown", "getppid_added_ns_syscalls", "breakdown_ns_per_flush",
            "bpf_ns_per_fsync_flush_breakdown", "bpf_ns_per_run_switch_idle",
            "bpf_ns_per_run_switch_traced"]

d = json.load(open(sys.argv[1]))
bad = [k for k in REQUIRED if not isinstance(d.get(k), (int, float)) or isinstance(d.get(k), bool)]
if bad:
    sys.exit("bench json: missing or non-numeric keys: " + ", ".join(bad))
if d.get("missing"):
    sys.exit("bench json: stages not measured: " + "; ".join(d["missing"]))
print("bench json ok: %d keys" % len(REQUIRED))
