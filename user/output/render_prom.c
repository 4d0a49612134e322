// SPDX-License-Identifier: MIT
/*
 * Prometheus text exposition (format 0.0.4) and OpenMetrics 1.0.0 of a
 * snapshot, through the core library's Prometheus writer (prom.h): every
 * family header, label set, sample line and exemplar is written there.  The
 * families and their values come from the exposition model (expo.c), shared
 * with the protobuf renderer.
 *
 * compat: the recorder's own series, exactly: metastore_collect() with the
 * prefix "ie_wal_recorder__meta_store" under the outer label
 * system="wal_recorder", so existing FlashStrike dashboards keep working.
 * The original names do not pass `promtool check metrics` (counters without
 * _total, "_ns" units).
 *
 * default: Prometheus conventions (base units, counters ending in _total, a
 * real histogram with a fixed bucket layout), every series labelled
 * subsystem="wal_meta" plus the --label-set labels; the README maps each
 * name to its original.  OpenMetrics adds # UNIT, an exemplar on each
 * classic bucket (its slowest flush since the previous scrape) and # EOF.
 *
 * le values are printed as Prometheus prints floats ("2.047e-06"), so
 * text, OpenMetrics and protobuf name the same series, before and after
 * Prometheus 3's normalisation of le.
 *
 * Seconds are printed as exact decimals of the integer nanoseconds (never
 * through a double), so _sum is exactly total_ns / 1e9.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"
#include "metastore.h"
#include "prom.h"
#include "render.h"

#define COMPAT_PREFIX "ie_wal_recorder__meta_store"
#define FL_STR_(x) #x
#define FL_STR(x) FL_STR_(x)

/* Labels that flushlat itself sets: a --label-set may not shadow them. */
static const char *const reserved_labels[] = {
	"subsystem", "system", "le", "pid", "comm", "program", "errno",
	"tid", "component", "syscall", "method", "rank", "start_ns",
};
#define NRESERVED (sizeof(reserved_labels) / sizeof(reserved_labels[0]))
/* Every label flushlat may add fits beside a full --label-set. */
_Static_assert(FL_MAX_LABEL_SET + NRESERVED <= PROM_MAX_LABELS, "label capacity");

