# src/api: the REST API: route table, pipeline, controllers, JSON shaping.
libtasker_a_SOURCES += \
	include/tasker/api.h src/api/dispatch.c src/api/respond.c \
	src/api/handlers.c src/api/schedules.c src/api/task_export.c \
	include/tasker/task_export.h
