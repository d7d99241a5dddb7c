-- 0004_created_by.sql - who created each task, for scoped callers.
--
-- created_by is the authenticated subject of the request that created
-- the task (the JWT "sub", the REMOTE_USER name, or "anonymous" in auth
-- mode none), written in the create transaction and never changed; the
-- client cannot set it (initiator stays the client's free text).
-- VARCHAR(256): a subject is at most 256 bytes, stored whole, so two
-- subjects never share a value.  Tasks created before this migration
-- keep NULL: their creator was never recorded, and copying the
-- client-chosen initiator would hand them to whoever that text names.
--
-- ix_tasks_created_by serves GET /tasks?created_by= and the lists of
-- callers limited to their own tasks: the newest rows of one subject are
-- read off the index in id order, without a sort.
ALTER TABLE tasks
  ADD COLUMN created_by VARCHAR(256) NULL AFTER initiator,
  ADD KEY ix_tasks_created_by (created_by, id);
