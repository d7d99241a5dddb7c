-- 0001_initial_schema.sql - namespaces, handler versions, tasks, step runs,
-- transitions, idempotency keys, counters and worker heartbeats.
--
-- Conventions: InnoDB, utf8mb4 with binary collation for identifiers (names
-- compare byte for byte, as the API does), DATETIME(6) in UTC (every
-- connection sets time_zone '+00:00'), JSON kept as LONGTEXT checked with
-- JSON_VALID.  Nothing here needs more than ALL on the database: no
-- triggers, routines or events.

CREATE TABLE namespaces (
  id            INT UNSIGNED NOT NULL AUTO_INCREMENT,
  name          VARCHAR(64) NOT NULL,
  description   VARCHAR(1024) NOT NULL DEFAULT '',
  created_at    DATETIME(6) NOT NULL,
  updated_at    DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_namespaces_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A handler version is immutable once loaded: the definition (canonical
-- JSON, environment overrides merged) and its SHA-256 never change.
-- v_major/v_minor/v_patch/v_prerelease let SQL narrow by version; exact
-- semver precedence (pre-release identifiers) is decided in C.
CREATE TABLE handler_versions (
  id            INT UNSIGNED NOT NULL AUTO_INCREMENT,
  namespace_id  INT UNSIGNED NOT NULL,
  name          VARCHAR(64) NOT NULL,
  version       VARCHAR(64) NOT NULL,
  v_major       INT UNSIGNED NOT NULL,
  v_minor       INT UNSIGNED NOT NULL,
  v_patch       INT UNSIGNED NOT NULL,
  v_prerelease  VARCHAR(64) NOT NULL DEFAULT '',
  description   TEXT NULL,
  definition    LONGTEXT NOT NULL CHECK (JSON_VALID(definition)),
  content_hash  CHAR(64) NOT NULL,
  source        VARCHAR(1024) NULL,
  created_at    DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_handler_versions (namespace_id, name, version),
  CONSTRAINT fk_handler_versions_namespace FOREIGN KEY (namespace_id)
    REFERENCES namespaces (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per change of the registry, so every tasker-fcgi process can see
-- with one cheap query whether its cached registry is stale.
CREATE TABLE registry_generation (
  id            TINYINT UNSIGNED NOT NULL,
  generation    BIGINT UNSIGNED NOT NULL,
  changed_at    DATETIME(6) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO registry_generation (id, generation, changed_at)
  VALUES (1, 0, UTC_TIMESTAMP(6));

-- Tasks.  id is a UUIDv7 (time-ordered), so the primary index is
-- append-only and "newest first" is "id descending".  namespace/name/
-- version are denormalised from the handler version for filtering.
CREATE TABLE tasks (
  id                 BINARY(16) NOT NULL,
  handler_version_id INT UNSIGNED NOT NULL,
  namespace          VARCHAR(64) NOT NULL,
  name               VARCHAR(64) NOT NULL,
  version            VARCHAR(64) NOT NULL,
  status             ENUM('pending','in_progress','complete','error',
                          'cancelled','resolved_manually') NOT NULL DEFAULT 'pending',
  context            LONGTEXT NOT NULL CHECK (JSON_VALID(context)),
  initiator          VARCHAR(255) NULL,
  source_system      VARCHAR(255) NULL,
  reason             VARCHAR(1024) NULL,
  tags               LONGTEXT NULL CHECK (tags IS NULL OR JSON_VALID(tags)),
  created_at         DATETIME(6) NOT NULL,
  updated_at         DATETIME(6) NOT NULL,
  completed_at       DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY ix_tasks_status (status, id),
  KEY ix_tasks_hv (handler_version_id, id),
  KEY ix_tasks_hv_status (handler_version_id, status, id),
  KEY ix_tasks_ns (namespace, id),
  KEY ix_tasks_ns_status (namespace, status, id),
  KEY ix_tasks_ns_name (namespace, name, id),
  KEY ix_tasks_ns_name_status (namespace, name, status, id),
  CONSTRAINT fk_tasks_handler_version FOREIGN KEY (handler_version_id)
    REFERENCES handler_versions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Task counts per (handler version, status), spread over a few slots so
-- concurrent writers do not queue on one row lock; kept in the same
-- transaction as every insert and status change.  SUM(n) answers
-- total_count without COUNT(*) over millions of index entries.
CREATE TABLE task_counts (
  handler_version_id INT UNSIGNED NOT NULL,
  status             ENUM('pending','in_progress','complete','error',
                          'cancelled','resolved_manually') NOT NULL,
  slot               TINYINT UNSIGNED NOT NULL,
  n                  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (handler_version_id, status, slot)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Step runs.  position is the step's index in the definition.
-- ready_at is set exactly when the step may be claimed (pending or failed
-- with attempts left, every parent done, task not cancelled) and NULL
-- otherwise, so the claim query is one range scan of ix_steps_ready.
CREATE TABLE workflow_steps (
  id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  task_id           BINARY(16) NOT NULL,
  position          SMALLINT UNSIGNED NOT NULL,
  name              VARCHAR(64) NOT NULL,
  status            ENUM('pending','in_progress','complete','error',
                         'cancelled','resolved_manually') NOT NULL DEFAULT 'pending',
  attempts          INT UNSIGNED NOT NULL DEFAULT 0,
  retry_limit       INT UNSIGNED NOT NULL,
  retryable         TINYINT(1) NOT NULL,
  skippable         TINYINT(1) NOT NULL,
  unmet_parents     SMALLINT UNSIGNED NOT NULL,
  results           LONGTEXT NULL CHECK (results IS NULL OR JSON_VALID(results)),
  last_error        TEXT NULL,
  ready_at          DATETIME(6) NULL,
  lease_owner       VARCHAR(128) NULL,
  lease_expires_at  DATETIME(6) NULL,
  started_at        DATETIME(6) NULL,
  completed_at      DATETIME(6) NULL,
  created_at        DATETIME(6) NOT NULL,
  updated_at        DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_steps_task_name (task_id, name),
  KEY ix_steps_task_position (task_id, position),
  KEY ix_steps_ready (ready_at),
  KEY ix_steps_lease (lease_expires_at),
  CONSTRAINT fk_steps_task FOREIGN KEY (task_id) REFERENCES tasks (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The audit trail: every status change of a task or a step, with who
-- asked (a principal, or "worker:<id>") and why.
CREATE TABLE task_transitions (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  task_id      BINARY(16) NOT NULL,
  from_status  VARCHAR(32) NULL,
  to_status    VARCHAR(32) NOT NULL,
  actor        VARCHAR(255) NULL,
  reason       VARCHAR(1024) NULL,
  created_at   DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_task_transitions_task (task_id, id),
  CONSTRAINT fk_task_transitions_task FOREIGN KEY (task_id) REFERENCES tasks (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE step_transitions (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  step_id      BIGINT UNSIGNED NOT NULL,
  task_id      BINARY(16) NOT NULL,
  from_status  VARCHAR(32) NULL,
  to_status    VARCHAR(32) NOT NULL,
  attempt      INT UNSIGNED NOT NULL DEFAULT 0,
  actor        VARCHAR(255) NULL,
  reason       VARCHAR(1024) NULL,
  created_at   DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_step_transitions_step (step_id, id),
  KEY ix_step_transitions_task (task_id, id),
  CONSTRAINT fk_step_transitions_step FOREIGN KEY (step_id)
    REFERENCES workflow_steps (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Idempotency-Key of POST /tasks: per principal, the request's hash and
-- the task it created, kept until expires_at.
CREATE TABLE idempotency_keys (
  principal     VARCHAR(255) NOT NULL,
  idem_key      VARCHAR(255) NOT NULL,
  request_hash  CHAR(64) NOT NULL,
  task_id       BINARY(16) NOT NULL,
  created_at    DATETIME(6) NOT NULL,
  expires_at    DATETIME(6) NOT NULL,
  PRIMARY KEY (principal, idem_key),
  KEY ix_idempotency_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Worker heartbeats, so operators see who is alive.
CREATE TABLE workers (
  id            VARCHAR(128) NOT NULL,
  host          VARCHAR(255) NOT NULL,
  pid           INT UNSIGNED NOT NULL,
  processes     INT UNSIGNED NOT NULL,
  started_at    DATETIME(6) NOT NULL,
  heartbeat_at  DATETIME(6) NOT NULL,
  stopped_at    DATETIME(6) NULL,
  PRIMARY KEY (id),
  KEY ix_workers_heartbeat (heartbeat_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
