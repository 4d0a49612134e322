// SPDX-License-Identifier: MIT
/*
 * Prometheus text exposition (format 0.0.4) of a snapshot, through the core
 * library's Prometheus writer (prom.h): every family header, label set and
 * sample line is written there.
 *
 * compat: the recorder's own series, exactly: metastore_collect() with the
 * prefix "ie_wal_recorder__meta_store" under the outer label
 * system="wal_recorder", so existing FlashStrike dashboards keep working.
 * The original names do not pass `promtool check metrics` (counters without
 * _total, "_ns" units).
 *
 * default: Prometheus conventions (base units, counters ending in _total, a
 * real histogram), every series labelled subsystem="wal_meta" plus the
 * --label-set labels; the README maps each name to its original.
 *
 * Seconds are printed as exact decimals of the integer nanoseconds (never
 * through a double), so _sum is exactly total_ns / 1e9.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metastore.h"
#include "prom.h"
#include "render.h"

#define COMPAT_PREFIX "ie_wal_recorder__meta_store"
#define FL_STR_(x) #x
#define FL_STR(x) FL_STR_(x)

/* Labels that flushlat itself sets: a --label-set may not shadow them. */
static const char *const reserved_labels[] = {
	"subsystem", "system", "le", "pid", "comm", "program",
};
#define NRESERVED (sizeof(reserved_labels) / sizeof(reserved_labels[0]))
/* Every label flushlat may add fits beside a full --label-set. */
_Static_assert(FL_MAX_LABEL_SET + NRESERVED <= PROM_MAX_LABELS, "label capacity");

