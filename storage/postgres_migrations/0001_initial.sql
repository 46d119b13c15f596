-- 0001: the tables of the storage contract (storage/base.py), one row per entity.
-- Records are kept as their JSON text (``data``), exactly as the other stores keep
-- them; the columns beside it are the case index, for listing on indexed columns.

CREATE TABLE conversations (
    user_id    text PRIMARY KEY,
    updated_at double precision NOT NULL,
    data       text NOT NULL
);

CREATE TABLE user_langs (
    user_id text PRIMARY KEY,
    lang    text NOT NULL
);

-- Case numbers are drawn from this sequence through a keyed permutation with the
-- check character (storage/postgres.py), so they are unique without retries and
-- cannot be guessed from one another.
CREATE SEQUENCE case_number_seq;

CREATE TABLE cases (
    case_number     text PRIMARY KEY,
    draft_id        text NOT NULL UNIQUE,
    user_id         text NOT NULL,
    submitted_at    double precision NOT NULL,
    updated_at      double precision NOT NULL,
    status          text NOT NULL,
    tier            text NOT NULL,
    reporter_type   text NOT NULL,
    service         text NOT NULL,
    paid            boolean NOT NULL,
    monetary        boolean NOT NULL,
    amount          bigint,
    final_amount    bigint,
    evidence_sha256 text[] NOT NULL DEFAULT '{}',
    data            text NOT NULL
);
CREATE INDEX cases_submitted ON cases (submitted_at, case_number);
CREATE INDEX cases_status ON cases (status, submitted_at, case_number);
CREATE INDEX cases_tier ON cases (tier, submitted_at, case_number);
CREATE INDEX cases_reporter_type ON cases (reporter_type, submitted_at, case_number);
CREATE INDEX cases_service ON cases (service, submitted_at, case_number);
CREATE INDEX cases_user ON cases (user_id, submitted_at, case_number);
CREATE INDEX cases_amount ON cases (amount, submitted_at, case_number);

-- Evidence bytes, once per sha256, behind storage.postgres.PostgresBlobs. EXTERNAL:
-- kept out of line and uncompressed (photos and PDFs are compressed already), so a
-- size or a slice is read without decompressing the whole value.
CREATE TABLE evidence_blobs (
    sha256 text PRIMARY KEY,
    size   bigint NOT NULL,
    data   bytea NOT NULL
);
ALTER TABLE evidence_blobs ALTER COLUMN data SET STORAGE EXTERNAL;

-- Who holds which file: drafts (holder "draft:<user key>") and cases.
CREATE TABLE evidence_holds (
    holder text NOT NULL,
    sha256 text NOT NULL,
    PRIMARY KEY (holder, sha256)
);
CREATE INDEX evidence_holds_sha256 ON evidence_holds (sha256);

CREATE TABLE case_evidence (
    case_number text NOT NULL REFERENCES cases (case_number),
    sha256      text NOT NULL,
    PRIMARY KEY (case_number, sha256)
);
CREATE INDEX case_evidence_sha256 ON case_evidence (sha256);

-- Processed request ids per channel (Telegram: channel 'telegram', the update id),
-- the newest ``keep`` of them kept (``seq`` orders them).
CREATE TABLE processed_requests (
    channel    text NOT NULL,
    request_id text NOT NULL,
    seq        bigserial NOT NULL,
    PRIMARY KEY (channel, request_id)
);
CREATE INDEX processed_requests_seq ON processed_requests (seq);

CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          double precision NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    case_number text,
    detail      text NOT NULL
);
CREATE INDEX audit_case ON audit (case_number, id) WHERE case_number IS NOT NULL;

-- Settings of this database's own (the case number key).
CREATE TABLE store_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
