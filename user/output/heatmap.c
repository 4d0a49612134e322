// SPDX-License-Identifier: MIT
/*
 * heatmap.c - the latency heat map (Brendan Gregg's: time on x, latency on
 * a log y axis, colour = count) as one SVG.
 *
 * Rows are whole log-linear buckets merged per octave (8, 4, 2 or 1 rows per
 * power of two, the finest that keeps the picture at 48 rows or fewer, but
 * for data spanning more than 24 octaves), so every cell's count is exact.  Colours follow the log of the count, so a
 * lone outlier is as visible as the mode.  Cells are positioned on a true
 * log scale from their bucket bounds.
 */
#include "heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "hist_text.h"
#include "xml.h"

/* The picture, in SVG user units (pixels). */
#define W 960
#define H 540
#define ML 84  /* left: latency labels */
#define MR 170 /* right: the legend */
#define MT 60  /* top: the titles */
#define MB 58  /* bottom: time labels */
#define PW (W - ML - MR)
#define PH (H - MT - MB)

void fl_heat_init(struct fl_heat *h)
{
	memset(h, 0, sizeof(*h));
	fl_snapshot_init(&h->prev);
}

void fl_heat_free(struct fl_heat *h)
{
	free(h->ivs);
	free(h->buckets);
	free(h->marks);
	fl_snapshot_free(&h->prev);
	fl_heat_init(h);
}

/* p grown to hold need elements (doubling); NULL on failure, p untouched. */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap && p)
		return p; /* (a first call for 0 elements still allocates: NULL means failure) */
	while (c < need)
		c *= 2;
	q = realloc(p, c * size);
	if (q)
		*cap = c;
	return q;
}

static int add_interval(struct fl_heat *h, const uint64_t *hist, uint64_t t0, uint64_t t1)
{
	struct fl_heat_iv *iv;
	size_t k = 0;
	void *p;

	for (uint32_t b = 0; b < FL_HIST_NBUCKETS; b++)
		k += hist[b] != 0;
	p = grow(h->buckets, &h->cap_buckets, h->nbuckets + k, sizeof(*h->buckets));
	if (!p)
		return -1;
	h->buckets = p;
	p = grow(h->ivs, &h->cap_iv, h->niv + 1, sizeof(*h->ivs));
	if (!p)
		return -1;
	h->ivs = p;
	iv = &h->ivs[h->niv++];
	*iv = (struct fl_heat_iv){ .t0_ns = t0, .t1_ns = t1, .first = h->nbuckets, .n = k };
	for (uint32_t b = 0; b < FL_HIST_NBUCKETS; b++) {
		if (!hist[b])
			continue;
		h->buckets[h->nbuckets++] = (struct fl_heat_bucket){ b, hist[b] };
		iv->samples += hist[b];
	}
	h->samples += iv->samples;
	return 0;
}

/* cur - prev for a cumulative reading; -1 when a count went down. */
static int cumulative_delta(const struct fl_snapshot *prev, const struct fl_snapshot *cur,
			    uint64_t *d, char *err, size_t errlen)
{
	for (uint32_t b = 0; b < FL_HIST_NBUCKETS; b++) {
		if (cur->hist[b] < prev->hist[b]) {
			snprintf(err, errlen, "histogram counts go down: not the cumulative snapshots "
				 "of one run");
			return -1;
		}
		d[b] = cur->hist[b] - prev->hist[b];
	}
	return 0;
}

