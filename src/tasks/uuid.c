/*
 * uuid.c - task ids: UUIDv7 (RFC 9562), time-ordered, so the primary
 * index of tasks grows at its end and "newest first" is "id descending".
 */
#include "tasker/uuid.h"

#include <string.h>
#include <time.h>

#include <sys/random.h>

#include "tasker/hex.h"

void
tk_uuid7_build(uint64_t ms, const unsigned char rnd[10], unsigned char out[16])
{
	int i;

	for (i = 0; i < 6; i++)
		out[i] = (unsigned char)(ms >> (40 - 8 * i));
	out[6] = (unsigned char)(0x70 | (rnd[0] & 0x0f));
	out[7] = rnd[1];
	out[8] = (unsigned char)(0x80 | (rnd[2] & 0x3f));
	memcpy(out + 9, rnd + 3, 7);
}

uint64_t
tk_uuid7_time(const unsigned char id[16])
{
	uint64_t ms = 0;
	int i;

	for (i = 0; i < 6; i++)
		ms = ms << 8 | id[i];
	return ms;
}

/*
 * Adds one to the 74 bits of rand_a and rand_b of id, skipping the
 * version and variant bits.  Returns 1 when they wrapped around.
 */
static int
increment(unsigned char id[16])
{
	int i;

	for (i = 15; i >= 9; i--)
		if (++id[i] != 0)
			return 0;
	if ((id[8] & 0x3f) != 0x3f) {
		id[8]++;
		return 0;
	}
	id[8] = 0x80;
	if (++id[7] != 0)
		return 0;
	if ((id[6] & 0x0f) != 0x0f) {
		id[6]++;
		return 0;
	}
	id[6] = 0x70;
	return 1;
}

/* The last id this process made: a monotonic generator is per process by
 * nature (one request at a time, no threads). */
static unsigned char last[16];
static int have_last;

tk_err
tk_uuid7_new(unsigned char out[16])
{
	unsigned char rnd[10];
	struct timespec ts;
	uint64_t ms;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(rnd)) {
		n = getrandom(rnd + got, sizeof(rnd) - got, 0);
		if (n <= 0)
			return TK_ERR_IO;
		got += (size_t)n;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (have_last && ms <= tk_uuid7_time(last)) {
		/* Same millisecond, or the clock went back: count on from the
		 * last id; on the (astronomically rare) wrap, borrow the next
		 * millisecond. */
		memcpy(out, last, 16);
		if (increment(out))
			tk_uuid7_build(tk_uuid7_time(last) + 1, rnd, out);
	} else
		tk_uuid7_build(ms, rnd, out);
	memcpy(last, out, 16);
	have_last = 1;
	return TK_OK;
}

void
tk_uuid_format(const unsigned char id[16], char out[TK_UUID_STR_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 15];
	}
	out[o] = '\0';
}

int
tk_uuid_parse(const char *s, unsigned char out[16])
{
	unsigned char id[16];
	size_t i, b = 0;
	int hi, lo;

	if (s == NULL || strlen(s) != 36)
		return -1;
	for (i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -1;
			continue;
		}
		if ((hi = tk_hexval((unsigned char)s[i])) < 0 ||
		    (lo = tk_hexval((unsigned char)s[i + 1])) < 0)
			return -1;
		id[b++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	memcpy(out, id, 16);
	return 0;
}
