-- 0004: the staff list's count and pages from the indexes alone.
-- A page filtered on, say, status and reporter type counts its matches with an
-- index-only scan when the other filter columns are carried in the index
-- (INCLUDE), instead of reading every matching row from the table; and the
-- "largest amount first" order (ties oldest first) gets an index of its own.
DROP INDEX cases_status;
CREATE INDEX cases_status ON cases (status, submitted_at, case_number)
    INCLUDE (tier, reporter_type, service, amount, unread_messages);
DROP INDEX cases_tier;
CREATE INDEX cases_tier ON cases (tier, submitted_at, case_number)
    INCLUDE (status, reporter_type, service, amount, unread_messages);
DROP INDEX cases_reporter_type;
CREATE INDEX cases_reporter_type ON cases (reporter_type, submitted_at, case_number)
    INCLUDE (status, tier, service, amount, unread_messages);
DROP INDEX cases_service;
CREATE INDEX cases_service ON cases (service, submitted_at, case_number)
    INCLUDE (status, tier, reporter_type, amount, unread_messages);
CREATE INDEX cases_amount_desc ON cases (amount DESC NULLS LAST, submitted_at, case_number);
