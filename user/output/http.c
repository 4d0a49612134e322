// SPDX-License-Identifier: MIT
/*
 * The /metrics exporter on libmicrohttpd.
 *
 * One internal polling thread (poll/epoll, MHD_USE_AUTO) serves every
 * connection, so the render callback is never called concurrently: it reads
 * and merges the BPF maps at each scrape without any locking of its own.  A
 * scrape is cheap (a few map lookups and some formatting), so one thread is
 * plenty.
 *
 * Misbehaving clients (measured against libmicrohttpd 0.9.75: its idle
 * timeout restarts at every byte, so clients that trickle a header line now
 * and then, or just open connections, can hold every slot for good): a
 * watchdog thread shuts down (never closes: the fd stays MHD's) a connection
 * whose request is not complete 1 s after it was accepted, any connection
 * older than 5 s, and, when more than 200 are open, the oldest one still
 * without a request.  Every response says "Connection: close".  The limit is
 * 256 connections with 16 KiB of memory each; the watchdog sleeps while no
 * connection is open (an idle exporter never wakes up), and MHD_USE_ITC lets
 * a stop interrupt the server at once instead of waiting for its clients.
 *
 *   GET|HEAD /metrics  200, rendered now in the negotiated format (Vary: Accept):
 *                      text 0.0.4, OpenMetrics 1.0.0 or delimited protobuf
 *   GET|HEAD /         200, a small HTML index linking /metrics
 *   other path         404
 *   other method       405, Allow: GET, HEAD
 *   render failure     500
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "negotiate.h"

/* One open connection, as the watchdog sees it. */
struct fl_conn {
	int fd;
	uint64_t t0_ns;   /* accepted, CLOCK_MONOTONIC */
	int request;      /* its request (headers) arrived */
	int shut;         /* shut down by the watchdog, MHD closes it */
	int used;
};

struct fl_http {
	struct MHD_Daemon *d;
	fl_http_render_fn fn;
	void *ctx;
	unsigned int offered; /* formats /metrics may answer in */
	char lasterr[256]; /* last libmicrohttpd message, for start-up errors */
	pthread_mutex_t lock; /* the table below */
	pthread_cond_t wake;  /* a connection opened, or stop */
	pthread_t watchdog;
	int watching;
	int stop;
	unsigned int limit;
	unsigned int nopen;
	struct fl_conn conns[FL_HTTP_CONN_LIMIT];
};

static const char index_html[] =
	"<!DOCTYPE html>\n<html><head><title>flushlat</title></head><body>\n"
	"<h1>flushlat</h1>\n<p>FlashStrike WAL meta-flush latency exporter.</p>\n"
	"<p><a href=\"/metrics\">/metrics</a></p>\n</body></html>\n";

static int parse_port(const char *s, unsigned short *port, char *err, size_t errlen)
{
	unsigned long v = 0;
	const char *p;

	if (!*s) {
		snprintf(err, errlen, "missing port");
		return -1;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > 65535) {
			snprintf(err, errlen, "invalid port '%s' (1-65535)", s);
			return -1;
		}
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535) {
		snprintf(err, errlen, "port %s out of range (1-65535)", s);
		return -1;
	}
	*port = (unsigned short)v;
	return 0;
}

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT"; the host is copied to h. */
static int split_spec(const char *spec, char *h, size_t hlen, const char **port, int *v6,
		      char *err, size_t errlen)
{
	const char *colon, *hb, *he;

	*v6 = 0;
	if (spec[0] == '[') {
		he = strchr(spec, ']');
		if (!he || he[1] != ':') {
			snprintf(err, errlen, "expected [IPV6]:PORT");
			return -1;
		}
		hb = spec + 1;
		colon = he + 1;
		*v6 = 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon) {
			snprintf(err, errlen, "expected ADDR:PORT, [V6]:PORT or :PORT");
			return -1;
		}
		if (memchr(spec, ':', (size_t)(colon - spec))) {
			snprintf(err, errlen, "write IPv6 addresses in brackets, e.g. [::1]:9435");
			return -1;
		}
		hb = spec;
		he = colon;
	}
	if ((size_t)(he - hb) >= hlen) {
		snprintf(err, errlen, "address too long");
		return -1;
	}
	memcpy(h, hb, (size_t)(he - hb));
	h[he - hb] = '\0';
	*port = colon + 1;
	return 0;
}

