// SPDX-License-Identifier: MIT
/*
 * native.c - the native histogram's geometry, threshold table and protobuf
 * spans (see native.h and include/flushlat/native.h).
 *
 * The thresholds are computed in long double (64-bit mantissa): below the
 * 2^12 s top the rounding error is under 1e-6 ns, far from the distance of
 * any irrational bound to an integer, so floor() is exact; a test checks
 * every table of every schema against exact integer arithmetic.
 */
#include "native.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1e9 * 2^(i / 2^s) ns, exactly when i / 2^s is an integer. */
static long double bound_ns(int schema, int32_t i)
{
	long double e = schema >= 0 ? (long double)i / (long double)(1 << schema)
				    : (long double)i * (long double)(1 << -schema);

	return 1e9L * exp2l(e);
}

double fl_native_bound(int schema, int32_t i)
{
	return (double)(bound_ns(schema, i) / 1e9L);
}

static uint64_t floor_ns(int schema, int32_t i)
{
	return (uint64_t)floorl(bound_ns(schema, i));
}

static uint32_t log2_ceil(uint32_t n)
{
	uint32_t b = 0;

	while ((1U << b) < n)
		b++;
	return b;
}

/* The first threshold >= x ns (n - 1 if none): a plain binary search. */
static uint32_t first_at_least(int schema, int32_t imin, uint32_t n, uint64_t x)
{
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (floor_ns(schema, imin + (int32_t)mid) >= x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int fl_native_geom(int schema, struct fl_native_geom *g)
{
	uint32_t widest = 0;
	int32_t i;

	if (schema < FL_NATIVE_SCHEMA_MIN || schema > FL_NATIVE_SCHEMA_MAX)
		return -1;
	memset(g, 0, sizeof(*g));
	g->schema = schema;
	/* the first bucket whose floor bound reaches 1 ns: it holds 1 ns */
	i = (int32_t)floorl(log2l(1e-9L) * exp2l((long double)schema)) - 1;
	while (floor_ns(schema, i) < 1)
		i++;
	g->imin = i;
	/* the first bucket whose bound reaches the top */
	i = schema >= 0 ? FL_NATIVE_TOP_LOG2_S << schema : 0;
	while (bound_ns(schema, i) < exp2l(FL_NATIVE_TOP_LOG2_S) * 1e9L)
		i++;
	g->imax = i;
	g->n = (uint32_t)(g->imax - g->imin + 1);
	g->top_ns = floor_ns(schema, g->imax);
	/* v in [2^k, 2^(k+1)) has its answer in [oct[k], oct[k+1]] */
	for (int k = 0; k < 64; k++)
		g->oct[k] = first_at_least(schema, g->imin, g->n, 1ULL << k);
	for (int k = 0; k < 63; k++)
		if (g->oct[k + 1] - g->oct[k] + 1 > widest)
			widest = g->oct[k + 1] - g->oct[k] + 1;
	g->oct_bits = log2_ceil(widest);
	g->steps = log2_ceil(g->n + (1U << g->oct_bits));
	g->chunk_bits = log2_ceil(g->n + 1);
	if (g->chunk_bits > FL_NATIVE_CHUNK_BITS_MAX)
		g->chunk_bits = FL_NATIVE_CHUNK_BITS_MAX;
	g->nchunks = (g->n + 1 + (1U << g->chunk_bits) - 1) >> g->chunk_bits;
	return 0;
}

void fl_native_thresholds(const struct fl_native_geom *g, uint64_t *t)
{
	uint32_t k;

	for (k = 0; k < g->n; k++)
		t[k] = floor_ns(g->schema, g->imin + (int32_t)k);
	for (; k < (1U << g->steps); k++)
		t[k] = t[g->n - 1];
}

int32_t fl_native_index(const struct fl_native_geom *g, const uint64_t *t, uint64_t v)
{
	uint32_t pos, k = 0;

	if (v > t[g->n - 1])
		v = t[g->n - 1];
	while (k < 63 && v >> (k + 1))
		k++;
	pos = g->oct[k];
	for (int i = (int)g->oct_bits - 1; i >= 0; i--) /* the BPF program's steps */
		if (t[pos + (1U << i) - 1] < v)
			pos += 1U << i;
	return g->imin + (int32_t)pos;
}

struct fl_native *fl_native_new(const struct fl_native_geom *g)
{
	struct fl_native *h = calloc(1, sizeof(*h) + g->n * sizeof(h->counts[0]));

	if (!h)
		return NULL;
	h->schema = g->schema;
	h->imin = g->imin;
	h->n = g->n;
	return h;
}

struct fl_native *fl_native_dup(const struct fl_native *h)
{
	size_t size = sizeof(*h) + h->n * sizeof(h->counts[0]);
	struct fl_native *d = malloc(size);

	if (d)
		memcpy(d, h, size);
	return d;
}

uint64_t fl_native_count(const struct fl_native *h)
{
	uint64_t n = h->zero;

	for (uint32_t i = 0; i < h->n; i++)
		n += h->counts[i];
	return n;
}

#define MAX_GAP 2

int fl_native_spans(const struct fl_native *h, struct fl_native_span **spans, size_t *nspans,
		    int64_t **deltas, size_t *ndeltas)
{
	struct fl_native_span *sp = calloc((size_t)h->n + 1, sizeof(*sp));
	int64_t *dl = calloc((size_t)h->n + 1, sizeof(*dl)), prev = 0;
	size_t ns = 0, nd = 0, gap = 0;

	if (!sp || !dl) {
		free(sp);
		free(dl);
		return -1;
	}
	for (uint32_t i = 0; i < h->n; i++) {
		int64_t c = (int64_t)h->counts[i];

		if (!c) {
			gap++;
			continue;
		}
		if (ns && gap <= MAX_GAP) {
			/* a short gap stays in the span as zero counts: cheaper than a new span */
			for (; gap; gap--) {
				dl[nd++] = -prev;
				prev = 0;
				sp[ns - 1].length++;
			}
		} else {
			sp[ns].offset = ns ? (int32_t)gap : h->imin + (int32_t)i;
			ns++;
		}
		gap = 0;
		dl[nd++] = c - prev;
		prev = c;
		sp[ns - 1].length++;
	}
	if (!ns)
		ns = 1; /* the no-op span {0, 0}: an empty native histogram */
	*spans = sp;
	*nspans = ns;
	*deltas = dl;
	*ndeltas = nd;
	return 0;
}
