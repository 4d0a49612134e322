/* SPDX-License-Identifier: MIT */
/*
 * telemetry.h - the recorder's in-process MetaStore (the ground truth of the
 * test), from C++: a thin C wrapper over flushlat_core, whose MetaStore is the
 * C port of FlashStrike's telemetry::MetaStore.
 */
#ifndef FS_TELEMETRY_H
#define FS_TELEMETRY_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* MetaStore::record(start_ns, end_ns) */
void fs_telemetry_record(uint64_t start_ns, uint64_t end_ns);
/* samples, total_ns, min_ns, max_ns */
void fs_telemetry_values(uint64_t v[4]);
/* MetaStore::dump("Meta Store", f) */
void fs_telemetry_dump(FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* FS_TELEMETRY_H */
