// SPDX-License-Identifier: MIT
/*
 * hist_text.c - histogram rows (merging, marking) and the text bars.
 *
 * Rows are unions of whole buckets, so every count is exact: a row never
 * guesses how a bucket's flushes spread inside it.  Octaves first, because
 * that is what funclatency users read ("one row per power of two"); then the
 * fullest rows are halved, because a distribution that sits in one or two
 * octaves (the usual case for flushes) would otherwise be one or two bars.
 */
#include "hist_text.h"

#include <string.h>

#include "format.h"
#include "metrics.h"

uint32_t fl_hist_octave(uint32_t b)
{
	if (b == 0)
		return 0;
	if (b < FL_HIST_SUB)
		return fl_log2_u64(b) + 1;
	return b / FL_HIST_SUB + FL_HIST_SUB_BITS;
}

void fl_hist_octave_span(uint32_t o, uint32_t *first, uint32_t *n)
{
	if (o == 0) {
		*first = 0;
		*n = 1;
	} else if (o <= FL_HIST_SUB_BITS) {
		*first = 1U << (o - 1);
		*n = 1U << (o - 1);
	} else {
		*first = (o - FL_HIST_SUB_BITS) * FL_HIST_SUB;
		*n = FL_HIST_SUB;
	}
}

uint64_t fl_hist_row_lo(const struct fl_hist_row *r)
{
	return fl_hist_bucket_lo(r->first);
}

uint64_t fl_hist_row_hi(const struct fl_hist_row *r)
{
	return fl_hist_bucket_hi(r->first + r->n - 1);
}

static uint64_t span_count(const uint64_t *hist, uint32_t first, uint32_t n)
{
	uint64_t c = 0;

	for (uint32_t i = first; i < first + n; i++)
		c += hist[i];
	return c;
}

/* The fullest row that can still be halved usefully, or -1. */
static long fullest_splittable(const struct fl_hist_row *rows, size_t n)
{
	long best = -1;

	for (size_t i = 0; i < n; i++) {
		if (rows[i].n < 2 || rows[i].count < 2)
			continue;
		if (best < 0 || rows[i].count > rows[best].count)
			best = (long)i;
	}
	return best;
}

static void remove_row(struct fl_hist_row *rows, size_t *n, size_t i)
{
	memmove(rows + i, rows + i + 1, (*n - i - 1) * sizeof(*rows));
	(*n)--;
}

static void split(const uint64_t *hist, struct fl_hist_row *rows, size_t *n, size_t i)
{
	struct fl_hist_row *r = &rows[i];

	memmove(rows + i + 2, rows + i + 1, (*n - i - 1) * sizeof(*rows));
	(*n)++;
	r->n /= 2;
	r->count = span_count(hist, r->first, r->n);
	r[1] = (struct fl_hist_row){ .first = r->first + r->n, .n = r->n };
	r[1].count = span_count(hist, r[1].first, r[1].n);
	/* Only the split row can have left an empty half at an end. */
	if (rows[*n - 1].count == 0)
		remove_row(rows, n, *n - 1);
	if (rows[0].count == 0)
		remove_row(rows, n, 0);
}

size_t fl_hist_rows(const uint64_t *hist, size_t target, struct fl_hist_row *rows)
{
	uint32_t lo = FL_HIST_OCTAVES, hi = 0, o;
	size_t n = 0;
	long i;

	if (target > FL_HIST_OCTAVES)
		target = FL_HIST_OCTAVES;
	for (o = 0; o < FL_HIST_OCTAVES; o++) {
		struct fl_hist_row *r = &rows[o];

		fl_hist_octave_span(o, &r->first, &r->n);
		r->count = span_count(hist, r->first, r->n);
		r->marks = 0;
		if (r->count) {
			lo = lo < o ? lo : o;
			hi = o;
		}
	}
	if (lo == FL_HIST_OCTAVES)
		return 0;
	n = hi - lo + 1;
	memmove(rows, rows + lo, n * sizeof(*rows));
	/* Each split adds a row or halves one, so this ends. */
	while (n < target && (i = fullest_splittable(rows, n)) >= 0)
		split(hist, rows, &n, (size_t)i);
	return n;
}