int fl_heat_add_snapshot(struct fl_heat *h, const struct fl_snapshot *s, char *err, size_t errlen)
{
	uint64_t d[FL_HIST_NBUCKETS];
	int mode = s->delta ? 1 : 2;
	uint64_t last = h->niv ? h->ivs[h->niv - 1].t1_ns : 0;

	if (h->mode && h->mode != mode) {
		snprintf(err, errlen, "mixes --delta and cumulative snapshots");
		return -1;
	}
	if (!s->taken_realtime_ns) {
		snprintf(err, errlen, "timestamp_ns: missing (the time axis needs it)");
		return -1;
	}
	if (s->taken_realtime_ns < last) {
		snprintf(err, errlen, "timestamp_ns: %llu is before the previous snapshot's %llu",
			 (unsigned long long)s->taken_realtime_ns, (unsigned long long)last);
		return -1;
	}
	if (mode == 2 && cumulative_delta(&h->prev, s, d, err, errlen))
		return -1;
	if (add_interval(h, mode == 1 ? s->hist : d, last, s->taken_realtime_ns)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (mode == 2) {
		/* only the histogram is differenced: no process list to keep */
		memcpy(h->prev.hist, s->hist, sizeof(s->hist));
	}
	h->mode = mode;
	return 0;
}

int fl_heat_add_mark(struct fl_heat *h, const struct fl_slow_flush *f, char *err, size_t errlen)
{
	void *p;

	if (h->nmarks >= FL_HEAT_MAX_MARKS) {
		h->marks_dropped++;
		return 0;
	}
	p = grow(h->marks, &h->cap_marks, h->nmarks + 1, sizeof(*h->marks));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->marks = p;
	h->marks[h->nmarks++] = *f;
	return 0;
}

int fl_heat_add_record(const struct fl_record *r, void *ctx, char *err, size_t errlen)
{
	struct fl_heat *h = ctx;

	switch (r->kind) {
	case FL_REC_SNAPSHOT:
		return fl_heat_add_snapshot(h, r->snap, err, errlen);
	case FL_REC_SLOW_FLUSH:
		return fl_heat_add_mark(h, r->slow, err, errlen);
	case FL_REC_OTHER:
		break;
	}
	return 0;
}

/* ---- layout ------------------------------------------------------------- */

struct layout {
	uint64_t t_start, t_end;      /* CLOCK_REALTIME ns */
	uint32_t lo_oct, hi_oct;      /* octaves drawn */
	uint32_t per_oct;             /* rows per octave (fewer in the small ones) */
	size_t base[FL_HIST_OCTAVES + 1]; /* first row of each octave */
	double lmin, lmax;            /* log2 of the lowest and highest value */
	uint64_t cmax;                /* fullest cell */
};

/* One cell: a row of one interval. */
struct cell {
	size_t row;
	uint64_t lo, hi, count;
};

static uint64_t iv_start(const struct fl_heat *h, size_t i)
{
	uint64_t t1 = h->ivs[0].t1_ns, gap;

	if (i)
		return h->ivs[i].t0_ns;
	/* The first interval's start is not in the file: as long as the second. */
	gap = h->niv > 1 ? h->ivs[1].t1_ns - t1 : 0;
	return t1 > gap ? t1 - gap : 0;
}

static void octave_range(const struct fl_heat *h, struct layout *L)
{
	uint32_t lo = FL_HIST_OCTAVES, hi = 0;

	for (size_t i = 0; i < h->nbuckets; i++) {
		uint32_t o = fl_hist_octave(h->buckets[i].bucket);

		lo = o < lo ? o : lo;
		hi = o > hi ? o : hi;
	}
	for (size_t i = 0; i < h->nmarks; i++) {
		uint32_t o = fl_hist_octave(fl_hist_bucket(h->marks[i].duration_ns));

		lo = o < lo ? o : lo;
		hi = o > hi ? o : hi;
	}
	if (lo == FL_HIST_OCTAVES) /* nothing at all: an empty 1 ms octave */
		lo = hi = fl_hist_octave(fl_hist_bucket(1000000));
	L->lo_oct = lo;
	L->hi_oct = hi;
}

static size_t row_of(const struct layout *L, uint32_t b, uint64_t *lo, uint64_t *hi)
{
	uint32_t o = fl_hist_octave(b), first, n, parts, w, p;

	fl_hist_octave_span(o, &first, &n);
	parts = n < L->per_oct ? n : L->per_oct;
	w = n / parts;
	p = (b - first) / w;
	*lo = fl_hist_bucket_lo(first + p * w);
	*hi = fl_hist_bucket_hi(first + p * w + w - 1);
	return L->base[o] + p;
}

/* The next cell of interval iv from its bucket *k on; 0 when there is none. */
static int next_cell(const struct fl_heat *h, const struct layout *L,
		     const struct fl_heat_iv *iv, size_t *k, struct cell *c)
{
	const struct fl_heat_bucket *b = h->buckets + iv->first;

	if (*k >= iv->n)
		return 0;
	c->row = row_of(L, b[*k].bucket, &c->lo, &c->hi);
	c->count = 0;
	while (*k < iv->n) {
		uint64_t lo, hi;

		if (row_of(L, b[*k].bucket, &lo, &hi) != c->row)
			break;
		c->count += b[*k].count;
		c->hi = hi;
		(*k)++;
	}
	return 1;
}

static double log2v(uint64_t v)
{
	return v ? log2((double)v) : -1.0; /* 0 ns drawn half a unit below 1 ns */
}

static void layout(const struct fl_heat *h, struct layout *L)
{
	uint32_t span, first, n;
	struct cell c;

	memset(L, 0, sizeof(*L));
	octave_range(h, L);
	span = L->hi_oct - L->lo_oct + 1;
	L->per_oct = span <= 6 ? 8 : span <= 12 ? 4 : span <= 24 ? 2 : 1;
	for (uint32_t o = L->lo_oct; o <= L->hi_oct; o++) {
		fl_hist_octave_span(o, &first, &n);
		L->base[o + 1] = L->base[o] + (n < L->per_oct ? n : L->per_oct);
	}
	fl_hist_octave_span(L->lo_oct, &first, &n);
	L->lmin = log2v(fl_hist_bucket_lo(first));
	fl_hist_octave_span(L->hi_oct, &first, &n);
	L->lmax = log2v(fl_hist_bucket_hi(first + n - 1));
	L->t_start = iv_start(h, 0);
	L->t_end = h->ivs[h->niv - 1].t1_ns;
	for (size_t i = 0; i < h->nmarks; i++) {
		uint64_t t = h->marks[i].time_ns;

		L->t_start = t < L->t_start ? t : L->t_start;
		L->t_end = t > L->t_end ? t : L->t_end;
	}
	if (L->t_end <= L->t_start)
		L->t_end = L->t_start + 1000000000ULL;
	for (size_t i = 0; i < h->niv; i++)
		for (size_t k = 0; next_cell(h, L, &h->ivs[i], &k, &c);)
			L->cmax = c.count > L->cmax ? c.count : L->cmax;
}

static double x_of(const struct layout *L, uint64_t t)
{
	return ML + (double)(t - L->t_start) / (double)(L->t_end - L->t_start) * PW;
}

static double y_of(const struct layout *L, uint64_t v)
{
	return MT + PH - (log2v(v) - L->lmin) / (L->lmax - L->lmin) * PH;
}

/* ---- drawing ------------------------------------------------------------ */

/* YlOrRd, from a yellow that shows on white to a dark red. */
static void colour(char *buf, size_t len, uint64_t count, uint64_t cmax)
{
	static const unsigned char stops[][3] = {
		{ 0xfe, 0xd9, 0x76 }, { 0xfe, 0xb2, 0x4c }, { 0xfd, 0x8d, 0x3c },
		{ 0xfc, 0x4e, 0x2a }, { 0xe3, 0x1a, 0x1c }, { 0xbd, 0x00, 0x26 },
		{ 0x80, 0x00, 0x26 },
	};
	const int nstops = (int)(sizeof(stops) / sizeof(stops[0]));
	double f = cmax > 1 ? log((double)count) / log((double)cmax) : 1.0, pos, w;
	int i, rgb[3];

	f = f < 0 ? 0 : f > 1 ? 1 : f;
	pos = f * (nstops - 1);
	i = (int)pos;
	if (i >= nstops - 1)
		i = nstops - 2;
	w = pos - i;
	for (int k = 0; k < 3; k++)
		rgb[k] = (int)lround(stops[i][k] * (1 - w) + stops[i + 1][k] * w);
	snprintf(buf, len, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static void svg_text(struct strbuf *out, double x, double y, const char *attrs, const char *text)
{
	strbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\"%s%s>", x, y, *attrs ? " " : "", attrs);
	fl_xml_escape(out, text);
	strbuf_puts(out, "</text>\n");
}

/* A cell on whole pixels: neighbours share their edges exactly (no seams once
 * a renderer snaps them), and a cell is never less than one pixel. */
struct box {
	long x, y, w, h;
};

static struct box pixels(double x0, double ytop, double x1, double ybot)
{
	struct box b = { lround(x0), lround(ytop), lround(x1), lround(ybot) };

	b.w = b.w > b.x ? b.w - b.x : 1;
	b.h = b.h > b.y ? b.h - b.y : 1;
	return b;
}

static void draw_cells(const struct fl_heat *h, const struct layout *L, struct strbuf *out)
{
	char fill[8], lo[32], hi[32];
	struct cell c;

	strbuf_puts(out, "<g class=\"cells\" shape-rendering=\"crispEdges\">\n");
	for (size_t i = 0; i < h->niv; i++) {
		uint64_t t0 = iv_start(h, i), t1 = h->ivs[i].t1_ns;
		double x0 = x_of(L, t0), x1 = x_of(L, t1);
		double s0 = (double)(t0 - L->t_start) / 1e9, s1 = (double)(t1 - L->t_start) / 1e9;

		for (size_t k = 0; next_cell(h, L, &h->ivs[i], &k, &c);) {
			struct box b = pixels(x0, y_of(L, c.hi), x1, y_of(L, c.lo));

			colour(fill, sizeof(fill), c.count, L->cmax);
			fmt_duration(lo, sizeof(lo), c.lo);
			fmt_duration(hi, sizeof(hi), c.hi);
			strbuf_printf(out, "<rect class=\"cell\" x=\"%ld\" y=\"%ld\" width=\"%ld\" "
				      "height=\"%ld\" fill=\"%s\" data-i=\"%zu\" data-lo=\"%llu\" "
				      "data-hi=\"%llu\" data-n=\"%llu\"><title>%.3f-%.3f s, %s - %s: "
				      "%llu flush%s</title></rect>\n",
				      b.x, b.y, b.w, b.h, fill, i,
				      (unsigned long long)c.lo, (unsigned long long)c.hi,
				      (unsigned long long)c.count, s0, s1, lo, hi,
				      (unsigned long long)c.count, c.count == 1 ? "" : "es");
		}
	}
	strbuf_puts(out, "</g>\n");
}

static void draw_marks(const struct fl_heat *h, const struct layout *L, struct strbuf *out)
{
	char comm[FL_COMM_LEN + 1], d[32], at[32];

	if (!h->nmarks)
		return;
	strbuf_puts(out, "<g class=\"marks\" fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"1.5\">\n");
	for (size_t i = 0; i < h->nmarks; i++) {
		const struct fl_slow_flush *m = &h->marks[i];

		fl_comm_str(m->comm, comm);
		fmt_duration(d, sizeof(d), m->duration_ns);
		fl_utc_str(at, sizeof(at), m->time_ns, 0);
		strbuf_printf(out, "<circle class=\"mark\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" "
			      "data-duration=\"%llu\"><title>slow flush: %s, pid %u tid %u (",
			      x_of(L, m->time_ns), y_of(L, m->duration_ns),
			      (unsigned long long)m->duration_ns, d, m->pid, m->tid);
		fl_xml_escape(out, comm);
		strbuf_printf(out, "), at %s.%03llu UTC</title></circle>\n", at,
			      (unsigned long long)(m->time_ns / 1000000 % 1000));
	}
	strbuf_puts(out, "</g>\n");
}

/* A round latency for a tick label: "1 ms", "50 us", "2 s". */
static void tick_label(char *buf, size_t len, uint64_t v)
{
	static const struct { uint64_t div; const char *unit; } u[] = {
		{ 1000000000ULL, "s" }, { 1000000, "ms" }, { 1000, "us" }, { 1, "ns" },
	};
	size_t i = 0;

	while (i + 1 < sizeof(u) / sizeof(u[0]) && v < u[i].div)
		i++;
	snprintf(buf, len, "%llu %s", (unsigned long long)(v / u[i].div), u[i].unit);
}

static void y_tick(const struct layout *L, struct strbuf *out, uint64_t v)
{
	char label[32];
	double y = y_of(L, v);

	tick_label(label, sizeof(label), v);
	strbuf_printf(out, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#ddd\"/>\n",
		      ML, y, ML + PW, y);
	strbuf_printf(out, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#333\"/>\n",
		      ML - 5, y, ML, y);
	svg_text(out, ML - 8, y + 4, "text-anchor=\"end\"", label);
}

/* Decades inside the range; with 2 and 5 as well when there are few. */
static void y_ticks(const struct layout *L, struct strbuf *out)
{
	static const unsigned mults[] = { 1, 2, 5 };
	double lo = L->lmin, hi = L->lmax;
	int ndec = 0;

	for (uint64_t p = 1; p <= 10000000000000000000ULL; p *= 10) {
		double l = log2((double)p);

		ndec += l >= lo && l <= hi;
		if (p > UINT64_MAX / 10)
			break;
	}
	for (uint64_t p = 1;; p *= 10) {
		for (size_t m = 0; m < (ndec < 3 ? 3 : 1); m++) {
			double l = log2((double)p * mults[m]);

			if (l >= lo - 1e-9 && l <= hi + 1e-9)
				y_tick(L, out, p * mults[m]);
		}
		if (p > UINT64_MAX / 10 / 5)
			break;
	}
}

/* A round step giving at most about 8 time ticks. */
static double time_step(double span)
{
	static const double steps[] = {
		0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60,
		120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i] >= span / 8)
			return steps[i];
	return ceil(span / 8 / 86400) * 86400;
}

static void x_ticks(const struct layout *L, struct strbuf *out)
{
	double span = (double)(L->t_end - L->t_start) / 1e9, step = time_step(span);
	double div = step >= 7200 ? 3600 : step >= 120 ? 60 : 1;
	const char *unit = div == 3600 ? "h" : div == 60 ? "min" : "s";
	char label[96], start[32];

	for (long k = 0; k * step <= span + 1e-9; k++) {
		double s = k * step, x = ML + s / span * PW;

		snprintf(label, sizeof(label), "%g", s / div);
		strbuf_printf(out, "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#333\"/>\n",
			      x, MT + PH, x, MT + PH + 5);
		svg_text(out, x, MT + PH + 19, "text-anchor=\"middle\"", label);
	}
	fl_utc_str(start, sizeof(start), L->t_start, 1);
	snprintf(label, sizeof(label), "time (%s) since %s UTC", unit, start);
	svg_text(out, ML + PW / 2.0, H - 14, "text-anchor=\"middle\"", label);
}

static void draw_axes(const struct layout *L, struct strbuf *out)
{
	strbuf_puts(out, "<g class=\"axes\" font-size=\"12\" fill=\"#222\">\n");
	y_ticks(L, out);
	x_ticks(L, out);
	strbuf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		      "stroke=\"#333\"/>\n", ML, MT, PW, PH);
	strbuf_printf(out, "<text transform=\"translate(18 %d) rotate(-90)\" "
		      "text-anchor=\"middle\">flush latency (log scale)</text>\n", MT + PH / 2);
	strbuf_puts(out, "</g>\n");
}

