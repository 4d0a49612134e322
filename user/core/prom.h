/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text-exposition writer (format 0.0.4): the one place where
 * HELP/TYPE lines, label sets and sample lines are written.  It is also the
 * Prometheus implementation of the collector interface (collector.h), so the
 * original's collect() goes through it unchanged:
 *   # HELP name help
 *   # TYPE name counter|gauge
 *   name{k="v", k2="v2"} value
 * Label values are escaped (\\, \", \n); HELP text escapes \\ and \n.
 */
#ifndef FLUSHLAT_PROM_H
#define FLUSHLAT_PROM_H

#include <stdint.h>

#include "collector.h"
#include "strbuf.h"

/* Labels in force at once: pushed ones plus those given with one sample. */
#define PROM_MAX_LABELS 32

struct prom_label {
	const char *key;
	const char *value;
};

struct prom_writer {
	struct collector base; /* must be first */
	struct strbuf *out;
	const char *sep;       /* between labels: ", " (the original) or "," */
	struct prom_label stack[PROM_MAX_LABELS];
	int nlabels;
	int overflow;          /* a label did not fit: the output is incomplete */
};

/* Writes into out (not owned), labels separated by ", " like the original. */
void prom_writer_init(struct prom_writer *w, struct strbuf *out);
/* The same with another label separator (flushlat's own series use ","). */
void prom_writer_init_sep(struct prom_writer *w, struct strbuf *out, const char *sep);
static inline struct collector *prom_writer_collector(struct prom_writer *w)
{
	return &w->base;
}
/* The label stack applies to every sample written while pushed. */
void prom_writer_push(struct prom_writer *w, const char *key, const char *value);
void prom_writer_pop(struct prom_writer *w);
/* "# HELP name help" and "# TYPE name type". */
void prom_writer_family(struct prom_writer *w, const char *name, const char *type,
			const char *help);
/* name{stack..., extra...} value -- value already formatted. */
void prom_writer_sample(struct prom_writer *w, const char *name, const struct prom_label *extra,
			int nextra, const char *value);
void prom_writer_sample_u64(struct prom_writer *w, const char *name,
			    const struct prom_label *extra, int nextra, uint64_t v);
/* 0, or -1 when the output is incomplete (label overflow or out of memory). */
int prom_writer_error(const struct prom_writer *w);
/* Appends v escaped as a label value. */
void prom_escape_label_value(struct strbuf *out, const char *v);

#endif /* FLUSHLAT_PROM_H */
