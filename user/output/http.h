/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics over HTTP (libmicrohttpd); rendered fresh on every scrape, in
 * the format the scraper's Accept header asks for (negotiate.h).
 */
#ifndef FLUSHLAT_HTTP_H
#define FLUSHLAT_HTTP_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "expo.h"
#include "strbuf.h"

/* Fills out with the exposition in format fmt; returns 0, or -1 for a 500. */
typedef int (*fl_http_render_fn)(void *ctx, enum fl_expo_fmt fmt, struct strbuf *out);

struct fl_http;

/* Limits against misbehaving clients (http.c says why). */
#define FL_HTTP_CONN_LIMIT 256     /* open connections (less with a low fd limit) */
#define FL_HTTP_SOFT_LIMIT 200     /* above: the oldest without a request is dropped */
#define FL_HTTP_HEADER_MS 1000     /* from accept to a complete request */
#define FL_HTTP_LIFE_MS 5000       /* any connection */
#define FL_HTTP_CONN_TIMEOUT_S 10  /* libmicrohttpd's own idle timeout, a backstop */
#define FL_HTTP_CONN_MEMORY 16384  /* bytes per connection (request headers) */

/* A parsed --listen address, kept from parsing to bind. */
struct fl_listen {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char host[INET6_ADDRSTRLEN]; /* numeric, for messages */
	unsigned short port;
};

/*
 * "ADDR:PORT", "[V6]:PORT" or ":PORT" (loopback); addresses are numeric
 * (getaddrinfo with AI_NUMERICHOST).  0, or -1 with a message in err (which
 * does not repeat the option's name).
 */
int fl_listen_parse(const char *spec, struct fl_listen *l, char *err, size_t errlen);
/*
 * Binds and listens; returns the socket, or -1 with a message.  Done before
 * anything is attached, so a port in use fails early and cleanly.
 */
int fl_http_bind(const struct fl_listen *l, char *err, size_t errlen);
/*
 * Serves /metrics on a socket from fl_http_bind() (taken over: closed on
 * failure/stop), in the formats of offered (a bit per enum fl_expo_fmt;
 * text always).
 */
struct fl_http *fl_http_start_fd(int fd, unsigned int offered, fl_http_render_fn fn, void *ctx,
				 char *err, size_t errlen);
/* fl_http_bind() + fl_http_start_fd(); NULL with a message in err on failure. */
struct fl_http *fl_http_start(const char *spec, unsigned int offered, fl_http_render_fn fn,
			      void *ctx, char *err, size_t errlen);
void fl_http_stop(struct fl_http *h);

#endif /* FLUSHLAT_HTTP_H */
