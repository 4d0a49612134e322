// SPDX-License-Identifier: MIT
/*
 * The text form.  It starts with the original MetaStore::dump() block,
 * produced by metastore_dump() itself (through a memory stream) so it can
 * never drift from the reference; flushlat's additions (percentiles,
 * in-flight, unmatched, dropped and failed counts, per-process lines, the
 * histogram) follow it, each line starting with a space like the dump's own
 * " Meta flush:" line.
 */
#include <stdio.h>
#include <stdlib.h>

#include "breakdown.h"
#include "format.h"
#include "hist_text.h"
#include "metastore.h"
#include "metrics.h"
#include "render.h"

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
	const struct fl_metric *m;
	char buf[32];

	strbuf_puts(out, " Percentiles:");
	fl_for_each_quantile(m) {
		fmt_duration(buf, sizeof(buf), fl_metric_value(m, s).u);
		strbuf_printf(out, " %s=%s", m->name, buf);
	}
	strbuf_puts(out, "\n");
}

static void render_procs(const struct fl_snapshot *s, struct strbuf *out)
{
	char buf[256], comm[FL_COMM_LEN + 1];

	for (size_t i = 0; i < s->nprocs; i++) {
		const struct fl_proc *p = &s->procs[i];

		duration64_str(&p->ms.maintenance_meta_flush, buf, sizeof(buf));
		fl_comm_str(p->comm, comm);
		strbuf_printf(out, " pid %u (%s): %s\n", p->pid, comm, buf);
	}
}

/* " Failed flushes: 3 (EIO 1, ENOSPC 2)": by errno number, "other" last. */
static void render_failed(const struct fl_snapshot *s, struct strbuf *out)
{
	const char *why = fl_metric_unknown_why(fl_metric_find("failed", 6), s);
	const char *sep = " (";

	if (why) {
		strbuf_printf(out, " Failed flushes: unknown (%s)\n", why);
		return;
	}
	strbuf_printf(out, " Failed flushes: %llu", (unsigned long long)fl_failed_total(s));
	for (unsigned int i = 1; i <= FL_FAILED_ERRNOS; i++) {
		unsigned int slot = i % FL_FAILED_ERRNOS; /* slot 0 ("other") comes last */

		if (!s->failed[slot])
			continue;
		strbuf_printf(out, "%s%s %llu", sep, fl_errno_name(slot),
			      (unsigned long long)s->failed[slot]);
		sep = ", ";
	}
	strbuf_puts(out, *sep == ',' ? ")\n" : "\n");
}

void fl_render_text(const struct fl_snapshot *s, const struct fl_render_opts *o, struct strbuf *out)
{
	char age[32];

	render_dump(&s->ms, o->label, out);
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
	render_failed(s, out);
	/* One process: its line would repeat the merged " Meta flush:" line. */
	if (s->nprocs > 1)
		render_procs(s, out);
	if (o->hist)
		fl_render_hist_text(s, o->term_cols, out);
	fl_render_anatomy_text(s, out);
}
