-- 0011: what a door remembers of a person between requests (bot/kakao.py: the last
-- answer, by which Kakao's retry is known; the list page shown; the texts waiting behind
-- "이어서 보기"), so that any instance answers the person's next request. ``data`` is
-- the door's JSON, written in the person's turn; ``late`` the fingerprint of an answer
-- the person has not seen (too late for Kakao's 5 s), set outside the turn and cleared
-- by the turn that shows it. Rows not written for a day are pruned
-- (storage/postgres_door_memory.py): a person forgotten is answered from the store.
CREATE TABLE door_memory (
    door       text NOT NULL,
    person     text NOT NULL,
    data       text NOT NULL DEFAULT '{}',
    late       text,
    updated_at double precision NOT NULL,
    PRIMARY KEY (door, person)
);
CREATE INDEX door_memory_updated ON door_memory (updated_at);
