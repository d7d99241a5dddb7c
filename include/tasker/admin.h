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

#endif
