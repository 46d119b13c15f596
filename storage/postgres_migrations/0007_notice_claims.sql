-- 0007: a notice being pushed is claimed (FOR UPDATE SKIP LOCKED, then a lease until
-- claimed_until), so of several instances retrying it one pushes it.
ALTER TABLE notices ADD COLUMN claimed_until double precision;
