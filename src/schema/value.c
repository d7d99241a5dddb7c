/*
 * value.c - JSON values as JSON Schema sees them: numbers compared exactly
 * whatever json-c stored (int64, uint64 or double, so 1 == 1.0), deep
 * equality with object members unordered, a hash consistent with that
 * equality (for uniqueItems), and the text helpers messages need.
 *
 * Every recursion here is bounded by a depth limit: a value nested deeper
 * than TK_SCHEMA_MAX_VALUE_DEPTH is reported, never walked.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker/jsonschema.h"
#include "tasker/utf8.h"
#include "internal.h"

/* ---- numbers ---- */

/* Powers of two that bound exact integers in a double and int64_t. */
#define P52	4503599627370496.0		/* 2^52 */
#define P63	9223372036854775808.0		/* 2^63 */
#define P64	18446744073709551616.0		/* 2^64 */

/* 1 when d is finite and |d| < 2^52, so it may have a fraction. */
static int
may_have_fraction(double d)
{
	return isfinite(d) && d > -P52 && d < P52;
}

/*
 * trunc() and rounding of our own: a double of magnitude 2^52 or more
 * (or not finite) is left as it is; below that, int64_t holds it.
 */
static double
dtrunc(double d)
{
	if (!may_have_fraction(d))
		return d;
	return (double)(int64_t)d;
}

static double
dabs(double d)
{
	return d < 0 ? -d : d;
}

static double
dround(double d)
{
	if (!may_have_fraction(d))
		return d;
	return dtrunc(d < 0 ? d - 0.5 : d + 0.5);
}

int
tk_js_num(json_object *o, struct tk_num *n)
{
	memset(n, 0, sizeof(*n));
	switch (json_object_get_type(o)) {
	case json_type_int:
		n->k = TK_NUM_INT;
		n->i = json_object_get_int64(o);
		/* json-c says INT64_MAX for every value above it. */
		if (n->i == INT64_MAX) {
			n->u = json_object_get_uint64(o);
			if (n->u > (uint64_t)INT64_MAX)
				n->k = TK_NUM_UINT;
		}
		return 1;
	case json_type_double:
		n->k = TK_NUM_DBL;
		n->d = json_object_get_double(o);
		return 1;
	default:
		return 0;
	}
}

/* Compares an integer kind x with a double d, exactly. */
static int
cmp_int_dbl(const struct tk_num *x, double d)
{
	double t;

	if (isnan(d))
		return 2;
	if (x->k == TK_NUM_INT) {
		if (d >= P63)
			return -1;
		if (d < -P63)
			return 1;
		t = dtrunc(d);
		if (x->i != (int64_t)t)
			return x->i < (int64_t)t ? -1 : 1;
	} else {
		if (d >= P64)
			return -1;
		if (d < P63)
			return 1;
		t = dtrunc(d);
		if (x->u != (uint64_t)t)
			return x->u < (uint64_t)t ? -1 : 1;
	}
	/* Same integer part: the fraction of d decides. */
	return d > t ? -1 : d < t ? 1 : 0;
}

int
tk_js_num_cmp(const struct tk_num *a, const struct tk_num *b)
{
	int r;

	if (a->k == TK_NUM_DBL && b->k == TK_NUM_DBL) {
		if (isnan(a->d) || isnan(b->d))
			return 2;
		return a->d < b->d ? -1 : a->d > b->d ? 1 : 0;
	}
	if (a->k == TK_NUM_DBL) {
		r = cmp_int_dbl(b, a->d);
		return r == 2 ? 2 : -r;
	}
	if (b->k == TK_NUM_DBL)
		return cmp_int_dbl(a, b->d);
	if (a->k == TK_NUM_UINT && b->k == TK_NUM_UINT)
		return a->u < b->u ? -1 : a->u > b->u ? 1 : 0;
	if (a->k == TK_NUM_UINT)
		return 1;
	if (b->k == TK_NUM_UINT)
		return -1;
	return a->i < b->i ? -1 : a->i > b->i ? 1 : 0;
}

