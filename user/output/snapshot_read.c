// SPDX-License-Identifier: MIT
/*
 * snapshot_read.c - saved JSON snapshots read back into a struct
 * fl_snapshot (json-c).
 *
 * The inverse of fl_render_json(): rendering the parsed snapshot again gives
 * the same text.  A file written with --interval holds one object per line:
 * the last snapshot is the run when they are cumulative; --delta snapshots
 * ("delta":true) are summed into the run (fl_snapshot_add).  Lines with a
 * "type" are other records: "slow_flush" ones are read, others skipped, so
 * newer files stay readable.
 *
 * Required: meta_store.maintenance_meta_flush.{samples,total_ns,min_ns,max_ns},
 * in_flight.{count,oldest_age_ns}, unmatched, pid, histogram.  Optional (0 or
 * empty when absent): dropped, timestamp_ns, processes, programs, delta, lean (with
 * "lean":true, in_flight.* and unmatched are null: unknown), failed (absent
 * or null: unknown; else count and errno, whose values must add up to count).  Derived
 * values (avg_ns, percentiles) are not read back: they are recomputed from
 * the MetaStore and the histogram.  min_ns may be null, meaning "no sample"
 * (UINT64_MAX, the MetaStore's empty marker).
 *
 * Every error names the offending key and what was expected.  Besides the
 * shape, the numbers must make sense together (what flushlat itself can
 * write, even while flushes complete during a read): every integer fits in
 * 64 bits (json-c would clamp a larger one silently), the histogram counts add
 * up to samples (without overflowing), lie between the buckets of min and
 * max when those are known, an empty duration has no min or max, min <= max,
 * "lean":true goes with nulls, nothing is in flight without an age, pids are
 * unique.  The JSON is strict and its strings valid UTF-8.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "breakdown.h"
#include "json_fields.h"
#include "snapshot_read.h"

/*
 * A value --lean does not measure: null (unknown, read as 0) in a lean
 * snapshot, a number otherwise; never the other way round.
 */
static int get_u64_lean(struct json_object *obj, const char *path, const char *key, int lean,
			uint64_t *v, char *err, size_t errlen)
{
	struct json_object *o;

	*v = 0;
	if (fl_json_key(obj, path, key, 0, &o, err, errlen))
		return -1;
	if (lean && o) {
		snprintf(err, errlen, "%s%s: expected null with \"lean\":true (not measured), got %s",
			 path, key, fl_json_type_name(o));
		return -1;
	}
	if (lean)
		return 0;
	return fl_json_as_u64(o, path, key, v, err, errlen);
}

/*
 * What every MetaStore reading satisfies, even one taken while flushes
 * complete (the BPF side raises samples first and min/max after): no min or
 * max without a sample, and min <= max when both are known (an interval of
 * --delta may not know them: min UINT64_MAX, max 0).
 */
static int check_duration(const struct duration64 *d, const char *path, char *err, size_t errlen)
{
	uint64_t n = d->samples.value, lo = d->min_ns.value, hi = d->max_ns.value;

	if (!n && lo != FL_MIN_EMPTY) {
		snprintf(err, errlen, "%smin_ns: %llu with samples 0 (expected 18446744073709551615 "
				      "or null: no sample)", path, (unsigned long long)lo);
		return -1;
	}
	if (!n && hi) {
		snprintf(err, errlen, "%smax_ns: %llu with samples 0 (expected 0: no sample)", path,
			 (unsigned long long)hi);
		return -1;
	}
	if (lo != FL_MIN_EMPTY && hi && lo > hi) {
		snprintf(err, errlen, "%smin_ns: %llu is above max_ns %llu", path,
			 (unsigned long long)lo, (unsigned long long)hi);
		return -1;
	}
	return 0;
}

