# db/migrations: applied in order by `tasker-admin migrate`; installed to
# $(pkgdatadir)/migrations.
dist_migrations_DATA += db/migrations/0001_initial_schema.sql
dist_migrations_DATA += db/migrations/0002_task_list_indexes.sql
dist_migrations_DATA += db/migrations/0003_step_status_index.sql
dist_migrations_DATA += db/migrations/0004_created_by.sql
dist_migrations_DATA += db/migrations/0005_lease_epoch.sql
dist_migrations_DATA += db/migrations/0006_task_filters.sql
dist_migrations_DATA += db/migrations/0008_task_version.sql
dist_migrations_DATA += db/migrations/0009_webhooks.sql
dist_migrations_DATA += db/migrations/0010_schedules_retention.sql
dist_migrations_DATA += db/migrations/0011_flow_control.sql
dist_migrations_DATA += db/migrations/0012_flow_keys_rates.sql
