-- 0006_task_filters.sql - indexes for the GET /tasks filters on tags,
-- initiator, source_system and created_at (created_by has 0004's).
--
-- Each filter is served by an index whose rows come in id order (newest
-- first: ids are UUIDv7), so a page reads the index up to offset + limit
-- and the other filters are conditions on those rows:
--   tags=a,b       task_tags' primary key (tag, task_id) for the first
--                  tag; the task must hold every tag given (JSON_CONTAINS
--                  on tasks.tags, the column the API shows)
--   initiator=     ix_tasks_initiator (initiator, id)
--   source_system= ix_tasks_source_system (source_system, id)
--   created_after= / created_before=
--                  ix_tasks_created_at (created_at, id): the range is read
--                  off the index, its rows sorted by id (cost grows with
--                  the tasks in the range)
-- task_tags holds one row per tag of a task, written with the task and
-- rewritten when PATCH /tasks/{id} changes its tags (src/store/
-- task_create.c, task_ops.c); tasks.tags stays the task's own list, in
-- its order.  Existing tasks' tags are copied here.  VARCHAR(64): a tag
-- is 1 to 64 bytes (TK_TAG_MAX).
CREATE TABLE task_tags (
  tag      VARCHAR(64) NOT NULL,
  task_id  BINARY(16) NOT NULL,
  PRIMARY KEY (tag, task_id),
  KEY ix_task_tags_task (task_id),
  CONSTRAINT fk_task_tags_task FOREIGN KEY (task_id) REFERENCES tasks (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO task_tags (tag, task_id)
  SELECT j.tag, t.id FROM tasks t,
    JSON_TABLE(t.tags, '$[*]' COLUMNS (tag VARCHAR(64) CHARACTER SET utf8mb4
      COLLATE utf8mb4_bin PATH '$')) j
  WHERE t.tags IS NOT NULL AND j.tag IS NOT NULL;

ALTER TABLE tasks
  ADD KEY ix_tasks_initiator (initiator, id),
  ADD KEY ix_tasks_source_system (source_system, id),
  ADD KEY ix_tasks_created_at (created_at, id);
