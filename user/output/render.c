// SPDX-License-Identifier: MIT
/* render.c - render options and the choice of format. */
#include "render.h"

#include <string.h>

void fl_render_opts_default(struct fl_render_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->label = "Meta Store";
	o->prefix = "flushlat";
	o->hist = 1;
}

int fl_format_parse(const char *name, enum fl_format *f)
{
	if (!name)
		return -1;
	if (!strcmp(name, "text"))
		*f = FL_FMT_TEXT;
	else if (!strcmp(name, "prometheus"))
		*f = FL_FMT_PROMETHEUS;
	else if (!strcmp(name, "json"))
		*f = FL_FMT_JSON;
	else
		return -1;
	return 0;
}

void fl_render(enum fl_format f, const struct fl_snapshot *s, const struct fl_render_opts *o,
	       struct strbuf *out)
{
	switch (f) {
	case FL_FMT_TEXT:
		fl_render_text(s, o, out);
		break;
	case FL_FMT_PROMETHEUS:
		fl_render_prom(s, o, out);
		break;
	case FL_FMT_JSON:
		fl_render_json(s, o, out);
		break;
	}
}
