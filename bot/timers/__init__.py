"""The escalation clock: APScheduler wakes the claimer; the database holds the timers."""
