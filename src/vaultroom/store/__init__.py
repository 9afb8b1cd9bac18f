"""SQL only: functions take a session, run queries and never commit."""