void fl_hist_rows_mark(struct fl_hist_row *rows, size_t n, uint64_t value_ns, unsigned int mark)
{
	uint32_t b = fl_hist_bucket(value_ns);

	for (size_t i = 0; i < n; i++) {
		if (b >= rows[i].first && b < rows[i].first + rows[i].n) {
			rows[i].marks |= mark;
			return;
		}
	}
}

size_t fl_hist_rows_marked(const struct fl_snapshot *s, size_t target, struct fl_hist_row *rows)
{
	static const struct { const char *name; unsigned int mark; } marks[] = {
		{ "p50", FL_HIST_MARK_P50 },
		{ "p99", FL_HIST_MARK_P99 },
	};
	size_t n = fl_hist_rows(s->hist, target, rows);

	for (size_t i = 0; n && i < sizeof(marks) / sizeof(marks[0]); i++) {
		const struct fl_metric *m = fl_metric_find(marks[i].name, strlen(marks[i].name));

		if (m)
			fl_hist_rows_mark(rows, n, fl_metric_value(m, s).u, marks[i].mark);
	}
	return n;
}

static int digits(uint64_t v)
{
	int d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* count scaled to width columns, the fullest row full, a non-empty row >= 1. */
static int bar_len(uint64_t count, uint64_t max, int width)
{
	unsigned __int128 len;

	if (!count || !max)
		return 0;
	len = (unsigned __int128)count * (unsigned)width / max;
	return len ? (int)len : 1;
}

/* A line is " " + "  LO .. HI" + " COUNT" + " |BAR|" + marks (at most " p50 p99"). */
#define MARKS_W 8
#define FIXED_W(lw, hw, cw) (1 + 2 + (lw) + 4 + (hw) + 1 + (cw) + 2 + 1)

void fl_render_hist_text(const struct fl_snapshot *s, int term_cols, struct strbuf *out)
{
	struct fl_hist_row rows[FL_HIST_OCTAVES];
	char lo[FL_HIST_OCTAVES][32], hi[FL_HIST_OCTAVES][32];
	int lw = 0, hw = 0, cw, width = FL_HIST_BAR_COLS;
	uint64_t max = 0;
	size_t n = fl_hist_rows_marked(s, FL_HIST_TEXT_ROWS, rows);

	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		int a = fmt_duration(lo[i], sizeof(lo[i]), fl_hist_row_lo(&rows[i]));
		int b = fmt_duration(hi[i], sizeof(hi[i]), fl_hist_row_hi(&rows[i]));

		lw = a > lw ? a : lw;
		hw = b > hw ? b : hw;
		max = rows[i].count > max ? rows[i].count : max;
	}
	cw = digits(max);
	if (term_cols > 0) {
		/* leave the last column free: a full line would wrap on some terminals */
		width = term_cols - FIXED_W(lw, hw, cw) - MARKS_W - 1;
		if (width < FL_HIST_BAR_MIN)
			width = FL_HIST_BAR_MIN;
	}
	strbuf_puts(out, " Histogram (flushes per latency range):\n");
	for (size_t i = 0; i < n; i++) {
		int len = bar_len(rows[i].count, max, width);

		strbuf_printf(out, "   %*s .. %-*s %*llu |", lw, lo[i], hw, hi[i], cw,
			      (unsigned long long)rows[i].count);
		for (int c = 0; c < width; c++)
			strbuf_puts(out, c < len ? "*" : " ");
		strbuf_printf(out, "|%s%s\n", rows[i].marks & FL_HIST_MARK_P50 ? " p50" : "",
			      rows[i].marks & FL_HIST_MARK_P99 ? " p99" : "");
	}
}
