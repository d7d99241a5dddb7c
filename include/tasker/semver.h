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

#endif
