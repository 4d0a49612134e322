/* SPDX-License-Identifier: MIT */
/*
 * The MetaStore C API: a C port of FlashStrike's in-process telemetry
 * (flashstrike::wal::recorder::telemetry::MetaStore).  The layout itself is in
 * include/flushlat/metastore_layout.h, shared with the BPF program.
 */
#ifndef FLUSHLAT_METASTORE_H
#define FLUSHLAT_METASTORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flushlat/metastore_layout.h"

struct collector;

/* duration64 */
void duration64_init(struct duration64 *d);
void duration64_record_duration(struct duration64 *d, uint64_t d_ns);
void duration64_record(struct duration64 *d, uint64_t start_ns, uint64_t end_ns);
uint64_t duration64_avg_ns(const struct duration64 *d);
uint64_t duration64_jitter_ns(const struct duration64 *d);
double duration64_rate_per_sec(const struct duration64 *d);
/* str(): writes the text form; returns what snprintf would (bytes needed). */
int duration64_str(const struct duration64 *d, char *buf, size_t len);
void duration64_collect(const struct duration64 *d, const char *prefix, struct collector *c);

/* MetaStore */
void metastore_init(struct metastore *ms);
/* The recorder's hook: on_async_meta_flush_completed(start_ns) with its end time. */
void metastore_record(struct metastore *ms, uint64_t start_ns, uint64_t end_ns);
void metastore_record_duration(struct metastore *ms, uint64_t d_ns);
void metastore_copy_to(const struct metastore *ms, struct metastore *other);
/*
 * Merge n per-CPU copies into dst (dst is overwritten): sums of total/samples,
 * min over copies that saw samples (UINT64_MAX if none did), max.
 */
void metastore_merge(struct metastore *dst, const struct metastore *percpu, size_t n);
/* Adds src into dst (same rules as merge); used to sum processes. */
void metastore_add(struct metastore *dst, const struct metastore *src);
void metastore_dump(const struct metastore *ms, const char *label, FILE *stream);
void metastore_collect(const struct metastore *ms, const char *prefix, struct collector *c);

#endif /* FLUSHLAT_METASTORE_H */
