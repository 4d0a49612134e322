// SPDX-License-Identifier: MIT
/*
 * live_view.c - the --watch frame.
 *
 * Interval values come from the difference of two cumulative readings: the
 * count, rate and percentiles of an interval are exact to the histogram's
 * bucket; its max is exact when the interval raised the run's max, and is
 * otherwise shown as a bound ("<=") taken from its highest bucket.
 * The sparkline shows the worst p99 of each group of intervals (a spike must
 * not vanish in an average) on a log scale; the heat strips share one colour
 * scale (log of the count), so a quiet interval looks quiet.
 */
#include "live_view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "metrics.h"
#include "percentile.h"

static const char *const spark_utf8[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					  "\u2585", "\u2586", "\u2587", "\u2588" };
static const char *const spark_ascii[] = { "_", ".", ",", "-", "=", "+", "*", "#" };
static const char *const shade_utf8[] = { " ", "\u2591", "\u2592", "\u2593", "\u2588" };
static const char *const shade_ascii[] = { " ", ".", ":", "#", "@" };

#define TIME_W 10 /* "12:34:56  " before a heat strip */

void fl_live_init(struct fl_live *w, double interval_s, int utf8)
{
	memset(w, 0, sizeof(*w));
	w->interval_s = interval_s;
	w->utf8 = utf8;
	fl_snapshot_init(&w->run);
}

uint32_t fl_live_qbin(uint32_t bucket)
{
	uint32_t o = fl_hist_octave(bucket), first, n, parts;

	fl_hist_octave_span(o, &first, &n);
	parts = n < FL_LIVE_QPER ? n : FL_LIVE_QPER;
	return o * FL_LIVE_QPER + (bucket - first) / (n / parts);
}

/* Parts of octave o in the heat strips (fewer than FL_LIVE_QPER in the smallest). */
static uint32_t qparts(uint32_t o)
{
	uint32_t first, n;

	fl_hist_octave_span(o, &first, &n);
	return n < FL_LIVE_QPER ? n : FL_LIVE_QPER;
}

uint64_t fl_live_qbin_lo(uint32_t q)
{
	uint32_t o = q / FL_LIVE_QPER, part = q % FL_LIVE_QPER, first, n;

	fl_hist_octave_span(o, &first, &n);
	return fl_hist_bucket_lo(first + part * (n / qparts(o)));
}

static uint64_t quantile(const struct fl_snapshot *s, const char *name)
{
	const struct fl_metric *m = fl_metric_find(name, strlen(name));

	return m ? fl_metric_value(m, s).u : 0;
}

/* Where the interval's max lies: exact when d has it, else its top bucket, capped by the run's max. */
static void interval_max(const struct fl_snapshot *d, const struct fl_snapshot *cur,
			 uint64_t *lo, uint64_t *hi)
{
	const struct duration64 *f = &d->ms.maintenance_meta_flush;
	uint32_t b = FL_HIST_NBUCKETS;

	*lo = *hi = f->max_ns.value;
	if (!f->samples.value || f->max_ns.value)
		return;
	while (b > 0 && !d->hist[b - 1])
		b--;
	if (!b)
		return; /* every flush was 0 ns (or the histogram lags the count) */
	*lo = fl_hist_bucket_lo(b - 1);
	*hi = fl_hist_bucket_hi(b - 1) - 1;
	if (*hi > cur->ms.maintenance_meta_flush.max_ns.value)
		*hi = cur->ms.maintenance_meta_flush.max_ns.value;
	if (*lo > *hi)
		*lo = *hi;
}

void fl_live_add(struct fl_live *w, const struct fl_snapshot *cur, const struct fl_snapshot *d,
		  uint64_t len_ns, uint64_t run_ns)
{
	size_t slot = w->niv % FL_LIVE_HISTORY;
	struct fl_live_iv *iv = &w->iv[slot];
	uint32_t *strip = w->strip[w->niv % FL_LIVE_STRIPS];

	memset(iv, 0, sizeof(*iv));
	iv->end_ns = cur->taken_realtime_ns;
	iv->len_ns = len_ns;
	iv->samples = d->ms.maintenance_meta_flush.samples.value;
	if (iv->samples) {
		iv->p50 = quantile(d, "p50");
		iv->p99 = quantile(d, "p99");
		interval_max(d, cur, &iv->max_lo, &iv->max_hi);
	}
	memset(strip, 0, sizeof(w->strip[0]));
	for (uint32_t b = 0; b < FL_HIST_NBUCKETS; b++) {
		uint32_t q;
		uint64_t v;

		if (!d->hist[b])
			continue;
		q = fl_live_qbin(b);
		v = (uint64_t)strip[q] + d->hist[b];
		strip[q] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	}
	w->niv++;
	/* the run without its process list: the view shows totals only */
	fl_snapshot_free(&w->run);
	w->run = *cur;
	w->run.procs = NULL;
	w->run.nprocs = 0;
	w->run_len_ns = run_ns;
}

