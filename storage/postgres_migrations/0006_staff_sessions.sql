-- 0006: signed-in staff browsers (bot/staff/web/sessions.py), so any instance of the bot
-- serves any staff member. Kept by the sha256 of the cookie's token, never the token.
CREATE TABLE staff_sessions (
    token_sha256 text PRIMARY KEY,
    expires_at   double precision NOT NULL,
    data         text NOT NULL
);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);
