-- Owner-strict rotation: which owner was served most recently (higher turn = more recent).
CREATE TABLE owner_turns (
  owner_user_id TEXT PRIMARY KEY,
  last_turn     INTEGER NOT NULL
);
