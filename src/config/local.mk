# src/config: tasker.yaml, read through registry/yamljson.c: defaults and
# loading (config.c), the walk and value rules (walk.c), the tables of
# known keys (fields.c), the checks between fields (cross.c).
libtasker_a_SOURCES += include/tasker/config.h src/config/internal.h \
	src/config/config.c src/config/walk.c src/config/fields.c \
	src/config/cross.c src/config/retention.c
t_unit_tests_SOURCES += t/unit/test_config.c
