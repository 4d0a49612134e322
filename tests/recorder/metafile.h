/* SPDX-License-Identifier: MIT */
/*
 * metafile.h - the sample recorder's on-disk WAL metadata record.
 *
 * One fixed-size little-endian record per file (DIR/wal.meta), replaced
 * atomically on every flush: written to DIR/wal.meta.tmp, fdatasync'ed,
 * rename()d over wal.meta, then the directory is fsync'ed.  A reader therefore
 * sees either the previous record or the new one, never a mix; the CRC-32
 * catches anything else (a truncated or hand-edited file).
 */
#ifndef FLUSH_RECORDER_METAFILE_H
#define FLUSH_RECORDER_METAFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METAFILE_NAME "wal.meta"
#define METAFILE_TMP_NAME "wal.meta.tmp"
#define METAFILE_MAGIC 0x444d5346u /* "FSMD" in file byte order */
#define METAFILE_VERSION 1
/* WAL segment size: appends roll over to the next segment past this. */
#define METAFILE_SEGMENT_SIZE (1u << 20)

/* The WAL position a flush persists. */
struct metafile_state {
	uint64_t segment_index;
	uint64_t byte_offset; /* bytes used in segment_index, <= METAFILE_SEGMENT_SIZE */
	uint64_t last_event_id; /* 0 = no event yet */
};

struct metafile_record {
	uint32_t magic;
	uint16_t version;
	uint16_t size; /* sizeof(struct metafile_record) */
	uint64_t flush_seq; /* 1 for the first flush, +1 each flush (kept across restarts) */
	uint64_t segment_index;
	uint64_t byte_offset;
	uint64_t last_event_id;
	uint64_t flush_start_ns; /* the recorder's monotonic clock at flush start */
	uint32_t crc32; /* CRC-32 (IEEE) of every byte before this field */
	uint32_t reserved; /* 0 */
};
_Static_assert(sizeof(struct metafile_record) == 56, "metafile record is 56 bytes, no padding");

uint32_t metafile_crc32(const void *buf, size_t len);

/* Fills magic, version, size and crc32 of rec from its other fields. */
void metafile_seal(struct metafile_record *rec);

/*
 * Persists rec crash-consistently into the directory dirfd (see above);
 * sync=false skips fdatasync and the directory fsync (fast test runs).
 * Returns 0 or a negative errno.
 */
int metafile_write(int dirfd, const struct metafile_record *rec, bool sync);

/*
 * Reads and checks the record at path.  Returns 0 when valid; -ENOENT when
 * the file does not exist; another negative value when it is invalid, with
 * the reason in why.
 */
int metafile_read(const char *path, struct metafile_record *rec, char *why, size_t whylen);

#endif /* FLUSH_RECORDER_METAFILE_H */
