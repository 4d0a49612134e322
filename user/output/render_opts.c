// SPDX-License-Identifier: MIT
/* render_opts.c - render options, format names, checks on user-given label text. */
#include "render_opts.h"

#include <stdio.h>
#include <string.h>

#include "snapshot.h" /* fl_utf8_len */

void fl_render_opts_default(struct fl_render_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->label = "Meta Store";
	o->prefix = "flushlat";
	o->hist = 1;
	fl_buckets_default(&o->buckets);
}

/* Indexed by enum fl_format; --format, its messages and completion list them. */
const char *const fl_format_names[] = {
	[FL_FMT_TEXT] = "text",
	[FL_FMT_PROMETHEUS] = "prometheus",
	[FL_FMT_JSON] = "json",
	NULL,
};

int fl_format_parse(const char *name, enum fl_format *f)
{
	for (int i = 0; name && fl_format_names[i]; i++) {
		if (!strcmp(name, fl_format_names[i])) {
			*f = (enum fl_format)i;
			return 0;
		}
	}
	return -1;
}

/* Offset of the first byte that is not valid UTF-8 (or, unless ctl_ok, a control character); -1 if none. */
static long text_error_at(const char *s, int ctl_ok)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t len = fl_utf8_len(u + i, n - i);

		if (!len || (!ctl_ok && len == 1 && (u[i] < 0x20 || u[i] == 0x7f)))
			return (long)i;
		i += len;
	}
	return -1;
}

int fl_label_check(const char *label, char *err, size_t errlen)
{
	long at = text_error_at(label, 0);

	if (at < 0)
		return 0;
	snprintf(err, errlen, "byte %ld is %s", at + 1,
		 fl_utf8_len((const unsigned char *)label + at, strlen(label + at)) ?
			 "a control character" : "not valid UTF-8");
	return -1;
}

int fl_label_value_check(const char *value, char *err, size_t errlen)
{
	long at = text_error_at(value, 1);

	if (at < 0)
		return 0;
	snprintf(err, errlen, "byte %ld of the value is not valid UTF-8", at + 1);
	return -1;
}
