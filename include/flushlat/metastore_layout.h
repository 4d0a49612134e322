/* SPDX-License-Identifier: MIT */
/*
 * The MetaStore memory layout, shared by the BPF program (clang -target bpf)
 * and user space (gcc/clang).  This is the one definition of the layout: the
 * BPF per-CPU array value, the user-space merge and the in-process telemetry
 * of the sample recorder all use these structs.
 *
 * Mirrors flashstrike::wal::recorder::telemetry::MetaStore: every value lives
 * in its own 64-byte cell so concurrent writers never share a cache line.
 */
#ifndef FLUSHLAT_METASTORE_LAYOUT_H
#define FLUSHLAT_METASTORE_LAYOUT_H

#include <linux/types.h>

#define FL_CACHELINE 64
#define FL_MIN_EMPTY (~(__u64)0) /* min_ns of a duration64 with no sample */

/* counter64: one u64 in a 64-byte-aligned, 64-byte cell. */
struct counter64 {
	_Alignas(FL_CACHELINE) __u64 value;
};

/* gauge64: the same shape as counter64. */
struct gauge64 {
	_Alignas(FL_CACHELINE) __u64 value;
};

/* duration64: fields in this order; min starts at UINT64_MAX, max at 0. */
struct duration64 {
	struct counter64 total_ns;
	struct counter64 samples;
	struct gauge64 min_ns;
	struct gauge64 max_ns;
};

struct metastore {
	struct duration64 maintenance_meta_flush;
};

/* The original's compile-time checks, valid for both gcc and clang -target bpf. */
_Static_assert(sizeof(struct counter64) == FL_CACHELINE, "counter64 is one cell");
_Static_assert(sizeof(struct gauge64) == FL_CACHELINE, "gauge64 is one cell");
_Static_assert(sizeof(struct duration64) == 4 * FL_CACHELINE, "duration64 is 256 bytes");
_Static_assert(_Alignof(struct duration64) == FL_CACHELINE, "duration64 alignof 64");
_Static_assert(__builtin_offsetof(struct duration64, total_ns) % FL_CACHELINE == 0, "total_ns cell");
_Static_assert(__builtin_offsetof(struct duration64, samples) % FL_CACHELINE == 0, "samples cell");
_Static_assert(__builtin_offsetof(struct duration64, min_ns) % FL_CACHELINE == 0, "min_ns cell");
_Static_assert(__builtin_offsetof(struct duration64, max_ns) % FL_CACHELINE == 0, "max_ns cell");
_Static_assert(__builtin_offsetof(struct duration64, total_ns) < __builtin_offsetof(struct duration64, samples) &&
	       __builtin_offsetof(struct duration64, samples) < __builtin_offsetof(struct duration64, min_ns) &&
	       __builtin_offsetof(struct duration64, min_ns) < __builtin_offsetof(struct duration64, max_ns),
	       "duration64 field order: total_ns, samples, min_ns, max_ns");
_Static_assert(sizeof(struct metastore) % FL_CACHELINE == 0, "MetaStore size % 64");
_Static_assert(_Alignof(struct metastore) == FL_CACHELINE, "MetaStore alignof 64");
_Static_assert(__builtin_offsetof(struct metastore, maintenance_meta_flush) % FL_CACHELINE == 0,
	       "maintenance_meta_flush offset % 64");
_Static_assert(sizeof(struct metastore) == 256, "MetaStore is 256 bytes");

#endif /* FLUSHLAT_METASTORE_LAYOUT_H */
