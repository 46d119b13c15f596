-- 0008: what each web chat visitor's page shows (bot/webchat/transcript.py), so any
-- instance serves any visitor: one row per answer (its request number and the bubbles
-- it added, as JSON), read in order of ``line``. (The signing secret is in store_meta.)
CREATE TABLE web_transcripts (
    visitor text NOT NULL,
    line    bigint GENERATED ALWAYS AS IDENTITY,
    seq     integer NOT NULL,
    bubbles text NOT NULL,
    PRIMARY KEY (visitor, line)
);
