# src/auth: who is calling (JWT, REMOTE_USER, none) and what they may do.
libtasker_a_SOURCES += \
	include/tasker/perm.h src/auth/perm.c \
	include/tasker/auth.h src/auth/internal.h src/auth/auth.c \
	src/auth/keys.c src/auth/jwt.c src/auth/cache.c \
	src/auth/remote_user.c src/auth/mint.c
t_unit_tests_SOURCES += t/unit/test_perm.c t/unit/test_auth.c
