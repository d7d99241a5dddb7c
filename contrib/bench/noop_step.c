/*
 * noop_step.c - the cheapest step handler that honours the exec protocol
 * (ARCHITECTURE.md, section 4): read the JSON document on stdin to its
 * end, write an empty JSON object, exit 0.  One exec, no shell, so the
 * engine benchmark measures the engine, not /bin/sh.
 */
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	char buf[8192];

	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		continue;
	fputs("{}\n", stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
