/* SPDX-License-Identifier: MIT */
/* GET /metrics over HTTP (libmicrohttpd); rendered fresh on every scrape. */
#ifndef FLUSHLAT_HTTP_H
#define FLUSHLAT_HTTP_H

#include <stddef.h>

#include "strbuf.h"

/* Fills out with the exposition text; returns 0, or -1 for a 500. */
typedef int (*fl_http_render_fn)(void *ctx, struct strbuf *out);

struct fl_http;

/* "ADDR:PORT", "[v6]:PORT" or ":PORT" (loopback).  Validates only. */
int fl_listen_parse(const char *spec, char *host, size_t hostlen, unsigned short *port, char *err,
		    size_t errlen);
/* Starts a server thread; NULL with a message in err on failure. */
struct fl_http *fl_http_start(const char *spec, fl_http_render_fn fn, void *ctx, char *err, size_t errlen);
void fl_http_stop(struct fl_http *h);

#endif /* FLUSHLAT_HTTP_H */
