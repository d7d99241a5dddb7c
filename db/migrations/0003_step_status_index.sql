-- 0003_step_status_index.sql - an index for the step counts of
-- /health/status and /metrics.
--
-- They count workflow_steps by status (tasker_steps{status}).  Without an
-- index that is a scan of the whole table, rows and all: about 2 s at
-- 1,000,000 tasks (4M steps).  Over this narrow index (status, and the
-- primary key InnoDB adds) the same count reads a tenth of the bytes and
-- took 0.3 s there.  It still grows with the table; the cost on writes is
-- one index entry moved per step status change.
ALTER TABLE workflow_steps
  ADD KEY ix_steps_status (status);
