// SPDX-License-Identifier: MIT
/*
 * Prometheus text exposition (format 0.0.4) of a snapshot.
 *
 * compat: the recorder's own series, exactly: metastore_collect() with the
 * prefix "ie_wal_recorder__meta_store" under the outer label
 * system="wal_recorder", through the core library's Prometheus writer, so
 * existing FlashStrike dashboards keep working.  The original names do not
 * pass `promtool check metrics` (counters without _total, "_ns" units).
 *
 * default: Prometheus conventions (base units, counters ending in _total, a
 * real histogram), every series labelled subsystem="wal_meta" plus the
 * --label-set labels; the README maps each name to its original.
 *
 * Seconds are printed as exact decimals of the integer nanoseconds (never
 * through a double), so _sum is exactly total_ns / 1e9.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "metastore.h"
#include "prom.h"
#include "render.h"

#define COMPAT_PREFIX "ie_wal_recorder__meta_store"

/* Labels that flushlat itself sets: a --label-set may not shadow them. */
static const char *const reserved_labels[] = {
	"subsystem", "system", "le", "pid", "comm", "program",
};

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
	char *eq = strchr(kv, '=');
	size_t i;
	int j;

	if (!eq) {
		snprintf(err, errlen, "--label-set '%s': expected NAME=VALUE", kv);
		return -1;
	}
	*eq = '\0';
	if (!valid_label_name(kv)) {
		snprintf(err, errlen,
			 "--label-set '%s': invalid label name (letters, digits, '_', not starting "
			 "with a digit or '__')", kv);
		*eq = '=';
		return -1;
	}
	for (i = 0; i < sizeof(reserved_labels) / sizeof(reserved_labels[0]); i++) {
		if (!strcmp(kv, reserved_labels[i])) {
			snprintf(err, errlen, "--label-set: label '%s' is set by flushlat itself", kv);
			*eq = '=';
			return -1;
		}
	}
	for (j = 0; j < o->nlabels; j++) {
		if (!strcmp(kv, o->label_keys[j])) {
			snprintf(err, errlen, "--label-set: label '%s' given twice", kv);
			*eq = '=';
			return -1;
		}
	}
	if (o->nlabels >= FL_MAX_LABEL_SET) {
		snprintf(err, errlen, "--label-set: at most %d labels", FL_MAX_LABEL_SET);
		*eq = '=';
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
	snprintf(err, errlen, "--prefix '%s': not a valid metric name prefix "
		 "([a-zA-Z_:][a-zA-Z0-9_:]*)", prefix ? prefix : "");
	return -1;
}

/* ---- compat ------------------------------------------------------------- */

static void render_compat(const struct fl_snapshot *s, const struct fl_render_opts *o,
			  struct strbuf *out)
{
	struct prom_writer w;
	struct collector *c;
	int i;

	prom_writer_init(&w, out);
	c = prom_writer_collector(&w);
	collector_push_label(c, "system", "wal_recorder");
	for (i = 0; i < o->nlabels; i++)
		collector_push_label(c, o->label_keys[i], o->label_values[i]);
	metastore_collect(&s->ms, COMPAT_PREFIX, c);
	for (i = 0; i < o->nlabels; i++)
		collector_pop_label(c);
	collector_pop_label(c);
}

/* ---- default ------------------------------------------------------------ */

struct pw {
	struct strbuf *out;
	const struct fl_render_opts *o;
	const char *prefix;
};

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

static void put_seconds(struct strbuf *out, uint64_t ns)
{
	char buf[48];

	seconds_str(buf, sizeof(buf), ns);
	strbuf_puts(out, buf);
}

static void family(struct pw *p, const char *name, const char *type, const char *help)
{
	strbuf_printf(p->out, "# HELP %s_%s %s\n# TYPE %s_%s %s\n", p->prefix, name, help, p->prefix,
		      name, type);
}

