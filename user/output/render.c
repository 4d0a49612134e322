// SPDX-License-Identifier: MIT
/* render.c - the choice of renderer for a format (the renderers never call back here). */
#include "render.h"

#include "expo.h"

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

void fl_render_expo(enum fl_expo_fmt f, const struct fl_snapshot *s, const struct fl_render_opts *o,
		    struct strbuf *out)
{
	if (o->compat || f == FL_EXPO_TEXT)
		fl_render_prom(s, o, out);
	else if (f == FL_EXPO_OPENMETRICS)
		fl_render_openmetrics(s, o, out);
	else
		fl_render_protobuf(s, o, out);
}
