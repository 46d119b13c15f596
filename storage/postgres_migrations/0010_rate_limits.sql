-- 0010: the counters of the per-client limits (bot/ratelimit.py: the web chat's
-- per-visitor and per-address rates, the /status lookup code's backoff and budget, the
-- staff sign-in throttle), so that N instances give a client no more tries than one.
-- One row per (scope, key): ``n`` is a token bucket's level or a backoff's failures in a
-- row, ``at`` when it was last changed (the bot's clock, POSIX seconds), ``stale_at``
-- when the row is no different from none at all (a full bucket, a long-past backoff):
-- rows past it are pruned (storage/postgres_limits.py).
CREATE TABLE rate_limits (
    scope    text NOT NULL,
    key      text NOT NULL,
    n        double precision NOT NULL,
    at       double precision NOT NULL,
    stale_at double precision NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX rate_limits_stale ON rate_limits (stale_at);
