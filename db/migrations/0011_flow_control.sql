-- 0011_flow_control.sql - task priorities, the claim order that ages them,
-- and the in-flight limits of step templates (max_in_flight).
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

-- max_in_flight (a step template's limit, tasker-handler(5)): the claim
-- of a limited step locks its key's row of flow_limits (INSERT ... ON
-- DUPLICATE KEY UPDATE: created and locked exclusively in one
-- statement, so every claim of one key across the fleet queues there),
-- counts the attempts of that key leased and unexpired (ix_steps_limit)
-- and takes the step only below the limit, writing the key on it.  A
-- record clears the lease and a dead worker's lease expires, so the slot
-- comes back with it without any bookkeeping of its own.
-- limit_key: "<namespace>/<handler>/<step>" of a step claimed under a
-- limit, else NULL.
CREATE TABLE flow_limits (
  limit_key  VARCHAR(200) NOT NULL,
  taken      BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (limit_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE workflow_steps
  ADD COLUMN limit_key VARCHAR(200) NULL,
  ADD KEY ix_steps_limit (limit_key, lease_expires_at);
