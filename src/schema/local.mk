# src/schema: JSON Schema validator (draft 7 keywords) for task contexts.
libtasker_a_SOURCES += \
	include/tasker/jsonschema.h \
	src/schema/internal.h \
	src/schema/compile.c \
	src/schema/validate.c \
	src/schema/value.c \
	src/schema/regex.c
t_unit_tests_SOURCES += t/unit/test_jsonschema.c
