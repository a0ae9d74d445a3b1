-- How far each import has got (issue 11): the periodic job behind
-- onboarding_import_stalled_seconds (store/imports.py, `least_recent_progress`) finds the
-- imports not settled yet and when each last moved, in a few index probes whatever their
-- size.

-- Imports still storing their rows.
CREATE INDEX imports_processing ON imports (created_at) WHERE status = 'processing';

-- People of an import whose invitation was asked for and who are not invited yet: few once
-- the invitation service keeps up, whatever the size of the imports.
CREATE INDEX enrolments_awaiting_invitation ON enrolments (import_id)
    WHERE status = 'enrolled' AND invitation_requested_at IS NOT NULL
      AND import_id IS NOT NULL;

-- The last time anyone of an import moved (every change of an enrolment sets updated_at).
CREATE INDEX enrolments_import_updated ON enrolments (import_id, updated_at)
    WHERE import_id IS NOT NULL;
