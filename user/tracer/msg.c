// SPDX-License-Identifier: MIT
/* msg.c - the tracer's messages: one printable line each. */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>

#include "snapshot.h"

void fl_err(const char *fmt, ...)
{
	char line[2 * 4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	fl_text_safe(line);
	fprintf(stderr, "flushlat: %s\n", line);
}
