/*
 * test_engine_flow_run.c - runs t/engine_flow_tests, the engine's
 * decisions against an in-memory store (test_engine_flow.c), from
 * t/unit_tests: that program cannot hold those cases (its fake store
 * would clash with the real one the other suites link, see Makefile.am),
 * and every pass of contrib/quickstart runs t/unit_tests.  Its output
 * is shown only when it fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "testlib.h"

static void
show(FILE *f)
{
	char line[1024];

	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
}

static void
test_engine_flow(void)
{
	const char *prog = TK_TEST_BUILDDIR "/t/engine_flow_tests";
	FILE *out = tmpfile();
	int status = -1;
	pid_t pid;

	CU_ASSERT_FATAL(out != NULL);
	if ((pid = fork()) == 0) {
		(void)dup2(fileno(out), 1);
		(void)dup2(fileno(out), 2);
		execl(prog, "engine_flow_tests", (char *)NULL);
		fprintf(stderr, "exec %s failed\n", prog);
		_exit(127);
	}
	CU_ASSERT_FATAL(pid > 0);
	(void)waitpid(pid, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		show(out);
	fclose(out);
}

TK_SUITE(engine_flow,
    { "t/engine_flow_tests passes", test_engine_flow });
