// SPDX-License-Identifier: MIT
/*
 * The MetaStore C API: recording, merging per-CPU copies, and the original's
 * text dump and metric collection.
 */
#include "metastore.h"

#include <string.h>

#include "collector.h"
#include "format.h"

#define DUMP_RULE "-----------------------------------------------------------------\n"

void duration64_init(struct duration64 *d)
{
	memset(d, 0, sizeof(*d));
	d->min_ns.value = FL_MIN_EMPTY;
}

void duration64_record_duration(struct duration64 *d, uint64_t d_ns)
{
	d->total_ns.value += d_ns;
	d->samples.value += 1;
	if (d_ns < d->min_ns.value)
		d->min_ns.value = d_ns;
	if (d_ns > d->max_ns.value)
		d->max_ns.value = d_ns;
}

void duration64_record(struct duration64 *d, uint64_t start_ns, uint64_t end_ns)
{
	duration64_record_duration(d, end_ns - start_ns);
}

uint64_t duration64_avg_ns(const struct duration64 *d)
{
	return d->samples.value ? d->total_ns.value / d->samples.value : 0;
}

uint64_t duration64_jitter_ns(const struct duration64 *d)
{
	return d->samples.value >= 2 ? d->max_ns.value - d->min_ns.value : 0;
}

double duration64_rate_per_sec(const struct duration64 *d)
{
	if (!d->samples.value || !d->total_ns.value)
		return 0.0;
	return (double)d->samples.value * 1e9 / (double)d->total_ns.value;
}

int duration64_str(const struct duration64 *d, char *buf, size_t len)
{
	char total[32], min[32], max[32], avg[32], tput[48];
	uint64_t n = d->samples.value;

	if (n == 0)
		return snprintf(buf, len, "samples=0");
	fmt_duration(total, sizeof(total), d->total_ns.value);
	if (n == 1)
		return snprintf(buf, len, "samples=1 total=%s", total);
	fmt_duration(min, sizeof(min), d->min_ns.value);
	fmt_duration(max, sizeof(max), d->max_ns.value);
	fmt_duration(avg, sizeof(avg), duration64_avg_ns(d));
	fmt_throughput(tput, sizeof(tput), duration64_rate_per_sec(d), "ops/s");
	return snprintf(buf, len, "samples=%llu total=%s min=%s max=%s avg=%s inv(avg)=%s",
			(unsigned long long)n, total, min, max, avg, tput);
}

void duration64_collect(const struct duration64 *d, const char *prefix, struct collector *c)
{
	char name[256];
	uint64_t n = d->samples.value;

	snprintf(name, sizeof(name), "%s_samples_total", prefix);
	collector_add_counter(c, name, "Number of recorded samples", n);
	if (n >= 1) {
		snprintf(name, sizeof(name), "%s_total_ns", prefix);
		collector_add_counter(c, name, "Total duration in nanoseconds", d->total_ns.value);
	}
	if (n < 2)
		return;
	snprintf(name, sizeof(name), "%s_min_ns", prefix);
	collector_add_gauge(c, name, "Minimum observed duration in nanoseconds", d->min_ns.value);
	snprintf(name, sizeof(name), "%s_max_ns", prefix);
	collector_add_gauge(c, name, "Maximum observed duration in nanoseconds", d->max_ns.value);
	snprintf(name, sizeof(name), "%s_avg_ns", prefix);
	collector_add_gauge(c, name, "Average duration in nanoseconds", duration64_avg_ns(d));
	snprintf(name, sizeof(name), "%s_jitter_ns", prefix);
	collector_add_gauge(c, name, "Absolute jitter (max - min) in nanoseconds",
			    duration64_jitter_ns(d));
	snprintf(name, sizeof(name), "%s_rate_per_second", prefix);
	collector_add_gauge_f(c, name, "Rate of observed samples per second",
			      duration64_rate_per_sec(d));
}

void metastore_init(struct metastore *ms)
{
	duration64_init(&ms->maintenance_meta_flush);
}

void metastore_record(struct metastore *ms, uint64_t start_ns, uint64_t end_ns)
{
	duration64_record(&ms->maintenance_meta_flush, start_ns, end_ns);
}

void metastore_record_duration(struct metastore *ms, uint64_t d_ns)
{
	duration64_record_duration(&ms->maintenance_meta_flush, d_ns);
}

void metastore_copy_to(const struct metastore *ms, struct metastore *other)
{
	const struct duration64 *s = &ms->maintenance_meta_flush;
	struct duration64 *d = &other->maintenance_meta_flush;

	d->total_ns.value = s->total_ns.value;
	d->samples.value = s->samples.value;
	d->min_ns.value = s->min_ns.value;
	d->max_ns.value = s->max_ns.value;
}

void metastore_add(struct metastore *dst, const struct metastore *src)
{
	const struct duration64 *s = &src->maintenance_meta_flush;
	struct duration64 *d = &dst->maintenance_meta_flush;

	/*
	 * A copy that saw nothing says nothing about min or max: skipping it is
	 * what keeps a never-used CPU's zero (or UINT64_MAX) min out of the merge.
	 */
	if (!s->samples.value)
		return;
	d->total_ns.value += s->total_ns.value;
	d->samples.value += s->samples.value;
	if (s->min_ns.value < d->min_ns.value)
		d->min_ns.value = s->min_ns.value;
	if (s->max_ns.value > d->max_ns.value)
		d->max_ns.value = s->max_ns.value;
}

void metastore_merge(struct metastore *dst, const struct metastore *percpu, size_t n)
{
	metastore_init(dst);
	for (size_t i = 0; i < n; i++)
		metastore_add(dst, &percpu[i]);
}

void metastore_dump(const struct metastore *ms, const char *label, FILE *stream)
{
	char line[512];

	duration64_str(&ms->maintenance_meta_flush, line, sizeof(line));
	fprintf(stream, "[%s Metrics] Snapshot:\n" DUMP_RULE " Meta flush: %s\n" DUMP_RULE, label,
		line);
}

void metastore_collect(const struct metastore *ms, const char *prefix, struct collector *c)
{
	char p[256];

	snprintf(p, sizeof(p), "%s_maintenance_meta_flush", prefix);
	collector_push_label(c, "subsystem", "wal_meta");
	duration64_collect(&ms->maintenance_meta_flush, p, c);
	collector_pop_label(c);
}
