/* SPDX-License-Identifier: MIT */
/*
 * The histogram as people read it: the 976 log-linear buckets
 * (include/flushlat/hist.h) merged into a few rows -- about one per power of
 * two, split where the data is dense -- with the rows holding p50 and p99
 * marked; and those rows drawn as text bars (the text report).  The octave
 * geometry here is shared by every picture (text, HTML, heat map, --watch).
 */
#ifndef FLUSHLAT_HIST_TEXT_H
#define FLUSHLAT_HIST_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "flushlat/hist.h"
#include "snapshot.h"
#include "strbuf.h"

/*
 * Octaves: 0 holds 0 ns; 1..4 hold [2^(o-1), 2^o) ns in exact one-value
 * buckets (1, 2, 4 and 8 of them); 5..64 hold [2^(o-1), 2^o) ns in
 * FL_HIST_SUB buckets each.
 */
#define FL_HIST_OCTAVES (FL_HIST_SUB_BITS + 1 + (64 - FL_HIST_SUB_BITS))

/* Rows the text report aims for; never more than FL_HIST_OCTAVES. */
#define FL_HIST_TEXT_ROWS 16
/* Bar columns when the output is not a terminal; the least on a terminal. */
#define FL_HIST_BAR_COLS 40
#define FL_HIST_BAR_MIN 10

#define FL_HIST_MARK_P50 0x1
#define FL_HIST_MARK_P99 0x2

/* Buckets [first, first + n) (n a power of two, aligned inside one octave). */
struct fl_hist_row {
	uint32_t first;
	uint32_t n;
	uint64_t count;
	unsigned int marks; /* FL_HIST_MARK_* */
};

uint32_t fl_hist_octave(uint32_t bucket);
/* The buckets of octave o: *first and *n. */
void fl_hist_octave_span(uint32_t o, uint32_t *first, uint32_t *n);
/* Lowest value of the row, and one past its highest (saturating). */
uint64_t fl_hist_row_lo(const struct fl_hist_row *r);
uint64_t fl_hist_row_hi(const struct fl_hist_row *r);

/*
 * Merges hist into rows (capacity FL_HIST_OCTAVES): one per octave from the
 * lowest non-empty to the highest non-empty one; then, while there are fewer
 * than target rows, the fullest row wider than one bucket (holding at least
 * two flushes) is split in halves, and a half left empty at either end is
 * dropped.  Returns the number of rows, 0 for an empty histogram.
 */
size_t fl_hist_rows(const uint64_t *hist, size_t target, struct fl_hist_row *rows);
/* Marks the row holding value_ns with mark (nothing when no row holds it). */
void fl_hist_rows_mark(struct fl_hist_row *rows, size_t n, uint64_t value_ns, unsigned int mark);
/* Rows of s's histogram with p50 and p99 (metric table) marked. */
size_t fl_hist_rows_marked(const struct fl_snapshot *s, size_t target, struct fl_hist_row *rows);

/*
 * The text histogram of s (nothing when it is empty): a header line, then one
 * line per row: " LO .. HI COUNT |***   | p50".  term_cols is the width of the
 * terminal the text goes to, 0 when it is not a terminal: the bars are then
 * FL_HIST_BAR_COLS wide, else they fill the line (at least FL_HIST_BAR_MIN).
 * The longest bar is the fullest row; a non-empty row gets at least one '*'.
 */
void fl_render_hist_text(const struct fl_snapshot *s, int term_cols, struct strbuf *out);

#endif /* FLUSHLAT_HIST_TEXT_H */
