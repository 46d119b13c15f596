-- 0005: each notice's case as a column, so the staff list counts the undelivered
-- notices per case (Storage.undelivered_by_case) without reading any notice whole.
ALTER TABLE notices ADD COLUMN case_number text;
UPDATE notices SET case_number = data::json->>'case_number';
CREATE INDEX notices_undelivered_case ON notices (case_number)
    WHERE delivered_at IS NULL AND case_number IS NOT NULL;