/* samples/total_ns/min_ns/max_ns of a duration64; min_ns null = no sample. */
static int parse_duration(struct json_object *obj, const char *path, struct duration64 *d,
			  char *err, size_t errlen)
{
	struct json_object *mn;
	uint64_t n, tot, mx, lo = FL_MIN_EMPTY;

	if (fl_json_u64(obj, path, "samples", 0, &n, err, errlen) ||
	    fl_json_u64(obj, path, "total_ns", 0, &tot, err, errlen) ||
	    fl_json_u64(obj, path, "max_ns", 0, &mx, err, errlen) ||
	    fl_json_key(obj, path, "min_ns", 0, &mn, err, errlen))
		return -1;
	if (mn && fl_json_as_u64(mn, path, "min_ns", &lo, err, errlen))
		return -1;
	d->samples.value = n;
	d->total_ns.value = tot;
	d->max_ns.value = mx;
	d->min_ns.value = lo;
	return check_duration(d, path, err, errlen);
}

/*
 * The histogram holds exactly the MetaStore's samples (flushlat makes them
 * agree before writing: see fl_snapshot_settle), each in a bucket between
 * those of min and max when they are known.
 */
static int check_histogram(const struct fl_snapshot *s, char *err, size_t errlen)
{
	const struct duration64 *d = &s->ms.maintenance_meta_flush;
	uint64_t sum = 0, lo = d->min_ns.value, hi = d->max_ns.value;

	for (__u32 b = 0; b < FL_HIST_NBUCKETS; b++) {
		if (!s->hist[b])
			continue;
		if (sum + s->hist[b] < sum) {
			snprintf(err, errlen, "histogram: counts add up to more than 18446744073709551615");
			return -1;
		}
		sum += s->hist[b];
		if ((lo != FL_MIN_EMPTY && b < fl_hist_bucket(lo)) || (hi && b > fl_hist_bucket(hi))) {
			snprintf(err, errlen, "histogram: bucket %llu ns lies outside min_ns..max_ns "
					      "(%llu..%llu)", (unsigned long long)fl_hist_bucket_lo(b),
				 (unsigned long long)lo, (unsigned long long)hi);
			return -1;
		}
	}
	if (sum != d->samples.value) {
		snprintf(err, errlen, "histogram: counts add up to %llu, but "
				      "meta_store.maintenance_meta_flush.samples is %llu",
			 (unsigned long long)sum, (unsigned long long)d->samples.value);
		return -1;
	}
	return 0;
}

static int parse_histogram(struct json_object *arr, struct fl_snapshot *s, char *err, size_t errlen)
{
	size_t i, n = json_object_array_length(arr);
	char path[48];

	for (i = 0; i < n; i++) {
		struct json_object *pair = json_object_array_get_idx(arr, i);
		uint64_t lo, cnt;
		__u32 b;

		snprintf(path, sizeof(path), "histogram[%zu]", i);
		if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2) {
			snprintf(err, errlen, "%s: expected [lo_ns, count], got %s", path,
				 fl_json_type_name(pair));
			return -1;
		}
		if (fl_json_as_u64(json_object_array_get_idx(pair, 0), path, "[0]", &lo, err, errlen) ||
		    fl_json_as_u64(json_object_array_get_idx(pair, 1), path, "[1]", &cnt, err, errlen))
			return -1;
		b = fl_hist_bucket(lo);
		if (fl_hist_bucket_lo(b) != lo) {
			snprintf(err, errlen, "%s: %llu ns is not a histogram bucket lower bound", path,
				 (unsigned long long)lo);
			return -1;
		}
		if (s->hist[b]) {
			snprintf(err, errlen, "%s: bucket %llu ns listed twice", path,
				 (unsigned long long)lo);
			return -1;
		}
		s->hist[b] = cnt;
	}
	return check_histogram(s, err, errlen);
}

