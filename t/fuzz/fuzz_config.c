/*
 * fuzz_config.c - libFuzzer driver for tasker.yaml (tk_config_load): any
 * bytes as the configuration file, loaded over the defaults, then freed.
 * A file that loads must leave the struct in the ranges config.h states.
 *
 * The input is written to a file in a private temporary folder (the
 * loader takes a path, and resolves relative paths against its folder),
 * which is removed at exit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tasker/config.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static char dir[] = "/tmp/tasker-fuzz-config.XXXXXX";
static char path[sizeof(dir) + 16];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/tasker.yaml", dir);
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tk_diag d = TK_DIAG_INIT;
	struct tk_config cfg;
	FILE *f;
	tk_err e;

	if (size > 65536 || (f = fopen(path, "wb")) == NULL)
		return 0;
	if (fwrite(data, 1, size, f) != size) {
		fclose(f);
		return 0;
	}
	fclose(f);
	memset(&cfg, 0, sizeof(cfg));
	e = tk_config_load(path, &cfg, &d);
	if (e == TK_OK) {
		CHECK(cfg.db.connect_timeout >= 1 && cfg.db.connect_timeout <= 60);
		CHECK(cfg.db.read_timeout >= 1 && cfg.db.read_timeout <= 3600);
		CHECK(cfg.auth.leeway_seconds <= 600);
		CHECK(cfg.auth.max_token_bytes >= 256 &&
		    cfg.auth.max_token_bytes <= 65536);
		CHECK(cfg.worker.processes >= 1 && cfg.worker.processes <= 256);
		CHECK(cfg.api.mount_prefix != NULL);
		CHECK(cfg.api.default_per_page >= 1 &&
		    cfg.api.default_per_page <= cfg.api.max_per_page);
	} else
		CHECK(e != TK_ERR_CONFIG || d.n > 0);
	tk_config_free(&cfg);
	tk_diag_free(&d);
	return 0;
}
