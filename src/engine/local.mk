# src/engine: the state machine (state.c) and the worker's engine.
libtasker_a_SOURCES += include/tasker/state.h src/engine/state.c
t_unit_tests_SOURCES += t/unit/test_state.c
# The engine: retry delays, the exec runner, claim/run/record/reap
# (engine.c orchestrates; keeper.c, attempt.c, record.c and lease.c are
# its parts, sharing internal.h), the handler protocol's documents
# (protocol.c), and the tasker-worker process tree.
libtasker_a_SOURCES += \
	include/tasker/backoff.h src/engine/backoff.c \
	include/tasker/exec.h src/engine/exec.c \
	include/tasker/engine.h src/engine/internal.h src/engine/engine.c \
	src/engine/keeper.c src/engine/attempt.c src/engine/record.c \
	src/engine/limits.c \
	src/engine/protocol.c src/engine/lease.c \
	include/tasker/worker.h src/engine/worker.c \
	include/tasker/wake.h src/engine/wake.c
t_unit_tests_SOURCES += t/unit/test_engine_backoff.c \
	t/unit/test_engine_exec.c t/unit/test_engine.c \
	t/unit/test_engine_flow_run.c
