# src/admin: the larger subcommands of tasker-admin.
libtasker_a_SOURCES += \
	include/tasker/admin.h src/admin/handlers.c src/admin/token.c \
	src/admin/check.c
