-- 0009_webhooks.sql - the outbox of signed webhooks: events and their
-- deliveries, and the counters of delivery outcomes.
--
-- An event is written in the same transaction as the status change it
-- describes (src/store/outbox_store.c, called from the transition
-- store), one delivery row per subscription of tasker.yaml that wants
-- it, so a change that rolled back sends nothing and a committed one is
-- never lost.  Workers deliver (src/hooks/deliver.c): a delivery is due
-- while status is 'pending' and next_attempt_at <= now; a claim takes it
-- with SKIP LOCKED, counts the attempt and moves next_attempt_at past
-- the request's timeout (its lease: a worker that died leaves it due
-- again); the outcome is recorded compare-and-set on attempts.
-- msg_id is the webhook-id header: the same on every attempt.
-- Independent of any other migration.
CREATE TABLE webhook_events (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  msg_id        VARCHAR(64) NOT NULL,
  type          VARCHAR(32) NOT NULL,
  task_id       BINARY(16) NOT NULL,
  step_id       BIGINT UNSIGNED NULL,
  payload       LONGTEXT NOT NULL CHECK (JSON_VALID(payload)),
  created_at    DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_webhook_events_msg (msg_id),
  KEY ix_webhook_events_task (task_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE webhook_deliveries (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_id        BIGINT UNSIGNED NOT NULL,
  subscription    VARCHAR(64) NOT NULL,
  status          ENUM('pending','delivered','failed') NOT NULL
                    DEFAULT 'pending',
  attempts        INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NULL,
  last_status     SMALLINT UNSIGNED NULL,
  last_error      VARCHAR(1024) NULL,
  last_attempt_at DATETIME(6) NULL,
  created_at      DATETIME(6) NOT NULL,
  updated_at      DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_webhook_deliveries (event_id, subscription),
  KEY ix_webhook_deliveries_due (status, next_attempt_at),
  CONSTRAINT fk_webhook_deliveries_event FOREIGN KEY (event_id)
    REFERENCES webhook_events (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- tasker_webhook_deliveries_total{outcome}: one row per outcome, added
-- to in the transaction that records the attempt.
CREATE TABLE webhook_delivery_counts (
  outcome       ENUM('delivered','retried','failed') NOT NULL,
  n             BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (outcome)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO webhook_delivery_counts (outcome, n)
  VALUES ('delivered', 0), ('retried', 0), ('failed', 0);
