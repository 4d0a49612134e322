#!/usr/bin/env bash
# A real Prometheus server scrapes flushlat (-b, so it outlives the recorder)
# on loopback; its HTTP API must then report exactly the recorder's sample
# count and a histogram quantile inside the recorder's own [min, max].
set -uo pipefail
BIN=$1
FL=$BIN/flushlat REC=$BIN/flush_recorder
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TMP/prom.log" ] && tail -5 "$TMP/prom.log"; exit 1; }
command -v prometheus >/dev/null || fail "prometheus (Debian package prometheus) is not installed"
command -v curl >/dev/null || fail "curl is not installed"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
FPORT=$(free_port) PPORT=$(free_port)

"$FL" -b "$REC" --listen "127.0.0.1:$FPORT" --label-set job_kind=ci 2>"$TMP/fl.err" &
pids+=($!)
for _ in $(seq 100); do grep -q attached "$TMP/fl.err" && break; sleep 0.1; done
grep -q attached "$TMP/fl.err" || fail "flushlat did not attach: $(cat "$TMP/fl.err")"

cat >"$TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: flushlat
    static_configs:
      - targets: ['127.0.0.1:$FPORT']
YML
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
	--web.listen-address="127.0.0.1:$PPORT" >"$TMP/prom.log" 2>&1 &
pids+=($!)

"$REC" --flushes 300 --writers 2 --no-sync --dump >"$TMP/rec.txt" || fail "recorder failed"
want=$(sed -n 's/.*samples=\([0-9]*\).*/\1/p' "$TMP/rec.txt")
[ "$want" = 300 ] || fail "recorder dump: $(cat "$TMP/rec.txt")"

query() { # PROMQL -> the first result's value, or empty
	curl -sf --get "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
}
got=
for _ in $(seq 150); do
	got=$(query 'flushlat_meta_flush_duration_seconds_count{job="flushlat",subsystem="wal_meta",job_kind="ci"}')
	[ "$got" = "$want" ] && break
	sleep 0.2
done
[ "$got" = "$want" ] || fail "Prometheus has count '$got', recorder $want"
echo "ok: Prometheus scraped samples = $got (recorder: $want)"

q=$(query 'histogram_quantile(0.99, flushlat_meta_flush_duration_seconds_bucket{job="flushlat"})')
max=$(query 'flushlat_meta_flush_max_seconds{job="flushlat"}')
min=$(query 'flushlat_meta_flush_min_seconds{job="flushlat"}')
python3 - "$q" "$min" "$max" <<'PY' || fail "p99 '$q' not within [min '$min', max '$max'] (+6.25%)"
import sys
q, mn, mx = (float(v) for v in sys.argv[1:])
sys.exit(0 if mn * 0.9375 <= q <= mx * 1.0625 and q > 0 else 1)
PY
echo "ok: histogram_quantile(0.99) = $q s within [$min, $max]"
up=$(query 'up{job="flushlat"}')
[ "$up" = 1 ] || fail "up = '$up'"
echo PASS
