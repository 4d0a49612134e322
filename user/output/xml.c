// SPDX-License-Identifier: MIT
/* xml.c - escaping for the SVG and HTML outputs, and their UTC times. */
#include "xml.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "snapshot.h"

static const char *entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	}
	return NULL;
}

void fl_xml_escape_n(struct strbuf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		const char *e = entity(u[i]);
		size_t len;

		if (e) {
			strbuf_puts(out, e);
			i++;
			continue;
		}
		len = fl_utf8_len(u + i, n - i);
		if (len == 1 && ((u[i] < 0x20 && u[i] != '\t' && u[i] != '\n') || u[i] == 0x7f))
			len = 0;
		if (!len) {
			strbuf_puts(out, "?");
			i++;
			continue;
		}
		strbuf_append(out, s + i, len);
		i += len;
	}
}

void fl_xml_escape(struct strbuf *out, const char *s)
{
	fl_xml_escape_n(out, s, strlen(s));
}

void fl_utc_str(char *buf, size_t len, uint64_t realtime_ns, int with_date)
{
	time_t t = (time_t)(realtime_ns / 1000000000ULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	strftime(buf, len, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
}
