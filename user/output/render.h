/* SPDX-License-Identifier: MIT */
/*
 * The renderers and the choice among them (render.c).  Rendering a snapshot: text (the original dump block, byte for byte, then
 * percentile and in-flight lines), JSON (one object, one line) and Prometheus
 * text exposition (default: promtool-clean names in base units; compat: the
 * recorder's own names through metastore_collect()).
 */
#ifndef FLUSHLAT_RENDER_H
#define FLUSHLAT_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "render_opts.h"
#include "snapshot.h"
#include "strbuf.h"

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
/* --prefix: must be a valid Prometheus metric name.  0, or -1 with err. */
int fl_prom_prefix_check(const char *prefix, char *err, size_t errlen);

#endif /* FLUSHLAT_RENDER_H */
