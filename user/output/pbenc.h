/* SPDX-License-Identifier: MIT */
/*
 * A small protobuf writer: the wire types the Prometheus exposition needs,
 * varint (0), 64-bit (1) and length-delimited (2), appended to a strbuf
 * (binary-safe).  Encoding only, never parsing.  Fields are written in the
 * order the caller gives (field-number order makes the output canonical:
 * protobuf-c re-encodes a decoded message to the same bytes, which the tests
 * check) and zero scalars are skipped, as proto3 does.
 *
 * A nested message or packed field: pb_begin() writes the tag and one
 * placeholder length byte, pb_end() writes the real length, moving the body
 * when the length needs more than one byte.
 */
#ifndef FLUSHLAT_PBENC_H
#define FLUSHLAT_PBENC_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

void pb_varint(struct strbuf *b, uint64_t v);
/* field = v, skipped when v is 0 */
void pb_uint64(struct strbuf *b, uint32_t field, uint64_t v);
void pb_int64(struct strbuf *b, uint32_t field, int64_t v);  /* int32/int64/enum */
void pb_sint64(struct strbuf *b, uint32_t field, int64_t v); /* sint32/sint64 (zigzag) */
void pb_double(struct strbuf *b, uint32_t field, double v);  /* skipped when +0.0 */
void pb_string(struct strbuf *b, uint32_t field, const char *s); /* skipped when empty */
/* A packed repeated sint64 (nothing for n == 0). */
void pb_packed_sint64(struct strbuf *b, uint32_t field, const int64_t *v, size_t n);
/* A nested message of field (or, with field 0, a length-delimited record). */
size_t pb_begin(struct strbuf *b, uint32_t field);
void pb_end(struct strbuf *b, size_t mark);

#endif /* FLUSHLAT_PBENC_H */
