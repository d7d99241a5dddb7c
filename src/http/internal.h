/*
 * internal.h - what the files of src/http share and nobody else sees:
 * the RFC 9110 token helpers (request.c), used by the header readers of
 * request.c and the header writers and ETag matching of response.c.
 * The public surface is include/tasker/http.h.
 */
#ifndef TASKER_HTTP_INTERNAL_H
#define TASKER_HTTP_INTERNAL_H

/* 1 when c is an RFC 9110 tchar (a byte of a token). */
int	http_is_tchar(char c);
/* s after its optional white space (spaces and tabs). */
const char *http_skip_ows(const char *s);

#endif