static int valid_label_name(const char *k)
{
	const char *p;

	if (!*k || (k[0] >= '0' && k[0] <= '9') || !strncmp(k, "__", 2))
		return 0;
	for (p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

int fl_label_set_parse(char *kv, struct fl_render_opts *o, char *err, size_t errlen)
{
	char *eq = strchr(kv, '='), vwhy[64];
	const char *why = NULL;

	if (!eq) {
		snprintf(err, errlen, "'%s': expected NAME=VALUE", kv);
		return -1;
	}
	*eq = '\0';
	if (!valid_label_name(kv))
		why = "invalid label name (letters, digits, '_', not starting with a digit or '__')";
	for (size_t i = 0; !why && i < NRESERVED; i++)
		if (!strcmp(kv, reserved_labels[i]))
			why = "the label is set by flushlat itself";
	for (int j = 0; !why && j < o->nlabels; j++)
		if (!strcmp(kv, o->label_keys[j]))
			why = "the label is given twice";
	if (!why && o->nlabels >= FL_MAX_LABEL_SET)
		why = "too many labels (at most " FL_STR(FL_MAX_LABEL_SET) ")";
	if (!why && fl_label_value_check(eq + 1, vwhy, sizeof(vwhy)))
		why = vwhy;
	if (why) {
		*eq = '=';
		snprintf(err, errlen, "'%s': %s", kv, why);
		return -1;
	}
	o->label_keys[o->nlabels] = kv;
	o->label_values[o->nlabels] = eq + 1;
	o->nlabels++;
	return 0;
}

int fl_prom_prefix_check(const char *prefix, char *err, size_t errlen)
{
	const char *p = prefix;

	/* A metric name: [a-zA-Z_:][a-zA-Z0-9_:]* */
	if (p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':')) {
		for (p++; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
				break;
		if (!*p)
			return 0;
	}
	snprintf(err, errlen, "'%s': not a valid metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)",
		 prefix ? prefix : "");
	return -1;
}

static void push_label_set(struct prom_writer *w, const struct fl_render_opts *o)
{
	for (int i = 0; i < o->nlabels; i++)
		prom_writer_push(w, o->label_keys[i], o->label_values[i]);
}

/* ---- compat ------------------------------------------------------------- */

static void render_compat(const struct fl_snapshot *s, const struct fl_render_opts *o,
			  struct prom_writer *w)
{
	prom_writer_push(w, "system", "wal_recorder");
	push_label_set(w, o);
	metastore_collect(&s->ms, COMPAT_PREFIX, prom_writer_collector(w));
}

/* ---- default: text 0.0.4 and OpenMetrics 1.0.0 of the exposition model ---- */

/*
 * The family's header.  Text 0.0.4 names a counter family like its series
 * (with _total); OpenMetrics names it without, adds the unit, and the
 * series carry _total.
 */
static void header(const struct fl_expo *e, enum fl_family_id id, struct prom_writer *w,
		   char *name, size_t len)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	const struct fl_family *f = &fl_families[id];
	int total = f->type == FL_MT_COUNTER;

	fl_expo_name(e, id, total && !w->openmetrics ? "_total" : "", name, len);
	prom_writer_family_unit(w, name, types[f->type], f->help, f->unit);
	fl_expo_name(e, id, total ? "_total" : "", name, len);
}

static void value_str(char *buf, size_t len, uint64_t v, int ns)
{
	if (ns)
		fl_seconds_str(buf, len, v);
	else if (len >= PROM_U64_LEN)
		prom_format_u64(buf, v);
}

/* The exemplar of a classic bucket: {pid,tid} value (s) timestamp (s). */
static const struct prom_exemplar *exemplar(const struct fl_exemplar *x, struct prom_exemplar *ex,
					    struct prom_label *l, char bufs[4][32])
{
	if (!x || !x->value_ns)
		return NULL;
	snprintf(bufs[0], sizeof(bufs[0]), "%u", x->pid);
	snprintf(bufs[1], sizeof(bufs[1]), "%u", x->tid);
	fl_seconds_str(bufs[2], sizeof(bufs[2]), x->value_ns);
	fl_seconds_str(bufs[3], sizeof(bufs[3]), x->time_ns);
	l[0] = (struct prom_label){ "pid", bufs[0] };
	l[1] = (struct prom_label){ "tid", bufs[1] };
	*ex = (struct prom_exemplar){ l, 2, bufs[2], x->time_ns ? bufs[3] : NULL };
	return ex;
}

static void render_histogram(const struct fl_expo *e, struct prom_writer *w)
{
	const struct fl_expo_hist *h = &e->hist;
	char name[288], v[48], le[48], bufs[4][32];
	struct prom_label l = { "le", le }, exl[2];
	struct prom_exemplar ex;

	header(e, FL_F_DURATION, w, name, sizeof(name));
	fl_expo_name(e, FL_F_DURATION, "_bucket", name, sizeof(name));
	for (size_t j = 0; j <= h->nb; j++) {
		if (j < h->nb)
			prom_format_ns_seconds(le, sizeof(le), h->le_ns[j]);
		else
			snprintf(le, sizeof(le), "+Inf");
		prom_format_u64(v, j < h->nb ? h->cum[j] : h->count);
		prom_writer_sample_ex(w, name, &l, 1, v,
				      h->ex ? exemplar(&h->ex[j], &ex, exl, bufs) : NULL);
	}
	fl_expo_name(e, FL_F_DURATION, "_sum", name, sizeof(name));
	fl_seconds_str(v, sizeof(v), h->sum_ns);
	prom_writer_sample(w, name, NULL, 0, v);
	fl_expo_name(e, FL_F_DURATION, "_count", name, sizeof(name));
	prom_writer_sample_u64(w, name, NULL, 0, h->count);
}

static void render_model(const struct fl_expo *e, struct prom_writer *w)
{
	char name[288], v[48];

	for (int i = 0; i < e->ncommon; i++)
		prom_writer_push(w, e->common[i].key, e->common[i].value);
	render_histogram(e, w);
	for (int id = FL_F_DURATION + 1; id < FL_F_NR; id++) {
		const struct fl_expo_family *f = &e->fam[id];

		if (!f->n)
			continue;
		header(e, (enum fl_family_id)id, w, name, sizeof(name));
		for (size_t j = 0; j < f->n; j++) {
			value_str(v, sizeof(v), f->m[j].v, f->m[j].ns);
			prom_writer_sample(w, name, f->m[j].labels, f->m[j].nlabels, v);
		}
	}
	prom_writer_eof(w);
}

static void render_default(const struct fl_snapshot *s, const struct fl_render_opts *o,
			   struct strbuf *out, int openmetrics)
{
	struct prom_writer w;
	struct fl_expo e;

	prom_writer_init_sep(&w, out, ",");
	if (openmetrics)
		prom_writer_set_openmetrics(&w);
	if (fl_expo_build(&e, s, o) == 0)
		render_model(&e, &w);
	else
		out->oom = 1;
	fl_expo_free(&e);
	/* never a silently truncated exposition: the caller sees an error */
	if (prom_writer_error(&w))
		out->oom = 1;
}

void fl_render_openmetrics(const struct fl_snapshot *s, const struct fl_render_opts *o,
			   struct strbuf *out)
{
	render_default(s, o, out, 1);
}

void fl_render_prom(const struct fl_snapshot *s, const struct fl_render_opts *o, struct strbuf *out)
{
	struct prom_writer w;

	if (!o->compat) {
		render_default(s, o, out, 0);
		return;
	}
	prom_writer_init(&w, out); /* the original collector's ", " separator */
	render_compat(s, o, &w);
	/* never a silently truncated exposition: the caller sees an error */
	if (prom_writer_error(&w))
		out->oom = 1;
}
