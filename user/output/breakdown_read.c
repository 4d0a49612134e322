// SPDX-License-Identifier: MIT
/*
 * breakdown_read.c - the anatomy parts of a saved JSON snapshot read back:
 * "breakdown", "slow_*", "stuck_*", "top".  The inverse of
 * fl_render_anatomy_json(): percentiles are not read, they are recomputed
 * from the histograms and maxima, so rendering the parsed snapshot again
 * gives the same text.  Every key is optional at the top level (a run
 * without the options has none); inside "breakdown" the keys the renderer
 * always writes are required, and every error names the key.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "breakdown.h"
#include "snapshot.h"
#include "json_fields.h"
#include "snapshot_read.h"

static int parse_hist(struct json_object *arr, const char *path, uint64_t *h, char *err,
		      size_t errlen)
{
	size_t n = json_object_array_length(arr);
	char p[224];

	for (size_t i = 0; i < n; i++) {
		struct json_object *pair = json_object_array_get_idx(arr, i);
		uint64_t lo, cnt;
		__u32 b;

		snprintf(p, sizeof(p), "%shistogram[%zu]", path, i);
		if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2) {
			snprintf(err, errlen, "%s: expected [lo_ns, count]", p);
			return -1;
		}
		if (fl_json_as_u64(json_object_array_get_idx(pair, 0), p, "[0]", &lo, err, errlen) ||
		    fl_json_as_u64(json_object_array_get_idx(pair, 1), p, "[1]", &cnt, err, errlen))
			return -1;
		b = fl_hist_bucket(lo);
		if (fl_hist_bucket_lo(b) != lo) {
			snprintf(err, errlen, "%s: %llu ns is not a histogram bucket lower bound", p,
				 (unsigned long long)lo);
			return -1;
		}
		if (h[b]) {
			snprintf(err, errlen, "%s: bucket %llu ns listed twice", p, (unsigned long long)lo);
			return -1;
		}
		h[b] = cnt;
	}
	return 0;
}

static int parse_components(struct json_object *o, const char *path, struct fl_bd_agg *a,
			    char *err, size_t errlen)
{
	struct json_object *comps, *co, *h;
	char p[128], cp[160];

	snprintf(p, sizeof(p), "%scomponents.", path);
	if (fl_json_obj(o, path, "components", 0, &comps, err, errlen))
		return -1;
	for (int c = 0; c < FL_COMP_NR; c++) {
		snprintf(cp, sizeof(cp), "%s%s.", p, fl_comp_names[c]);
		if (fl_json_obj(comps, p, fl_comp_names[c], 0, &co, err, errlen) ||
		    fl_json_u64(co, cp, "total_ns", 0, &a->s.comp_ns[c], err, errlen) ||
		    fl_json_u64(co, cp, "max_ns", 0, &a->s.comp_max[c], err, errlen) ||
		    fl_json_arr(co, cp, "histogram", 0, &h, err, errlen) ||
		    parse_hist(h, cp, a->hist[c], err, errlen))
			return -1;
	}
	return 0;
}

static int parse_syscalls(struct json_object *o, const char *path, struct fl_bd_sums *s,
			  enum fl_sys_method m, char *err, size_t errlen)
{
	struct json_object *sys, *so;
	char p[128], sp[160];
	uint64_t cnt, tot;

	snprintf(p, sizeof(p), "%ssyscalls.", path);
	if (fl_json_obj(o, path, "syscalls", 0, &sys, err, errlen))
		return -1;
	for (int i = 0; i < FL_SYS_NR; i++) {
		snprintf(sp, sizeof(sp), "%s%s.", p, fl_sys_names[i]);
		if (fl_json_obj(sys, p, fl_sys_names[i], 0, &so, err, errlen) ||
		    fl_json_u64(so, sp, "count", 0, &cnt, err, errlen) ||
		    fl_json_u64(so, sp, "total_ns", 0, &tot, err, errlen) ||
		    fl_json_u64(so, sp, "off_cpu_ns", 0, &s->sys_off_ns[i], err, errlen) ||
		    fl_json_u64(so, sp, "blocked", 0, &s->sys_blocked[i], err, errlen))
			return -1;
		if (m == FL_SYSM_HOOKS) {
			s->sys_calls[i] = cnt;
			s->sys_ns[i] = tot;
		}
	}
	return 0;
}

static int parse_method(struct json_object *o, struct fl_breakdown *b, char *err, size_t errlen)
{
	struct json_object *m;

	if (!json_object_object_get_ex(o, "syscalls_method", &m) ||
	    !json_object_is_type(m, json_type_string)) {
		snprintf(err, errlen, "breakdown.syscalls_method: expected \"%s\" or \"%s\"",
			 fl_sys_method_names[0], fl_sys_method_names[1]);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		if (!strcmp(json_object_get_string(m), fl_sys_method_names[i])) {
			b->method = (enum fl_sys_method)i;
			return 0;
		}
	}
	snprintf(err, errlen, "breakdown.syscalls_method: expected \"%s\" or \"%s\"",
		 fl_sys_method_names[0], fl_sys_method_names[1]);
	return -1;
}

static int parse_slow(struct json_object *o, struct fl_breakdown *b, char *err, size_t errlen)
{
	struct json_object *sl, *basis;
	const char *p = "breakdown.slow.";

	if (fl_json_obj(o, "breakdown.", "slow", 0, &sl, err, errlen))
		return -1;
	if (!json_object_object_get_ex(sl, "basis", &basis) ||
	    !json_object_is_type(basis, json_type_string) ||
	    (strcmp(json_object_get_string(basis), "p99") != 0 &&
	     strcmp(json_object_get_string(basis), "slow") != 0)) {
		snprintf(err, errlen, "%sbasis: expected \"p99\" or \"slow\"", p);
		return -1;
	}
	b->basis = strcmp(json_object_get_string(basis), "p99") != 0 ? FL_SLOW_FIXED : FL_SLOW_P99;
	return fl_json_u64(sl, p, "threshold_ns", 0, &b->slow_threshold_ns, err, errlen) ||
	       fl_json_u64(sl, p, "flushes", 0, &b->slow.s.flushes, err, errlen) ||
	       fl_json_u64(sl, p, "wall_ns", 0, &b->slow.s.wall_ns, err, errlen) ||
	       parse_components(sl, p, &b->slow, err, errlen) ||
	       parse_syscalls(sl, p, &b->slow.s, b->method, err, errlen)
		       ? -1 : 0;
}

static int parse_checks(struct json_object *o, struct fl_breakdown *b, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "run_delay_ns", offsetof(struct fl_bd_checks, run_delay_ns) },
		{ "runq_same_thread_ns", offsetof(struct fl_bd_checks, runq_ns) },
		{ "clamped_ns", offsetof(struct fl_bd_checks, clamped_ns) },
		{ "unseen_runq_ns", offsetof(struct fl_bd_checks, unseen_runq_ns) },
		{ "on_cpu_run_delay_ns", offsetof(struct fl_bd_checks, on_cpu_rd_ns) },
		{ "missed_switch_in", offsetof(struct fl_bd_checks, missed_switch_in) },
		{ "missed_switch_out", offsetof(struct fl_bd_checks, missed_switch_out) },
		{ "snapshot_retries", offsetof(struct fl_bd_checks, retries) },
		{ "snapshot_races", offsetof(struct fl_bd_checks, races) },
		{ "queued_estimates", offsetof(struct fl_bd_checks, queued_estimates) },
		{ "not_anatomised", offsetof(struct fl_bd_checks, not_anatomised) },
		{ "stack_errors", offsetof(struct fl_bd_checks, stack_errors) },
		{ "fold_lost_ns", offsetof(struct fl_bd_checks, fold_lost_ns) },
		{ "tail_lost", offsetof(struct fl_bd_checks, tail_lost) },
	};
	struct fl_bd_checks *k = &b->checks;
	struct json_object *c;

	if (fl_json_obj(o, "breakdown.", "checks", 1, &c, err, errlen))
		return -1;
	for (size_t i = 0; c && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (fl_json_u64(c, "breakdown.checks.", keys[i].key, 1,
				(uint64_t *)((char *)k + keys[i].off), err, errlen))
			return -1;
	return c ? fl_json_u64(c, "breakdown.checks.", "open_spans", 1, &b->open_spans, err, errlen)
		 : 0;
}

/* What no reading can hold: more flushes in a histogram or in the tail than in the set. */
static int check_agg(const struct fl_bd_agg *a, const char *path, char *err, size_t errlen)
{
	for (int c = 0; c < FL_COMP_NR; c++) {
		uint64_t n = 0;

		for (size_t i = 0; i < FL_HIST_NBUCKETS; i++) {
			if (a->hist[c][i] > UINT64_MAX - n) {
				n = UINT64_MAX;
				break;
			}
			n += a->hist[c][i];
		}
		if (n > a->s.flushes) {
			snprintf(err, errlen, "%scomponents.%s.histogram: %llu flushes, more than %llu",
				 path, fl_comp_names[c], (unsigned long long)n,
				 (unsigned long long)a->s.flushes);
			return -1;
		}
	}
	return 0;
}

