/*
 * cron.c - cron expressions and their next fire time in a zone (see
 * cron.h for the syntax and the daylight-saving rules).
 *
 * The search walks wall-clock times (naive seconds: a local date and
 * time counted as if it were UTC, so timegm/gmtime do the calendar) in
 * order, day by day, hour by hour, and resolves each matching one to the
 * instants whose local time it is: one, two (a repeated hour: the first
 * is taken) or none (a skipped one: the transition instant is taken).
 * Since wall order is instant order once resolved that way, the first
 * resolved time after `after` is the answer.
 */
#include "tasker/cron.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define TZDIR         "/usr/share/zoneinfo"
#define DAY           86400
#define SEARCH_DAYS   (8 * 366)   /* Feb 29 on a given weekday, and more */
#define SCAN_MAX      200000      /* fire times one tk_cron_ticks walks */

/* ------------------------------------------------------------ parsing */

static const char *const month_names[] = { "jan", "feb", "mar", "apr",
    "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu",
    "fri", "sat", NULL };

struct field {
	const char        *what;    /* for messages */
	int                lo, hi;
	const char *const *names;   /* names[i] is lo + i; NULL: none */
};

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day of week", 0, 7, dow_names },
};

/* One number or name at *p; advances *p.  -1 when there is none. */
static int
read_value(const char **p, const struct field *f)
{
	const char *s = *p;
	long n;
	char *end;
	size_t i;

	if (isdigit((unsigned char)*s)) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno != 0 || end - s > 3)
			return -1;
		*p = end;
		return (int)n;
	}
	for (i = 0; f->names != NULL && f->names[i] != NULL; i++)
		if (strncasecmp(s, f->names[i], 3) == 0 &&
		    !isalpha((unsigned char)s[3])) {
			*p = s + 3;
			return f->lo + (int)i;
		}
	return -1;
}

/* One list item ("*", "N", "N-M", each with an optional "/STEP") into
 * *mask.  0 when valid. */
static int
parse_item(const char *s, const char *end, const struct field *f,
    uint64_t *mask)
{
	const char *p = s;
	char *e;
	int a, b, step = 1, i;

	if (*p == '*') {
		a = f->lo;
		b = f->hi == 7 ? 6 : f->hi;
		p++;
	} else {
		if ((a = read_value(&p, f)) < 0)
			return -1;
		b = a;
		if (*p == '-') {
			p++;
			if ((b = read_value(&p, f)) < 0)
				return -1;
		} else if (*p == '/')
			b = f->hi;
	}
	if (*p == '/') {
		p++;
		if (!isdigit((unsigned char)*p) || strspn(p, "0123456789") > 2)
			return -1;
		step = (int)strtol(p, &e, 10);
		p = e;
		if (step < 1 || step > f->hi + 1)
			return -1;
	}
	if (p != end || a < f->lo || b > f->hi || a > b)
		return -1;
	for (i = a; i <= b; i += step)
		*mask |= 1ULL << (f->hi == 7 && i == 7 ? 0 : i);
	return 0;
}

/* A comma list: the field's mask.  0 when valid. */
static int
parse_field(const char *s, const struct field *f, uint64_t *mask)
{
	const char *end;

	*mask = 0;
	for (;;) {
		end = strchr(s, ',');
		if (end == NULL)
			end = s + strlen(s);
		if (end == s || parse_item(s, end, f, mask) < 0)
			return -1;
		if (*end == '\0')
			return 0;
		s = end + 1;
	}
}

