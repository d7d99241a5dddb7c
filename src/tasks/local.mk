# src/tasks: the task API's pure helpers (issue 5), one header each: task
# ids, the strict body parser, the JSON writer, the request fields,
# pagination, the dependency analysis.  The controllers in src/api/task*.c
# are listed here too; the task store's SQL is in src/store/local.mk.
libtasker_a_SOURCES += \
	include/tasker/tasks.h \
	include/tasker/uuid.h src/tasks/uuid.c \
	include/tasker/body_parser.h src/tasks/body_parser.c \
	include/tasker/json_writer.h src/tasks/json_writer.c \
	include/tasker/task_request.h src/tasks/task_request.c \
	include/tasker/page.h src/tasks/page.c \
	include/tasker/deps.h src/tasks/deps.c \
	include/tasker/task_api.h src/api/task_support.c \
	src/api/task_controller.c src/api/task_ops_controller.c \
	include/tasker/task_writer.h src/api/task_writer.c
t_unit_tests_SOURCES += t/unit/test_tasks.c t/unit/test_tasks_schema.c \
	t/unit/test_task_json.c t/unit/test_cursor.c
