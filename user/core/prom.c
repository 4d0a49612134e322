// SPDX-License-Identifier: MIT
/*
 * The Prometheus text-exposition writer (format 0.0.4, or OpenMetrics
 * 1.0.0) and its collector adapter: a collector metric is one family header
 * plus one sample.
 */
#include "prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Appends v with each byte of specials escaped (\\, \n, \"); runs of other
 * bytes are copied at once (a scrape writes thousands of them).
 */
static void escape(struct strbuf *out, const char *v, const char *specials)
{
	while (*v) {
		size_t n = strcspn(v, specials);

		strbuf_append(out, v, n);
		v += n;
		if (!*v)
			break;
		strbuf_puts(out, *v == '\n' ? "\\n" : *v == '"' ? "\\\"" : "\\\\");
		v++;
	}
}

void prom_escape_label_value(struct strbuf *out, const char *v)
{
	escape(out, v, "\\\"\n");
}

/* HELP text escapes backslash and newline (0.0.4); OpenMetrics also '"'. */
static void escape_help(struct strbuf *out, const char *v, int om)
{
	escape(out, v, om ? "\\\"\n" : "\\\n");
}

void prom_writer_push(struct prom_writer *w, const char *key, const char *value)
{
	/* Beyond the limit the push is still counted, so pops stay balanced. */
	if (w->nlabels < PROM_MAX_LABELS) {
		w->stack[w->nlabels].key = key;
		w->stack[w->nlabels].value = value;
	} else {
		w->overflow = 1;
	}
	w->nlabels++;
}

void prom_writer_pop(struct prom_writer *w)
{
	if (w->nlabels > 0)
		w->nlabels--;
}

void prom_writer_set_openmetrics(struct prom_writer *w)
{
	w->openmetrics = 1;
}

/* "# KIND name value\n"; without a value, "# KIND name " (the text follows). */
static void header_line(struct strbuf *out, const char *kind, const char *name, const char *value)
{
	strbuf_puts(out, "# ");
	strbuf_puts(out, kind);
	strbuf_puts(out, " ");
	strbuf_puts(out, name);
	strbuf_puts(out, " ");
	if (value) {
		strbuf_puts(out, value);
		strbuf_puts(out, "\n");
	}
}

void prom_writer_family_unit(struct prom_writer *w, const char *name, const char *type,
			     const char *help, const char *unit)
{
	if (w->openmetrics) {
		header_line(w->out, "TYPE", name, type);
		if (unit && *unit)
			header_line(w->out, "UNIT", name, unit);
		header_line(w->out, "HELP", name, NULL);
		escape_help(w->out, help, 1);
		strbuf_puts(w->out, "\n");
		return;
	}
	header_line(w->out, "HELP", name, NULL);
	escape_help(w->out, help, 0);
	strbuf_puts(w->out, "\n");
	header_line(w->out, "TYPE", name, type);
}

void prom_writer_family(struct prom_writer *w, const char *name, const char *type,
			const char *help)
{
	prom_writer_family_unit(w, name, type, help, NULL);
}

static void put_label(struct prom_writer *w, const struct prom_label *l, int first)
{
	if (!first)
		strbuf_puts(w->out, w->sep);
	strbuf_puts(w->out, l->key);
	strbuf_puts(w->out, "=\"");
	prom_escape_label_value(w->out, l->value);
	strbuf_puts(w->out, "\"");
}

/* UTF-8 characters (not bytes) of s: bytes that do not continue a sequence. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* " # {labels} value [timestamp]": OpenMetrics only, within the length limit. */
static void put_exemplar(struct prom_writer *w, const struct prom_exemplar *ex)
{
	size_t chars = 0;

	if (!ex || !w->openmetrics)
		return;
	for (int i = 0; i < ex->nlabels; i++)
		chars += utf8_chars(ex->labels[i].key) + utf8_chars(ex->labels[i].value);
	if (chars > PROM_EXEMPLAR_MAX_CHARS)
		return;
	strbuf_puts(w->out, " # {");
	for (int i = 0; i < ex->nlabels; i++)
		put_label(w, &ex->labels[i], i == 0);
	strbuf_puts(w->out, "} ");
	strbuf_puts(w->out, ex->value);
	if (ex->timestamp) {
		strbuf_puts(w->out, " ");
		strbuf_puts(w->out, ex->timestamp);
	}
}

void prom_writer_sample_ex(struct prom_writer *w, const char *name, const struct prom_label *extra,
			   int nextra, const char *value, const struct prom_exemplar *ex)
{
	int n = w->nlabels < PROM_MAX_LABELS ? w->nlabels : PROM_MAX_LABELS;

	if (w->nlabels + nextra > PROM_MAX_LABELS)
		w->overflow = 1;
	strbuf_puts(w->out, name);
	if (n + nextra > 0) {
		strbuf_puts(w->out, "{");
		for (int i = 0; i < n; i++)
			put_label(w, &w->stack[i], i == 0);
		for (int i = 0; i < nextra; i++)
			put_label(w, &extra[i], n + i == 0);
		strbuf_puts(w->out, "}");
	}
	strbuf_puts(w->out, " ");
	strbuf_puts(w->out, value);
	put_exemplar(w, ex);
	strbuf_puts(w->out, "\n");
}

void prom_writer_sample(struct prom_writer *w, const char *name, const struct prom_label *extra,
			int nextra, const char *value)
{
	prom_writer_sample_ex(w, name, extra, nextra, value, NULL);
}

void prom_writer_sample_u64(struct prom_writer *w, const char *name,
			    const struct prom_label *extra, int nextra, uint64_t v)
{
	char buf[PROM_U64_LEN];

	prom_format_u64(buf, v);
	prom_writer_sample(w, name, extra, nextra, buf);
}

