# src/util: error enum, buffers, the JSON string escaper, key-sorted
# canonical JSON, string lists, diagnostics, logging, UTF-8, hex digits,
# the monotonic clock, array allocation, reading a whole small file.
libtasker_a_SOURCES += \
	include/tasker/error.h src/util/error.c \
	include/tasker/cli.h src/util/cli.c \
	include/tasker/buf.h src/util/buf.c \
	include/tasker/json_str.h src/util/json_str.c \
	include/tasker/json_canon.h src/util/json_canon.c \
	include/tasker/strlist.h src/util/strlist.c \
	include/tasker/diag.h src/util/diag.c \
	include/tasker/log.h src/util/log.c \
	include/tasker/utf8.h src/util/utf8.c \
	include/tasker/hex.h src/util/hex.c \
	include/tasker/clock.h src/util/clock.c \
	include/tasker/alloc.h src/util/alloc.c \
	include/tasker/file.h src/util/file.c \
	include/tasker/duration.h src/util/duration.c \
	include/tasker/flow.h src/util/flow.c
t_unit_tests_SOURCES += t/unit/test_util.c t/unit/test_flow_util.c
