// Schedules, cron expressions and the runner.
