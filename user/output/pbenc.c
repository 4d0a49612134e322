// SPDX-License-Identifier: MIT
/* pbenc.c - the protobuf writer (see pbenc.h). */
#include "pbenc.h"

#include <string.h>

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2 };

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

void pb_varint(struct strbuf *b, uint64_t v)
{
	uint8_t tmp[10];

	strbuf_append(b, (const char *)tmp, put_varint(tmp, v));
}

static void tag(struct strbuf *b, uint32_t field, unsigned int wt)
{
	pb_varint(b, ((uint64_t)field << 3) | wt);
}

void pb_uint64(struct strbuf *b, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	tag(b, field, WT_VARINT);
	pb_varint(b, v);
}

void pb_int64(struct strbuf *b, uint32_t field, int64_t v)
{
	pb_uint64(b, field, (uint64_t)v); /* a negative one takes 10 bytes, as the spec says */
}

/* (v << 1) ^ (v >> 63), without shifting a negative value */
static uint64_t zigzag(int64_t v)
{
	uint64_t u = (uint64_t)v;

	return (u << 1) ^ (0 - (u >> 63));
}

void pb_sint64(struct strbuf *b, uint32_t field, int64_t v)
{
	pb_uint64(b, field, zigzag(v));
}

void pb_double(struct strbuf *b, uint32_t field, double v)
{
	uint8_t le[8];
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	if (!u) /* +0.0 only; -0.0 is written */
		return;
	tag(b, field, WT_I64);
	for (int i = 0; i < 8; i++) /* little endian on the wire, whatever the host */
		le[i] = (uint8_t)(u >> (8 * i));
	strbuf_append(b, (const char *)le, sizeof(le));
}

void pb_string(struct strbuf *b, uint32_t field, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n)
		return;
	tag(b, field, WT_LEN);
	pb_varint(b, n);
	strbuf_append(b, s, n);
}

size_t pb_begin(struct strbuf *b, uint32_t field)
{
	size_t mark;

	if (field)
		tag(b, field, WT_LEN);
	mark = b->len;
	strbuf_append(b, "", 1); /* the length, fixed up by pb_end */
	return mark;
}

void pb_end(struct strbuf *b, size_t mark)
{
	uint8_t tmp[10] = { 0 };
	size_t body, n;

	if (b->oom)
		return;
	body = b->len - mark - 1;
	n = varint_size(body);
	if (n > 1) {
		strbuf_append(b, (const char *)tmp, n - 1); /* room; contents overwritten */
		if (b->oom)
			return;
		memmove(b->buf + mark + n, b->buf + mark + 1, body);
	}
	put_varint((uint8_t *)b->buf + mark, body);
}

void pb_packed_sint64(struct strbuf *b, uint32_t field, const int64_t *v, size_t n)
{
	size_t m;

	if (!n)
		return;
	m = pb_begin(b, field);
	for (size_t i = 0; i < n; i++)
		pb_varint(b, zigzag(v[i]));
	pb_end(b, m);
}