static int check_breakdown(const struct fl_breakdown *b, char *err, size_t errlen)
{
	if (b->slow.s.flushes > b->all.s.flushes || b->slow.s.wall_ns > b->all.s.wall_ns) {
		snprintf(err, errlen, "breakdown.slow: more flushes or wall time than all flushes");
		return -1;
	}
	return check_agg(&b->all, "breakdown.", err, errlen) ||
	       check_agg(&b->slow, "breakdown.slow.", err, errlen) ? -1 : 0;
}

static int parse_breakdown(struct json_object *o, struct fl_breakdown *b, char *err, size_t errlen)
{
	const char *p = "breakdown.";

	return fl_json_u64(o, p, "wall_ns", 0, &b->all.s.wall_ns, err, errlen) ||
	       fl_json_u64(o, p, "flushes", 0, &b->all.s.flushes, err, errlen) ||
	       parse_method(o, b, err, errlen) ||
	       parse_components(o, p, &b->all, err, errlen) ||
	       parse_syscalls(o, p, &b->all.s, b->method, err, errlen) ||
	       parse_slow(o, b, err, errlen) ||
	       parse_checks(o, b, err, errlen) ||
	       fl_json_u64(o, p, "cross_thread", 1, &b->checks.cross_thread, err, errlen) ||
	       check_breakdown(b, err, errlen)
		       ? -1 : 0;
}

