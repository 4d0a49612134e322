/* SPDX-License-Identifier: MIT */
/* Saved JSON snapshots read back with json-c (for report/diff). */
#ifndef FLUSHLAT_SNAPSHOT_READ_H
#define FLUSHLAT_SNAPSHOT_READ_H

#include <stddef.h>

#include "snapshot.h"

/* A snapshot file larger than this is refused, not read into memory. */
#define FL_SNAPSHOT_MAX_BYTES (256 << 20)

/* Parses one snapshot object (the last non-empty line of text holding
 * several).  Returns 0, or -1 with a message in err. */
int fl_snapshot_from_json(const char *text, struct fl_snapshot *s, char *err, size_t errlen);
/* The same from a file (its last non-empty line); messages name the file. */
int fl_snapshot_load(const char *path, struct fl_snapshot *s, char *err, size_t errlen);

#endif /* FLUSHLAT_SNAPSHOT_READ_H */
