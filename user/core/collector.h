/* SPDX-License-Identifier: MIT */
/*
 * Collector: where collect() pushes metrics (the lcr::metrics collector
 * interface in C).  A label stack applies to every metric added while pushed.
 */
#ifndef FLUSHLAT_COLLECTOR_H
#define FLUSHLAT_COLLECTOR_H

#include <stdint.h>

struct collector;

struct collector_ops {
	void (*push_label)(struct collector *c, const char *key, const char *value);
	void (*pop_label)(struct collector *c);
	void (*add_counter)(struct collector *c, const char *name, const char *help, uint64_t v);
	void (*add_gauge)(struct collector *c, const char *name, const char *help, uint64_t v);
	/* A double gauge, printed with 2 fixed decimals by the Prometheus writer. */
	void (*add_gauge_f)(struct collector *c, const char *name, const char *help, double v);
};

struct collector {
	const struct collector_ops *ops;
};

static inline void collector_push_label(struct collector *c, const char *k, const char *v)
{
	c->ops->push_label(c, k, v);
}
static inline void collector_pop_label(struct collector *c)
{
	c->ops->pop_label(c);
}
static inline void collector_add_counter(struct collector *c, const char *n, const char *h, uint64_t v)
{
	c->ops->add_counter(c, n, h, v);
}
static inline void collector_add_gauge(struct collector *c, const char *n, const char *h, uint64_t v)
{
	c->ops->add_gauge(c, n, h, v);
}
static inline void collector_add_gauge_f(struct collector *c, const char *n, const char *h, double v)
{
	c->ops->add_gauge_f(c, n, h, v);
}

#endif /* FLUSHLAT_COLLECTOR_H */