/* ---- lines -------------------------------------------------------------- */

/* Appends line to out cut to cols display columns (UTF-8 aware), then '\n'. */
static void put_line(struct strbuf *out, const struct strbuf *line, int cols, int *rows)
{
	const unsigned char *s = (const unsigned char *)strbuf_str(line);
	size_t i = 0, len = line->len;
	int c = 0;

	if (*rows <= 0)
		return;
	while (i < len) {
		size_t n = fl_utf8_len(s + i, len - i);

		if (!n)
			n = 1;
		if (c == cols)
			break;
		strbuf_append(out, (const char *)s + i, n);
		i += n;
		c++;
	}
	strbuf_puts(out, "\n");
	(*rows)--;
}

static void local_hms(char *buf, size_t len, uint64_t realtime_ns)
{
	time_t t = (time_t)(realtime_ns / 1000000000ULL);
	struct tm tm;

	if (localtime_r(&t, &tm))
		strftime(buf, len, "%H:%M:%S", &tm);
	else
		snprintf(buf, len, "--:--:--");
}

static const struct fl_live_iv *nth_last(const struct fl_live *w, size_t k)
{
	return &w->iv[(w->niv - 1 - k) % FL_LIVE_HISTORY];
}

static void header(const struct fl_live *w, uint64_t now_ns, struct strbuf *l)
{
	char at[16], every[32];

	local_hms(at, sizeof(at), now_ns);
	fmt_duration(every, sizeof(every), (uint64_t)llround(w->interval_s * 1e9));
	strbuf_printf(l, "flushlat --watch: every %s, %s (Ctrl-C quits)", every, at);
}

static void max_str(const struct fl_live *w, char *buf, size_t len, uint64_t lo, uint64_t hi)
{
	char v[32];

	fmt_duration(v, sizeof(v), hi);
	if (lo == hi)
		snprintf(buf, len, "max %s", v);
	else
		snprintf(buf, len, "max %s%s", w->utf8 ? "\u2264" : "<=", v);
}

static void last_interval(const struct fl_live *w, struct strbuf *l)
{
	const struct fl_live_iv *iv;
	char len[32], a[32], b[32], m[48];

	if (!w->niv) {
		fmt_duration(len, sizeof(len), (uint64_t)llround(w->interval_s * 1e9));
		strbuf_printf(l, "last interval: waiting for the first one (%s)", len);
		return;
	}
	iv = nth_last(w, 0);
	fmt_duration(len, sizeof(len), iv->len_ns);
	strbuf_printf(l, "last %s: %llu flushes, %.1f/s", len, (unsigned long long)iv->samples,
		      iv->len_ns ? (double)iv->samples * 1e9 / (double)iv->len_ns : 0.0);
	if (!iv->samples)
		return;
	fmt_duration(a, sizeof(a), iv->p50);
	fmt_duration(b, sizeof(b), iv->p99);
	max_str(w, m, sizeof(m), iv->max_lo, iv->max_hi);
	strbuf_printf(l, ", p50 %s, p99 %s, %s", a, b, m);
}

static void whole_run(const struct fl_live *w, struct strbuf *l)
{
	const struct duration64 *f = &w->run.ms.maintenance_meta_flush;
	char a[32], b[32], m[32], len[32];

	fmt_duration(len, sizeof(len), w->run_len_ns);
	strbuf_printf(l, "whole run: %llu flushes in %s", (unsigned long long)f->samples.value, len);
	if (!f->samples.value)
		return;
	fmt_duration(a, sizeof(a), quantile(&w->run, "p50"));
	fmt_duration(b, sizeof(b), quantile(&w->run, "p99"));
	fmt_duration(m, sizeof(m), f->max_ns.value);
	strbuf_printf(l, ", p50 %s, p99 %s, max %s", a, b, m);
}

/* Failed flushes, when the recorder has the probe (the line stays short otherwise). */
static void failed(const struct fl_live *w, struct strbuf *l)
{
	if (w->run.failed_known)
		strbuf_printf(l, "; failed %llu", (unsigned long long)fl_failed_total(&w->run));
}

