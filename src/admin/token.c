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

#define MAX_PERMS 256

int
tk_admin_token(const struct tk_config *cfg, int argc, char **argv)
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
	const char *perms[MAX_PERMS], *nss[TK_NS_MAX_COUNT], *subject = "admin";
	struct tk_token_scope sc = { nss, 0, 0, 0 };
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_auth *auth = NULL;
	unsigned long lifetime = 0;
	size_t nperms = 0;
	char *token = NULL, *end;
	int c, rc = 1;
	tk_err e;

	/* getopt_long over the subcommand's own arguments; its errors are
	 * ours to word (cli.h). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc + 1, argv - 1, ":s:p:l:n:No", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			subject = optarg;
			break;
		case 'p':
			if (nperms == MAX_PERMS) {
				return tk_cli_usage_error("tasker-admin", SEE,
				    "at most %d permissions", MAX_PERMS);
			}
			perms[nperms++] = optarg;
			break;
		case 'n':
			if (sc.nnamespaces == TK_NS_MAX_COUNT) {
				return tk_cli_usage_error("tasker-admin", SEE,
				    "at most %d namespaces", TK_NS_MAX_COUNT);
			}
			nss[sc.nnamespaces++] = optarg;
			sc.limit_namespaces = 1;
			break;
		case 'N':
			sc.limit_namespaces = 1;
			break;
		case 'o':
			sc.own_tasks = 1;
			break;
		case 'l':
			errno = 0;
			lifetime = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || lifetime == 0 ||
			    lifetime > 31536000) {
				return tk_cli_usage_error("tasker-admin", SEE,
				    "--lifetime must be 1..31536000 seconds");
			}
			break;
		default:
			return tk_cli_option_error("tasker-admin", SEE, c,
			    optopt, argv[optind - 2]);
		}
	}
	if (optind != argc + 1)
		return tk_cli_usage_error("tasker-admin", SEE, "token takes "
		    "no operands");
	if (nperms == 0)
		perms[nperms++] = "*";
	if (tk_auth_init(&cfg->auth, &auth, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-admin: ");
		goto out;
	}
	e = tk_auth_mint_scope(auth, subject, perms, nperms, &sc,
	    (unsigned)lifetime, time(NULL), &token);
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
