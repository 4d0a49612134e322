/* SPDX-License-Identifier: MIT */
/*
 * The native (exponential) histogram's geometry, shared by the BPF program
 * and user space.
 *
 * Schema s: bucket i covers (2^((i-1)/2^s), 2^(i/2^s)] seconds, upper bound
 * inclusive (Prometheus native histograms).  A duration of v integer ns is
 * in bucket i iff T[i-1] < v <= T[i] with T[i] = floor(1e9 * 2^(i/2^s)), so
 * the BPF program finds the first T[k] >= v by binary search over a table
 * that user space fills before attaching: no floating point in BPF, and
 * never re-binned from the log-linear histogram (whose bounds do not line
 * up with these).
 *
 * The search starts at the first threshold of v's power of two in ns (a
 * 64-entry table: v in [2^k, 2^(k+1)) lies between oct[k] and oct[k+1]) and
 * runs over 2^oct_bits positions only: a few cache lines at any schema.
 *
 * The table covers 1 ns to 2^FL_NATIVE_TOP_LOG2_S seconds (68 minutes).  A
 * longer flush is counted in the top bucket (whose bound, 4096 s, then
 * understates it); 0 ns goes to the zero bucket.  Counts live in an array
 * whose slot 0 is the zero bucket and slot 1 + k the bucket of T[k], cut
 * into chunks of at most 2^FL_NATIVE_CHUNK_BITS_MAX counters (a per-CPU map
 * value is limited to 32 KiB).
 */
#ifndef FLUSHLAT_NATIVE_H
#define FLUSHLAT_NATIVE_H

#define FL_NATIVE_SCHEMA_MIN (-4)
#define FL_NATIVE_SCHEMA_MAX 8
#define FL_NATIVE_TOP_LOG2_S 12     /* the top bound: 2^12 s */
#define FL_NATIVE_TABLE_BITS_MAX 14 /* 2^14 thresholds; schema 8 needs 10726 + a window */
#define FL_NATIVE_OCT_BITS_MAX 10   /* search window: schema 8 has up to 257 per power of two */
#define FL_NATIVE_CHUNK_BITS_MAX 12 /* 4096 counters = 32 KiB per chunk */

#endif /* FLUSHLAT_NATIVE_H */
