/*
 * internal.h - what the files of src/schema share and nobody else sees:
 * the compiled schema tree (compile.c builds and frees it, validate.c
 * walks it), JSON value helpers (value.c) and ECMA-262 patterns
 * compiled by PCRE2 (regex.c).
 */
#ifndef TASKER_SCHEMA_INTERNAL_H
#define TASKER_SCHEMA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tasker/buf.h"
#include "tasker/error.h"

/* ---- JSON numbers, equality, hashing (value.c) ---- */

/* A JSON number as json-c holds it: signed, unsigned above INT64_MAX, or
 * double.  Compared exactly across kinds. */
enum tk_num_kind { TK_NUM_INT, TK_NUM_UINT, TK_NUM_DBL };

struct tk_num {
	enum tk_num_kind k;
	int64_t		 i;
	uint64_t	 u;
	double		 d;
};

/* 1 when o is a JSON number (int or double), and fills n. */
int	tk_js_num(json_object *o, struct tk_num *n);
/* -1, 0, 1; 2 when unordered (NaN, which JSON cannot produce). */
int	tk_js_num_cmp(const struct tk_num *a, const struct tk_num *b);
int	tk_js_num_is_integer(const struct tk_num *n);
int	tk_js_num_is_finite(const struct tk_num *n);
/* 1 when x is a multiple of m (m > 0). */
int	tk_js_num_multiple(const struct tk_num *x, const struct tk_num *m);
/* Shortest text that reads back as n ("0.1", not "0.10000000000000001"). */
void	tk_js_num_format(const struct tk_num *n, char *out, size_t sz);

/* JSON equality: 1 equal, 0 not, -1 deeper than the value depth limit. */
int	tk_js_equal(json_object *a, json_object *b, int depth);
/* A hash consistent with tk_js_equal; -1 when too deep. */
int	tk_js_hash(json_object *o, int depth, uint64_t *h);
/* Depth of a value (a scalar is 1). Stops counting past limit+1. */
int	tk_js_depth(json_object *o, int limit);

/* Unicode code points in s[0..len) (counting lead bytes). */
size_t	tk_js_utf8_count(const char *s, size_t len);
/* Appends at most max bytes of s (cut on a character boundary, "..."
 * added when cut). */
void	tk_js_put_cut(struct tk_buf *b, const char *s, size_t len, size_t max);
/* Appends a JSON rendering of o, cut near max bytes with "...". */
void	tk_js_put_json(struct tk_buf *b, json_object *o, size_t max);

/* ---- ECMA-262 patterns (regex.c) ---- */

/* A compiled pattern: read-only while matching (threads may share it). */
struct tk_sregex {
	pcre2_code		*code;
	pcre2_match_context	*mc;		/* the match limits */
	char			*msg;		/* "must match pattern \"...\"" */
	char			*limit_msg;	/* the match limit was hit */
};

/*
 * Compiles the ECMA-262 pattern src[0..len) into re->code and re->mc.
 * TK_OK; TK_ERR_NOMEM; TK_ERR_DEFINITION with the reason in why (a
 * syntax error, or something ECMA-262 does not have).
 */
tk_err	tk_sregex_compile(const char *src, size_t len, struct tk_sregex *re,
	    char *why, size_t whysz);

/* 1 when s[0..len) holds a match, 0 when not, -1 when the match limits
 * were hit (or memory ran out) before an answer. */
int	tk_sregex_match(const struct tk_sregex *re, const char *s, size_t len);

/* Frees what tk_sregex_compile made (not msg). */
void	tk_sregex_clear(struct tk_sregex *re);

/* ---- the compiled schema (compile.c, validate.c) ---- */

/* Bits of "type". */
#define TK_T_NULL	0x01u
#define TK_T_BOOLEAN	0x02u
#define TK_T_OBJECT	0x04u
#define TK_T_ARRAY	0x08u
#define TK_T_NUMBER	0x10u
#define TK_T_STRING	0x20u
#define TK_T_INTEGER	0x40u

#define TK_NONE		((size_t)-1)	/* an absent max* bound */

struct tk_snode;

struct tk_sprop {
	char		*name;
	size_t		 len;
	struct tk_snode	*schema;
};

struct tk_spatprop {
	struct tk_sregex *re;
	struct tk_snode	*schema;
};

/* dependencies: when member name is present, require req or apply schema */
struct tk_sdep {
	char		*name;
	char	       **req;
	size_t		 nreq;
	struct tk_snode	*schema;	/* NULL for the array form */
};

/* A numeric bound with its message, e.g. "must be >= 0". */
struct tk_sbound {
	int		 set;
	struct tk_num	 v;
	char		*msg;
};

struct tk_snode {
	int		 is_bool;	/* a true/false schema */
	int		 bool_value;

	unsigned	 types;		/* TK_T_* bits; 0 = any */
	char		*type_msg;	/* "must be a string or null" */

	json_object	*enumv;		/* owned deep copy, or NULL */
	char		*enum_msg;
	int		 has_const;
	json_object	*constv;	/* owned deep copy (NULL = JSON null) */
	char		*const_msg;

	struct tk_sbound min, max, xmin, xmax, mult;

	size_t		 minlen, maxlen;	/* code points; maxlen TK_NONE */
	struct tk_sregex *pattern;

	struct tk_snode	*items;		/* the schema form */
	struct tk_snode **tuple;	/* the array form */
	size_t		 ntuple;
	int		 has_tuple;
	struct tk_snode	*additems;
	size_t		 minitems, maxitems;
	int		 unique;
	struct tk_snode	*contains;

	char	       **required;
	size_t		 nrequired;
	struct tk_sprop	*props;
	size_t		 nprops;
	struct tk_spatprop *pprops;
	size_t		 npprops;
	struct tk_snode	*additional;
	struct tk_snode	*propnames;
	size_t		 minprops, maxprops;
	struct tk_sdep	*deps;
	size_t		 ndeps;

	struct tk_snode **allof, **anyof, **oneof;
	size_t		 nallof, nanyof, noneof;
	struct tk_snode	*not;
	struct tk_snode	*if_, *then_, *else_;
};

struct tk_schema {
	struct tk_snode	*root;
};

void	tk_snode_free(struct tk_snode *n);

#endif
