/* SPDX-License-Identifier: MIT */
/* Text made safe for XML and HTML (the heat map SVG and the HTML report). */
#ifndef FLUSHLAT_XML_H
#define FLUSHLAT_XML_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/*
 * Appends s escaped for element text and attribute values: & < > " ' as
 * entities; control bytes (but tab and newline) and bytes that are not
 * valid UTF-8 as '?', since XML 1.0 cannot carry them.  Process names and
 * file names are user-controlled: everything goes through here.
 */
void fl_xml_escape(struct strbuf *out, const char *s);
void fl_xml_escape_n(struct strbuf *out, const char *s, size_t n);
/* "2026-11-25 12:34:56" (UTC) of a CLOCK_REALTIME value; with_date 0: the time only. */
void fl_utc_str(char *buf, size_t len, uint64_t realtime_ns, int with_date);

#endif /* FLUSHLAT_XML_H */
