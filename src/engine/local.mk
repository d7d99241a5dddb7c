# src/engine: the state machine (state.c) and the worker's engine.
libtasker_a_SOURCES += include/tasker/state.h src/engine/state.c
t_unit_tests_SOURCES += t/unit/test_state.c
