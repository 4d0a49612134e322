/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition (format 0.0.4) collector: per metric
 *   # HELP name help
 *   # TYPE name counter|gauge
 *   name{k="v", k2="v2"} value
 * Label values are escaped (\\, \", \n); HELP text escapes \\ and \n.
 */
#ifndef FLUSHLAT_PROM_H
#define FLUSHLAT_PROM_H

#include "collector.h"
#include "strbuf.h"

#define PROM_MAX_LABELS 16

struct prom_writer {
	struct collector base; /* must be first */
	struct strbuf *out;
	const char *keys[PROM_MAX_LABELS];
	const char *values[PROM_MAX_LABELS];
	int nlabels;
};

/* Writes into out (not owned); labels pushed beyond PROM_MAX_LABELS are ignored. */
void prom_writer_init(struct prom_writer *w, struct strbuf *out);
static inline struct collector *prom_writer_collector(struct prom_writer *w)
{
	return &w->base;
}
/* Appends v escaped as a label value. */
void prom_escape_label_value(struct strbuf *out, const char *v);
/* Appends the current label set as {k="v", ...} (nothing when empty). */
void prom_write_labels(struct prom_writer *w);

#endif /* FLUSHLAT_PROM_H */