int
tk_js_num_is_integer(const struct tk_num *n)
{
	if (n->k != TK_NUM_DBL)
		return 1;
	return isfinite(n->d) && n->d == dtrunc(n->d);
}

int
tk_js_num_is_finite(const struct tk_num *n)
{
	return n->k != TK_NUM_DBL || isfinite(n->d);
}

static double
num_double(const struct tk_num *n)
{
	switch (n->k) {
	case TK_NUM_INT:
		return (double)n->i;
	case TK_NUM_UINT:
		return (double)n->u;
	default:
		return n->d;
	}
}

/* |n| for an integer kind, or an integral double below 2^63; 0 if not. */
static int
num_magnitude(const struct tk_num *n, uint64_t *mag)
{
	int64_t i;

	switch (n->k) {
	case TK_NUM_UINT:
		*mag = n->u;
		return 1;
	case TK_NUM_INT:
		i = n->i;
		break;
	default:
		if (!tk_js_num_is_integer(n) || dabs(n->d) >= P63)
			return 0;
		i = (int64_t)n->d;
		break;
	}
	*mag = i < 0 ? (uint64_t)(-(i + 1)) + 1 : (uint64_t)i;
	return 1;
}

int
tk_js_num_multiple(const struct tk_num *x, const struct tk_num *m)
{
	uint64_t xm, mm;
	double q, r;

	/* An integer divisor: exact arithmetic when x is integral. */
	if (num_magnitude(m, &mm) && mm != 0) {
		if (!tk_js_num_is_integer(x))
			return 0;
		if (num_magnitude(x, &xm))
			return xm % mm == 0;
	}
	/*
	 * Doubles: the quotient of two decimals stored in binary is off by a
	 * few ulps (1.10 / 0.01 is 110.00000000000001), so accept a quotient
	 * within 4 ulps of an integer.  An infinite quotient is not a multiple.
	 */
	q = num_double(x) / num_double(m);
	if (!isfinite(q))
		return 0;
	r = dround(q);
	return dabs(q - r) <= 4 * DBL_EPSILON * dabs(q);
}

void
tk_js_num_format(const struct tk_num *n, char *out, size_t sz)
{
	int p;

	switch (n->k) {
	case TK_NUM_INT:
		snprintf(out, sz, "%" PRId64, n->i);
		return;
	case TK_NUM_UINT:
		snprintf(out, sz, "%" PRIu64, n->u);
		return;
	default:
		break;
	}
	/* Integral values as integers: "1000", not "1e+03". */
	if (n->d == dtrunc(n->d) && dabs(n->d) < 1e15) {
		snprintf(out, sz, "%.0f", n->d);
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(out, sz, "%.*g", p, n->d);
		if (strtod(out, NULL) == n->d)
			return;
	}
}

/* ---- equality and hashing ---- */

static int
is_number(json_type t)
{
	return t == json_type_int || t == json_type_double;
}

static int
equal_objects(json_object *a, json_object *b, int depth)
{
	json_object *bv;
	int r;

	if (json_object_object_length(a) != json_object_object_length(b))
		return 0;
	json_object_object_foreach(a, key, av) {
		if (!json_object_object_get_ex(b, key, &bv))
			return 0;
		if ((r = tk_js_equal(av, bv, depth + 1)) != 1)
			return r;
	}
	return 1;
}

int
tk_js_equal(json_object *a, json_object *b, int depth)
{
	json_type ta, tb;
	struct tk_num na, nb;
	size_t i, n;
	int r;

	if (depth > TK_SCHEMA_MAX_VALUE_DEPTH)
		return -1;
	ta = json_object_get_type(a);
	tb = json_object_get_type(b);
	if (is_number(ta) && is_number(tb)) {
		tk_js_num(a, &na);
		tk_js_num(b, &nb);
		return tk_js_num_cmp(&na, &nb) == 0;
	}
	if (ta != tb)
		return 0;
	switch (ta) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return !json_object_get_boolean(a) == !json_object_get_boolean(b);
	case json_type_string:
		n = (size_t)json_object_get_string_len(a);
		return n == (size_t)json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a),
		    json_object_get_string(b), n) == 0;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++) {
			r = tk_js_equal(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i), depth + 1);
			if (r != 1)
				return r;
		}
		return 1;
	case json_type_object:
		return equal_objects(a, b, depth);
	default:
		return 0;
	}
}