int fl_listen_parse(const char *spec, struct fl_listen *l, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	const char *port;
	char h[INET6_ADDRSTRLEN + 8];
	int v6;

	memset(l, 0, sizeof(*l));
	if (!spec || !*spec) {
		snprintf(err, errlen, "empty address (expected ADDR:PORT, [V6]:PORT or :PORT)");
		return -1;
	}
	if (split_spec(spec, h, sizeof(h), &port, &v6, err, errlen) ||
	    parse_port(port, &l->port, err, errlen))
		return -1;
	/* Loopback unless the user names another address: exposing is a choice. */
	if (!v6 && (!*h || !strcmp(h, "localhost")))
		snprintf(h, sizeof(h), "127.0.0.1");
	hints.ai_family = v6 ? AF_INET6 : AF_INET;
	if (getaddrinfo(h, port, &hints, &res) || !res ||
	    res->ai_addrlen > sizeof(l->addr)) {
		snprintf(err, errlen, "'%s' is not a numeric %s address", h, v6 ? "IPv6" : "IPv4");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	memcpy(&l->addr, res->ai_addr, res->ai_addrlen);
	l->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	/* what getaddrinfo accepted as numeric fits INET6_ADDRSTRLEN */
	snprintf(l->host, sizeof(l->host), "%.*s", (int)sizeof(l->host) - 1, h);
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void shut(struct fl_conn *c)
{
	if (!c->shut) {
		shutdown(c->fd, SHUT_RDWR); /* MHD sees the end and closes it itself */
		c->shut = 1;
	}
}

/*
 * A connection starts or ends (MHD's thread).  MHD calls the end before it
 * closes the fd, and the entry goes under the lock the watchdog holds while
 * it shuts fds down: the watchdog never touches a closed (reused) fd.
 */
static void notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		   enum MHD_ConnectionNotificationCode code)
{
	struct fl_http *h = cls;
	struct fl_conn *c = *socket_ctx, *oldest = NULL;
	const union MHD_ConnectionInfo *ci;

	pthread_mutex_lock(&h->lock);
	if (code == MHD_CONNECTION_NOTIFY_CLOSED && c) {
		c->used = 0;
		h->nopen--;
		*socket_ctx = NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_STARTED &&
		   (ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD))) {
		for (unsigned int i = 0; i < FL_HTTP_CONN_LIMIT && !*socket_ctx; i++) {
			if (h->conns[i].used)
				continue;
			h->conns[i] = (struct fl_conn){ .fd = ci->connect_fd, .t0_ns = mono_ns(),
							.used = 1 };
			*socket_ctx = &h->conns[i];
			h->nopen++;
		}
		/* under pressure the oldest connection without a request makes room */
		for (unsigned int i = 0; h->nopen > FL_HTTP_SOFT_LIMIT && i < FL_HTTP_CONN_LIMIT; i++) {
			struct fl_conn *x = &h->conns[i];

			if (x->used && !x->request && !x->shut && x != *socket_ctx &&
			    (!oldest || x->t0_ns < oldest->t0_ns))
				oldest = x;
		}
		if (oldest)
			shut(oldest);
		pthread_cond_signal(&h->wake);
	}
	pthread_mutex_unlock(&h->lock);
}

/* Shuts down what has overstayed; returns when the next deadline is due (0: none). */
static uint64_t sweep(struct fl_http *h, uint64_t now)
{
	uint64_t next = 0;

	for (unsigned int i = 0; i < FL_HTTP_CONN_LIMIT; i++) {
		struct fl_conn *c = &h->conns[i];
		uint64_t due;

		if (!c->used || c->shut)
			continue;
		due = c->t0_ns + (c->request ? FL_HTTP_LIFE_MS : FL_HTTP_HEADER_MS) * 1000000ULL;
		if (now >= due) {
			shut(c);
			continue;
		}
		if (!next || due < next)
			next = due;
	}
	return next;
}

static void *watchdog(void *arg)
{
	struct fl_http *h = arg;

	pthread_mutex_lock(&h->lock);
	while (!h->stop) {
		uint64_t next = sweep(h, mono_ns());
		struct timespec ts;

		if (!next) { /* nothing open: sleep until a connection starts */
			pthread_cond_wait(&h->wake, &h->lock);
			continue;
		}
		next += 1000000; /* 1 ms late rather than early */
		ts.tv_sec = (time_t)(next / 1000000000ULL);
		ts.tv_nsec = (long)(next % 1000000000ULL);
		pthread_cond_timedwait(&h->wake, &h->lock, &ts);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Marks the connection's request as arrived (MHD's thread). */
static void request_arrived(struct fl_http *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	pthread_mutex_lock(&h->lock);
	if (ci && ci->socket_context)
		((struct fl_conn *)ci->socket_context)->request = 1;
	pthread_mutex_unlock(&h->lock);
}

/* allow: a 405's "Allow"; vary: the body depends on Accept */
static enum MHD_Result respond_h(struct MHD_Connection *conn, unsigned int status, const char *type,
				 const char *body, size_t len, int allow, int vary)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* one request per connection: nothing idles on a kept-alive socket */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (vary)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status, const char *type,
			       const char *body, size_t len, int allow)
{
	return respond_h(conn, status, type, body, len, allow, 0);
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int status,
				    const char *msg, int allow)
{
	return respond(conn, status, "text/plain; charset=utf-8", msg, strlen(msg), allow);
}