static void in_flight(const struct fl_live *w, struct strbuf *l)
{
	char age[32];

	if (w->run.lean) {
		strbuf_printf(l, "in flight: unknown (--lean); dropped %llu",
			      (unsigned long long)w->run.dropped);
		failed(w, l);
		return;
	}
	strbuf_printf(l, "in flight: %llu", (unsigned long long)w->run.in_flight);
	if (w->run.in_flight) {
		fmt_duration(age, sizeof(age), w->run.oldest_age_ns);
		strbuf_printf(l, ", oldest %s", age);
	}
	strbuf_printf(l, "; unmatched %llu, dropped %llu", (unsigned long long)w->run.unmatched,
		      (unsigned long long)w->run.dropped);
	failed(w, l);
}

/* ---- sparkline ---------------------------------------------------------- */

/* The p99 sparkline: label line and mark line. */
static void sparkline(const struct fl_live *w, int cols, struct strbuf *label, struct strbuf *marks)
{
	size_t have = w->niv < FL_LIVE_HISTORY ? w->niv : FL_LIVE_HISTORY, width, group, n;
	size_t want = (size_t)ceil((double)FL_LIVE_SPARK_NS / 1e9 / w->interval_s);
	uint64_t lo = UINT64_MAX, hi = 0, vals[512];
	char a[32], b[32], span[32];

	width = cols > 2 ? (size_t)cols - 1 : 1;
	width = width < 512 ? width : 512;
	if (want > FL_LIVE_HISTORY)
		want = FL_LIVE_HISTORY;
	/* one mark per interval while they fit; grouped as the history grows */
	want = have < want ? have : want;
	group = (want + width - 1) / width;
	group = group ? group : 1;
	n = (have + group - 1) / group;
	n = n < width ? n : width;
	/* vals[n - 1] is the newest group; each the worst p99 of its intervals */
	for (size_t g = 0; g < n; g++) {
		uint64_t v = 0;

		for (size_t k = 0; k < group && g * group + k < have; k++) {
			const struct fl_live_iv *iv = nth_last(w, g * group + k);

			v = iv->samples && iv->p99 > v ? iv->p99 : v;
		}
		vals[n - 1 - g] = v;
		if (v) {
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	}
	fmt_duration(span, sizeof(span), (uint64_t)llround((double)(n * group) * w->interval_s * 1e9));
	strbuf_printf(label, "p99 trend: last %s, %zu interval%s per mark", span, group,
		      group == 1 ? "" : "s");
	if (!hi) {
		strbuf_puts(label, ", no flushes yet");
		return;
	}
	fmt_duration(a, sizeof(a), lo);
	fmt_duration(b, sizeof(b), hi);
	strbuf_printf(label, ", %s .. %s (log scale)", a, b);
	for (size_t g = 0; g < n; g++) {
		int level = 0;

		if (!vals[g]) {
			strbuf_puts(marks, " ");
			continue;
		}
		if (hi > lo)
			level = (int)lround(7.0 * (log((double)vals[g]) - log((double)lo)) /
					    (log((double)hi) - log((double)lo)));
		else
			level = 3;
		strbuf_puts(marks, (w->utf8 ? spark_utf8 : spark_ascii)[level]);
	}
}

/* ---- heat strips -------------------------------------------------------- */

struct strips {
	uint32_t lo_oct;  /* first octave shown */
	uint32_t per_oct; /* columns per octave: 4, 2 or 1 */
	int ncols;
	uint64_t cmax;
};

static int strip_col(const struct strips *S, uint32_t q)
{
	uint32_t o = q / FL_LIVE_QPER, part = q % FL_LIVE_QPER;
	long c;

	if (o < S->lo_oct)
		return 0; /* below a clipped range: the first column */
	c = (long)(o - S->lo_oct) * S->per_oct + part * S->per_oct / qparts(o);
	return c < S->ncols ? (int)c : S->ncols - 1;
}

/* Columns over the strips shown (the last nshow): the range their flushes span. */
static int strips_layout(const struct fl_live *w, size_t nshow, int avail, struct strips *S)
{
	uint32_t lo = FL_LIVE_QBINS, hi = 0, span;

	for (size_t k = 0; k < nshow; k++) {
		const uint32_t *s = w->strip[(w->niv - 1 - k) % FL_LIVE_STRIPS];

		for (uint32_t q = 0; q < FL_LIVE_QBINS; q++) {
			if (!s[q])
				continue;
			lo = q < lo ? q : lo;
			hi = q > hi ? q : hi;
		}
	}
	if (lo == FL_LIVE_QBINS || avail < 1)
		return -1;
	lo /= FL_LIVE_QPER;
	hi /= FL_LIVE_QPER;
	span = hi - lo + 1;
	S->per_oct = span * 4 <= (uint32_t)avail ? 4 : span * 2 <= (uint32_t)avail ? 2 : 1;
	if (span > (uint32_t)avail) {
		lo = hi - (uint32_t)avail + 1; /* keep the slow end in view */
		span = (uint32_t)avail;
	}
	S->lo_oct = lo;
	S->ncols = (int)(span * S->per_oct);
	S->cmax = 0;
	for (size_t k = 0; k < nshow; k++) {
		const uint32_t *s = w->strip[(w->niv - 1 - k) % FL_LIVE_STRIPS];
		uint64_t cols[FL_LIVE_QBINS] = { 0 };

		for (uint32_t q = 0; q < FL_LIVE_QBINS; q++)
			if (s[q])
				cols[strip_col(S, q)] += s[q];
		for (int c = 0; c < S->ncols; c++)
			S->cmax = cols[c] > S->cmax ? cols[c] : S->cmax;
	}
	return 0;
}

/* "512us", "1.0ms", "17ms": at most 5 columns. */
static void short_dur(char *buf, size_t len, uint64_t ns)
{
	static const char *const units[] = { "ns", "us", "ms", "s" };
	double v = (double)ns;
	size_t u = 0;

	while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000.0;
		u++;
	}
	if (u == 0 || v >= 9.95)
		snprintf(buf, len, "%.0f%s", v, units[u]);
	else
		snprintf(buf, len, "%.1f%s", v, units[u]);
}