static uint64_t
fmix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
	return fmix(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

static uint64_t
hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return fmix(h ^ n);
}

/* Equal numbers hash alike whatever their kind: integral values as
 * integers, the rest by their bits. */
static uint64_t
hash_number(json_object *o)
{
	struct tk_num n;
	uint64_t bits;

	tk_js_num(o, &n);
	if (n.k == TK_NUM_INT)
		return mix(4, (uint64_t)n.i);
	if (n.k == TK_NUM_UINT)
		return mix(4, n.u);
	if (tk_js_num_is_integer(&n)) {
		if (n.d >= -P63 && n.d < P63)
			return mix(4, (uint64_t)(int64_t)n.d);
		if (n.d >= P63 && n.d < P64)
			return mix(4, (uint64_t)n.d);
	}
	memcpy(&bits, &n.d, sizeof(bits));
	return mix(8, bits);
}

int
tk_js_hash(json_object *o, int depth, uint64_t *h)
{
	uint64_t c, sum;
	size_t i, n;

	if (depth > TK_SCHEMA_MAX_VALUE_DEPTH)
		return -1;
	switch (json_object_get_type(o)) {
	case json_type_null:
		*h = mix(1, 0);
		return 0;
	case json_type_boolean:
		*h = mix(2, json_object_get_boolean(o) ? 1 : 0);
		return 0;
	case json_type_int:
	case json_type_double:
		*h = hash_number(o);
		return 0;
	case json_type_string:
		*h = mix(5, hash_bytes(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o)));
		return 0;
	case json_type_array:
		n = json_object_array_length(o);
		*h = mix(6, n);
		for (i = 0; i < n; i++) {
			if (tk_js_hash(json_object_array_get_idx(o, i),
			    depth + 1, &c) == -1)
				return -1;
			*h = mix(*h, c);
		}
		return 0;
	case json_type_object: {
		/* Members are unordered: combine them commutatively. */
		sum = 0;
		json_object_object_foreach(o, key, v) {
			if (tk_js_hash(v, depth + 1, &c) == -1)
				return -1;
			sum += mix(hash_bytes(key, strlen(key)), c);
		}
		*h = mix(7, sum);
		return 0;
	}
	default:
		*h = 0;
		return 0;
	}
}

int
tk_js_depth(json_object *o, int limit)
{
	size_t i, n;
	int d, best = 0;

	if (limit < 0)
		return 1;
	switch (json_object_get_type(o)) {
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n && best <= limit; i++) {
			d = tk_js_depth(json_object_array_get_idx(o, i),
			    limit - 1);
			if (d > best)
				best = d;
		}
		return best + 1;
	case json_type_object: {
		struct lh_entry *e = json_object_get_object(o)->head;

		for (; e != NULL && best <= limit; e = e->next) {
			d = tk_js_depth((json_object *)lh_entry_v(e),
			    limit - 1);
			if (d > best)
				best = d;
		}
		return best + 1;
	}
	default:
		return 1;
	}
}

/* ---- text ---- */

size_t
tk_js_utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

void
tk_js_put_cut(struct tk_buf *b, const char *s, size_t len, size_t max)
{
	size_t cut;

	if (len <= max) {
		tk_buf_append(b, s, len);
		return;
	}
	cut = tk_utf8_floor(s, max);
	tk_buf_append(b, s, cut);
	tk_buf_puts(b, "...");
}

void
tk_js_put_json(struct tk_buf *b, json_object *o, size_t max)
{
	const char *s;

	s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL) {
		tk_buf_puts(b, "?");
		return;
	}
	tk_js_put_cut(b, s, strlen(s), max);
}