static int parse_processes(struct json_object *arr, struct fl_snapshot *s, char *err, size_t errlen)
{
	size_t i, n = json_object_array_length(arr);
	char path[48];

	if (!n)
		return 0;
	s->procs = calloc(n, sizeof(*s->procs));
	if (!s->procs) {
		snprintf(err, errlen, "processes: out of memory");
		return -1;
	}
	s->nprocs = n;
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct fl_proc *p = &s->procs[i];
		uint64_t pid;

		snprintf(path, sizeof(path), "processes[%zu].", i);
		if (!json_object_is_type(o, json_type_object)) {
			snprintf(err, errlen, "%s: expected an object, got %s", path, fl_json_type_name(o));
			return -1;
		}
		if (fl_json_u64(o, path, "pid", 0, &pid, err, errlen))
			return -1;
		if (pid == 0 || pid > INT_MAX) {
			snprintf(err, errlen, "%spid: %llu out of range", path, (unsigned long long)pid);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (s->procs[j].pid == pid) {
				snprintf(err, errlen, "%spid: %llu listed twice", path,
					 (unsigned long long)pid);
				return -1;
			}
		}
		p->pid = (uint32_t)pid;
		if (fl_json_str(o, path, "comm", p->comm, sizeof(p->comm), err, errlen) ||
		    parse_duration(o, path, &p->ms.maintenance_meta_flush, err, errlen))
			return -1;
	}
	return 0;
}

