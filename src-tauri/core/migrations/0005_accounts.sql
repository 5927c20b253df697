-- Accounts that can be changed: every change of role, password or access raises the user's session
-- epoch, and a session from an older epoch is refused at its next request.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN updated_at TEXT;

-- Separation of duties: the stages a cycle is approved by are frozen when it is sent for approval (a
-- change to the program's stages applies to later cycles), and whoever corrected an entitlement may not
-- approve it.
ALTER TABLE cycles ADD COLUMN stages TEXT;
ALTER TABLE entitlements ADD COLUMN edited_by TEXT;
