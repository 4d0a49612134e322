// SPDX-License-Identifier: MIT
/*
 * The Prometheus text-exposition writer (format 0.0.4) and its collector
 * adapter: a collector metric is one family header plus one sample.
 */
#include "prom.h"

#include <inttypes.h>
#include <stdio.h>

void prom_escape_label_value(struct strbuf *out, const char *v)
{
	for (; *v; v++) {
		switch (*v) {
		case '\\':
			strbuf_puts(out, "\\\\");
			break;
		case '"':
			strbuf_puts(out, "\\\"");
			break;
		case '\n':
			strbuf_puts(out, "\\n");
			break;
		default:
			strbuf_append(out, v, 1);
		}
	}
}

/* HELP text escapes only backslash and newline (the exposition format). */
static void escape_help(struct strbuf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			strbuf_puts(out, "\\\\");
		else if (*v == '\n')
			strbuf_puts(out, "\\n");
		else
			strbuf_append(out, v, 1);
	}
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

void prom_writer_family(struct prom_writer *w, const char *name, const char *type,
			const char *help)
{
	strbuf_printf(w->out, "# HELP %s ", name);
	escape_help(w->out, help);
	strbuf_printf(w->out, "\n# TYPE %s %s\n", name, type);
}

static void put_label(struct prom_writer *w, const struct prom_label *l, int first)
{
	if (!first)
		strbuf_puts(w->out, w->sep);
	strbuf_printf(w->out, "%s=\"", l->key);
	prom_escape_label_value(w->out, l->value);
	strbuf_puts(w->out, "\"");
}

void prom_writer_sample(struct prom_writer *w, const char *name, const struct prom_label *extra,
			int nextra, const char *value)
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
	strbuf_printf(w->out, " %s\n", value);
}

void prom_writer_sample_u64(struct prom_writer *w, const char *name,
			    const struct prom_label *extra, int nextra, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	prom_writer_sample(w, name, extra, nextra, buf);
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
}

void prom_writer_init(struct prom_writer *w, struct strbuf *out)
{
	prom_writer_init_sep(w, out, ", ");
}
