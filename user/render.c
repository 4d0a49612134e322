// SPDX-License-Identifier: MIT
/*
 * Text rendering and the format dispatch.
 *
 * The text form starts with the original MetaStore::dump() block, produced by
 * metastore_dump() itself (through a memory stream) so it can never drift from
 * the reference; flushlat's additions (percentiles, in-flight, unmatched and
 * dropped counts, per-process lines) follow it, each line starting with a
 * space like the dump's own " Meta flush:" line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "metastore.h"
#include "percentile.h"
#include "render.h"

void fl_render_opts_default(struct fl_render_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->label = "Meta Store";
	o->prefix = "flushlat";
}

int fl_format_parse(const char *name, enum fl_format *f)
{
	if (!name)
		return -1;
	if (!strcmp(name, "text"))
		*f = FL_FMT_TEXT;
	else if (!strcmp(name, "prometheus"))
		*f = FL_FMT_PROMETHEUS;
	else if (!strcmp(name, "json"))
		*f = FL_FMT_JSON;
	else
		return -1;
	return 0;
}

void fl_render(enum fl_format f, const struct fl_snapshot *s, const struct fl_render_opts *o,
	       struct strbuf *out)
{
	switch (f) {
	case FL_FMT_TEXT:
		fl_render_text(s, o, out);
		break;
	case FL_FMT_PROMETHEUS:
		fl_render_prom(s, o, out);
		break;
	case FL_FMT_JSON:
		fl_render_json(s, o, out);
		break;
	}
}

/* The reference dump block, byte for byte, from the core library itself. */
static void render_dump(const struct metastore *ms, const char *label, struct strbuf *out)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	if (!f) {
		out->oom = 1;
		return;
	}
	metastore_dump(ms, label, f);
	if (fclose(f) == 0 && mem)
		strbuf_append(out, mem, len);
	else
		out->oom = 1;
	free(mem);
}

static void render_percentiles(const struct fl_snapshot *s, struct strbuf *out)
{
	static const struct {
		const char *name;
		double q;
	} qs[] = { { "p50", 0.50 }, { "p90", 0.90 }, { "p99", 0.99 }, { "p99.9", 0.999 } };
	const struct duration64 *d = &s->ms.maintenance_meta_flush;
	char buf[32];
	size_t i;

	strbuf_puts(out, " Percentiles:");
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		fmt_duration(buf, sizeof(buf),
			     fl_hist_percentile(s->hist, qs[i].q, d->min_ns.value, d->max_ns.value));
		strbuf_printf(out, " %s=%s", qs[i].name, buf);
	}
	strbuf_puts(out, "\n");
}

/*
 * comm is a fixed 16-byte kernel field, set by the process itself (prctl):
 * it may lack a NUL and hold control bytes that would break the line
 * structure, so those print as '?'.
 */
static void comm_str(const char *comm, size_t n, char *buf)
{
	size_t i;

	for (i = 0; i < n && comm[i]; i++)
		buf[i] = ((unsigned char)comm[i] < 0x20 || comm[i] == 0x7f) ? '?' : comm[i];
	buf[i] = '\0';
}

static void render_procs(const struct fl_snapshot *s, struct strbuf *out)
{
	char buf[256], comm[sizeof(s->procs[0].comm) + 1];
	size_t i;

	for (i = 0; i < s->nprocs; i++) {
		const struct fl_proc *p = &s->procs[i];

		duration64_str(&p->ms.maintenance_meta_flush, buf, sizeof(buf));
		comm_str(p->comm, sizeof(p->comm), comm);
		strbuf_printf(out, " pid %u (%s): %s\n", p->pid, comm, buf);
	}
}

void fl_render_text(const struct fl_snapshot *s, const struct fl_render_opts *o, struct strbuf *out)
{
	char age[32];

	render_dump(&s->ms, o && o->label ? o->label : "Meta Store", out);
	if (s->ms.maintenance_meta_flush.samples.value > 0)
		render_percentiles(s, out);
	if (s->lean) {
		/* Only meta_flush_done is traced: starts are never seen. */
		strbuf_puts(out, " In flight: unknown (--lean)\n");
		strbuf_printf(out, " Unmatched completions: unknown  Dropped: %llu\n",
			      (unsigned long long)s->dropped);
	} else {
		if (s->in_flight) {
			fmt_duration(age, sizeof(age), s->oldest_age_ns);
			strbuf_printf(out, " In flight: %llu (oldest %s)\n",
				      (unsigned long long)s->in_flight, age);
		} else {
			strbuf_puts(out, " In flight: 0\n");
		}
		strbuf_printf(out, " Unmatched completions: %llu  Dropped: %llu\n",
			      (unsigned long long)s->unmatched, (unsigned long long)s->dropped);
	}
	/* One process: its line would repeat the merged " Meta flush:" line. */
	if (s->nprocs > 1)
		render_procs(s, out);
}