static void put_label(struct strbuf *out, const char *k, const char *v)
{
	strbuf_printf(out, ",%s=\"", k);
	prom_escape_label_value(out, v);
	strbuf_puts(out, "\"");
}

/* name{subsystem="wal_meta",<label-set>[,k1="v1"][,k2="v2"]}, then a space. */
static void series(struct pw *p, const char *name, const char *k1, const char *v1, const char *k2,
		   const char *v2)
{
	int i;

	strbuf_printf(p->out, "%s_%s{subsystem=\"wal_meta\"", p->prefix, name);
	for (i = 0; i < p->o->nlabels; i++)
		put_label(p->out, p->o->label_keys[i], p->o->label_values[i]);
	if (k1)
		put_label(p->out, k1, v1);
	if (k2)
		put_label(p->out, k2, v2);
	strbuf_puts(p->out, "} ");
}

static void u64_line(struct pw *p, const char *name, uint64_t v)
{
	series(p, name, NULL, NULL, NULL, NULL);
	strbuf_printf(p->out, "%" PRIu64 "\n", v);
}

static void sec_line(struct pw *p, const char *name, uint64_t ns)
{
	series(p, name, NULL, NULL, NULL, NULL);
	put_seconds(p->out, ns);
	strbuf_puts(p->out, "\n");
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
static void render_histogram(struct pw *p, const struct fl_snapshot *s)
{
	const struct duration64 *d = &s->ms.maintenance_meta_flush;
	uint64_t le[FL_HIST_NBUCKETS + NFIXED], cum = 0;
	char lebuf[64];
	size_t n, j;
	__u32 i = 0;

	family(p, "meta_flush_duration_seconds", "histogram",
	       "Duration of WAL metadata flushes (MetaStore maintenance_meta_flush); buckets from "
	       "the log-linear BPF histogram, _sum and _count exact from the MetaStore.");
	n = collect_bounds(s->hist, le);
	for (j = 0; j < n; j++) {
		for (; i < FL_HIST_NBUCKETS && fl_hist_bucket_hi(i) - 1 <= le[j] &&
		       i + 1 < FL_HIST_NBUCKETS; i++)
			cum += s->hist[i];
		seconds_str(lebuf, sizeof(lebuf), le[j]);
		series(p, "meta_flush_duration_seconds_bucket", "le", lebuf, NULL, NULL);
		strbuf_printf(p->out, "%" PRIu64 "\n", cum < d->samples.value ? cum : (uint64_t)d->samples.value);
	}
	series(p, "meta_flush_duration_seconds_bucket", "le", "+Inf", NULL, NULL);
	strbuf_printf(p->out, "%" PRIu64 "\n", (uint64_t)d->samples.value);
	sec_line(p, "meta_flush_duration_seconds_sum", d->total_ns.value);
	u64_line(p, "meta_flush_duration_seconds_count", d->samples.value);
}

static void render_in_flight(struct pw *p, const struct fl_snapshot *s)
{
	family(p, "meta_flush_in_flight", "gauge",
	       "Meta flushes started and not yet completed.");
	u64_line(p, "meta_flush_in_flight", s->in_flight);
	family(p, "meta_flush_oldest_in_flight_age_seconds", "gauge",
	       "Age of the oldest meta flush still in flight (0 when none).");
	sec_line(p, "meta_flush_oldest_in_flight_age_seconds", s->in_flight ? s->oldest_age_ns : 0);
	family(p, "meta_flush_unmatched_total", "counter",
	       "Meta flush completions whose start was not seen (e.g. attached mid-flush).");
	u64_line(p, "meta_flush_unmatched_total", s->unmatched);
}

static void render_state(struct pw *p, const struct fl_snapshot *s)
{
	const struct duration64 *d = &s->ms.maintenance_meta_flush;

	if (d->samples.value > 0) {
		family(p, "meta_flush_min_seconds", "gauge",
		       "Shortest meta flush observed (MetaStore min_ns).");
		sec_line(p, "meta_flush_min_seconds", d->min_ns.value);
		family(p, "meta_flush_max_seconds", "gauge",
		       "Longest meta flush observed (MetaStore max_ns).");
		sec_line(p, "meta_flush_max_seconds", d->max_ns.value);
	}
	/* --lean: starts are not traced, so these would be a false 0: omitted. */
	if (!s->lean)
		render_in_flight(p, s);
	family(p, "meta_flush_dropped_total", "counter",
	       "Events not tracked because an in-flight or per-process map was full.");
	u64_line(p, "meta_flush_dropped_total", s->dropped);
}

static void render_progs(struct pw *p, const struct fl_snapshot *s)
{
	char name[sizeof(s->progs[0].name) + 1];
	int i, n = s->nprogs < FL_MAX_PROGS ? s->nprogs : FL_MAX_PROGS;

	if (n <= 0)
		return;
	family(p, "bpf_program_run_time_seconds_total", "counter",
	       "CPU time spent in flushlat's BPF programs (kernel program stats, needs "
	       "kernel.bpf_stats_enabled=1).");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(s->progs[i].name), s->progs[i].name);
		series(p, "bpf_program_run_time_seconds_total", "program", name, NULL, NULL);
		put_seconds(p->out, s->progs[i].run_time_ns);
		strbuf_puts(p->out, "\n");
	}
	family(p, "bpf_program_run_count_total", "counter",
	       "Runs of flushlat's BPF programs, i.e. probe events seen (kernel program stats).");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(s->progs[i].name), s->progs[i].name);
		series(p, "bpf_program_run_count_total", "program", name, NULL, NULL);
		strbuf_printf(p->out, "%" PRIu64 "\n", s->progs[i].run_cnt);
	}
}