static int parse_top(struct json_object *root, struct fl_anatomy *a, char *err, size_t errlen)
{
	struct json_object *n, *arr;
	size_t len;
	char p[48];

	if (!json_object_object_get_ex(root, "top_n", &n))
		return 0;
	if (!json_object_is_type(n, json_type_int) || json_object_get_int64(n) < 1 ||
	    json_object_get_int64(n) > FL_TOP_LIMIT) {
		snprintf(err, errlen, "top_n: expected an integer 1..%d", FL_TOP_LIMIT);
		return -1;
	}
	a->top_n = (int)json_object_get_int64(n);
	if (fl_json_arr(root, "", "top", 0, &arr, err, errlen))
		return -1;
	len = json_object_array_length(arr);
	if (len > (size_t)a->top_n) {
		snprintf(err, errlen, "top: %zu entries, top_n is %d", len, a->top_n);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct fl_top_entry *t = &a->top[i];
		uint64_t pid, tid;

		snprintf(p, sizeof(p), "top[%zu].", i);
		if (!json_object_is_type(e, json_type_object)) {
			snprintf(err, errlen, "top[%zu]: expected an object", i);
			return -1;
		}
		if (fl_json_u64(e, p, "pid", 0, &pid, err, errlen) ||
		    fl_json_u64(e, p, "tid", 0, &tid, err, errlen) ||
		    fl_json_u64(e, p, "start_ns", 0, &t->start_ns, err, errlen) ||
		    fl_json_u64(e, p, "duration_ns", 0, &t->duration_ns, err, errlen))
			return -1;
		if (pid > UINT32_MAX || tid > UINT32_MAX) {
			snprintf(err, errlen, "%spid/tid: out of range", p);
			return -1;
		}
		t->pid = (uint32_t)pid;
		t->tid = (uint32_t)tid;
	}
	a->ntop = len;
	return 0;
}

static int has(struct json_object *root, const char *key)
{
	return json_object_object_get_ex(root, key, NULL);
}

int fl_anatomy_from_json(struct json_object *root, struct fl_snapshot *s, char *err,
			 size_t errlen)
{
	struct fl_anatomy *a;
	struct json_object *bd;

	if (!has(root, "breakdown") && !has(root, "slow_threshold_ns") &&
	    !has(root, "stuck_threshold_ns") && !has(root, "top_n"))
		return 0;
	a = s->an = fl_anatomy_new();
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (has(root, "slow_threshold_ns")) {
		a->slow_on = 1;
		if (fl_json_u64(root, "", "slow_threshold_ns", 0, &a->slow_ns, err, errlen) ||
		    fl_json_u64(root, "", "slow_flushes", 0, &a->slow_flushes, err, errlen) ||
		    fl_json_u64(root, "", "slow_dropped", 0, &a->slow_dropped, err, errlen))
			return -1;
	}
	if (has(root, "stuck_threshold_ns")) {
		a->stuck_on = 1;
		if (fl_json_u64(root, "", "stuck_threshold_ns", 0, &a->stuck_ns, err, errlen) ||
		    fl_json_u64(root, "", "stuck_flushes", 0, &a->stuck, err, errlen))
			return -1;
	}
	if (parse_top(root, a, err, errlen))
		return -1;
	if (fl_json_obj(root, "", "breakdown", 1, &bd, err, errlen))
		return -1;
	if (!bd)
		return 0;
	a->bd = fl_breakdown_new();
	if (!a->bd) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return parse_breakdown(bd, a->bd, err, errlen);
}
