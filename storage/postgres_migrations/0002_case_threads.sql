-- 0002: each case's thread with staff (storage.records.CaseMessage): its state on the
-- index row, so the staff list filters and counts without opening threads.
ALTER TABLE cases
    ADD COLUMN message_count   integer NOT NULL DEFAULT 0,
    ADD COLUMN unread_messages integer NOT NULL DEFAULT 0,
    ADD COLUMN last_message_at double precision,
    ADD COLUMN thread_done     boolean NOT NULL DEFAULT false;
CREATE INDEX cases_unread ON cases (submitted_at, case_number) WHERE unread_messages > 0;
