/*
 * file.h - a whole small file read into memory, for every reader of one
 * (tasker.yaml, the database password file, handler YAML, JWT key files).
 */
#ifndef TASKER_FILE_H
#define TASKER_FILE_H

#include <stddef.h>

/*
 * Reads the regular file path, at most max bytes, into a fresh buffer
 * that the caller frees; a NUL follows the len bytes read.  Opens with
 * O_NONBLOCK so that a FIFO in place of the file cannot hang the caller.
 * Returns 0, or an errno value: EINVAL not a regular file, EFBIG larger
 * than max, ENOMEM, or what open/fstat/read said.  On failure *out is
 * NULL and any bytes read were wiped (the file may hold a secret).
 */
int tk_file_read(const char *path, size_t max, char **out, size_t *len);

/* What tk_file_read's result means, for messages ("not a regular file"). */
const char *tk_file_strerror(int e);

#endif
