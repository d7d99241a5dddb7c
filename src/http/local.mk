# src/http: requests, responses, paths, query strings, the router, and
# the FastCGI transport (the only user of libfcgi).
libtasker_a_SOURCES += \
	include/tasker/http.h \
	include/tasker/fcgi.h \
	src/http/internal.h \
	src/http/cors.c \
	src/http/fcgi.c \
	src/http/request.c \
	src/http/response.c \
	src/http/router.c \
	src/http/uri.c
t_unit_tests_SOURCES += \
	t/unit/test_http.c \
	t/unit/test_cors.c \
	t/unit/test_fcgi.c t/unit/fcgi_client.c t/unit/fcgi_client.h \
	t/unit/test_query.c \
	t/unit/test_router.c