static int parse_programs(struct json_object *arr, struct fl_snapshot *s, char *err, size_t errlen)
{
	size_t i, n = json_object_array_length(arr);
	char path[48];

	if (n > FL_MAX_PROGS) {
		snprintf(err, errlen, "programs: %zu entries, at most %d expected", n, FL_MAX_PROGS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct fl_prog_stats *p = &s->progs[i];

		snprintf(path, sizeof(path), "programs[%zu].", i);
		if (!json_object_is_type(o, json_type_object)) {
			snprintf(err, errlen, "%s: expected an object, got %s", path, fl_json_type_name(o));
			return -1;
		}
		if (fl_json_str(o, path, "name", p->name, sizeof(p->name), err, errlen) ||
		    fl_json_u64(o, path, "run_time_ns", 0, &p->run_time_ns, err, errlen) ||
		    fl_json_u64(o, path, "run_cnt", 0, &p->run_cnt, err, errlen))
			return -1;
	}
	s->nprogs = (int)n;
	return 0;
}

static int parse_pid(struct json_object *root, struct fl_snapshot *s, char *err, size_t errlen)
{
	struct json_object *o;
	int64_t v;

	if (fl_json_key(root, "", "pid", 0, &o, err, errlen))
		return -1;
	if (json_object_is_type(o, json_type_double) && fl_json_out_of_range(o)) {
		snprintf(err, errlen, "pid: %.*s is out of range (a process id, or -1 for none)",
			 (int)strlen(json_object_get_string(o)) - 2, json_object_get_string(o));
		return -1;
	}
	if (!json_object_is_type(o, json_type_int)) {
		snprintf(err, errlen, "pid: expected an integer, got %s", fl_json_type_name(o));
		return -1;
	}
	v = json_object_get_int64(o);
	if (v < -1 || v == 0 || v > INT_MAX) {
		snprintf(err, errlen, "pid: %lld out of range (a process id, or -1 for none)",
			 (long long)v);
		return -1;
	}
	s->pid = (int)v;
	return 0;
}

/* An optional boolean; absent is false. */
static int parse_flag(struct json_object *root, const char *key, int *v, char *err, size_t errlen)
{
	struct json_object *o;

	*v = 0;
	if (!json_object_object_get_ex(root, key, &o))
		return 0;
	if (!json_object_is_type(o, json_type_boolean)) {
		snprintf(err, errlen, "%s: expected a boolean, got %s", key, fl_json_type_name(o));
		return -1;
	}
	*v = json_object_get_boolean(o);
	return 0;
}

static int check_in_flight(const struct fl_snapshot *s, char *err, size_t errlen)
{
	if (!s->in_flight && s->oldest_age_ns) {
		snprintf(err, errlen, "in_flight.oldest_age_ns: %llu with count 0 (expected 0)",
			 (unsigned long long)s->oldest_age_ns);
		return -1;
	}
	return 0;
}

/* "failed":{"count":N,"errno":{"EIO":N,...}}; absent or null: unknown. */
static int parse_failed(struct json_object *root, struct fl_snapshot *s, char *err, size_t errlen)
{
	struct json_object *o, *by;
	uint64_t count, sum = 0;

	if (fl_json_key(root, "", "failed", 1, &o, err, errlen) || !o)
		return 0;
	if (fl_json_obj(root, "", "failed", 0, &o, err, errlen) ||
	    fl_json_u64(o, "failed.", "count", 0, &count, err, errlen) ||
	    fl_json_obj(o, "failed.", "errno", 0, &by, err, errlen))
		return -1;
	json_object_object_foreach(by, name, v) {
		int slot = fl_errno_slot(name);
		uint64_t n;

		if (slot < 0) {
			snprintf(err, errlen, "failed.errno.%s: not an errno name (EIO, ...) or \"other\"",
				 name);
			return -1;
		}
		if (fl_json_as_u64(v, "failed.errno.", name, &n, err, errlen))
			return -1;
		s->failed[slot] = n;
		sum += n;
	}
	if (sum != count) {
		snprintf(err, errlen, "failed.count: %llu, but failed.errno adds up to %llu",
			 (unsigned long long)count, (unsigned long long)sum);
		return -1;
	}
	s->failed_known = 1;
	return 0;
}

static int parse_root(struct json_object *root, struct fl_snapshot *s, char *err, size_t errlen)
{
	struct json_object *ms, *d, *inf, *hist, *procs, *progs;

	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "expected a JSON object, got %s", fl_json_type_name(root));
		return -1;
	}
	if (parse_flag(root, "lean", &s->lean, err, errlen) ||
	    parse_flag(root, "delta", &s->delta, err, errlen) ||
	    fl_json_obj(root, "", "meta_store", 0, &ms, err, errlen) ||
	    fl_json_obj(ms, "meta_store.", "maintenance_meta_flush", 0, &d, err, errlen) ||
	    parse_duration(d, "meta_store.maintenance_meta_flush.", &s->ms.maintenance_meta_flush,
			   err, errlen) ||
	    fl_json_obj(root, "", "in_flight", 0, &inf, err, errlen) ||
	    get_u64_lean(inf, "in_flight.", "count", s->lean, &s->in_flight, err, errlen) ||
	    get_u64_lean(inf, "in_flight.", "oldest_age_ns", s->lean, &s->oldest_age_ns, err,
			 errlen) ||
	    get_u64_lean(root, "", "unmatched", s->lean, &s->unmatched, err, errlen) ||
	    fl_json_u64(root, "", "dropped", 1, &s->dropped, err, errlen) ||
	    parse_failed(root, s, err, errlen) ||
	    parse_pid(root, s, err, errlen) ||
	    fl_json_u64(root, "", "timestamp_ns", 1, &s->taken_realtime_ns, err, errlen) ||
	    check_in_flight(s, err, errlen) ||
	    fl_json_arr(root, "", "histogram", 0, &hist, err, errlen) ||
	    parse_histogram(hist, s, err, errlen) ||
	    fl_json_arr(root, "", "processes", 1, &procs, err, errlen) ||
	    (procs && parse_processes(procs, s, err, errlen)) ||
	    fl_json_arr(root, "", "programs", 1, &progs, err, errlen) ||
	    (progs && parse_programs(progs, s, err, errlen)) ||
	    fl_anatomy_from_json(root, s, err, errlen))
		return -1;
	return 0;
}

static int blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return 0;
	return 1;
}

/* 1 when the integer token [p, p + n) (digits, maybe a '-') does not fit in 64 bits. */
static int int_too_big(const char *p, size_t n)
{
	const char *lim = "18446744073709551615";

	if (*p == '-') {
		lim = "9223372036854775808";
		p++;
		n--;
	}
	while (n > 1 && *p == '0') {
		p++;
		n--;
	}
	return n > strlen(lim) || (n == strlen(lim) && strncmp(p, lim, n) > 0);
}

