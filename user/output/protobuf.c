// SPDX-License-Identifier: MIT
/*
 * protobuf.c - the exposition model (expo.c) as delimited protobuf
 * io.prometheus.client.MetricFamily messages, each preceded by its length
 * as a varint: what Prometheus asks for with native histograms on.  Field
 * numbers are those of the public client_model metrics.proto.
 *
 * The flush-duration histogram carries the native (exponential) buckets,
 * kept exact by the BPF program, and the classic buckets in the same
 * message.  Prometheus 2.42 stores only the native part of such a message
 * (classic kept too from 2.45 with scrape_classic_histograms) and ingests
 * at most one exemplar per histogram and scrape, the one on the lowest
 * bucket that has one: so only the slowest flush since the previous scrape
 * is attached, on its bucket.
 *
 * An empty native histogram has zero_threshold 2^-128 s (below any
 * observation) and the no-op span {0, 0}, so every Prometheus version
 * stores it as native from the first scrape on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "expo.h"
#include "pbenc.h"

enum {
	MF_NAME = 1, MF_HELP = 2, MF_TYPE = 3, MF_METRIC = 4,
	M_LABEL = 1, M_GAUGE = 2, M_COUNTER = 3, M_HISTOGRAM = 7,
	LP_NAME = 1, LP_VALUE = 2,
	VALUE = 1,
	H_COUNT = 1, H_SUM = 2, H_BUCKET = 3, H_SCHEMA = 5, H_ZERO_THRESHOLD = 6, H_ZERO_COUNT = 7,
	H_POS_SPAN = 12, H_POS_DELTA = 13,
	B_CUMULATIVE = 1, B_UPPER = 2, B_EXEMPLAR = 3,
	SPAN_OFFSET = 1, SPAN_LENGTH = 2,
	EX_LABEL = 1, EX_VALUE = 2, EX_TIMESTAMP = 3, TS_SECONDS = 1, TS_NANOS = 2,
};
enum { PB_COUNTER = 0, PB_GAUGE = 1, PB_HISTOGRAM = 4 };

static double seconds(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void label_pair(struct strbuf *b, uint32_t field, const char *key, const char *value)
{
	size_t m = pb_begin(b, field);

	pb_string(b, LP_NAME, key);
	pb_string(b, LP_VALUE, value);
	pb_end(b, m);
}

static void labels(struct strbuf *b, const struct fl_expo *e, const struct prom_label *l, int n)
{
	for (int i = 0; i < e->ncommon; i++)
		label_pair(b, M_LABEL, e->common[i].key, e->common[i].value);
	for (int i = 0; i < n; i++)
		label_pair(b, M_LABEL, l[i].key, l[i].value);
}

static void exemplar(struct strbuf *b, const struct fl_exemplar *x)
{
	char pid[16], tid[16];
	size_t m, t;

	snprintf(pid, sizeof(pid), "%u", x->pid);
	snprintf(tid, sizeof(tid), "%u", x->tid);
	m = pb_begin(b, B_EXEMPLAR);
	label_pair(b, EX_LABEL, "pid", pid);
	label_pair(b, EX_LABEL, "tid", tid);
	pb_double(b, EX_VALUE, seconds(x->value_ns));
	if (x->time_ns) {
		t = pb_begin(b, EX_TIMESTAMP);
		pb_int64(b, TS_SECONDS, (int64_t)(x->time_ns / 1000000000ULL));
		pb_int64(b, TS_NANOS, (int64_t)(x->time_ns % 1000000000ULL));
		pb_end(b, t);
	}
	pb_end(b, m);
}

static int native(struct strbuf *b, const struct fl_native *h)
{
	struct fl_native_span *spans;
	int64_t *deltas;
	size_t ns, nd;

	if (fl_native_spans(h, &spans, &ns, &deltas, &nd))
		return -1;
	pb_sint64(b, H_SCHEMA, h->schema);
	pb_double(b, H_ZERO_THRESHOLD, ldexp(1.0, -128));
	pb_uint64(b, H_ZERO_COUNT, h->zero);
	for (size_t i = 0; i < ns; i++) {
		size_t m = pb_begin(b, H_POS_SPAN);

		pb_sint64(b, SPAN_OFFSET, spans[i].offset);
		pb_uint64(b, SPAN_LENGTH, spans[i].length);
		pb_end(b, m);
	}
	pb_packed_sint64(b, H_POS_DELTA, deltas, nd);
	free(spans);
	free(deltas);
	return 0;
}

static int histogram(struct strbuf *b, const struct fl_expo *e)
{
	const struct fl_expo_hist *h = &e->hist;
	size_t m = pb_begin(b, M_HISTOGRAM);
	int err = 0;

	/* sample_count: the native buckets' total, which 2.42 checks them against */
	pb_uint64(b, H_COUNT, h->native ? fl_native_count(h->native) : h->count);
	pb_double(b, H_SUM, seconds(h->sum_ns));
	for (size_t j = 0; j < h->nb; j++) {
		size_t bm = pb_begin(b, H_BUCKET);

		pb_uint64(b, B_CUMULATIVE, h->cum[j]);
		pb_double(b, B_UPPER, seconds(h->le_ns[j]));
		if (h->ex && h->slowest == h->ex + j)
			exemplar(b, h->slowest);
		pb_end(b, bm);
	}
	if (h->native)
		err = native(b, h->native);
	pb_end(b, m);
	return err;
}

static void family_header(struct strbuf *b, const struct fl_expo *e, enum fl_family_id id)
{
	static const int types[] = { PB_COUNTER, PB_GAUGE, PB_HISTOGRAM };
	const struct fl_family *f = &fl_families[id];
	char name[288];

	/* a counter family is named like its series, with _total */
	fl_expo_name(e, id, f->type == FL_MT_COUNTER ? "_total" : "", name, sizeof(name));
	pb_string(b, MF_NAME, name);
	pb_string(b, MF_HELP, f->help);
	pb_int64(b, MF_TYPE, types[f->type]);
}

static int render_model(const struct fl_expo *e, struct strbuf *b)
{
	size_t d = pb_begin(b, 0), m;
	int err;

	family_header(b, e, FL_F_DURATION);
	m = pb_begin(b, MF_METRIC);
	labels(b, e, NULL, 0);
	err = histogram(b, e);
	pb_end(b, m);
	pb_end(b, d);
	for (int id = FL_F_DURATION + 1; id < FL_F_NR && !err; id++) {
		const struct fl_expo_family *f = &e->fam[id];
		int counter = fl_families[id].type == FL_MT_COUNTER;

		if (!f->n)
			continue;
		d = pb_begin(b, 0);
		family_header(b, e, (enum fl_family_id)id);
		for (size_t j = 0; j < f->n; j++) {
			size_t v;

			m = pb_begin(b, MF_METRIC);
			labels(b, e, f->m[j].labels, f->m[j].nlabels);
			v = pb_begin(b, counter ? M_COUNTER : M_GAUGE);
			pb_double(b, VALUE, f->m[j].ns ? seconds(f->m[j].v) : (double)f->m[j].v);
			pb_end(b, v);
			pb_end(b, m);
		}
		pb_end(b, d);
	}
	return err;
}

void fl_render_protobuf(const struct fl_snapshot *s, const struct fl_render_opts *o,
			struct strbuf *out)
{
	struct fl_expo e;

	if (fl_expo_build(&e, s, o) || render_model(&e, out))
		out->oom = 1;
	fl_expo_free(&e);
}
