/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text-exposition writer (format 0.0.4, or OpenMetrics 1.0.0):
 * the one place where HELP/TYPE/UNIT lines, label sets and sample lines are
 * written.  It is also the Prometheus implementation of the collector
 * interface (collector.h), so the original's collect() goes through it
 * unchanged:
 *   # HELP name help
 *   # TYPE name counter|gauge
 *   name{k="v", k2="v2"} value
 * Label values are escaped (\\, \", \n); HELP text escapes \\ and \n
 * (OpenMetrics also \").  In OpenMetrics mode a family header is
 * "# TYPE", "# UNIT" (when given), "# HELP"; a sample may carry an exemplar
 * ("name{..} v # {k="v"} value timestamp"); the text ends with "# EOF".
 */
#ifndef FLUSHLAT_PROM_H
#define FLUSHLAT_PROM_H

#include <stddef.h>
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
	int openmetrics;       /* OpenMetrics 1.0.0 syntax instead of 0.0.4 */
};

/* An exemplar: its labels, value and optional timestamp, already formatted. */
struct prom_exemplar {
	const struct prom_label *labels;
	int nlabels;
	const char *value;
	const char *timestamp; /* seconds, or NULL */
};

/*
 * OpenMetrics allows at most 128 UTF-8 characters in an exemplar's label
 * names and values together; a longer one is dropped (never truncated).
 */
#define PROM_EXEMPLAR_MAX_CHARS 128

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
/* OpenMetrics 1.0.0 syntax from now on (family headers, exemplars, # EOF). */
void prom_writer_set_openmetrics(struct prom_writer *w);
/* "# HELP name help" and "# TYPE name type". */
void prom_writer_family(struct prom_writer *w, const char *name, const char *type,
			const char *help);
/* The same with a unit ("seconds"), printed as "# UNIT" in OpenMetrics only. */
void prom_writer_family_unit(struct prom_writer *w, const char *name, const char *type,
			     const char *help, const char *unit);
/* name{stack..., extra...} value -- value already formatted. */
void prom_writer_sample(struct prom_writer *w, const char *name, const struct prom_label *extra,
			int nextra, const char *value);
void prom_writer_sample_u64(struct prom_writer *w, const char *name,
			    const struct prom_label *extra, int nextra, uint64_t v);
/* A sample with an exemplar (OpenMetrics only; ignored in 0.0.4, which has none). */
void prom_writer_sample_ex(struct prom_writer *w, const char *name, const struct prom_label *extra,
			   int nextra, const char *value, const struct prom_exemplar *ex);
/* "# EOF", the end of an OpenMetrics exposition (nothing in 0.0.4). */
void prom_writer_eof(struct prom_writer *w);
/* 0, or -1 when the output is incomplete (label overflow or out of memory). */
int prom_writer_error(const struct prom_writer *w);
/* Appends v escaped as a label value. */
void prom_escape_label_value(struct strbuf *out, const char *v);
/*
 * A float as Prometheus prints it (Go's strconv 'g' with the shortest
 * round-trip digits, integral values with ".0", "+Inf", "-Inf", "NaN"):
 * "2.047e-06", "0.000131071", "34.359738367", "1.0", "1e+06".  Prometheus
 * gives `le` values this form (classic buckets over protobuf; 3.x also for
 * text), so a bound printed this way names the same series everywhere.
 */
void prom_format_float(char *buf, size_t len, double v);
/* prom_format_float(ns / 1e9), the same text, computed from the integer (fast). */
void prom_format_ns_seconds(char *buf, size_t len, uint64_t ns);
/* v in decimal; returns its length (a scrape formats hundreds: no printf). */
#define PROM_U64_LEN 21
size_t prom_format_u64(char buf[PROM_U64_LEN], uint64_t v);

#endif /* FLUSHLAT_PROM_H */
