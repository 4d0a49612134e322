// SPDX-License-Identifier: MIT
/*
 * JSON snapshot: one object on one line (built with json-c, so strings such
 * as a process comm are always escaped correctly).  Layout, see README:
 *
 *   {"meta_store":{"maintenance_meta_flush":{"samples":N,"total_ns":N,
 *    "min_ns":N,"max_ns":N,"avg_ns":N}},
 *    "percentiles":{"p50_ns":N,"p90_ns":N,"p99_ns":N,"p99_9_ns":N},
 *    "in_flight":{"count":N,"oldest_age_ns":N},"unmatched":N,"dropped":N,
 *    "failed":{"count":N,"errno":{"EIO":N,...}},
 *    "pid":N,"timestamp_ns":N,"histogram":[[lo_ns,count],...],
 *    "processes":[{"pid":N,"comm":"..","samples":N,"total_ns":N,"min_ns":N,
 *    "max_ns":N}],"programs":[{"name":"..","run_time_ns":N,"run_cnt":N}]}
 *
 * min_ns is the merged MetaStore value as is: with no samples it is the
 * "empty" marker UINT64_MAX, written as 18446744073709551615 (json-c keeps
 * full uint64 precision), so a saved snapshot restores the MetaStore exactly.
 * With --lean (only meta_flush_done traced) "lean":true is added at the
 * end: in_flight and unmatched are then unknown and written as null.
 * A --delta snapshot (counts of one interval) ends with "delta":true, so a
 * reader can tell it from a cumulative one.
 * "failed" (flushes that fired flashstrike:meta_flush_failed, by errno name,
 * "other" for a value that is not one) is null when the traced files lack
 * that probe: unknown, not 0.
 * The histogram lists only non-empty buckets, keyed by the bucket's lower
 * bound in ns (include/flushlat/hist.h); timestamp_ns is CLOCK_REALTIME.
 */
#include <string.h>

#include <json-c/json.h>

#include "breakdown.h"
#include "metastore.h"
#include "metrics.h"
#include "render.h"

/* A fixed-size name field, which may fill its array without a NUL. */
static struct json_object *fixed_str(const char *v, size_t size)
{
	return json_object_new_string_len(v, (int)strnlen(v, size));
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static struct json_object *duration_obj(const struct duration64 *d, int with_avg)
{
	struct json_object *o = json_object_new_object();
	uint64_t n = d->samples.value;

	add_u64(o, "samples", n);
	add_u64(o, "total_ns", d->total_ns.value);
	add_u64(o, "min_ns", d->min_ns.value);
	add_u64(o, "max_ns", d->max_ns.value);
	if (with_avg)
		add_u64(o, "avg_ns", duration64_avg_ns(d));
	return o;
}

static struct json_object *percentiles_obj(const struct fl_snapshot *s)
{
	struct json_object *o = json_object_new_object();
	const struct fl_metric *m;

	fl_for_each_quantile(m)
		add_u64(o, m->key, fl_metric_value(m, s).u);
	return o;
}

static struct json_object *histogram_arr(const struct fl_snapshot *s)
{
	struct json_object *a = json_object_new_array();
	__u32 i;

	for (i = 0; i < FL_HIST_NBUCKETS; i++) {
		struct json_object *pair;

		if (!s->hist[i])
			continue;
		pair = json_object_new_array_ext(2);
		json_object_array_add(pair, json_object_new_uint64(fl_hist_bucket_lo(i)));
		json_object_array_add(pair, json_object_new_uint64(s->hist[i]));
		json_object_array_add(a, pair);
	}
	return a;
}

/* {"count":N,"errno":{"ENOSPC":N}}: only the errnos seen; null when unknown. */
static struct json_object *failed_obj(const struct fl_snapshot *s)
{
	struct json_object *o, *by;

	if (!s->failed_known)
		return NULL;
	o = json_object_new_object();
	by = json_object_new_object();
	add_u64(o, "count", fl_failed_total(s));
	for (unsigned int i = 1; i <= FL_FAILED_ERRNOS; i++) /* by number, "other" last */
		if (s->failed[i % FL_FAILED_ERRNOS])
			add_u64(by, fl_errno_name(i % FL_FAILED_ERRNOS), s->failed[i % FL_FAILED_ERRNOS]);
	json_object_object_add(o, "errno", by);
	return o;
}

static struct json_object *processes_arr(const struct fl_snapshot *s)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < s->nprocs; i++) {
		const struct fl_proc *p = &s->procs[i];
		const struct duration64 *d = &p->ms.maintenance_meta_flush;
		struct json_object *o = json_object_new_object();
		char comm[FL_COMM_LEN + 1];

		fl_comm_str(p->comm, comm);
		add_u64(o, "pid", p->pid);
		json_object_object_add(o, "comm", json_object_new_string(comm));
		add_u64(o, "samples", d->samples.value);
		add_u64(o, "total_ns", d->total_ns.value);
		add_u64(o, "min_ns", d->min_ns.value);
		add_u64(o, "max_ns", d->max_ns.value);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *programs_arr(const struct fl_snapshot *s)
{
	struct json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < s->nprogs && i < FL_MAX_PROGS; i++) {
		const struct fl_prog_stats *p = &s->progs[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", fixed_str(p->name, sizeof(p->name)));
		add_u64(o, "run_time_ns", p->run_time_ns);
		add_u64(o, "run_cnt", p->run_cnt);
		json_object_array_add(a, o);
	}
	return a;
}

void fl_render_json(const struct fl_snapshot *s, const struct fl_render_opts *o, struct strbuf *out)
{
	struct json_object *root = json_object_new_object();
	struct json_object *ms = json_object_new_object();
	struct json_object *inf = json_object_new_object();
	const char *txt;

	(void)o; /* label/prefix are presentation of text/Prometheus only */
	json_object_object_add(ms, "maintenance_meta_flush",
			       duration_obj(&s->ms.maintenance_meta_flush, 1));
	json_object_object_add(root, "meta_store", ms);
	json_object_object_add(root, "percentiles", percentiles_obj(s));
	if (s->lean) {
		/* not traced with --lean: unknown, never a zero that looks measured */
		json_object_object_add(inf, "count", NULL);
		json_object_object_add(inf, "oldest_age_ns", NULL);
		json_object_object_add(root, "in_flight", inf);
		json_object_object_add(root, "unmatched", NULL);
	} else {
		add_u64(inf, "count", s->in_flight);
		add_u64(inf, "oldest_age_ns", s->oldest_age_ns);
		json_object_object_add(root, "in_flight", inf);
		add_u64(root, "unmatched", s->unmatched);
	}
	add_u64(root, "dropped", s->dropped);
	json_object_object_add(root, "failed", failed_obj(s));
	json_object_object_add(root, "pid", json_object_new_int(s->pid));
	add_u64(root, "timestamp_ns", s->taken_realtime_ns);
	json_object_object_add(root, "histogram", histogram_arr(s));
	json_object_object_add(root, "processes", processes_arr(s));
	json_object_object_add(root, "programs", programs_arr(s));
	if (s->lean)
		json_object_object_add(root, "lean", json_object_new_boolean(1));
	if (s->delta)
		json_object_object_add(root, "delta", json_object_new_boolean(1));
	fl_render_anatomy_json(s, root);

	txt = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (txt) {
		strbuf_puts(out, txt);
		strbuf_puts(out, "\n");
	} else {
		out->oom = 1;
	}
	json_object_put(root);
}