/*
 * A copy of [b, b + n) in which every integer that json-c would clamp has
 * ".0" appended (see is_out_of_range).  Strings are skipped.  NULL on
 * allocation failure; *len is the copy's length.
 */
static char *mark_out_of_range(const char *b, size_t n, size_t *len)
{
	char *out = malloc(2 * n + 1), *o = out;
	int in_str = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i;

		if (in_str) {
			if (b[i] == '\\' && i + 1 < n) /* an escape: two bytes, never the end */
				*o++ = b[i++];
			else if (b[i] == '"')
				in_str = 0;
			*o++ = b[i++];
			continue;
		}
		if (b[i] != '-' && (b[i] < '0' || b[i] > '9')) {
			in_str = b[i] == '"';
			*o++ = b[i++];
			continue;
		}
		/* a number: [-]digits[.digits][(e|E)[+-]digits] */
		j += b[j] == '-';
		while (j < n && b[j] >= '0' && b[j] <= '9')
			j++;
		memcpy(o, b + i, j - i);
		o += j - i;
		if ((j == n || (b[j] != '.' && b[j] != 'e' && b[j] != 'E')) && int_too_big(b + i, j - i)) {
			*o++ = '.';
			*o++ = '0';
		}
		i = j;
	}
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
}

/* The JSON value in [b, e) (one line); 0 or -1 with a message. */
static int parse_json(const char *b, const char *e, struct json_object **root, char *err,
		      size_t errlen)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t off, len;
	char *text;
	int ret = -1;

	*root = NULL;
	if (e - b > INT_MAX / 2) {
		snprintf(err, errlen, "not JSON: line too long");
		return -1;
	}
	text = mark_out_of_range(b, (size_t)(e - b), &len);
	tok = json_tokener_new();
	if (!tok || !text) {
		snprintf(err, errlen, "out of memory");
		json_tokener_free(tok);
		free(text);
		return -1;
	}
	/* strict JSON (no leading zeros, no trailing commas...), strings valid UTF-8 */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	*root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !*root) {
		if (jerr == json_tokener_continue)
			snprintf(err, errlen, "not JSON: the line ends inside a value (truncated?)");
		else
			snprintf(err, errlen, "not JSON: %s at offset %zu",
				 json_tokener_error_desc(jerr), off);
	} else if (!blank(text + off, text + len)) {
		snprintf(err, errlen, "not JSON: trailing data after the object at offset %zu", off);
	} else {
		ret = 0;
	}
	if (ret) {
		json_object_put(*root);
		*root = NULL;
	}
	free(text);
	return ret;
}

/* The snapshot of a parsed line; never half a snapshot on error. */
static int parse_snapshot(struct json_object *root, struct fl_snapshot *s, char *err,
			  size_t errlen)
{
	fl_snapshot_init(s);
	if (parse_root(root, s, err, errlen) == 0)
		return 0;
	fl_snapshot_free(s);
	fl_snapshot_init(s);
	return -1;
}

/* Parses one object in [b, e); 0 or -1 with a message. */
static int parse_line(const char *b, const char *e, struct fl_snapshot *s, char *err,
		      size_t errlen)
{
	struct json_object *root;
	int ret;

	if (parse_json(b, e, &root, err, errlen))
		return -1;
	ret = parse_snapshot(root, s, err, errlen);
	json_object_put(root);
	return ret;
}

/* [*start, *end) = the last line holding something other than whitespace. */
static int last_line(const char *text, const char **start, const char **end)
{
	const char *e = text + strlen(text), *b;

	while (e > text) {
		b = e;
		while (b > text && b[-1] != '\n')
			b--;
		if (!blank(b, e)) {
			*start = b;
			*end = e;
			return 0;
		}
		e = b > text ? b - 1 : text;
	}
	return -1;
}

