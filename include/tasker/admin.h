/*
 * admin.h - the subcommands of tasker-admin that do more than a few lines
 * (so they live in the library and can be tested).  Each returns the exit
 * status: 0 done, 1 refused or failed (reason on stderr), 2 bad usage.
 */
#ifndef TASKER_ADMIN_H
#define TASKER_ADMIN_H

#include "tasker/config.h"

/* handlers validate PATH... | handlers load [PATH...] | handlers list */
int tk_admin_handlers(const struct tk_config *cfg, int argc, char **argv);
/* token [--subject S] [--permission P]... [--lifetime SECONDS] */
int tk_admin_token(const struct tk_config *cfg, int argc, char **argv);
/*
 * check utf8: prints every stored value a client or a step handler wrote
 * that is not strict UTF-8, and a summary.  Exit status 0 when there is
 * none, 1 when there are some, 3 when the scan could not run or finish
 * (the database is unreachable or failed).
 */
int tk_admin_check_utf8(const struct tk_config *cfg);

#endif