static void strip_axis(const struct strips *S, struct strbuf *l)
{
	char line[1024], label[32];
	int next = 0;
	size_t n;

	memset(line, ' ', sizeof(line));
	for (uint32_t o = S->lo_oct; (int)((o - S->lo_oct) * S->per_oct) < S->ncols; o++) {
		int c = (int)((o - S->lo_oct) * S->per_oct);
		size_t w;

		if (c < next)
			continue;
		short_dur(label, sizeof(label), fl_live_qbin_lo(o * FL_LIVE_QPER));
		w = strlen(label);
		if (TIME_W + (size_t)c + w >= sizeof(line))
			break;
		memcpy(line + TIME_W + c, label, w);
		next = c + (int)w + 2;
	}
	n = TIME_W + (next > S->ncols ? next : S->ncols);
	strbuf_append(l, line, n < sizeof(line) ? n : sizeof(line));
}

static void strip_line(const struct fl_live *w, const struct strips *S, size_t k,
		       struct strbuf *l)
{
	const uint32_t *s = w->strip[(w->niv - 1 - k) % FL_LIVE_STRIPS];
	uint64_t cols[FL_LIVE_QBINS] = { 0 };
	char at[16];

	for (uint32_t q = 0; q < FL_LIVE_QBINS; q++)
		if (s[q])
			cols[strip_col(S, q)] += s[q];
	local_hms(at, sizeof(at), nth_last(w, k)->end_ns);
	strbuf_printf(l, "%-*s", TIME_W, at);
	for (int c = 0; c < S->ncols; c++) {
		int level = 0;

		if (cols[c])
			level = S->cmax > 1 ? 1 + (int)lround(3.0 * log((double)cols[c]) /
							      log((double)S->cmax)) : 4;
		strbuf_puts(l, (w->utf8 ? shade_utf8 : shade_ascii)[level]);
	}
}

/* ---- the frame ---------------------------------------------------------- */

void fl_live_frame(const struct fl_live *w, int cols, int rows, uint64_t now_ns,
		    struct strbuf *out)
{
	struct strbuf l, m;
	struct strips S;
	size_t have, nshow;

	strbuf_init(&l);
	strbuf_init(&m);
#define LINE(stmt) do { strbuf_reset(&l); stmt; put_line(out, &l, cols, &rows); } while (0)
	LINE(header(w, now_ns, &l));
	LINE(last_interval(w, &l));
	LINE(whole_run(w, &l));
	LINE(in_flight(w, &l));
	strbuf_reset(&l);
	sparkline(w, cols, &l, &m);
	put_line(out, &l, cols, &rows);
	put_line(out, &m, cols, &rows);
	LINE(strbuf_printf(&l, "heat strips: one line per interval, newest last; %s = more flushes",
			   w->utf8 ? "\u2591\u2592\u2593\u2588" : ".:#@"));
	have = w->niv < FL_LIVE_STRIPS ? w->niv : FL_LIVE_STRIPS;
	nshow = rows > 1 ? (size_t)rows - 1 : 0;
	nshow = nshow < have ? nshow : have;
	if (strips_layout(w, nshow, cols - TIME_W - 1, &S) == 0) {
		LINE(strip_axis(&S, &l));
		for (size_t k = nshow; k-- > 0;)
			LINE(strip_line(w, &S, k, &l));
	}
#undef LINE
	out->oom |= l.oom | m.oom;
	strbuf_free(&l);
	strbuf_free(&m);
}
