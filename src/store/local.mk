# src/store: the only place with SQL.
libtasker_a_SOURCES += \
	include/tasker/db.h src/store/rows.h src/store/db.c \
	include/tasker/migrate.h src/store/migrate.c
t_unit_tests_SOURCES += t/unit/test_migrate.c t/unit/test_catalog.c
libtasker_a_SOURCES += \
	include/tasker/store.h src/store/registry.h \
	src/store/registry_store.c \
	include/tasker/catalog.h src/store/catalog.c \
	include/tasker/scan_store.h src/store/scan_store.c \
	include/tasker/probe.h src/store/probe.c \
	include/tasker/step_store.h src/store/step_store.c \
	include/tasker/transition_store.h src/store/transition_store.c \
	include/tasker/task_store.h src/store/task_rows.h \
	src/store/task_create.c src/store/task_read.c src/store/task_list.c \
	src/store/task_ops.c \
	include/tasker/schedule_store.h src/store/schedule_store.c \
	include/tasker/purge_store.h src/store/purge_store.c
