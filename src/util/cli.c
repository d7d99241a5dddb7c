/*
 * cli.c - the usage conventions of the three programs (cli.h).
 */
#include "tasker/cli.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tasker/diag.h"

int
tk_cli_asks_help(int argc, char *const argv[])
{
	int i;

	for (i = 0; i < argc && argv[i] != NULL; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int
tk_cli_take_flag(int *argc, char *argv[], const char *flag)
{
	int i, o = 0, found = 0, rest = 0;

	for (i = 0; i < *argc; i++) {
		if (!rest && strcmp(argv[i], "--") == 0)
			rest = 1;
		if (!rest && strcmp(argv[i], flag) == 0) {
			found = 1;
			continue;
		}
		argv[o++] = argv[i];
	}
	*argc = o;
	return found;
}

int
tk_cli_take_value(int *argc, char *argv[], const char *opt,
    const char **value)
{
	size_t len = strlen(opt);
	int i, o = 0, found = 0, rest = 0;

	for (i = 0; i < *argc; i++) {
		if (!rest && strcmp(argv[i], "--") == 0)
			rest = 1;
		if (!rest && strcmp(argv[i], opt) == 0) {
			if (i + 1 >= *argc) {
				found = -1;
				continue;
			}
			*value = argv[++i];
			found = 1;
			continue;
		}
		if (!rest && strncmp(argv[i], opt, len) == 0 &&
		    argv[i][len] == '=') {
			*value = argv[i] + len + 1;
			found = 1;
			continue;
		}
		argv[o++] = argv[i];
	}
	*argc = o;
	return found;
}

int
tk_cli_usage_error(const char *prog, const char *see, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see '%s'\n", see);
	return TK_EXIT_USAGE;
}

int
tk_cli_option_error(const char *prog, const char *see, int c, int optopt,
    const char *arg)
{
	char q[TK_DIAG_QUOTE_SIZE], opt[3] = { '-', '?', '\0' };

	/* A long option is named only by the argument getopt stopped at; a
	 * short one by optopt (the argument may be a cluster like -xc). */
	if (arg == NULL || strncmp(arg, "--", 2) != 0) {
		if (optopt > 0x20 && optopt < 0x7f)
			opt[1] = (char)optopt;
		arg = opt;
	}
	tk_diag_quote(q, arg);
	return tk_cli_usage_error(prog, see, "%s '%s'%s",
	    c == ':' ? "option" : "unknown option", q,
	    c == ':' ? " needs a value" : "");
}

int
tk_cli_log_to(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd != STDERR_FILENO)
		close(fd);
	return 0;
}
