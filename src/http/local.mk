# src/http: requests, responses, paths, query strings, the router.
libtasker_a_SOURCES += \
	include/tasker/http.h \
	src/http/request.c \
	src/http/response.c \
	src/http/router.c \
	src/http/uri.c
t_unit_tests_SOURCES += \
	t/unit/test_http.c \
	t/unit/test_query.c \
	t/unit/test_router.c
