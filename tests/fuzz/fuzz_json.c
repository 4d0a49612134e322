// SPDX-License-Identifier: MIT
/* Fuzz the saved-snapshot reader (json-c) and re-render what it accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_read.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_render_opts o;
	struct fl_snapshot s;
	struct strbuf sb;
	char err[256];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!fl_snapshot_from_json(text, &s, err, sizeof(err))) {
		fl_render_opts_default(&o);
		strbuf_init(&sb);
		fl_render(FL_FMT_TEXT, &s, &o, &sb);
		fl_render(FL_FMT_JSON, &s, &o, &sb);
		fl_render(FL_FMT_PROMETHEUS, &s, &o, &sb);
		strbuf_free(&sb);
		fl_snapshot_free(&s);
	}
	free(text);
	return 0;
}
