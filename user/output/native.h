/* SPDX-License-Identifier: MIT */
/*
 * The native (exponential) histogram in user space: the geometry of a
 * schema (which buckets the BPF program counts, its threshold table, how the
 * counters are cut into chunks), the merged counts as a snapshot carries
 * them, and their protobuf form (spans and deltas).  The bucket rules are in
 * include/flushlat/native.h.
 */
#ifndef FLUSHLAT_OUTPUT_NATIVE_H
#define FLUSHLAT_OUTPUT_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#include "flushlat/native.h"

struct fl_native_geom {
	int schema;
	int32_t imin;        /* the bucket of 1 ns */
	int32_t imax;        /* the top bucket (bound >= 2^FL_NATIVE_TOP_LOG2_S s) */
	uint32_t n;          /* buckets (thresholds): imax - imin + 1 */
	uint32_t steps;      /* the table holds 2^steps thresholds (>= n + 2^oct_bits) */
	uint32_t oct_bits;   /* binary-search steps inside one power of two of ns */
	uint32_t oct[64];    /* position of the first threshold >= 2^k ns (n - 1 if none) */
	uint64_t top_ns;     /* the last threshold: longer flushes are counted there */
	uint32_t chunk_bits; /* counters per chunk: 2^chunk_bits */
	uint32_t nchunks;    /* chunks holding the 1 + n counters (zero bucket first) */
};

/* 0, or -1 when schema is outside [FL_NATIVE_SCHEMA_MIN, FL_NATIVE_SCHEMA_MAX]. */
int fl_native_geom(int schema, struct fl_native_geom *g);
/*
 * The threshold table, 2^steps entries: t[k] = floor(1e9 * 2^((imin+k)/2^s))
 * for k < n, then t[n-1] repeated (the binary search needs a power of two).
 */
void fl_native_thresholds(const struct fl_native_geom *g, uint64_t *t);
/* The bucket of v ns (v >= 1) by the table, exactly as the BPF program finds it. */
int32_t fl_native_index(const struct fl_native_geom *g, const uint64_t *t, uint64_t v);
/* Upper bound of bucket i in seconds. */
double fl_native_bound(int schema, int32_t i);

/* Merged counts: the zero bucket (0 ns) and buckets imin .. imin + n - 1. */
struct fl_native {
	int schema;
	int32_t imin;
	uint32_t n;
	uint64_t zero;
	uint64_t counts[];
};

/* An empty histogram of geometry g (calloc'd; free()), NULL when out of memory. */
struct fl_native *fl_native_new(const struct fl_native_geom *g);
struct fl_native *fl_native_dup(const struct fl_native *h);
uint64_t fl_native_count(const struct fl_native *h); /* zero + every bucket */

/* A span of consecutive buckets in the protobuf encoding. */
struct fl_native_span {
	int32_t offset;  /* the first span: its first bucket index; later ones: the gap */
	uint32_t length;
};

/*
 * The protobuf form of h's buckets: spans and delta-encoded counts (the
 * first absolute), gaps of up to 2 empty buckets kept inside a span as
 * zeros, as client_golang does.  No bucket: one no-op span {0, 0} (the
 * native histogram's empty form).  spans and deltas are malloc'd, the
 * caller frees them; 0, or -1 when out of memory.
 */
int fl_native_spans(const struct fl_native *h, struct fl_native_span **spans, size_t *nspans,
		    int64_t **deltas, size_t *ndeltas);

#endif /* FLUSHLAT_OUTPUT_NATIVE_H */
