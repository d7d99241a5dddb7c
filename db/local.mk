# db/migrations: applied in order by `tasker-admin migrate`.
