-- 0008_task_version.sql - a per-task change counter for cheap conditional
-- GETs, and the index of the stale-task filter.
--
-- row_version is bumped in the same transaction as every change of the
-- task, its steps or its transitions (src/store: the task status
-- compare-and-set and PATCH inline, every step transition and the step
-- writes that come without one through tk_task_version_bump).  The ETag
-- of a task answer derives from it, so If-None-Match is answered 304
-- after one primary-key read, without reading the steps.  ("version" is
-- taken: it is the handler's version.)
--
-- ix_tasks_status_updated (status, updated_at): GET /tasks?stale=true is
-- one range per status with a stale_after threshold (updated_at older
-- than the cut-off), and the tasker_tasks_stale gauge counts the same
-- ranges.
ALTER TABLE tasks
  ADD COLUMN row_version BIGINT UNSIGNED NOT NULL DEFAULT 1,
  ADD KEY ix_tasks_status_updated (status, updated_at);