static enum MHD_Result serve_metrics(struct fl_http *h, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	int om001;
	enum fl_expo_fmt fmt = fl_negotiate(accept, h->offered, &om001);
	struct strbuf sb;
	enum MHD_Result ret;

	strbuf_init(&sb);
	if (h->fn(h->ctx, fmt, &sb) || sb.oom)
		ret = respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "flushlat: reading the maps failed\n", 0);
	else
		ret = respond_h(conn, MHD_HTTP_OK, fl_expo_content_type(fmt, om001), strbuf_str(&sb),
				sb.len, 0, 1);
	strbuf_free(&sb);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls)
{
	struct fl_http *h = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	request_arrived(h, conn);
	/* Answered on the first call: no method we serve has a body. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", 1);
	if (!strcmp(url, "/metrics"))
		return serve_metrics(h, conn);
	if (!strcmp(url, "/"))
		return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", index_html,
			       sizeof(index_html) - 1, 0);
	return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n", 0);
}

static void logger(void *cls, const char *fmt, va_list ap)
{
	struct fl_http *h = cls;
	size_t n;

	vsnprintf(h->lasterr, sizeof(h->lasterr), fmt, ap);
	n = strlen(h->lasterr);
	while (n && (h->lasterr[n - 1] == '\n' || h->lasterr[n - 1] == '.'))
		h->lasterr[--n] = '\0';
}

int fl_http_bind(const struct fl_listen *l, char *err, size_t errlen)
{
	int fd, one = 1;

	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* as any server: a restart must not wait for TIME_WAIT to expire */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) || listen(fd, 64)) {
		snprintf(err, errlen, "cannot serve on %s port %u: %s", l->host, l->port,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The connection limit: FL_HTTP_CONN_LIMIT, or less if the fd limit is low. */
static unsigned int conn_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < FL_HTTP_CONN_LIMIT + 64 + 16)
		return rl.rlim_cur > 64 + 16 ? (unsigned int)(rl.rlim_cur - 64) : 16;
	return FL_HTTP_CONN_LIMIT;
}

static void free_http(struct fl_http *h)
{
	if (h->watching) {
		pthread_mutex_lock(&h->lock);
		h->stop = 1;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->watchdog, NULL);
	}
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

struct fl_http *fl_http_start_fd(int fd, unsigned int offered, fl_http_render_fn fn, void *ctx,
				 char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	pthread_condattr_t ca;
	struct fl_http *h;

	if (!fn) {
		snprintf(err, errlen, "no renderer");
		close(fd);
		return NULL;
	}
	if (!getsockname(fd, (struct sockaddr *)&ss, &sslen) && ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	h->fn = fn;
	h->ctx = ctx;
	h->offered = offered;
	h->limit = conn_limit();
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &ca);
	pthread_condattr_destroy(&ca);
	h->watching = !pthread_create(&h->watchdog, NULL, watchdog, h);
	if (!h->watching) {
		snprintf(err, errlen, "cannot start the HTTP watchdog thread");
		free_http(h);
		close(fd);
		return NULL;
	}
	/* MHD serves the socket we bound (and owns it from here: it closes it). */
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, h,
				MHD_OPTION_EXTERNAL_LOGGER, logger, h,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, h->limit,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)FL_HTTP_CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)FL_HTTP_CONN_MEMORY,
				MHD_OPTION_NOTIFY_CONNECTION, notify, h,
				MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errlen, "cannot start the HTTP server: %s",
			 h->lasterr[0] ? h->lasterr : "libmicrohttpd failed to start");
		free_http(h);
		close(fd);
		return NULL;
	}
	return h;
}

struct fl_http *fl_http_start(const char *spec, unsigned int offered, fl_http_render_fn fn,
			      void *ctx, char *err, size_t errlen)
{
	struct fl_listen l;
	int fd;

	if (fl_listen_parse(spec, &l, err, errlen))
		return NULL;
	fd = fl_http_bind(&l, err, errlen);
	if (fd < 0)
		return NULL;
	return fl_http_start_fd(fd, offered, fn, ctx, err, errlen);
}

void fl_http_stop(struct fl_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d); /* with ITC: at once, whatever the clients do */
	free_http(h);
}
