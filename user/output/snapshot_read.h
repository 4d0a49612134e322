/* SPDX-License-Identifier: MIT */
/* Saved JSON snapshot files read back with json-c (report, diff, heatmap). */
#ifndef FLUSHLAT_SNAPSHOT_READ_H
#define FLUSHLAT_SNAPSHOT_READ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "snapshot.h"

/* A snapshot file larger than this is refused, not read into memory. */
#define FL_SNAPSHOT_MAX_BYTES (256 << 20)

/* Parses one snapshot object (the last non-empty line of text holding
 * several).  Returns 0, or -1 with a message in err. */
int fl_snapshot_from_json(const char *text, struct fl_snapshot *s, char *err, size_t errlen);
/*
 * The run a file holds: its last snapshot, or the sum of its --delta
 * snapshots (fl_snapshot_add); other records are skipped.  Every line must
 * be valid; messages name the file and the line.
 */
int fl_snapshot_load(const char *path, struct fl_snapshot *s, char *err, size_t errlen);

/* A {"type":"slow_flush",...} record (time_ns: CLOCK_REALTIME). */
struct fl_slow_flush {
	uint32_t pid;
	uint32_t tid;
	char comm[FL_COMM_LEN];
	uint64_t start_ns;
	uint64_t duration_ns;
	uint64_t time_ns;
};

enum fl_record_kind {
	FL_REC_SNAPSHOT,   /* no "type" (or "type":"snapshot") */
	FL_REC_SLOW_FLUSH, /* "type":"slow_flush" */
	FL_REC_OTHER,      /* any other "type": for newer readers, skipped here */
};

struct json_object;

/* One line of a file, valid only during the callback. */
struct fl_record {
	enum fl_record_kind kind;
	size_t lineno;                   /* 1-based */
	struct json_object *json;        /* the whole object (take a reference to keep it) */
	const struct fl_snapshot *snap;  /* FL_REC_SNAPSHOT */
	const struct fl_slow_flush *slow; /* FL_REC_SLOW_FLUSH */
};

/* 0 to go on, -1 to stop with a message in err (the reader adds file and line). */
typedef int (*fl_record_fn)(const struct fl_record *r, void *ctx, char *err, size_t errlen);

/*
 * Every non-blank line of path, in order, to fn (at most
 * FL_SNAPSHOT_MAX_BYTES are read).  0, or -1 with "PATH: line N: ..." in err.
 */
int fl_json_file_read(const char *path, fl_record_fn fn, void *ctx, char *err, size_t errlen);
/* The same from an open stream; name is used in messages. */
int fl_json_stream_read(FILE *in, const char *name, fl_record_fn fn, void *ctx, char *err,
			size_t errlen);

/* A file's run built snapshot by snapshot (what fl_snapshot_load does). */
struct fl_run {
	struct fl_snapshot s; /* the last cumulative snapshot, or the --delta ones summed */
	size_t nsnapshots;
	int delta;            /* the snapshots are --delta ones */
};

void fl_run_init(struct fl_run *r);
void fl_run_free(struct fl_run *r);
/* Adds one snapshot; refuses a mix of --delta and cumulative ones.  0, or -1 with err. */
int fl_run_add(struct fl_run *r, const struct fl_snapshot *snap, char *err, size_t errlen);
#endif /* FLUSHLAT_SNAPSHOT_READ_H */
