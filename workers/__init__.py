"""The arq worker: sends outbox mail and runs the periodic jobs."""
