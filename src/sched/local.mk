# src/sched: recurring tasks - cron expressions and their fire times in a
# time zone (cron.c).
libtasker_a_SOURCES += include/tasker/cron.h src/sched/cron.c
t_unit_tests_SOURCES += t/unit/test_cron.c t/unit/test_schedules.c \
	t/unit/test_retention.c
# The worker's housekeeping: due schedule ticks (schedule.c), retention
# (retention.c), each duty when it is due (housekeep.c).
libtasker_a_SOURCES += include/tasker/sched.h src/sched/housekeep.c \
	src/sched/schedule.c src/sched/retention.c
