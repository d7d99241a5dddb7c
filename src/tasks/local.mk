# src/tasks: the task API's pure helpers (files listed by their owner)
