// SPDX-License-Identifier: MIT
/*
 * json_fields.c - typed, bounded reads of one key of a JSON object (json-c),
 * for every reader of saved snapshots (snapshot_read.c, breakdown_read.c).
 * Each error names path+key and what was expected.
 */
#include "json_fields.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

/*
 * json-c clamps an integer beyond 64 bits to the nearest limit without a
 * word.  Before parsing, such a token gets ".0" appended (mark_out_of_range):
 * it is then a double whose text ends in ".0" and whose magnitude is at least
 * 2^63, which no integer field accepts; this says which.
 */
int fl_json_out_of_range(struct json_object *o)
{
	const char *t = json_object_get_string(o);
	size_t n = strlen(t);
	double v = json_object_get_double(o);

	return n > 2 && !strcmp(t + n - 2, ".0") && (v >= 9223372036854775808.0 ||
						     v <= -9223372036854775808.0);
}

const char *fl_json_type_name(struct json_object *o)
{
	return o ? json_type_to_name(json_object_get_type(o)) : "null";
}

/* Looks up key in obj; missing -> error unless optional (then *out = NULL). */
int fl_json_key(struct json_object *obj, const char *path, const char *key, int optional,
		   struct json_object **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!json_object_object_get_ex(obj, key, out)) {
		if (optional)
			return 0;
		snprintf(err, errlen, "%s%s: missing key", path, key);
		return -1;
	}
	return 0;
}

/* A non-negative JSON integer as uint64 (never a double, string or bool). */
int fl_json_as_u64(struct json_object *o, const char *path, const char *key, uint64_t *v, char *err,
		  size_t errlen)
{
	if (json_object_is_type(o, json_type_double) && fl_json_out_of_range(o)) {
		snprintf(err, errlen, "%s%s: %.*s is out of range (0 to 18446744073709551615)", path,
			 key, (int)strlen(json_object_get_string(o)) - 2, json_object_get_string(o));
		return -1;
	}
	if (!json_object_is_type(o, json_type_int)) {
		snprintf(err, errlen, "%s%s: expected a non-negative integer, got %s", path, key,
			 fl_json_type_name(o));
		return -1;
	}
	/* json-c keeps values above INT64_MAX as uint64: get_int64 saturates positive. */
	if (json_object_get_int64(o) < 0) {
		snprintf(err, errlen, "%s%s: expected a non-negative integer, got %lld", path, key,
			 (long long)json_object_get_int64(o));
		return -1;
	}
	*v = json_object_get_uint64(o);
	return 0;
}

int fl_json_u64(struct json_object *obj, const char *path, const char *key, int optional,
		   uint64_t *v, char *err, size_t errlen)
{
	struct json_object *o;

	*v = 0;
	if (fl_json_key(obj, path, key, optional, &o, err, errlen))
		return -1;
	if (!o && optional)
		return 0;
	return fl_json_as_u64(o, path, key, v, err, errlen);
}

int fl_json_obj(struct json_object *obj, const char *path, const char *key, int optional,
		   struct json_object **out, char *err, size_t errlen)
{
	if (fl_json_key(obj, path, key, optional, out, err, errlen))
		return -1;
	if (!*out && optional)
		return 0;
	if (!json_object_is_type(*out, json_type_object)) {
		snprintf(err, errlen, "%s%s: expected an object, got %s", path, key, fl_json_type_name(*out));
		return -1;
	}
	return 0;
}

int fl_json_arr(struct json_object *obj, const char *path, const char *key, int optional,
		   struct json_object **out, char *err, size_t errlen)
{
	if (fl_json_key(obj, path, key, optional, out, err, errlen))
		return -1;
	if (!*out && optional)
		return 0;
	if (!json_object_is_type(*out, json_type_array)) {
		snprintf(err, errlen, "%s%s: expected an array, got %s", path, key, fl_json_type_name(*out));
		return -1;
	}
	return 0;
}

/* A string copied into a fixed field (which may be left without a NUL when full). */
int fl_json_str(struct json_object *obj, const char *path, const char *key, char *dst,
		   size_t dstlen, char *err, size_t errlen)
{
	struct json_object *o;
	int len;

	if (fl_json_key(obj, path, key, 0, &o, err, errlen))
		return -1;
	if (!json_object_is_type(o, json_type_string)) {
		snprintf(err, errlen, "%s%s: expected a string, got %s", path, key, fl_json_type_name(o));
		return -1;
	}
	len = json_object_get_string_len(o);
	if ((size_t)len > dstlen) {
		snprintf(err, errlen, "%s%s: string longer than %zu bytes", path, key, dstlen);
		return -1;
	}
	memset(dst, 0, dstlen);
	memcpy(dst, json_object_get_string(o), (size_t)len);
	return 0;
}
