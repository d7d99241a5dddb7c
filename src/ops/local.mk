# src/ops: operations - the shared metrics segment; the SQL of the health
# and metrics endpoints is src/store/probe.c, their controllers
# src/api/ops.c.
libtasker_a_SOURCES += \
	include/tasker/metrics.h src/ops/metrics.c \
	include/tasker/ops.h src/api/ops.c \
	include/tasker/health.h src/ops/health.c
t_unit_tests_SOURCES += t/unit/test_metrics.c t/unit/test_metrics_openapi.c

# The OpenAPI document served at GET <mount>/api-docs.json.
openapidir = $(pkgdatadir)
dist_openapi_DATA = contrib/openapi/openapi.json

# Headless-browser tests (t/browser) go into the tarball with the rest.
EXTRA_DIST += t/browser
