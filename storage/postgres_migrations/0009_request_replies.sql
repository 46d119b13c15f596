-- 0009: whether a processed request's reply was sent (the door marks it, after sending,
-- with mark_request) and when it was claimed, or taken over by the instance that
-- answers a redelivery of a request whose first instance died before replying
-- (storage/postgres_turns.py). Ids claimed before this migration count as answered.
ALTER TABLE processed_requests
    ADD COLUMN replied boolean NOT NULL DEFAULT false,
    ADD COLUMN claimed_at timestamptz NOT NULL DEFAULT now();
UPDATE processed_requests SET replied = true;