static int valid_label_name(const char *k)
{
	const char *p;

	if (!*k || (k[0] >= '0' && k[0] <= '9') || !strncmp(k, "__", 2))
		return 0;
	for (p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

int fl_label_set_parse(char *kv, struct fl_render_opts *o, char *err, size_t errlen)
{
	char *eq = strchr(kv, '='), vwhy[64];
	const char *why = NULL;

	if (!eq) {
		snprintf(err, errlen, "'%s': expected NAME=VALUE", kv);
		return -1;
	}
	*eq = '\0';
	if (!valid_label_name(kv))
		why = "invalid label name (letters, digits, '_', not starting with a digit or '__')";
	for (size_t i = 0; !why && i < NRESERVED; i++)
		if (!strcmp(kv, reserved_labels[i]))
			why = "the label is set by flushlat itself";
	for (int j = 0; !why && j < o->nlabels; j++)
		if (!strcmp(kv, o->label_keys[j]))
			why = "the label is given twice";
	if (!why && o->nlabels >= FL_MAX_LABEL_SET)
		why = "too many labels (at most " FL_STR(FL_MAX_LABEL_SET) ")";
	if (!why && fl_label_value_check(eq + 1, vwhy, sizeof(vwhy)))
		why = vwhy;
	if (why) {
		*eq = '=';
		snprintf(err, errlen, "'%s': %s", kv, why);
		return -1;
	}
	o->label_keys[o->nlabels] = kv;
	o->label_values[o->nlabels] = eq + 1;
	o->nlabels++;
	return 0;
}

int fl_prom_prefix_check(const char *prefix, char *err, size_t errlen)
{
	const char *p = prefix;

	/* A metric name: [a-zA-Z_:][a-zA-Z0-9_:]* */
	if (p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':')) {
		for (p++; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
				break;
		if (!*p)
			return 0;
	}
	snprintf(err, errlen, "'%s': not a valid metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)",
		 prefix ? prefix : "");
	return -1;
}

static void push_label_set(struct prom_writer *w, const struct fl_render_opts *o)
{
	for (int i = 0; i < o->nlabels; i++)
		prom_writer_push(w, o->label_keys[i], o->label_values[i]);
}

/* ---- compat ------------------------------------------------------------- */

static void render_compat(const struct fl_snapshot *s, const struct fl_render_opts *o,
			  struct prom_writer *w)
{
	prom_writer_push(w, "system", "wal_recorder");
	push_label_set(w, o);
	metastore_collect(&s->ms, COMPAT_PREFIX, prom_writer_collector(w));
}

/* ---- default ------------------------------------------------------------ */

struct fam {
	struct prom_writer *w;
	char name[256]; /* prefix_family */
};

/* Starts family prefix_name: its HELP and TYPE lines. */
static void family(struct fam *f, const char *prefix, const char *name, const char *type,
		   const char *help)
{
	snprintf(f->name, sizeof(f->name), "%s_%s", prefix, name);
	prom_writer_family(f->w, f->name, type, help);
}

/* ns as exact decimal seconds: 1500000 -> "0.0015", 2000000000 -> "2". */
static void seconds_str(char *buf, size_t len, uint64_t ns)
{
	uint64_t sec = ns / 1000000000ULL, frac = ns % 1000000000ULL;
	char digits[16];
	int n;

	if (!frac) {
		snprintf(buf, len, "%" PRIu64, sec);
		return;
	}
	n = snprintf(digits, sizeof(digits), "%09" PRIu64, frac);
	while (n > 0 && digits[n - 1] == '0')
		n--;
	snprintf(buf, len, "%" PRIu64 ".%.*s", sec, n, digits);
}

/* One sample of the current family; suffix is appended to its name ("_sum"). */
static void sample_u64(struct fam *f, const char *suffix, const struct prom_label *l, int nl,
		       uint64_t v)
{
	char name[288];

	snprintf(name, sizeof(name), "%s%s", f->name, suffix);
	prom_writer_sample_u64(f->w, name, l, nl, v);
}

static void sample_sec(struct fam *f, const char *suffix, const struct prom_label *l, int nl,
		       uint64_t ns)
{
	char name[288], v[48];

	snprintf(name, sizeof(name), "%s%s", f->name, suffix);
	seconds_str(v, sizeof(v), ns);
	prom_writer_sample(f->w, name, l, nl, v);
}

/* Round boundaries every scrape carries, so dashboards can rely on them. */
static const uint64_t fixed_le_ns[] = {
	1000ULL,       10000ULL,      100000ULL,      250000ULL,      500000ULL,
	1000000ULL,    2500000ULL,    5000000ULL,     10000000ULL,    25000000ULL,
	50000000ULL,   100000000ULL,  250000000ULL,   500000000ULL,   1000000000ULL,
	2500000000ULL, 5000000000ULL, 10000000000ULL, 30000000000ULL, 60000000000ULL,
};
#define NFIXED (sizeof(fixed_le_ns) / sizeof(fixed_le_ns[0]))

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The `le` bounds: the inclusive top (hi - 1) of every non-empty bucket,
 * where the cumulative count changes and is exact, plus the fixed round
 * bounds.  Sorted, without duplicates; returns how many.
 */
static size_t collect_bounds(const uint64_t *hist, uint64_t *le)
{
	size_t n = 0, i, u;

	for (i = 0; i + 1 < FL_HIST_NBUCKETS; i++) /* the last bucket only has +Inf above it */
		if (hist[i])
			le[n++] = fl_hist_bucket_hi((__u32)i) - 1;
	for (i = 0; i < NFIXED; i++)
		le[n++] = fixed_le_ns[i];
	qsort(le, n, sizeof(*le), cmp_u64);
	for (i = 0, u = 0; i < n; i++)
		if (!u || le[i] != le[u - 1])
			le[u++] = le[i];
	return u;
}

/*
 * The histogram: bucket le=B counts every BPF bucket lying entirely at or
 * below B (exact at the non-empty buckets' bounds, at most one bucket short
 * at a round bound).  _count and _sum are the MetaStore's exact samples and
 * total; the BPF histogram and the MetaStore are separate maps read one
 * after the other, so a flush landing in between can make the histogram run
 * ahead: cumulative counts are clamped to _count to stay monotonic and end
 * at +Inf == _count.
 */
static void render_histogram(struct fam *f, const char *prefix, const struct fl_snapshot *s)
{
	const struct duration64 *d = &s->ms.maintenance_meta_flush;
	uint64_t le[FL_HIST_NBUCKETS + NFIXED], cum = 0, n = d->samples.value;
	char lebuf[48];
	struct prom_label l = { "le", lebuf };
	size_t nle;
	__u32 i = 0;

	family(f, prefix, "meta_flush_duration_seconds", "histogram",
	       "Duration of WAL metadata flushes (MetaStore maintenance_meta_flush); buckets from "
	       "the log-linear BPF histogram, _sum and _count exact from the MetaStore.");
	nle = collect_bounds(s->hist, le);
	for (size_t j = 0; j < nle; j++) {
		for (; i < FL_HIST_NBUCKETS && fl_hist_bucket_hi(i) - 1 <= le[j] &&
		       i + 1 < FL_HIST_NBUCKETS; i++)
			cum += s->hist[i];
		seconds_str(lebuf, sizeof(lebuf), le[j]);
		sample_u64(f, "_bucket", &l, 1, cum < n ? cum : n);
	}
	snprintf(lebuf, sizeof(lebuf), "+Inf");
	sample_u64(f, "_bucket", &l, 1, n);
	sample_sec(f, "_sum", NULL, 0, d->total_ns.value);
	sample_u64(f, "_count", NULL, 0, n);
}

static void render_in_flight(struct fam *f, const char *prefix, const struct fl_snapshot *s)
{
	family(f, prefix, "meta_flush_in_flight", "gauge",
	       "Meta flushes started and not yet completed.");
	sample_u64(f, "", NULL, 0, s->in_flight);
	family(f, prefix, "meta_flush_oldest_in_flight_age_seconds", "gauge",
	       "Age of the oldest meta flush still in flight (0 when none).");
	sample_sec(f, "", NULL, 0, s->in_flight ? s->oldest_age_ns : 0);
	family(f, prefix, "meta_flush_unmatched_total", "counter",
	       "Meta flush completions whose start was not seen (e.g. attached mid-flush).");
	sample_u64(f, "", NULL, 0, s->unmatched);
}

static void render_state(struct fam *f, const char *prefix, const struct fl_snapshot *s)
{
	const struct duration64 *d = &s->ms.maintenance_meta_flush;

	if (d->samples.value > 0) {
		family(f, prefix, "meta_flush_min_seconds", "gauge",
		       "Shortest meta flush observed (MetaStore min_ns).");
		sample_sec(f, "", NULL, 0, d->min_ns.value);
		family(f, prefix, "meta_flush_max_seconds", "gauge",
		       "Longest meta flush observed (MetaStore max_ns).");
		sample_sec(f, "", NULL, 0, d->max_ns.value);
	}
	/* --lean: starts are not traced, so these would be a false 0: omitted. */
	if (!s->lean)
		render_in_flight(f, prefix, s);
	family(f, prefix, "meta_flush_dropped_total", "counter",
	       "Events not tracked because an in-flight or per-process map was full.");
	sample_u64(f, "", NULL, 0, s->dropped);
}

static void render_progs(struct fam *f, const char *prefix, const struct fl_snapshot *s)
{
	char name[sizeof(s->progs[0].name) + 1];
	struct prom_label l = { "program", name };
	int n = s->nprogs < FL_MAX_PROGS ? s->nprogs : FL_MAX_PROGS;

	if (n <= 0)
		return;
	family(f, prefix, "bpf_program_run_time_seconds_total", "counter",
	       "CPU time spent in flushlat's BPF programs (kernel program stats, needs "
	       "kernel.bpf_stats_enabled=1).");
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(s->progs[i].name), s->progs[i].name);
		sample_sec(f, "", &l, 1, s->progs[i].run_time_ns);
	}
	family(f, prefix, "bpf_program_run_count_total", "counter",
	       "Runs of flushlat's BPF programs, i.e. probe events seen (kernel program stats).");
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(s->progs[i].name), s->progs[i].name);
		sample_u64(f, "", &l, 1, s->progs[i].run_cnt);
	}
}