int fl_snapshot_from_json(const char *text, struct fl_snapshot *s, char *err, size_t errlen)
{
	const char *b, *e;

	fl_snapshot_init(s);
	if (!text || last_line(text, &b, &e)) {
		snprintf(err, errlen, "no JSON snapshot (empty input)");
		return -1;
	}
	return parse_line(b, e, s, err, errlen);
}

/*
 * The file seen through a stream that ends after FL_SNAPSHOT_MAX_BYTES, so
 * that getline() cannot be made to read for ever (`report /dev/zero`).
 */
struct bounded {
	FILE *f;
	size_t left;
	int over;
};

static ssize_t bounded_read(void *cookie, char *buf, size_t size)
{
	struct bounded *b = cookie;
	size_t n;

	if (!b->left) {
		b->over = fgetc(b->f) != EOF;
		return 0;
	}
	n = fread(buf, 1, size < b->left ? size : b->left, b->f);
	b->left -= n;
	return ferror(b->f) ? -1 : (ssize_t)n;
}

static int parse_slow_flush(struct json_object *o, struct fl_slow_flush *f, char *err,
			    size_t errlen)
{
	static const char path[] = "slow_flush.";
	uint64_t pid, tid;

	memset(f, 0, sizeof(*f));
	if (fl_json_u64(o, path, "pid", 0, &pid, err, errlen) ||
	    fl_json_u64(o, path, "tid", 0, &tid, err, errlen) ||
	    fl_json_str(o, path, "comm", f->comm, sizeof(f->comm), err, errlen) ||
	    fl_json_u64(o, path, "start_ns", 0, &f->start_ns, err, errlen) ||
	    fl_json_u64(o, path, "duration_ns", 0, &f->duration_ns, err, errlen) ||
	    fl_json_u64(o, path, "time_ns", 0, &f->time_ns, err, errlen))
		return -1;
	if (pid > UINT32_MAX || tid > UINT32_MAX) {
		snprintf(err, errlen, "%s%s: out of range", path, pid > UINT32_MAX ? "pid" : "tid");
		return -1;
	}
	f->pid = (uint32_t)pid;
	f->tid = (uint32_t)tid;
	return 0;
}

/* What a line holds: a snapshot (no "type", or "snapshot") or another record. */
static int record_kind(struct json_object *root, enum fl_record_kind *kind, char *err,
		       size_t errlen)
{
	struct json_object *t;
	const char *name;

	*kind = FL_REC_SNAPSHOT;
	if (!json_object_object_get_ex(root, "type", &t))
		return 0;
	if (!json_object_is_type(t, json_type_string)) {
		snprintf(err, errlen, "type: expected a string, got %s", fl_json_type_name(t));
		return -1;
	}
	name = json_object_get_string(t);
	if (!strcmp(name, "slow_flush"))
		*kind = FL_REC_SLOW_FLUSH;
	else if (strcmp(name, "snapshot") != 0)
		*kind = FL_REC_OTHER;
	return 0;
}

/* One non-blank line [b, e) parsed and handed to fn. */
static int read_record(const char *b, const char *e, size_t lineno, fl_record_fn fn, void *ctx,
		       char *err, size_t errlen)
{
	struct fl_record r = { .lineno = lineno };
	struct fl_slow_flush slow;
	struct fl_snapshot s;
	struct json_object *root;
	int ret = -1;

	if (parse_json(b, e, &root, err, errlen))
		return -1;
	r.json = root;
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "expected a JSON object, got %s", fl_json_type_name(root));
		goto out;
	}
	if (record_kind(root, &r.kind, err, errlen))
		goto out;
	if (r.kind == FL_REC_SNAPSHOT) {
		if (parse_snapshot(root, &s, err, errlen))
			goto out;
		r.snap = &s;
	} else if (r.kind == FL_REC_SLOW_FLUSH) {
		if (parse_slow_flush(root, &slow, err, errlen))
			goto out;
		r.slow = &slow;
	}
	ret = fn(&r, ctx, err, errlen);
	if (r.snap)
		fl_snapshot_free(&s);
