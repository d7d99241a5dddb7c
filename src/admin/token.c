/*
 * token.c - `tasker-admin token`: mint a JWT with the configured signing
 * key, for operators and for `contrib/quickstart token`.
 *
 *   tasker-admin token [--subject S] [--permission P]... [--lifetime SECONDS]
 *       [--namespace NS]... [--no-namespaces] [--own-tasks]
 *
 * With no --permission the token carries "*" (every permission).  Each
 * --namespace limits the token to that namespace too (the namespaces
 * claim); --no-namespaces writes an empty claim (no namespace at all);
 * --own-tasks limits it to the tasks its subject creates.  The token goes
 * to stdout and nowhere else.
 */
#include "tasker/admin.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/auth.h"
#include "tasker/cli.h"

#define SEE "tasker-admin help token"

#define MAX_PERMS    256
#define MAX_LIFETIME 31536000   /* seconds: a year */

/* What the command line asks for. */
struct token_req {
	const char            *perms[MAX_PERMS];
	size_t                 nperms;
	const char            *nss[TK_NS_MAX_COUNT];
	struct tk_token_scope  sc;     /* sc.namespaces points at nss */
	const char            *subject;
	unsigned long          lifetime;   /* 0: the configured default */
};

/* Takes getopt's option c (argument optarg) into r: 0, or 2 on bad
 * usage (said on stderr; argv for the word at fault). */
static int
take_option(struct token_req *r, int c, char **argv)
{
	char *end;

	switch (c) {
	case 's':
		r->subject = optarg;
		return 0;
	case 'p':
		if (r->nperms == MAX_PERMS)
			return tk_cli_usage_error("tasker-admin", SEE,
			    "at most %d permissions", MAX_PERMS);
		r->perms[r->nperms++] = optarg;
		return 0;
	case 'n':
		if (r->sc.nnamespaces == TK_NS_MAX_COUNT)
			return tk_cli_usage_error("tasker-admin", SEE,
			    "at most %d namespaces", TK_NS_MAX_COUNT);
		r->nss[r->sc.nnamespaces++] = optarg;
		r->sc.limit_namespaces = 1;
		return 0;
	case 'N':
		r->sc.limit_namespaces = 1;
		return 0;
	case 'o':
		r->sc.own_tasks = 1;
		return 0;
	case 'l':
		errno = 0;
		r->lifetime = strtoul(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || r->lifetime == 0 ||
		    r->lifetime > MAX_LIFETIME)
			return tk_cli_usage_error("tasker-admin", SEE,
			    "--lifetime must be 1..%d seconds", MAX_LIFETIME);
		return 0;
	default:
		return tk_cli_option_error("tasker-admin", SEE, c, optopt,
		    argv[optind - 2]);
	}
}

/* Fills r from the subcommand's arguments: 0, or 2 on bad usage. */
static int
read_request(struct token_req *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "permission", required_argument, NULL, 'p' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "no-namespaces", no_argument, NULL, 'N' },
		{ "own-tasks", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(r, 0, sizeof(*r));
	r->sc.namespaces = r->nss;
	r->subject = "admin";
	/* getopt_long over the subcommand's own arguments; its errors are
	 * ours to word (cli.h). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc + 1, argv - 1, ":s:p:l:n:No", opts,
	    NULL)) != -1)
		if (take_option(r, c, argv) != 0)
			return 2;
	if (optind != argc + 1)
		return tk_cli_usage_error("tasker-admin", SEE, "token takes "
		    "no operands");
	if (r->nperms == 0)
		r->perms[r->nperms++] = "*";
	return 0;
}

int
tk_admin_token(const struct tk_config *cfg, int argc, char **argv)
{
	struct token_req r;
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_auth *auth = NULL;
	char *token = NULL;
	int rc = 1;
	tk_err e;

	if (read_request(&r, argc, argv) != 0)
		return 2;
	if (tk_auth_init(&cfg->auth, &auth, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-admin: ");
		goto out;
	}
	e = tk_auth_mint_scope(auth, r.subject, r.perms, r.nperms, &r.sc,
	    (unsigned)r.lifetime, time(NULL), &token);
	if (e == TK_ERR_CONFIG)
		fprintf(stderr, "tasker-admin: no key can sign: set "
		    "auth.keys[].signing_key_file (jwt mode)\n");
	else if (e == TK_ERR_BAD_REQUEST)
		fprintf(stderr, "tasker-admin: invalid subject, permission "
		    "or namespace\n");
	else if (e != TK_OK)
		fprintf(stderr, "tasker-admin: %s\n", tk_err_name(e));
	else {
		puts(token);
		rc = 0;
	}
out:
	free(token);
	tk_auth_free(auth);
	tk_diag_free(&d);
	return rc;
}
