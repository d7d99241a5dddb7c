-- 0010_schedules_retention.sql - the state of recurring tasks (schedules:
-- in the handler YAML; the definitions themselves live in
-- handler_versions), and the count of what retention purged.
--
-- One row per (namespace, handler, schedule name), so a new version of
-- the handler keeps the state of a schedule of the same name.  last_tick
-- is the last fire time handled (started, or skipped by missed_ticks),
-- in seconds since the epoch; a row is made the first time a worker sees
-- the schedule, with last_tick = that moment, so no tick before it is
-- ever started.  paused: `tasker-admin schedules pause`; resuming sets
-- last_tick to the moment of the resume (ticks that fell while paused
-- are not started).  The task of each tick is created with an
-- Idempotency-Key derived from the schedule and the tick, which is what
-- makes it one task per tick however many workers look.
CREATE TABLE schedule_state (
  namespace     VARCHAR(64) NOT NULL,
  handler       VARCHAR(64) NOT NULL,
  schedule      VARCHAR(64) NOT NULL,
  paused        TINYINT(1) NOT NULL DEFAULT 0,
  last_tick     BIGINT NOT NULL,
  last_task_id  BINARY(16) NULL,
  updated_at    DATETIME(6) NOT NULL,
  PRIMARY KEY (namespace, handler, schedule)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What retention (tasker.yaml retention:, tasker-admin tasks purge) has
-- purged so far, per namespace and status: tasks, and the rows that went
-- with them.  Written in each purge's transaction; GET /metrics reads it
-- (tasker_tasks_purged_total, tasker_purged_rows_total).
CREATE TABLE purge_counts (
  namespace     VARCHAR(64) NOT NULL,
  status        VARCHAR(32) NOT NULL,
  tasks         BIGINT UNSIGNED NOT NULL DEFAULT 0,
  steps         BIGINT UNSIGNED NOT NULL DEFAULT 0,
  transitions   BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (namespace, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
