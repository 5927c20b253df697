-- Accounts that can be changed: every change of role, password or access raises the user's session
-- epoch, and a session from an older epoch is refused at its next request.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN updated_at TEXT;