static void draw_legend(const struct fl_heat *h, const struct layout *L, struct strbuf *out)
{
	int x = ML + PW + 28, y = MT + 22, n;
	char fill[8], label[64];

	strbuf_puts(out, "<g class=\"legend\" font-size=\"12\" fill=\"#222\">\n");
	svg_text(out, x, MT + 4, "", "flushes per cell");
	svg_text(out, x, MT + 18, "fill=\"#666\" font-size=\"10\"", "(colour: log scale)");
	/* at most 9 swatches, the fullest cell at the top, 1 at the bottom */
	n = L->cmax < 9 ? (int)L->cmax : 9;
	for (int j = n - 1; j >= 0; j--) {
		uint64_t v = n > 1 ? (uint64_t)llround(exp(log((double)L->cmax) * j / (n - 1))) : 1;

		if (j == n - 1)
			v = L->cmax;
		colour(fill, sizeof(fill), v, L->cmax);
		strbuf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"18\" fill=\"%s\"/>\n",
			      x, y, fill);
		snprintf(label, sizeof(label), "%llu", (unsigned long long)v);
		svg_text(out, x + 26, y + 13, "", label);
		y += 20;
	}
	if (!n) {
		svg_text(out, x, y + 12, "", "no flushes");
		y += 20;
	}
	if (h->nmarks) {
		y += 14;
		strbuf_printf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"none\" stroke=\"#1f4e9c\" "
			      "stroke-width=\"1.5\"/>\n", x + 9, y + 9);
		snprintf(label, sizeof(label), "slow flush (%zu)", h->nmarks);
		svg_text(out, x + 26, y + 13, "", label);
		if (h->marks_dropped) {
			snprintf(label, sizeof(label), "+%zu not drawn", h->marks_dropped);
			svg_text(out, x + 26, y + 29, "", label);
		}
	}
	strbuf_puts(out, "</g>\n");
}

