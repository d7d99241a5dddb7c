# src/config: tasker.yaml reader (libyaml), defaults and validation.
libtasker_a_SOURCES += include/tasker/config.h src/config/config.c
t_unit_tests_SOURCES += t/unit/test_config.c