/* The @ shorthands; NULL when name is none of them. */
static const char *
shorthand(const char *name)
{
	static const char *const map[][2] = {
		{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
		{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
		{ "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(name, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* Splits buf (modified) at white space into at most 6 words. */
static size_t
split(char *buf, char *word[6])
{
	size_t n = 0;
	char *p = buf;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || n == 6)
			return n;
		word[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

tk_err
tk_cron_parse(const char *expr, struct tk_cron *out, char *why, size_t whysz)
{
	char buf[TK_CRON_MAX + 1], *word[6];
	uint64_t m[5];
	const char *s;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (strlen(expr) > TK_CRON_MAX) {
		snprintf(why, whysz, "longer than %d bytes", TK_CRON_MAX);
		return TK_ERR_BAD_REQUEST;
	}
	s = expr[0] == '@' ? shorthand(expr) : expr;
	if (s == NULL) {
		snprintf(why, whysz, "unknown shorthand (@yearly, @monthly, "
		    "@weekly, @daily, @hourly)");
		return TK_ERR_BAD_REQUEST;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	if (split(buf, word) != 5) {
		snprintf(why, whysz, "needs five fields: minute hour "
		    "day-of-month month day-of-week");
		return TK_ERR_BAD_REQUEST;
	}
	for (i = 0; i < 5; i++)
		if (parse_field(word[i], &fields[i], &m[i]) < 0) {
			snprintf(why, whysz, "%s: '%.32s' is not valid "
			    "(%d-%d, lists, ranges, */n)", fields[i].what,
			    word[i], fields[i].lo, fields[i].hi);
			return TK_ERR_BAD_REQUEST;
		}
	out->minute = m[0];
	out->hour = (uint32_t)m[1];
	out->dom = (uint32_t)m[2];
	out->month = (uint16_t)m[3];
	out->dow = (uint8_t)m[4];
	out->dom_star = word[2][0] == '*';
	out->dow_star = word[4][0] == '*';
	return TK_OK;
}

/* ------------------------------------------------------------ zones */

int
tk_tz_valid(const char *name)
{
	char path[sizeof(TZDIR) + TK_TZ_NAME_MAX + 2], magic[4];
	struct stat st;
	size_t i, n = strlen(name);
	int fd, ok;

	if (strcmp(name, "UTC") == 0)
		return 1;
	if (n == 0 || n > TK_TZ_NAME_MAX || name[0] == '/' ||
	    name[0] == '.' || strstr(name, "/.") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("/_+-", name[i]) == NULL)
			return 0;
	snprintf(path, sizeof(path), "%s/%s", TZDIR, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/* The zone's offset from UTC (seconds east) at instant x. */
static long
off_at(time_t x)
{
	struct tm tm;

	if (localtime_r(&x, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/*
 * The instant wall (naive) stands for, if it is after `after`; -1
 * otherwise.  Assumes at most one transition within a day of it.
 */
static time_t
wall_to_instant(time_t wall, time_t after)
{
	long oa = off_at(wall - DAY), ob = off_at(wall + DAY);
	time_t u1 = wall - oa, u2 = wall - ob, lo, hi, mid, r;
	int v1 = off_at(u1) == oa, v2 = off_at(u2) == ob;

	if (v1 && v2)
		r = u1 < u2 ? u1 : u2;     /* repeated: the first */
	else if (v1 || v2)
		r = v1 ? u1 : u2;
	else if (oa == ob)
		return -1;                 /* not a simple transition */
	else {
		/* Skipped: the first instant with the later offset. */
		lo = u1 < u2 ? u1 : u2;
		hi = u1 < u2 ? u2 : u1;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (off_at(mid) == ob)
				hi = mid;
			else
				lo = mid + 1;
		}
		r = lo;
	}
	return r > after ? r : -1;
}

/* Whether the day of naive midnight `day` matches c's date fields. */
static int
day_matches(const struct tk_cron *c, time_t day)
{
	struct tm tm;
	int dom, dow;

	if (gmtime_r(&day, &tm) == NULL)
		return 0;
	if (!(c->month & (1u << (tm.tm_mon + 1))))
		return 0;
	dom = (c->dom & (1u << tm.tm_mday)) != 0;
	dow = (c->dow & (1u << tm.tm_wday)) != 0;
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/* The search itself, in the zone already set. */
static time_t
search(const struct tk_cron *c, time_t after)
{
	long oa = off_at(after), ob = off_at(after + DAY);
	time_t start, day, wall, r;
	int d, h, m;

	/* No wall time before this can resolve after `after`. */
	start = after + (oa < ob ? oa : ob);

	start -= ((start % 60) + 60) % 60;
	day = start - (((start % DAY) + DAY) % DAY);
	for (d = 0; d < SEARCH_DAYS; d++, day += DAY) {
		if (!day_matches(c, day))
			continue;
		for (h = 0; h < 24; h++) {
			if (!(c->hour & (1u << h)) || day + h * 3600 + 3599 <
			    start)
				continue;
			for (m = 0; m < 60; m++) {
				wall = day + h * 3600 + m * 60;
				if (!(c->minute & (1ULL << m)) || wall < start)
					continue;
				if ((r = wall_to_instant(wall, after)) >= 0)
					return r;
			}
		}
	}
	return -1;
}

/* Switches the zone to tz; *old gets the caller's TZ to restore. */
static tk_err
zone_enter(const char *tz, char **old)
{
	char spec[TK_TZ_NAME_MAX + 2];
	const char *cur;

	*old = NULL;
	if (!tk_tz_valid(tz))
		return TK_ERR_CONFIG;
	if ((cur = getenv("TZ")) != NULL && (*old = strdup(cur)) == NULL)
		return TK_ERR_NOMEM;
	snprintf(spec, sizeof(spec), ":%s", tz);
	if (setenv("TZ", spec, 1) < 0) {
		free(*old);
		return TK_ERR_NOMEM;
	}
	tzset();
	return TK_OK;
}

static void
zone_leave(char *old)
{
	if (old != NULL)
		(void)setenv("TZ", old, 1);
	else
		(void)unsetenv("TZ");
	tzset();
	free(old);
}

tk_err
tk_cron_next(const struct tk_cron *c, const char *tz, time_t after,
    time_t *out)
{
	char *old;
	time_t r;
	tk_err e;

	if ((e = zone_enter(tz, &old)) != TK_OK)
		return e;
	r = search(c, after);
	zone_leave(old);
	if (r < 0)
		return TK_ERR_BAD_REQUEST;
	*out = r;
	return TK_OK;
}

/* The ticks in (from, until] into the ring out[max]; their count. */
static size_t
walk_ticks(const struct tk_cron *c, time_t from, time_t until, time_t *out,
    size_t max)
{
	size_t total = 0;
	time_t t = from;

	while (total < SCAN_MAX && (t = search(c, t)) >= 0 && t <= until)
		out[total++ % max] = t;
	return total;
}

tk_err
tk_cron_ticks(const struct tk_cron *c, const char *tz, time_t after,
    time_t until, time_t *out, size_t max, size_t *n)
{
	static const time_t window[] = { 3600, DAY, 32 * DAY, 367 * DAY,
	    SEARCH_DAYS * (time_t)DAY };
	time_t *ring = NULL, from = after;
	size_t i, total = 0, first;
	char *old;
	tk_err e;

	*n = 0;
	if (max == 0 || until <= after)
		return TK_OK;
	if ((ring = calloc(max, sizeof(*ring))) == NULL)
		return TK_ERR_NOMEM;
	if ((e = zone_enter(tz, &old)) != TK_OK)
		goto out;
	/* The latest ticks only: look back over ever wider windows. */
	for (i = 0; i < sizeof(window) / sizeof(window[0]); i++) {
		from = until - window[i] > after ? until - window[i] : after;
		if ((total = walk_ticks(c, from, until, ring, max)) >= max ||
		    from == after)
			break;
	}
	zone_leave(old);
	*n = total < max ? total : max;
	first = total < max ? 0 : total % max;
	for (i = 0; i < *n; i++)
		out[i] = ring[(first + i) % max];
out:
	free(ring);
	return e;
}
