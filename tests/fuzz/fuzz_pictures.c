// SPDX-License-Identifier: MIT
/*
 * Fuzz the many-line reader (snapshots, slow-flush and unknown records) and
 * every picture drawn from what it accepts: the run's text histogram at
 * several widths, the heat map SVG, the HTML page (its generic tables take
 * any JSON under "breakdown", "top", "slow_dropped"), the --watch frame.
 */
#define _GNU_SOURCE /* fmemopen */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "heatmap.h"
#include "hist_text.h"
#include "render.h"
#include "report_html.h"
#include "snapshot_read.h"
#include "live_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct fl_run run;
	struct fl_heat heat;
	struct json_object *last;
	struct fl_live *watch;
	int heat_failed;
};

static int record(const struct fl_record *r, void *arg, char *err, size_t errlen)
{
	struct ctx *c = arg;

	if (r->kind == FL_REC_SNAPSHOT) {
		if (fl_run_add(&c->run, r->snap, err, errlen))
			return -1;
		json_object_put(c->last);
		c->last = json_object_get(r->json);
		fl_live_add(c->watch, r->snap, r->snap, 1000000000ULL, r->snap->taken_ns);
	}
	if (!c->heat_failed && fl_heat_add_record(r, &c->heat, err, errlen))
		c->heat_failed = 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fl_live watch;
	struct ctx c = { .watch = &watch };
	struct fl_render_opts o;
	struct fl_html_input in;
	struct fl_heat_opts ho = { .title = "fuzz", .standalone = 1 };
	struct strbuf sb;
	char err[512];
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	fl_run_init(&c.run);
	fl_heat_init(&c.heat);
	fl_live_init(&watch, 0.5, size & 1);
	fl_render_opts_default(&o);
	strbuf_init(&sb);
	if (fl_json_stream_read(f, "fuzz", record, &c, err, sizeof(err)) == 0 && c.run.nsnapshots) {
		for (int cols = 0; cols <= 120; cols += 40) {
			fl_render_hist_text(&c.run.s, cols, &sb);
			fl_live_frame(&watch, cols, 24, 1764097200000000000ULL, &sb);
		}
		if (c.heat.niv >= 2)
			fl_heatmap_svg(&c.heat, &ho, &sb);
		in = (struct fl_html_input){ .file = "fuzz<&>", .run = &c.run.s,
					     .nsnapshots = c.run.nsnapshots, .summed = c.run.delta,
					     .heat = &c.heat, .last = c.last, .render = &o,
					     .heat_note = c.heat_failed ? "no" : NULL };
		fl_render_html(&in, &sb);
	}
	strbuf_free(&sb);
	json_object_put(c.last);
	fl_snapshot_free(&watch.run);
	fl_heat_free(&c.heat);
	fl_run_free(&c.run);
	fclose(f);
	return 0;
}
