# src/admin: the larger subcommands of tasker-admin.
libtasker_a_SOURCES += \
	include/tasker/admin.h src/admin/handlers.c src/admin/token.c \
	src/admin/migrate.c src/admin/json.c \
	src/admin/check.c src/admin/tasks.c src/admin/health.c \
	src/admin/schedules.c src/admin/purge.c
# The command-line conventions of the three programs (util/cli.c).
t_unit_tests_SOURCES += t/unit/test_cli.c t/unit/test_admin.c
