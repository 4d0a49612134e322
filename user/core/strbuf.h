/* SPDX-License-Identifier: MIT */
/* A growable, always NUL-terminated text buffer. */
#ifndef FLUSHLAT_STRBUF_H
#define FLUSHLAT_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	int oom; /* set once an allocation failed; later appends are dropped */
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
__attribute__((format(printf, 2, 3))) void strbuf_printf(struct strbuf *sb, const char *fmt, ...);
const char *strbuf_str(const struct strbuf *sb); /* "" when empty */

#endif /* FLUSHLAT_STRBUF_H */