enum proc_metric { PM_COUNT, PM_SUM, PM_MAX };

static void render_proc_family(struct fam *f, const char *prefix, const struct fl_snapshot *s,
			       enum proc_metric m)
{
	static const struct {
		const char *name, *type, *help;
	} fams[] = {
		[PM_COUNT] = { "process_meta_flush_count_total", "counter",
			       "Meta flushes completed, per traced process." },
		[PM_SUM] = { "process_meta_flush_duration_seconds_total", "counter",
			     "Total meta flush time, per traced process." },
		[PM_MAX] = { "process_meta_flush_max_seconds", "gauge",
			     "Longest meta flush, per traced process." },
	};
	char pid[16], comm[FL_COMM_LEN + 1];
	struct prom_label l[2] = { { "pid", pid }, { "comm", comm } };

	family(f, prefix, fams[m].name, fams[m].type, fams[m].help);
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct duration64 *d = &s->procs[i].ms.maintenance_meta_flush;

		snprintf(pid, sizeof(pid), "%u", s->procs[i].pid);
		fl_comm_str(s->procs[i].comm, comm);
		if (m == PM_COUNT)
			sample_u64(f, "", l, 2, d->samples.value);
		else
			sample_sec(f, "", l, 2, m == PM_SUM ? d->total_ns.value : d->max_ns.value);
	}
}

/* The exporter's own cost, measured by the server around the previous scrape. */
static void render_scrape(struct fam *f, const char *prefix, const struct fl_snapshot *s)
{
	if (!s->prev_scrape_ns)
		return;
	family(f, prefix, "scrape_duration_seconds", "gauge",
	       "Time flushlat took to read and merge its BPF maps and render the previous scrape.");
	sample_sec(f, "", NULL, 0, s->prev_scrape_ns);
}

void fl_render_prom(const struct fl_snapshot *s, const struct fl_render_opts *o, struct strbuf *out)
{
	const char *prefix = o->prefix && *o->prefix ? o->prefix : "flushlat";
	struct prom_writer w;
	struct fam f = { .w = &w };

	if (o->compat) {
		prom_writer_init(&w, out); /* the original collector's ", " separator */
		render_compat(s, o, &w);
	} else {
		prom_writer_init_sep(&w, out, ",");
		prom_writer_push(&w, "subsystem", "wal_meta");
		push_label_set(&w, o);
		render_histogram(&f, prefix, s);
		render_state(&f, prefix, s);
		render_progs(&f, prefix, s);
		if (s->nprocs > 1) {
			render_proc_family(&f, prefix, s, PM_COUNT);
			render_proc_family(&f, prefix, s, PM_SUM);
			render_proc_family(&f, prefix, s, PM_MAX);
		}
		render_scrape(&f, prefix, s);
	}
	/* never a silently truncated exposition: the caller sees an error */
	if (prom_writer_error(&w))
		out->oom = 1;
}
