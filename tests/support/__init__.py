"""Stand-ins for the services the bot talks to, for tests and benchmarks."""