enum proc_metric { PM_COUNT, PM_SUM, PM_MAX };

static void render_proc_family(struct pw *p, const struct fl_snapshot *s, enum proc_metric m)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		[PM_COUNT] = { "process_meta_flush_count_total", "counter",
			       "Meta flushes completed, per traced process." },
		[PM_SUM] = { "process_meta_flush_duration_seconds_total", "counter",
			     "Total meta flush time, per traced process." },
		[PM_MAX] = { "process_meta_flush_max_seconds", "gauge",
			     "Longest meta flush, per traced process." },
	};
	char pid[16], comm[sizeof(s->procs[0].comm) + 1];
	size_t i;

	family(p, fam[m].name, fam[m].type, fam[m].help);
	for (i = 0; i < s->nprocs; i++) {
		const struct duration64 *d = &s->procs[i].ms.maintenance_meta_flush;

		snprintf(pid, sizeof(pid), "%u", s->procs[i].pid);
		snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(s->procs[i].comm), s->procs[i].comm);
		series(p, fam[m].name, "pid", pid, "comm", comm);
		if (m == PM_COUNT)
			strbuf_printf(p->out, "%" PRIu64 "\n", (uint64_t)d->samples.value);
		else
			put_seconds(p->out, m == PM_SUM ? d->total_ns.value : d->max_ns.value);
		if (m != PM_COUNT)
			strbuf_puts(p->out, "\n");
	}
}

void fl_render_prom(const struct fl_snapshot *s, const struct fl_render_opts *o, struct strbuf *out)
{
	struct fl_render_opts def;
	struct pw p;

	if (!o) {
		fl_render_opts_default(&def);
		o = &def;
	}
	if (o->compat) {
		render_compat(s, o, out);
		return;
	}
	p.out = out;
	p.o = o;
	p.prefix = o->prefix && *o->prefix ? o->prefix : "flushlat";
	render_histogram(&p, s);
	render_state(&p, s);
	render_progs(&p, s);
	if (s->nprocs > 1) {
		render_proc_family(&p, s, PM_COUNT);
		render_proc_family(&p, s, PM_SUM);
		render_proc_family(&p, s, PM_MAX);
	}
}
