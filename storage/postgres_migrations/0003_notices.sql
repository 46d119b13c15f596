-- 0003: notices to people (storage.records.Notice, bot/notices.py), stored before any
-- delivery is tried. The undelivered ones are found through partial indexes, so a
-- mailbox check on every request never reads delivered notices.
CREATE TABLE notices (
    notice_id    text PRIMARY KEY,
    seq          bigserial NOT NULL,
    user_id      text NOT NULL,
    created_at   double precision NOT NULL,
    delivered_at double precision,
    data         text NOT NULL
);
CREATE INDEX notices_undelivered ON notices (created_at, seq) WHERE delivered_at IS NULL;
CREATE INDEX notices_undelivered_user ON notices (user_id, created_at, seq)
    WHERE delivered_at IS NULL;
