# src/tasks: the task API (issue 5).  Pure helpers live here; the
# controllers in src/api/task*.c and the SQL in src/store/task_store.c are
# listed here too, so the whole area is declared in one place.
libtasker_a_SOURCES += \
	include/tasker/tasks.h src/tasks/uuid.c src/tasks/json.c \
	src/tasks/request.c src/tasks/page.c src/tasks/deps.c \
	src/tasks/jsonout.c \
	include/tasker/task_store.h src/store/task_store.c \
	include/tasker/task_api.h src/api/task_json.c src/api/tasks.c \
	src/api/task_ops.c
t_unit_tests_SOURCES += t/unit/test_tasks.c t/unit/test_tasks_schema.c \
	t/unit/test_task_json.c
