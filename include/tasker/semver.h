/*
 * semver.h - strict Semantic Versioning 2.0.0 (semver.org) versions.
 *
 * Accepted: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], nothing else: no
 * leading "v", no spaces, no leading zeros in numeric parts or numeric
 * pre-release identifiers, identifiers of [0-9A-Za-z-] and never empty.
 * MAJOR, MINOR and PATCH must fit in 32 bits (the database stores them as
 * INT UNSIGNED); the whole string is at most TK_SEMVER_MAX bytes.
 *
 * The struct is self-contained (a copy of the text, no heap), so it can be
 * copied by assignment and needs no free.
 */
#ifndef TASKER_SEMVER_H
#define TASKER_SEMVER_H

#include <stddef.h>
#include <stdint.h>

#include "tasker/error.h"

#define TK_SEMVER_MAX 64

struct tk_semver {
	uint32_t major;
	uint32_t minor;
	uint32_t patch;
	char     str[TK_SEMVER_MAX + 1]; /* the text as given */
	/* Offsets into str: the pre-release without its '-', the build
	 * metadata without its '+'; a length of 0 means absent. */
	uint8_t  pre_off, pre_len;
	uint8_t  build_off, build_len;
};

/*
 * Parses s into out.  TK_ERR_BAD_REQUEST when s is NULL, too long or not
 * a strict semver; out is then zeroed.
 */
tk_err tk_semver_parse(const char *s, struct tk_semver *out);

/*
 * Compares by precedence (semver.org section 11): <0, 0 or >0.  Build
 * metadata is ignored, so 1.0.0+a and 1.0.0+b compare equal.
 */
int tk_semver_cmp(const struct tk_semver *a, const struct tk_semver *b);

/* 1 when the version has a pre-release part (1.0.0-rc.1), else 0. */
int tk_semver_is_prerelease(const struct tk_semver *v);

/*
 * Ranges, with the meaning of npm's `semver` package (and Cargo's for the
 * forms both have): comparators (<, <=, >, >=, =), X-ranges (2.x, 2.*,
 * 2, *), tilde (~2.1.3, ~>2.1), caret (^2.1), hyphen ranges
 * (1.2 - 2.3.4), several comparators in a row meaning all of them, and
 * sets joined by || meaning any of them.  A leading "v" on a version is
 * accepted as npm does; loose forms (1.2.3pre) are not.  Pre-releases
 * satisfy a set only when one of its comparators names a pre-release of
 * the same MAJOR.MINOR.PATCH (npm's rule): ^1.2.3-rc.1 allows 1.2.3-rc.2
 * but never 1.2.4-rc.1.
 *
 * Ranges are parsed once into a self-contained struct (no heap): at most
 * TK_SEMVER_RANGE_MAX bytes of text and TK_SEMVER_RANGE_COMPS comparators.
 */
#define TK_SEMVER_RANGE_MAX   256
#define TK_SEMVER_RANGE_COMPS 32

enum tk_semver_op { TK_SV_EQ, TK_SV_LT, TK_SV_LE, TK_SV_GT, TK_SV_GE };

struct tk_semver_comp {
	enum tk_semver_op op;
	unsigned          set;        /* which ||-separated set */
	struct tk_semver  v;
};

struct tk_semver_range {
	unsigned              nsets;  /* at least 1 */
	size_t                ncomps;
	struct tk_semver_comp comp[TK_SEMVER_RANGE_COMPS];
};

/*
 * Parses s into out.  TK_ERR_BAD_REQUEST when s is NULL, longer than
 * TK_SEMVER_RANGE_MAX, has more comparators than TK_SEMVER_RANGE_COMPS
 * or is not a range.  An exact version parses as "=" that version.
 */
tk_err tk_semver_range_parse(const char *s, struct tk_semver_range *out);

/*
 * The comparators of r as npm's Range.range spells them ("1.2.x || 3" is
 * ">=1.2.0 <1.3.0-0||>=3.0.0 <4.0.0-0", a set without any "*"), cut to
 * outsz - 1 bytes: for tests and logs.
 */
void tk_semver_range_format(const struct tk_semver_range *r, char *out,
    size_t outsz);

/*
 * A version as the API takes it (GET /handlers/{ns}/{name}?version=,
 * POST /tasks "version"): an exact version into *exact (*is_range 0), or
 * else a range into *range (*is_range 1).  Blank text ("", "  ") is
 * neither, though npm reads it as "*": TK_ERR_BAD_REQUEST, as for
 * anything that is no range.
 */
tk_err tk_semver_want_parse(const char *s, struct tk_semver *exact,
    struct tk_semver_range *range, int *is_range);

/* 1 when v satisfies r, else 0. */
int tk_semver_range_test(const struct tk_semver_range *r,
    const struct tk_semver *v);

#endif
