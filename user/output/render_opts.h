/* SPDX-License-Identifier: MIT */
/*
 * What every renderer is told: the render options (dump label, metric
 * prefix and labels, compat, histogram layout, terminal width), the format
 * names, and the checks on user-given label text.  Renderers depend on this;
 * the dispatch (render.h) depends on the renderers.
 */
#ifndef FLUSHLAT_RENDER_OPTS_H
#define FLUSHLAT_RENDER_OPTS_H

#include <stddef.h>

#include "buckets.h"

enum fl_format { FL_FMT_TEXT, FL_FMT_PROMETHEUS, FL_FMT_JSON };

#define FL_MAX_LABEL_SET 16

struct fl_render_opts {
	const char *label;  /* dump label (default "Meta Store") */
	const char *prefix; /* metric prefix (default "flushlat"); ignored with compat */
	int compat;         /* recorder's exact metric names and system="wal_recorder" label */
	int nlabels;        /* --label-set k=v, added to every Prometheus series */
	const char *label_keys[FL_MAX_LABEL_SET];
	const char *label_values[FL_MAX_LABEL_SET];
	int hist;           /* text: the histogram under the summary (--no-hist: 0) */
	int term_cols;      /* text: columns of the terminal it goes to, 0 if not one */
	struct fl_buckets buckets; /* the classic histogram's layout (--buckets) */
};

void fl_render_opts_default(struct fl_render_opts *o);
/* The format names, indexed by enum fl_format, NULL-terminated. */
extern const char *const fl_format_names[];
/* "text" | "prometheus" | "json" -> 0 and *f, else -1. */
int fl_format_parse(const char *name, enum fl_format *f);
/*
 * --label: valid UTF-8 without control characters (it becomes part of a line
 * of the dump).  0, or -1 with err naming the byte.
 */
int fl_label_check(const char *label, char *err, size_t errlen);
/* A Prometheus label value must be valid UTF-8.  0, or -1 with err naming the byte. */
int fl_label_value_check(const char *value, char *err, size_t errlen);

#endif /* FLUSHLAT_RENDER_OPTS_H */
