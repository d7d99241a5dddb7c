-- 0011_priority.sql - task priorities, and the claim order that ages them.
--
-- tasks.priority is the task's priority (-100..100, higher first; POST
-- /tasks "priority", else the handler's default_priority, else 0).
-- ix_tasks_priority (priority, id) serves GET /tasks?priority= /
-- priority_min= and sort=priority.
--
-- workflow_steps.priority is the task's, copied to every step when the
-- task is created (it never changes), so that the claim order is a
-- column of the step row itself:
--   claim_at = ready_at - priority seconds
-- a generated column, kept by MariaDB whenever ready_at changes (every
-- statement that makes a step ready or unready stays as it was).  The
-- claim reads ix_steps_claim in claim_at order: a step's effective
-- priority at time now is (now - claim_at) / 1 s = priority + seconds
-- waited since it became ready.  Each second of waiting is worth one
-- point of priority (aging), so a step is never overtaken by a step that
-- became ready more than (100 - priority) seconds after it: a steady
-- stream of urgent tasks delays a step by at most that long.  With every
-- priority 0, claim_at = ready_at and the order is the old FIFO one.
-- ix_steps_ready stays for the readiness probe and the ready counts.
ALTER TABLE tasks
  ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0,
  ADD KEY ix_tasks_priority (priority, id);

ALTER TABLE workflow_steps
  ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0,
  ADD COLUMN claim_at DATETIME(6)
    AS (ready_at - INTERVAL priority SECOND) PERSISTENT,
  ADD KEY ix_steps_claim (claim_at);
