// SPDX-License-Identifier: MIT
/*
 * The /metrics exporter over a real loopback socket (a raw HTTP/1.0 client):
 * listen-address parsing, 200 with the exact renderer output rendered fresh
 * per scrape, HEAD, index, 404, 405 + Allow, 500 on a render failure, port
 * in use, IPv6 loopback, many concurrent scrapes, and content negotiation
 * (the Accept header picks text, OpenMetrics or protobuf; Vary: Accept).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "expo.h"
#include "http.h"
#include "negotiate.h"
#include "render.h"
#include "snapfix.h"

/* ---- listen address ----------------------------------------------------- */

static void parse_ok(const char *spec, const char *host, unsigned short port)
{
	struct fl_listen l;
	char err[256] = "";

	if (fl_listen_parse(spec, &l, err, sizeof(err)))
		fail_msg("'%s' rejected: %s", spec, err);
	assert_string_equal(l.host, host);
	assert_int_equal(l.port, port);
	assert_int_equal(l.addr.ss_family, strchr(host, ':') ? AF_INET6 : AF_INET);
}

static void parse_bad(const char *spec, const char *needle)
{
	struct fl_listen l;
	char err[256] = "";

	if (fl_listen_parse(spec, &l, err, sizeof(err)) != -1)
		fail_msg("'%s' accepted", spec);
	if (!strstr(err, needle))
		fail_msg("'%s': error '%s' lacks '%s'", spec, err, needle);
}

static void test_listen_parse(void **state)
{
	(void)state;
	parse_ok("127.0.0.1:9435", "127.0.0.1", 9435);
	parse_ok(":9435", "127.0.0.1", 9435); /* loopback by default */
	parse_ok("localhost:1", "127.0.0.1", 1);
	parse_ok("0.0.0.0:65535", "0.0.0.0", 65535); /* explicit choice */
	parse_ok("[::1]:9435", "::1", 9435);
	parse_ok("[::]:80", "::", 80);
	parse_bad("127.0.0.1:0", "out of range");
	parse_bad("127.0.0.1:65536", "out of range");
	parse_bad("127.0.0.1:99999999999999999999", "invalid port");
	parse_bad("127.0.0.1:", "missing port");
	parse_bad("127.0.0.1:94x", "invalid port");
	parse_bad("127.0.0.1:-1", "invalid port");
	parse_bad("127.0.0.1", "expected ADDR:PORT");
	parse_bad("9435", "expected ADDR:PORT");
	parse_bad("", "empty address");
	parse_bad("example.com:9435", "not a numeric IPv4 address");
	parse_bad("256.1.1.1:9435", "not a numeric IPv4 address");
	parse_bad("::1:9435", "brackets");
	parse_bad("[::1]9435", "expected [IPV6]:PORT");
	parse_bad("[::1:9435", "expected [IPV6]:PORT");
	parse_bad("[127.0.0.1]:9435", "not a numeric IPv6 address");
}

/* ---- a tiny HTTP/1.0 client --------------------------------------------- */

struct reply {
	int status;
	char headers[2048];
	char *body;
	size_t body_len;
};

static int http_req_accept(int family, unsigned short port, const char *method, const char *path,
			   const char *accept, struct reply *r)
{
	struct sockaddr_storage ss = { 0 };
	char req[1024], *buf = NULL, *hdr_end;
	size_t len = 0, cap = 0;
	socklen_t sl;
	ssize_t n;
	int fd;

	memset(r, 0, sizeof(*r));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl)) {
		close(fd);
		return -1;
	}
	if (!strcmp(method, "POST")) /* with a body, as a real client would send */
		snprintf(req, sizeof(req), "POST %s HTTP/1.0\r\nHost: localhost\r\n"
			 "Content-Length: 3\r\n\r\nabc", path);
	else
		snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: localhost\r\n%s%s%s\r\n", method,
			 path, accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return -1;
	buf[len] = '\0';
	hdr_end = strstr(buf, "\r\n\r\n");
	if (!hdr_end || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
		free(buf);
		return -1;
	}
	snprintf(r->headers, sizeof(r->headers), "%.*s", (int)(hdr_end - buf), buf);
	r->body_len = len - (size_t)(hdr_end + 4 - buf);
	r->body = malloc(r->body_len + 1);
	if (!r->body)
		abort();
	memcpy(r->body, hdr_end + 4, r->body_len + 1);
	free(buf);
	return 0;
}

