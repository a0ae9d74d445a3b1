-- Dead letters replayed through the operations API and applied: each at most once.
CREATE TABLE dead_letter_replays (
    letter_id    text        PRIMARY KEY,  -- dead-letter topic:partition:offset
    replayed_at  timestamptz NOT NULL
);
