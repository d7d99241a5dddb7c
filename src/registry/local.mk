# src/registry: handler definitions - semver, DAG analysis, YAML to JSON,
# validation (handler.c, exec_config.c, steps.c), canonical JSON and hash,
# diff, loading files and folders.
libtasker_a_SOURCES += \
	include/tasker/semver.h src/registry/semver.c \
	include/tasker/dag.h src/registry/dag.c \
	include/tasker/yamljson.h src/registry/yamljson.c \
	include/tasker/handler.h src/registry/internal.h \
	src/registry/handler.c src/registry/exec_config.c src/registry/steps.c \
	src/registry/canon.c src/registry/diff.c \
	src/registry/defset.c src/registry/schedules.c \
	src/registry/flow.c
t_unit_tests_SOURCES += t/unit/test_semver.c t/unit/test_dag.c \
	t/unit/test_semver_range.c \
	t/unit/test_handler.c
