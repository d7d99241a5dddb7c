/*
 * cli.h - the command-line conventions tasker-admin, tasker-worker and
 * tasker-fcgi share (those of git, systemctl and Debian's daemons):
 *
 *   -h, --help        usage on stdout, exit 0
 *   bad usage         one line on stderr naming the problem and where the
 *                     usage is ("see 'tasker-admin --help'"), exit 2
 *
 * The exit statuses every program uses; each documents its own in its
 * usage text and header comment.
 */
#ifndef TASKER_CLI_H
#define TASKER_CLI_H

#define TK_EXIT_OK      0	/* done */
#define TK_EXIT_FAIL    1	/* refused or failed; the reason on stderr */
#define TK_EXIT_USAGE   2	/* bad usage; a one-line hint on stderr */

/*
 * 1 when an argument before "--" is "-h" or "--help": the caller prints
 * the usage of what it runs instead of running it.  Pure.
 */
int tk_cli_asks_help(int argc, char *const argv[]);

/*
 * Removes every argument before "--" that is exactly flag (e.g. "--json")
 * from argv[0..*argc), keeping the others in order; returns 1 when there
 * was one.  Pure.
 */
int tk_cli_take_flag(int *argc, char *argv[], const char *flag);

/*
 * Like tk_cli_take_flag for an option with a value: "OPT VALUE" or
 * "OPT=VALUE" (the last one given wins) into *value, pointing into argv.
 * Returns 1 when there was one, 0 when not, -1 when OPT came last with
 * no value (it is removed).  Pure.
 */
int tk_cli_take_value(int *argc, char *argv[], const char *opt,
    const char **value);

/*
 * Prints "PROG: MESSAGE; see 'SEE'" as one line on stderr and returns
 * TK_EXIT_USAGE.  PROG is e.g. "tasker-admin", SEE e.g.
 * "tasker-admin help migrate".
 */
int tk_cli_usage_error(const char *prog, const char *see, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/*
 * The one-line hint for what getopt(3) or getopt_long(3) refused, called
 * with opterr set to 0 and an optstring that starts with ':' (after any
 * '+'): c is what getopt returned ('?' or ':'); optopt and the argument
 * it stopped at (argv[optind - 1]) name the option.  Returns
 * TK_EXIT_USAGE.
 */
int tk_cli_option_error(const char *prog, const char *see, int c,
    int optopt, const char *arg);

/*
 * -l LOGFILE of tasker-worker and tasker-fcgi: stderr (where the log goes)
 * appends to path from now on (mode 0640 when created).  0, or -1 with
 * the reason printed on stderr.
 */
int tk_cli_log_to(const char *path);

#endif
