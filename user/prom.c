// SPDX-License-Identifier: MIT
/*
 * The Prometheus text-exposition collector (format 0.0.4): HELP, TYPE and one
 * sample line per metric, with the current label stack.
 */
#include "prom.h"

#include <inttypes.h>

static struct prom_writer *to_writer(struct collector *c)
{
	return (struct prom_writer *)c;
}

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

void prom_write_labels(struct prom_writer *w)
{
	int n = w->nlabels < PROM_MAX_LABELS ? w->nlabels : PROM_MAX_LABELS;

	if (n == 0)
		return;
	strbuf_puts(w->out, "{");
	for (int i = 0; i < n; i++) {
		if (i)
			strbuf_puts(w->out, ", ");
		strbuf_printf(w->out, "%s=\"", w->keys[i]);
		prom_escape_label_value(w->out, w->values[i]);
		strbuf_puts(w->out, "\"");
	}
	strbuf_puts(w->out, "}");
}

static void header(struct prom_writer *w, const char *name, const char *help, const char *type)
{
	strbuf_printf(w->out, "# HELP %s ", name);
	escape_help(w->out, help);
	strbuf_printf(w->out, "\n# TYPE %s %s\n%s", name, type, name);
	prom_write_labels(w);
}

static void prom_push_label(struct collector *c, const char *key, const char *value)
{
	struct prom_writer *w = to_writer(c);

	/* Beyond the limit the push is still counted so pops stay balanced. */
	if (w->nlabels < PROM_MAX_LABELS) {
		w->keys[w->nlabels] = key;
		w->values[w->nlabels] = value;
	}
	w->nlabels++;
}

static void prom_pop_label(struct collector *c)
{
	struct prom_writer *w = to_writer(c);

	if (w->nlabels > 0)
		w->nlabels--;
}

static void prom_add_counter(struct collector *c, const char *name, const char *help, uint64_t v)
{
	struct prom_writer *w = to_writer(c);

	header(w, name, help, "counter");
	strbuf_printf(w->out, " %" PRIu64 "\n", v);
}

static void prom_add_gauge(struct collector *c, const char *name, const char *help, uint64_t v)
{
	struct prom_writer *w = to_writer(c);

	header(w, name, help, "gauge");
	strbuf_printf(w->out, " %" PRIu64 "\n", v);
}

static void prom_add_gauge_f(struct collector *c, const char *name, const char *help, double v)
{
	struct prom_writer *w = to_writer(c);

	header(w, name, help, "gauge");
	strbuf_printf(w->out, " %.2f\n", v);
}

static const struct collector_ops prom_ops = {
	.push_label = prom_push_label,
	.pop_label = prom_pop_label,
	.add_counter = prom_add_counter,
	.add_gauge = prom_add_gauge,
	.add_gauge_f = prom_add_gauge_f,
};

void prom_writer_init(struct prom_writer *w, struct strbuf *out)
{
	w->base.ops = &prom_ops;
	w->out = out;
	w->nlabels = 0;
}
