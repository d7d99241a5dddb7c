# src/hooks: signed webhooks (Standard Webhooks).  sign.c: event names,
# secrets, signatures (pure); deliver.c: the worker's delivery rounds
# (libcurl).  The outbox's SQL is src/store/outbox_store.c; the events
# endpoint src/api/event_controller.c.
libtasker_a_SOURCES += \
	include/tasker/webhook.h src/hooks/sign.c \
	include/tasker/hooks.h src/hooks/deliver.c \
	include/tasker/outbox_store.h src/store/outbox_store.c \
	src/api/event_controller.c
t_unit_tests_SOURCES += t/unit/test_webhook.c
