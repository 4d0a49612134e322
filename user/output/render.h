/* SPDX-License-Identifier: MIT */
/*
 * Rendering a snapshot: text (the original dump block, byte for byte, then
 * percentile and in-flight lines), JSON (one object, one line) and Prometheus
 * text exposition (default: promtool-clean names in base units; compat: the
 * recorder's own names through metastore_collect()).
 */
#ifndef FLUSHLAT_RENDER_H
#define FLUSHLAT_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "buckets.h"
#include "snapshot.h"
#include "strbuf.h"

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
/* "text" | "prometheus" | "json" -> 0 and *f, else -1. */
int fl_format_parse(const char *name, enum fl_format *f);
void fl_render(enum fl_format f, const struct fl_snapshot *s, const struct fl_render_opts *o,
	       struct strbuf *out);
void fl_render_text(const struct fl_snapshot *s, const struct fl_render_opts *o, struct strbuf *out);
void fl_render_json(const struct fl_snapshot *s, const struct fl_render_opts *o, struct strbuf *out);
void fl_render_prom(const struct fl_snapshot *s, const struct fl_render_opts *o, struct strbuf *out);

/*
 * --label-set NAME=VALUE: splits kv in place (the '=' becomes a NUL; kv must
 * outlive o) and appends it to o.  Rejects bad names, duplicates and the
 * labels flushlat sets itself.  0, or -1 with a message in err (which does
 * not repeat the option's name).
 */
int fl_label_set_parse(char *kv, struct fl_render_opts *o, char *err, size_t errlen);
/*
 * --label: valid UTF-8 without control characters (it becomes part of a line
 * of the dump).  0, or -1 with err naming the byte.
 */
int fl_label_check(const char *label, char *err, size_t errlen);
/* A Prometheus label value must be valid UTF-8.  0, or -1 with err naming the byte. */
int fl_label_value_check(const char *value, char *err, size_t errlen);
/* --prefix: must be a valid Prometheus metric name.  0, or -1 with err. */
int fl_prom_prefix_check(const char *prefix, char *err, size_t errlen);

#endif /* FLUSHLAT_RENDER_H */
