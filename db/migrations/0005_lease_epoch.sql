-- 0005_lease_epoch.sql - the lease epoch of a step: the fencing token.
--
-- Every claim of a step adds one to lease_epoch (in the same UPDATE that
-- writes the lease), so it grows with every attempt and never goes back,
-- not even when a released attempt is not counted in attempts.  The
-- handler gets "<attempt>.<lease_epoch>" as its fencing token (stdin and
-- TASKER_FENCING_TOKEN) and can make its side effects conditional on it:
-- when a host froze and two attempts of one step overlap, the later one
-- has the larger epoch.  Existing steps start at 0.  Independent of any
-- other migration.
ALTER TABLE workflow_steps
  ADD COLUMN lease_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0;
