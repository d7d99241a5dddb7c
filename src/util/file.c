/*
 * file.c - a whole small file into memory (see file.h).
 *
 * The size is checked twice: once from fstat, and again while reading
 * (one byte more than allowed is asked for), so a file that grows between
 * the two cannot overrun the limit.
 */
#include "tasker/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads fd to its end into buf of max + 1 bytes; 0 or an errno value. */
static int
read_all(int fd, char *buf, size_t max, size_t *lenp)
{
	size_t len = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, buf + len, max + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return errno;
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max)
			return EFBIG;
	}
	*lenp = len;
	return 0;
}

int
tk_file_read(const char *path, size_t max, char **out, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, e;

	*out = NULL;
	*lenp = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1)
		return errno;
	if (fstat(fd, &st) == -1) {
		e = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		e = EFBIG;
		goto out;
	}
	cap = max + 1;
	if ((buf = malloc(cap)) == NULL) {
		e = ENOMEM;
		goto out;
	}
	if ((e = read_all(fd, buf, max, &len)) != 0)
		goto out;
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	buf = NULL;
out:
	if (buf != NULL) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	close(fd);
	return e;
}

const char *
tk_file_strerror(int e)
{
	switch (e) {
	case EINVAL:
		return "not a regular file";
	case EFBIG:
		return "file too large";
	default:
		return strerror(e);
	}
}
