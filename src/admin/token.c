/*
 * token.c - `tasker-admin token`: mint a JWT with the configured signing
 * key, for operators and for `contrib/quickstart token`.
 *
 *   tasker-admin token [--subject S] [--permission P]... [--lifetime SECONDS]
 *
 * With no --permission the token carries "*" (every permission).  The token
 * goes to stdout and nowhere else.
 */
#include "tasker/admin.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tasker/auth.h"

#define MAX_PERMS 256

int
tk_admin_token(const struct tk_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "permission", required_argument, NULL, 'p' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	const char *perms[MAX_PERMS], *subject = "admin";
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_auth *auth = NULL;
	unsigned long lifetime = 0;
	size_t nperms = 0;
	char *token = NULL, *end;
	int c, rc = 1;
	tk_err e;

	/* getopt_long over the subcommand's own arguments. */
	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "s:p:l:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			subject = optarg;
			break;
		case 'p':
			if (nperms == MAX_PERMS) {
				fprintf(stderr, "tasker-admin: at most %d "
				    "permissions\n", MAX_PERMS);
				return 2;
			}
			perms[nperms++] = optarg;
			break;
		case 'l':
			errno = 0;
			lifetime = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || lifetime == 0 ||
			    lifetime > 31536000) {
				fprintf(stderr, "tasker-admin: --lifetime must be "
				    "1..31536000 seconds\n");
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (optind != argc + 1) {
		fprintf(stderr, "tasker-admin: token takes no operands\n");
		return 2;
	}
	if (nperms == 0)
		perms[nperms++] = "*";
	if (tk_auth_init(&cfg->auth, &auth, &d) != TK_OK) {
		tk_diag_print(&d, stderr, "tasker-admin: ");
		goto out;
	}
	e = tk_auth_mint(auth, subject, perms, nperms, (unsigned)lifetime,
	    time(NULL), &token);
	if (e == TK_ERR_CONFIG)
		fprintf(stderr, "tasker-admin: no key can sign: set "
		    "auth.keys[].signing_key_file (jwt mode)\n");
	else if (e == TK_ERR_BAD_REQUEST)
		fprintf(stderr, "tasker-admin: invalid subject or permission\n");
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
