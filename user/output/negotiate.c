// SPDX-License-Identifier: MIT
/* negotiate.c - /metrics content negotiation (see negotiate.h). */
#include "negotiate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PB_PROTO "io.prometheus.client.MetricFamily"

/* Internally OpenMetrics 0.0.1 is a format of its own, answered as OpenMetrics. */
enum { F_TEXT, F_OM, F_OM001, F_PB, F_NR };

const char *fl_expo_content_type(enum fl_expo_fmt f, int om001)
{
	switch (f) {
	case FL_EXPO_PROTOBUF:
		return "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
		       "encoding=delimited";
	case FL_EXPO_OPENMETRICS:
		return om001 ? "application/openmetrics-text; version=0.0.1; charset=utf-8"
			     : "application/openmetrics-text; version=1.0.0; charset=utf-8";
	default:
		return "text/plain; version=0.0.4; charset=utf-8";
	}
}

/* A token or quoted-string, trimmed; at most n-1 bytes kept.  Returns past it. */
static const char *token(const char *p, const char *end, char *out, size_t n, const char *stop)
{
	size_t o = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (o + 1 < n)
				out[o++] = *p;
		}
		if (p < end)
			p++;
	} else {
		for (; p < end && !strchr(stop, *p); p++)
			if (o + 1 < n)
				out[o++] = *p;
		while (o && (out[o - 1] == ' ' || out[o - 1] == '\t'))
			o--;
	}
	out[o] = '\0';
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* An RFC 9110 qvalue as 0..1000, -1 if malformed. */
static int parse_q(const char *s)
{
	int v, i;

	if (s[0] != '0' && s[0] != '1')
		return -1;
	v = (s[0] - '0') * 1000;
	if (!s[1])
		return v;
	if (s[1] != '.')
		return -1;
	for (i = 2; i < 5 && s[i]; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v += (s[i] - '0') * (i == 2 ? 100 : i == 3 ? 10 : 1);
	}
	return s[i] || v > 1000 ? -1 : v;
}

struct range {
	char type[64], sub[64], version[16], proto[64], encoding[16];
	int q;
};

/* How specifically r matches format f: 0 not, 1 * / *, 2 type/ *, 3 type/sub, 4 with params. */
static int match(const struct range *r, int f)
{
	static const char *const type[F_NR] = { "text", "application", "application", "application" };
	static const char *const sub[F_NR] = { "plain", "openmetrics-text", "openmetrics-text",
					       "vnd.google.protobuf" };

	if (!strcmp(r->type, "*"))
		return strcmp(r->sub, "*") == 0 ? 1 : 0;
	if (strcasecmp(r->type, type[f]) != 0)
		return 0;
	if (!strcmp(r->sub, "*"))
		return 2;
	if (strcasecmp(r->sub, sub[f]) != 0)
		return 0;
	switch (f) {
	case F_TEXT:
		if (r->version[0] && strcmp(r->version, "0.0.4") != 0)
			return 0;
		return r->version[0] ? 4 : 3;
	case F_OM:
		if (r->version[0] && strcmp(r->version, "1.0.0") != 0)
			return 0;
		return r->version[0] ? 4 : 3;
	case F_OM001: /* only when asked for by its version */
		return strcmp(r->version, "0.0.1") == 0 ? 4 : 0;
	default: /* F_PB: the delimited MetricFamily stream only */
		return !strcmp(r->proto, PB_PROTO) && !strcmp(r->encoding, "delimited") ? 4 : 0;
	}
}

/* One media range of the header (up to end); 0, or -1 when malformed. */
static int parse_range(const char *p, const char *end, struct range *r)
{
	char mt[160], k[32], v[80];
	const char *slash;

	memset(r, 0, sizeof(*r));
	r->q = 1000;
	p = token(p, end, mt, sizeof(mt), ";");
	slash = strchr(mt, '/');
	if (!slash || slash == mt || !slash[1] || (size_t)(slash - mt) >= sizeof(r->type) ||
	    strlen(slash + 1) >= sizeof(r->sub))
		return -1;
	memcpy(r->type, mt, (size_t)(slash - mt));
	snprintf(r->sub, sizeof(r->sub), "%s", slash + 1);
	while (p < end && *p == ';') {
		p = token(p + 1, end, k, sizeof(k), "=;");
		v[0] = '\0';
		if (p < end && *p == '=')
			p = token(p + 1, end, v, sizeof(v), ";");
		if (!strcasecmp(k, "q")) {
			r->q = parse_q(v);
			return r->q < 0 ? -1 : 0; /* what follows q is an accept-ext: ignored */
		}
		if (!strcasecmp(k, "version"))
			snprintf(r->version, sizeof(r->version), "%s", v);
		else if (!strcasecmp(k, "proto"))
			snprintf(r->proto, sizeof(r->proto), "%s", v);
		else if (!strcasecmp(k, "encoding"))
			snprintf(r->encoding, sizeof(r->encoding), "%s", v);
	}
	return 0;
}

static int offered_fmt(int f, unsigned int offered)
{
	enum fl_expo_fmt e = f == F_PB ? FL_EXPO_PROTOBUF : f == F_TEXT ? FL_EXPO_TEXT
							      : FL_EXPO_OPENMETRICS;

	return e == FL_EXPO_TEXT || (offered & (1U << e));
}

enum fl_expo_fmt fl_negotiate(const char *accept, unsigned int offered, int *om001)
{
	int q[F_NR], spec[F_NR], pos[F_NR], n = 0, win = F_TEXT;
	const char *p = accept, *end;

	*om001 = 0;
	if (!accept || !*accept)
		return FL_EXPO_TEXT;
	for (int f = 0; f < F_NR; f++)
		q[f] = -1, spec[f] = 0, pos[f] = 0;
	end = accept + strlen(accept);
	while (p < end) {
		const char *next = memchr(p, ',', (size_t)(end - p));
		struct range r;

		n++;
		if (!parse_range(p, next ? next : end, &r)) {
			/* the most specific range naming a format decides its q */
			for (int f = 0; f < F_NR; f++) {
				int s = match(&r, f);

				if (s > spec[f]) {
					spec[f] = s;
					q[f] = r.q;
					pos[f] = n;
				}
			}
		}
		p = next ? next + 1 : end;
	}
	for (int f = F_TEXT + 1; f < F_NR; f++) {
		if (q[f] <= 0 || !offered_fmt(f, offered))
			continue;
		if (q[win] <= 0 || q[f] > q[win] ||
		    (q[f] == q[win] && (spec[f] > spec[win] ||
					(spec[f] == spec[win] && pos[f] < pos[win]))))
			win = f;
	}
	if (q[win] <= 0)
		return FL_EXPO_TEXT;
	*om001 = win == F_OM001;
	return win == F_PB ? FL_EXPO_PROTOBUF : win == F_TEXT ? FL_EXPO_TEXT : FL_EXPO_OPENMETRICS;
}
