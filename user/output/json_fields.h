/* SPDX-License-Identifier: MIT */
/*
 * The key readers behind the snapshot reader, for every module that reads
 * its own part of a snapshot: each error names path+key and what was
 * expected.  optional: a missing key leaves *v = 0 / *out = NULL.  0, or -1
 * with err.
 */
#ifndef FLUSHLAT_JSON_FIELDS_H
#define FLUSHLAT_JSON_FIELDS_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

/*
 * An integer json-c would have clamped (marked by the line reader with a
 * trailing ".0", see mark_out_of_range() in snapshot_read.c).
 */
int fl_json_out_of_range(struct json_object *o);
/* "a string", "an object", ... for messages */
const char *fl_json_type_name(struct json_object *o);
/* obj[key] into *out; a missing key is an error unless optional (then *out = NULL) */
int fl_json_key(struct json_object *obj, const char *path, const char *key, int optional,
		struct json_object **out, char *err, size_t errlen);
/* o as a non-negative integer that fits in 64 bits */
int fl_json_as_u64(struct json_object *o, const char *path, const char *key, uint64_t *v,
		   char *err, size_t errlen);
int fl_json_u64(struct json_object *obj, const char *path, const char *key, int optional,
		uint64_t *v, char *err, size_t errlen);
int fl_json_obj(struct json_object *obj, const char *path, const char *key, int optional,
		struct json_object **out, char *err, size_t errlen);
int fl_json_arr(struct json_object *obj, const char *path, const char *key, int optional,
		struct json_object **out, char *err, size_t errlen);
/* A string copied into a fixed field (which may be left without a NUL when full). */
int fl_json_str(struct json_object *obj, const char *path, const char *key, char *dst,
		size_t dstlen, char *err, size_t errlen);

#endif /* FLUSHLAT_JSON_FIELDS_H */
