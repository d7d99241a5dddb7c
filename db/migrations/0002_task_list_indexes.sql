-- 0002_task_list_indexes.sql - an index for every filter of GET /tasks.
--
-- GET /tasks filters by namespace, name, version and status in any
-- combination and lists newest first (id descending).  0001 covers the
-- namespace and namespace+name prefixes and the handler version (all
-- three names at once); these cover the rest, each ending in id so the
-- newest rows of a filter are read straight off the index, without a
-- sort.  A status filter of several values is served by one ordered scan
-- per status (see src/store/task_store.c).
ALTER TABLE tasks
  ADD KEY ix_tasks_ver (version, id),
  ADD KEY ix_tasks_ver_status (version, status, id),
  ADD KEY ix_tasks_ns_ver (namespace, version, id),
  ADD KEY ix_tasks_ns_ver_status (namespace, version, status, id),
  ADD KEY ix_tasks_name (name, id),
  ADD KEY ix_tasks_name_status (name, status, id),
  ADD KEY ix_tasks_name_ver (name, version, id),
  ADD KEY ix_tasks_name_ver_status (name, version, status, id);
