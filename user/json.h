/* SPDX-License-Identifier: MIT */
/* Saved JSON snapshots read back with json-c (for report/diff). */
#ifndef FLUSHLAT_JSON_H
#define FLUSHLAT_JSON_H

#include <stddef.h>

#include "snapshot.h"

/* Parses one snapshot object (the last non-empty line of a file holding
 * several).  Returns 0, or -1 with a message in err. */
int fl_json_parse(const char *text, struct fl_snapshot *s, char *err, size_t errlen);
int fl_json_load_file(const char *path, struct fl_snapshot *s, char *err, size_t errlen);
void fl_snapshot_free(struct fl_snapshot *s);

#endif /* FLUSHLAT_JSON_H */
