/*
 * tasks.h - kept only for the files that still include it (the engine and
 * the admin CLI use the task ids): the task API's helpers now have one
 * header per module, uuid.h, body_parser.h, json_writer.h,
 * task_request.h, page.h and deps.h.  Include the one you need; this file
 * goes once nothing includes it.
 */
#ifndef TASKER_TASKS_H
#define TASKER_TASKS_H

#include "tasker/uuid.h"

#endif
