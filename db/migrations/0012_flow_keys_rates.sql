-- 0012_flow_keys_rates.sql - concurrency keys, handler-level limits and
-- rate limits of step templates (tasker-handler(5)).
--
-- Step-level limits (max_in_flight, concurrency: {key, limit}) keep the
-- slot mechanism of 0011: the claim locks the key's row of flow_limits,
-- counts the leased attempts carrying that limit_key and marks the step.
-- A concurrency key's limit_key is "k:" and the hex SHA-256 of
-- "<namespace>/<handler>/<step>" NUL "<value of the key>", so that any
-- value fits the column.
--
-- task_limit_key: a handler-level limit (concurrency: or max_in_flight:
-- at the top of the YAML): "t:" and the hex SHA-256 of
-- "<namespace>/<handler>" NUL "<value of the key>" (no key: an empty
-- value), written on every step of the handler claimed under it.  At
-- most N tasks have a step leased with one task_limit_key at once: a
-- claim counts the other tasks leased with it (ix_steps_task_limit) and
-- is free when its own task already has a step leased.
ALTER TABLE workflow_steps
  ADD COLUMN task_limit_key VARCHAR(80) NULL,
  ADD KEY ix_steps_task_limit (task_limit_key, lease_expires_at, task_id);

-- rate_limit: {limit, period} of a step template: one row per template
-- ("<namespace>/<handler>/<step>"), the GCRA's theoretical arrival time
-- in microseconds of the database clock (TIMESTAMPDIFF from the epoch of
-- UTC_TIMESTAMP(6)).  A start is allowed when tat_us <= now; it moves
-- tat_us to max(tat_us, now) + period / limit.  limited counts the
-- claims held back (tasker_rate_limited_total in /metrics).  Locked by
-- the claim's transaction (INSERT ... ON DUPLICATE KEY UPDATE), so every
-- start of one template across the fleet queues on it.
CREATE TABLE flow_rates (
  rate_key   VARCHAR(200) NOT NULL,
  tat_us     BIGINT NOT NULL DEFAULT 0,
  limited    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (rate_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