static void draw_titles(const struct fl_heat *h, const struct fl_heat_opts *o,
			const struct layout *L, struct strbuf *out)
{
	char a[32], b[32], sub[160];

	svg_text(out, ML, 24, "font-size=\"16\" font-weight=\"bold\"",
		 o->title ? o->title : "flush latency heat map");
	fl_utc_str(a, sizeof(a), L->t_start, 1);
	fl_utc_str(b, sizeof(b), L->t_end, 0);
	snprintf(sub, sizeof(sub), "%zu intervals, %llu flushes, %s - %s UTC", h->niv,
		 (unsigned long long)h->samples, a, b);
	svg_text(out, ML, 44, "font-size=\"12\" fill=\"#555\"", sub);
}

void fl_heatmap_svg(const struct fl_heat *h, const struct fl_heat_opts *o, struct strbuf *out)
{
	struct layout L;

	if (h->niv < 1)
		return;
	layout(h, &L);
	if (o->standalone)
		strbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	/* the namespace is a name, not a reference; HTML knows <svg> without it */
	strbuf_printf(out, "<svg%s class=\"heatmap\" width=\"%d\" height=\"%d\" "
		      "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
		      o->standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : "", W, H, W, H);
	strbuf_puts(out, "<title>");
	fl_xml_escape(out, o->title ? o->title : "flush latency heat map");
	strbuf_puts(out, "</title>\n");
	strbuf_printf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, H);
	draw_titles(h, o, &L, out);
	draw_axes(&L, out);
	draw_cells(h, &L, out);
	draw_marks(h, &L, out);
	draw_legend(h, &L, out);
	strbuf_puts(out, "</svg>\n");
}