static int http_req(int family, unsigned short port, const char *method, const char *path,
		    struct reply *r)
{
	return http_req_accept(family, port, method, path, NULL, r);
}

static void reply_free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

/* A port nobody listens on right now: bind port 0, read it back, release it. */
static unsigned short free_port(int family)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl = sizeof(ss);
	unsigned short port;
	int fd = socket(family, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	assert_int_equal(bind(fd, (struct sockaddr *)&ss,
			      family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				       : ((struct sockaddr_in6 *)&ss)->sin6_port);
	close(fd);
	return port;
}

/* ---- the exporter ------------------------------------------------------- */

/* What the tracer does at each scrape: read (here: grow) and render. */
struct scrape_ctx {
	struct fl_snapshot s;
	struct fl_render_opts o;
	unsigned long calls;
	enum fl_expo_fmt fmt; /* the format of the last scrape */
	unsigned int offered; /* formats served (0: all) */
	int fail;
};

static int scrape(void *arg, enum fl_expo_fmt fmt, struct strbuf *out)
{
	struct scrape_ctx *c = arg;

	if (c->fail)
		return -1;
	c->calls++;
	c->fmt = fmt;
	snap_record(&c->s, 1000 * c->calls); /* new data at every scrape: no stale cache */
	fl_render_expo(fmt, &c->s, &c->o, out);
	return 0;
}

/* What the last scrape should have sent: the same rendering, done again. */
static struct strbuf expected(struct scrape_ctx *c)
{
	struct strbuf sb;

	strbuf_init(&sb);
	fl_render_expo(c->fmt, &c->s, &c->o, &sb);
	return sb;
}

static char *expected_body(struct scrape_ctx *c)
{
	struct strbuf sb = expected(c);
	char *r = strdup(strbuf_str(&sb));

	strbuf_free(&sb);
	return r;
}

static struct fl_http *start(struct scrape_ctx *c, char *spec, size_t speclen, unsigned short *port)
{
	char err[256] = "";
	struct fl_http *h;

	*port = free_port(AF_INET);
	snprintf(spec, speclen, "127.0.0.1:%u", *port);
	h = fl_http_start(spec, c->offered ? c->offered : FL_EXPO_ALL, scrape, c, err, sizeof(err));
	if (!h)
		fail_msg("fl_http_start(%s): %s", spec, err);
	return h;
}

static void ctx_init(struct scrape_ctx *c)
{
	memset(c, 0, sizeof(*c));
	snap_init(&c->s);
	fl_render_opts_default(&c->o);
}

static void test_metrics(void **state)
{
	struct scrape_ctx c;
	struct fl_http *h;
	struct reply r;
	unsigned short port;
	char spec[64], *want;

	(void)state;
	ctx_init(&c);
	h = start(&c, spec, sizeof(spec), &port);

	assert_int_equal(http_req(AF_INET, port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.headers, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"));
	want = expected_body(&c);
	assert_int_equal(c.calls, 1);
	assert_string_equal(r.body, want);
	assert_non_null(strstr(r.body, "flushlat_meta_flush_duration_seconds_count{subsystem=\"wal_meta\"} 1\n"));
	free(want);
	reply_free(&r);

	/* Rendered again at the next scrape: the new sample shows. */
	assert_int_equal(http_req(AF_INET, port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	want = expected_body(&c);
	assert_int_equal(c.calls, 2);
	assert_string_equal(r.body, want);
	assert_non_null(strstr(r.body, "flushlat_meta_flush_duration_seconds_count{subsystem=\"wal_meta\"} 2\n"));
	free(want);
	reply_free(&r);

	assert_int_equal(http_req(AF_INET, port, "HEAD", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_non_null(strstr(r.headers, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"));
	reply_free(&r);

	assert_int_equal(http_req(AF_INET, port, "GET", "/", &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "href=\"/metrics\""));
	reply_free(&r);

	assert_int_equal(http_req(AF_INET, port, "GET", "/metricsx", &r), 0);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	assert_int_equal(http_req(AF_INET, port, "GET", "/metrics/", &r), 0);
	assert_int_equal(r.status, 404);
	reply_free(&r);

	assert_int_equal(http_req(AF_INET, port, "POST", "/metrics", &r), 0);
	assert_int_equal(r.status, 405);
	assert_non_null(strstr(r.headers, "\r\nAllow: GET, HEAD"));
	reply_free(&r);
	assert_int_equal(http_req(AF_INET, port, "DELETE", "/", &r), 0);
	assert_int_equal(r.status, 405);
	assert_non_null(strstr(r.headers, "\r\nAllow: GET, HEAD"));
	reply_free(&r);

	c.fail = 1;
	assert_int_equal(http_req(AF_INET, port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 500);
	reply_free(&r);
	c.fail = 0;
	assert_int_equal(c.calls, 3); /* HEAD rendered too; nothing else did */

	fl_http_stop(h);
	/* Stopped: nobody listens any more. */
	assert_int_equal(http_req(AF_INET, port, "GET", "/metrics", &r), -1);
	snap_free(&c.s);
}

static void test_port_in_use(void **state)
{
	struct scrape_ctx c;
	struct fl_http *h, *h2;
	unsigned short port;
	char spec[64], err[256] = "";

	(void)state;
	ctx_init(&c);
	h = start(&c, spec, sizeof(spec), &port);
	h2 = fl_http_start(spec, FL_EXPO_ALL, scrape, &c, err, sizeof(err));
	assert_null(h2);
	snprintf(spec, sizeof(spec), "port %u", port);
	if (!strstr(err, "Address already in use") || !strstr(err, spec))
		fail_msg("port-in-use error unclear: %s", err);
	fl_http_stop(h);
	/* A bad spec fails before any socket is made. */
	assert_null(fl_http_start("127.0.0.1:0", FL_EXPO_ALL, scrape, &c, err, sizeof(err)));
	assert_non_null(strstr(err, "out of range"));
}

static void test_ipv6(void **state)
{
	struct scrape_ctx c;
	struct fl_http *h;
	struct reply r;
	unsigned short port;
	char spec[64], err[256] = "";
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	(void)state;
	if (fd < 0) {
		/* A kernel built without IPv6: nothing to test here. */
		print_message("IPv6 unavailable (%s): skipping the [::1] case\n", strerror(errno));
		skip();
	}
	close(fd);
	ctx_init(&c);
	port = free_port(AF_INET6);
	snprintf(spec, sizeof(spec), "[::1]:%u", port);
	h = fl_http_start(spec, FL_EXPO_ALL, scrape, &c, err, sizeof(err));
	if (!h)
		fail_msg("fl_http_start(%s): %s", spec, err);
	assert_int_equal(http_req(AF_INET6, port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(c.calls, 1);
	reply_free(&r);
	/* Bound to ::1 only, not to IPv4. */
	assert_int_equal(http_req(AF_INET, port, "GET", "/metrics", &r), -1);
	fl_http_stop(h);
}

#define NTHREADS 16
#define NREQ 25

struct worker {
	unsigned short port;
	int ok;
	char why[256];
};

/* Each body must be one complete, consistent exposition. */
static void *worker(void *arg)
{
	struct worker *w = arg;
	struct reply r;
	int i;

	for (i = 0; i < NREQ; i++) {
		const char *cnt, *inf;

		if (http_req(AF_INET, w->port, "GET", "/metrics", &r)) {
			snprintf(w->why, sizeof(w->why), "request %d failed", i);
			return NULL;
		}
		cnt = strstr(r.body, "flushlat_meta_flush_duration_seconds_count{subsystem=\"wal_meta\"} ");
		inf = strstr(r.body, "le=\"+Inf\"} ");
		if (r.status != 200 || !cnt || !inf ||
		    strtoull(strchr(cnt, '}') + 2, NULL, 10) != strtoull(inf + 11, NULL, 10) ||
		    r.body[r.body_len - 1] != '\n') {
			snprintf(w->why, sizeof(w->why), "request %d: status %d, bad body", i, r.status);
			reply_free(&r);
			return NULL;
		}
		reply_free(&r);
	}
	w->ok = 1;
	return NULL;
}

static void test_concurrent(void **state)
{
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	struct scrape_ctx c;
	struct fl_http *h;
	unsigned short port;
	char spec[64];
	int i;

	(void)state;
	ctx_init(&c);
	h = start(&c, spec, sizeof(spec), &port);
	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].port = port;
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NTHREADS; i++)
		if (!w[i].ok)
			fail_msg("client %d: %s", i, w[i].why);
	fl_http_stop(h);
	/* Every scrape rendered once, one at a time (the callback is not locked). */
	assert_int_equal(c.calls, NTHREADS * NREQ);
	assert_int_equal(c.s.ms.maintenance_meta_flush.samples.value, NTHREADS * NREQ);
	snap_free(&c.s);
}

/* A raw loopback connection, for clients that do not behave. */
static int raw_connect(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/*
 * Slow clients (a request never finished), idle connections beyond the
 * connection limit and malformed requests: the exporter keeps serving a
 * well-behaved scraper, and answers garbage with an error, not a crash.
 */
static void test_hostile_clients(void **state)
{
	struct scrape_ctx c;
	struct fl_http *h;
	struct reply r;
	unsigned short port;
	char spec[64], buf[512];
	int slow[8], idle[40], bad;
	ssize_t n;

	(void)state;
	ctx_init(&c);
	h = start(&c, spec, sizeof(spec), &port);

	for (int i = 0; i < 8; i++) {
		slow[i] = raw_connect(port);
		assert_true(write(slow[i], "GET /metr", 9) == 9); /* and never the rest */
	}
	assert_int_equal(http_req(AF_INET, port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	reply_free(&r);

	bad = raw_connect(port);
	{
		static const char junk[] = "\x01\x02 \xff garbage\r\n\r\n";

		assert_true(write(bad, junk, sizeof(junk) - 1) == (ssize_t)(sizeof(junk) - 1));
	}
	n = read(bad, buf, sizeof(buf) - 1);
	/* either an HTTP error status or a closed connection, never a hang or 200 */
	if (n > 0) {
		buf[n] = '\0';
		assert_non_null(strstr(buf, "HTTP/1.1 4"));
	}
	close(bad);
	bad = raw_connect(port);
	{
		static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n";

		assert_true(write(bad, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1));
	}
	n = read(bad, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	close(bad);

	for (int i = 0; i < 40; i++) /* more than the 32-connection limit */
		idle[i] = raw_connect(port);
	for (int i = 0; i < 40; i++)
		close(idle[i]);
	usleep(100 * 1000);
	assert_int_equal(http_req(AF_INET, port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	reply_free(&r);

	for (int i = 0; i < 8; i++)
		close(slow[i]);
	fl_http_stop(h);
	snap_free(&c.s);
}

#define PB_TYPE "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; " \
		"encoding=delimited"
#define OM_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* The Accept headers Prometheus 2.42 sends (captured): default, and with native histograms. */
#define ACCEPT_PROM "application/openmetrics-text;version=1.0.0,application/openmetrics-text;" \
		    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
#define ACCEPT_NATIVE "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;" \
		      "encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8," \
		      "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;" \
		      "q=0.5,*/*;q=0.1"

/* One scrape with accept: the Content-Type, Vary, and the body of that format, byte for byte. */
static void negotiated(struct scrape_ctx *c, unsigned short port, const char *accept,
		       const char *type, enum fl_expo_fmt fmt)
{
	char want_type[256];
	struct strbuf want;
	struct reply r;

	assert_int_equal(http_req_accept(AF_INET, port, "GET", "/metrics", accept, &r), 0);
	assert_int_equal(r.status, 200);
	snprintf(want_type, sizeof(want_type), "\r\nContent-Type: %s", type);
	if (!strstr(r.headers, want_type))
		fail_msg("Accept '%s': want %s, got headers %s", accept ? accept : "(none)", type,
			 r.headers);
	assert_non_null(strstr(r.headers, "\r\nVary: Accept"));
	assert_int_equal(c->fmt, fmt);
	want = expected(c);
	assert_non_null(r.body);
	assert_non_null(want.buf);
	assert_int_equal(r.body_len, want.len);
	assert_memory_equal(r.body, want.buf, want.len);
	if (fmt == FL_EXPO_OPENMETRICS)
		assert_string_equal(r.body + r.body_len - 6, "# EOF\n");
	if (fmt == FL_EXPO_PROTOBUF) { /* a delimited MetricFamily: length, then field 1 (name) */
		const unsigned char *b = (const unsigned char *)r.body;

		if (b && r.body_len > 2)
			assert_int_equal(b[b[0] < 0x80 ? 1 : 2], 0x0a);
		else
			fail_msg("protobuf body of %zu bytes", r.body_len);
	}
	strbuf_free(&want);
	reply_free(&r);
}

static void test_negotiation(void **state)
{
	struct scrape_ctx c;
	struct fl_http *h;
	unsigned short port;
	char spec[64];

	(void)state;
	ctx_init(&c);
	h = start(&c, spec, sizeof(spec), &port);
	negotiated(&c, port, NULL, TEXT_TYPE, FL_EXPO_TEXT);
	negotiated(&c, port, "text/plain", TEXT_TYPE, FL_EXPO_TEXT);
	negotiated(&c, port, "*/*", TEXT_TYPE, FL_EXPO_TEXT);
	negotiated(&c, port, ACCEPT_PROM, OM_TYPE, FL_EXPO_OPENMETRICS);
	negotiated(&c, port, ACCEPT_NATIVE, PB_TYPE, FL_EXPO_PROTOBUF);
	negotiated(&c, port, "application/openmetrics-text;q=0.3, text/plain;q=0.9", TEXT_TYPE,
		   FL_EXPO_TEXT);
	negotiated(&c, port, "text/plain;q=0.2, application/openmetrics-text;version=0.0.1",
		   "application/openmetrics-text; version=0.0.1; charset=utf-8", FL_EXPO_OPENMETRICS);
	negotiated(&c, port, "application/json", TEXT_TYPE, FL_EXPO_TEXT);
	fl_http_stop(h);
	snap_free(&c.s);

	/* --native-schema none: no protobuf; the native-histogram scraper gets OpenMetrics */
	ctx_init(&c);
	c.offered = (1U << FL_EXPO_TEXT) | (1U << FL_EXPO_OPENMETRICS);
	h = start(&c, spec, sizeof(spec), &port);
	negotiated(&c, port, ACCEPT_NATIVE, OM_TYPE, FL_EXPO_OPENMETRICS);
	fl_http_stop(h);
	snap_free(&c.s);

	/* --compat: text whatever is asked (the recorder's names are not valid OpenMetrics) */
	ctx_init(&c);
	c.o.compat = 1;
	c.offered = 1U << FL_EXPO_TEXT;
	h = start(&c, spec, sizeof(spec), &port);
	negotiated(&c, port, ACCEPT_NATIVE, TEXT_TYPE, FL_EXPO_TEXT);
	negotiated(&c, port, ACCEPT_PROM, TEXT_TYPE, FL_EXPO_TEXT);
	fl_http_stop(h);
	snap_free(&c.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_hostile_clients),
		cmocka_unit_test(test_negotiation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
