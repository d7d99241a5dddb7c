/*
 * strlist.h - lists of C strings (src/util/strlist.c): membership in a
 * NULL-ended list of names, and the qsort() order of strings.
 */
#ifndef TASKER_STRLIST_H
#define TASKER_STRLIST_H

/* 1 when s is one of names (NULL-ended): the members a body may have,
 * the parameters a query may have, the keys a definition may have. */
int	tk_name_listed(const char *const *names, const char *s);
/* qsort() order of an array of char *: strcmp() of the strings. */
int	tk_strp_cmp(const void *a, const void *b);

#endif
