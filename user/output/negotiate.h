/* SPDX-License-Identifier: MIT */
/*
 * /metrics content negotiation: which exposition format answers an Accept
 * header (RFC 9110 section 12.5.1), and its Content-Type.
 */
#ifndef FLUSHLAT_NEGOTIATE_H
#define FLUSHLAT_NEGOTIATE_H

#include "expo.h"

#define FL_EXPO_ALL ((1U << FL_EXPO_NR) - 1)

/*
 * The format for accept among those in offered (a bit per enum fl_expo_fmt;
 * text is always offered).  Each format gets the q of the most specific
 * media range that matches it (type/subtype with its parameters >
 * type/subtype > type/ * > * / *); the highest q > 0 wins, ties go to the
 * more specific match, then to the range listed first, then to text.
 * Matching parameters: protobuf needs proto=io.prometheus.client.MetricFamily
 * and encoding=delimited; OpenMetrics version absent, 1.0.0 or 0.0.1; text
 * version absent or 0.0.4.  No header, an empty or unparsable one, or
 * nothing acceptable: text 0.0.4 (never 406: every scraper and curl reads
 * text).  *om001 is set when OpenMetrics was asked for as version 0.0.1.
 */
enum fl_expo_fmt fl_negotiate(const char *accept, unsigned int offered, int *om001);
/* The Content-Type of f (om001: OpenMetrics answered as version 0.0.1). */
const char *fl_expo_content_type(enum fl_expo_fmt f, int om001);

#endif /* FLUSHLAT_NEGOTIATE_H */