void prom_writer_eof(struct prom_writer *w)
{
	if (w->openmetrics)
		strbuf_puts(w->out, "# EOF\n");
}

/*
 * Go's 'g' layout of nd significant digits with decimal exponent exp10 (the
 * value is d.ddd x 10^exp10): %e form when exp10 < -4 or >= 6 (Go's rule
 * for the shortest precision), ".0" appended to an integral result as
 * Prometheus' formatOpenMetricsFloat does.
 */
static void go_layout(char *buf, size_t len, int neg, const char *digits, int nd, int exp10)
{
	char out[64];
	int o = 0;

	if (neg)
		out[o++] = '-';
	if (exp10 < -4 || exp10 >= 6) {
		int e = exp10 < 0 ? -exp10 : exp10;

		out[o++] = digits[0];
		if (nd > 1)
			out[o++] = '.';
		memcpy(out + o, digits + 1, (size_t)nd - 1);
		o += nd - 1;
		out[o++] = 'e';
		out[o++] = exp10 < 0 ? '-' : '+';
		if (e >= 100)
			out[o++] = (char)('0' + e / 100);
		out[o++] = (char)('0' + e / 10 % 10);
		out[o++] = (char)('0' + e % 10);
	} else if (exp10 < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = -1; i > exp10; i--)
			out[o++] = '0';
		memcpy(out + o, digits, (size_t)nd);
		o += nd;
	} else {
		for (int i = 0; i < nd || i <= exp10; i++) {
			if (i == exp10 + 1)
				out[o++] = '.';
			out[o++] = i < nd ? digits[i] : '0';
		}
		if (nd <= exp10 + 1) { /* integral */
			out[o++] = '.';
			out[o++] = '0';
		}
	}
	if (len) {
		size_t n = (size_t)o < len - 1 ? (size_t)o : len - 1;

		memcpy(buf, out, n);
		buf[n] = '\0';
	}
}

/*
 * Go's strconv.FormatFloat(v, 'g', -1, 64): the shortest digits that read
 * back as v, in go_layout().
 */
void prom_format_float(char *buf, size_t len, double v)
{
	char e[40], digits[24] = "0";
	int nd = 0, p;
	const char *s;

	if (isnan(v) || isinf(v) || v == 0) {
		snprintf(buf, len, "%s", isnan(v) ? "NaN" : isinf(v) ? (v > 0 ? "+Inf" : "-Inf") : "0.0");
		return;
	}
	for (p = 0; p < 17; p++) { /* 17 significant digits always round-trip */
		snprintf(e, sizeof(e), "%.*e", p, v);
		if (strtod(e, NULL) == v)
			break;
	}
	s = e + (*e == '-');
	for (; *s && *s != 'e' && nd < (int)sizeof(digits); s++)
		if (*s != '.')
			digits[nd++] = *s;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (!nd)
		nd = 1; /* cannot happen: %e always has a digit */
	go_layout(buf, len, v < 0, digits, nd, *s == 'e' ? atoi(s + 1) : 0);
}

/*
 * A decimal of at most 15 significant digits is the shortest form of the
 * double nearest to it (no shorter decimal lies that close), so ns / 1e9
 * is laid out from the integer's own digits; beyond 15 digits (over 11
 * days) the double's shortest form may differ, so it is computed.
 */
void prom_format_ns_seconds(char *buf, size_t len, uint64_t ns)
{
	char digits[24];
	int nd, exp10;

	if (!ns || ns >= 1000000000000000ULL) {
		prom_format_float(buf, len, (double)ns / 1e9);
		return;
	}
	nd = (int)prom_format_u64(digits, ns);
	exp10 = nd - 1 - 9;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	go_layout(buf, len, 0, digits, nd, exp10);
}

size_t prom_format_u64(char buf[PROM_U64_LEN], uint64_t v)
{
	char tmp[PROM_U64_LEN];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

int prom_writer_error(const struct prom_writer *w)
{
	return w->overflow || w->out->oom ? -1 : 0;
}

/* ---- the collector adapter: one family and one sample per metric ---------- */

static struct prom_writer *to_writer(struct collector *c)
{
	return (struct prom_writer *)c;
}

static void prom_push_label(struct collector *c, const char *key, const char *value)
{
	prom_writer_push(to_writer(c), key, value);
}

static void prom_pop_label(struct collector *c)
{
	prom_writer_pop(to_writer(c));
}

static void add_metric(struct collector *c, const char *name, const char *help, const char *type,
		       const char *value)
{
	prom_writer_family(to_writer(c), name, type, help);
	prom_writer_sample(to_writer(c), name, NULL, 0, value);
}

static void prom_add_counter(struct collector *c, const char *name, const char *help, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	add_metric(c, name, help, "counter", buf);
}

static void prom_add_gauge(struct collector *c, const char *name, const char *help, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	add_metric(c, name, help, "gauge", buf);
}

static void prom_add_gauge_f(struct collector *c, const char *name, const char *help, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.2f", v);
	add_metric(c, name, help, "gauge", buf);
}

static const struct collector_ops prom_ops = {
	.push_label = prom_push_label,
	.pop_label = prom_pop_label,
	.add_counter = prom_add_counter,
	.add_gauge = prom_add_gauge,
	.add_gauge_f = prom_add_gauge_f,
};

void prom_writer_init_sep(struct prom_writer *w, struct strbuf *out, const char *sep)
{
	w->base.ops = &prom_ops;
	w->out = out;
	w->sep = sep;
	w->nlabels = 0;
	w->overflow = 0;
	w->openmetrics = 0;
}

void prom_writer_init(struct prom_writer *w, struct strbuf *out)
{
	prom_writer_init_sep(w, out, ", ");
}
