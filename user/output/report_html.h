/* SPDX-License-Identifier: MIT */
/*
 * The HTML report (`flushlat report --format html`): one self-contained page
 * for CI artifacts -- inline CSS and SVG, no script, no external resource.
 */
#ifndef FLUSHLAT_REPORT_HTML_H
#define FLUSHLAT_REPORT_HTML_H

#include <stddef.h>

#include "heatmap.h"
#include "render.h"
#include "snapshot.h"
#include "strbuf.h"
#include "threshold.h"

struct json_object;

struct fl_html_input {
	const char *file;                /* the input file's name, as given */
	const struct fl_snapshot *run;   /* the whole run (fl_snapshot_load) */
	size_t nsnapshots;               /* snapshot lines in the file */
	int summed;                      /* run is the sum of --delta snapshots */
	const struct fl_heat *heat;      /* the file's intervals and slow-flush records */
	const char *heat_note;           /* why there is no heat map although there are intervals */
	struct json_object *last;        /* the last snapshot line (breakdown, top, ...), or NULL */
	const struct fl_threshold *fail_if; /* --fail-if verdicts to show */
	int nfail_if;
	const struct fl_render_opts *render; /* the dump label */
	const char *generator;           /* "flushlat 0.1.0" */
};

/*
 * The page: the dump block and summary lines, every metric of the metric
 * table, the histogram (rows as in the text report, p50/p99 marked), the heat
 * map when the file has at least two intervals, processes, the slow-flush
 * records, and -- when the last snapshot has them -- "breakdown",
 * "slow_dropped" and "top" as tables, and each --fail-if verdict.  Every
 * string from the input is escaped.
 */
void fl_render_html(const struct fl_html_input *in, struct strbuf *out);

#endif /* FLUSHLAT_REPORT_HTML_H */
