-- The language of the person's messages (a BCP 47 tag, as the enrolment gave it), sent in
-- every InvitationIssued so that each link's message is written in it; NULL: English.
ALTER TABLE invitations ADD COLUMN locale text;