out:
	json_object_put(root);
	return ret;
}

int fl_json_stream_read(FILE *in, const char *name, fl_record_fn fn, void *ctx, char *err,
			size_t errlen)
{
	static const cookie_io_functions_t io = { .read = bounded_read };
	struct bounded b = { .f = in, .left = FL_SNAPSHOT_MAX_BYTES };
	char *line = NULL, msg[256];
	size_t cap = 0, lineno = 0, records = 0;
	ssize_t n;
	FILE *f;
	int ret = -1;

	f = fopencookie(&b, "r", io);
	if (!f) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	errno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		char what[200];

		lineno++;
		if (b.over) /* this line was cut at the limit */
			break;
		if (memchr(line, '\0', (size_t)n)) {
			snprintf(msg, sizeof(msg), "line %zu: not JSON: contains a NUL byte", lineno);
			goto out;
		}
		if (blank(line, line + n))
			continue;
		records++;
		if (read_record(line, line + n, lineno, fn, ctx, what, sizeof(what))) {
			snprintf(msg, sizeof(msg), "line %zu: %s", lineno, what);
			goto out;
		}
	}
	if (b.over) {
		snprintf(msg, sizeof(msg), "larger than %d MiB, not a snapshot file",
			 FL_SNAPSHOT_MAX_BYTES >> 20);
		goto out;
	}
	if (ferror(f) || ferror(in)) {
		snprintf(msg, sizeof(msg), "%s", strerror(errno ? errno : EIO));
		goto out;
	}
	if (!records) {
		snprintf(msg, sizeof(msg), "no JSON snapshot (empty input)");
		goto out;
	}
	ret = 0;
out:
	if (ret)
		snprintf(err, errlen, "%s: %s", name, msg);
	free(line);
	fclose(f);
	return ret;
}

int fl_json_file_read(const char *path, fl_record_fn fn, void *ctx, char *err, size_t errlen)
{
	FILE *in = fopen(path, "re");
	int ret;

	if (!in) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ret = fl_json_stream_read(in, path, fn, ctx, err, errlen);
	fclose(in);
	return ret;
}

void fl_run_init(struct fl_run *r)
{
	memset(r, 0, sizeof(*r));
	fl_snapshot_init(&r->s);
}

void fl_run_free(struct fl_run *r)
{
	fl_snapshot_free(&r->s);
	fl_run_init(r);
}

int fl_run_add(struct fl_run *r, const struct fl_snapshot *snap, char *err, size_t errlen)
{
	int ret;

	if (r->nsnapshots && snap->delta != r->delta) {
		snprintf(err, errlen, "mixes --delta and cumulative snapshots");
		return -1;
	}
	r->delta = snap->delta;
	r->nsnapshots++;
	if (r->delta) {
		ret = fl_snapshot_add(&r->s, snap);
	} else {
		/* cumulative: the last one is the run */
		fl_snapshot_free(&r->s);
		ret = fl_snapshot_copy(&r->s, snap);
	}
	if (ret)
		snprintf(err, errlen, "out of memory");
	return ret;
}

static int load_one(const struct fl_record *rec, void *ctx, char *err, size_t errlen)
{
	if (rec->kind != FL_REC_SNAPSHOT)
		return 0;
	return fl_run_add(ctx, rec->snap, err, errlen);
}

int fl_snapshot_load(const char *path, struct fl_snapshot *s, char *err, size_t errlen)
{
	struct fl_run r;
	int ret;

	fl_run_init(&r);
	ret = fl_json_file_read(path, load_one, &r, err, errlen);
	if (ret == 0 && !r.nsnapshots) {
		snprintf(err, errlen, "%s: no snapshot (only other records)", path);
		ret = -1;
	}
	if (ret) {
		fl_run_free(&r);
		fl_snapshot_init(s);
		return -1;
	}
	*s = r.s; /* s owns its processes now */
	return 0;
}
