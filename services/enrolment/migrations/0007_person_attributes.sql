-- What a school keeps about a person besides how to reach them (issue 12, seed 003): a
-- middle name, the personal file number, free tags, the tenant's own yes/no flags by name
-- ({"inclusive": true}) and sections. Constant defaults: adding the columns rewrites no row.
ALTER TABLE enrolments
    ADD COLUMN middle_name  text,
    ADD COLUMN file_number  text,
    ADD COLUMN tags         text[] NOT NULL DEFAULT '{}',
    ADD COLUMN flags        jsonb  NOT NULL DEFAULT '{}',
    ADD COLUMN sections     text[] NOT NULL DEFAULT '{}';

-- The list's filters: `tag=` and `section=` (array containment), `flag=` (jsonb
-- containment), `file_number=` and `phone=` (by its digits, as domain/attributes.py
-- compares them: `PHONE_DIGITS_SQL`).
CREATE INDEX enrolments_tags ON enrolments USING gin (tags);
CREATE INDEX enrolments_sections ON enrolments USING gin (sections);
CREATE INDEX enrolments_flags ON enrolments USING gin (flags jsonb_path_ops);
CREATE INDEX enrolments_file_number ON enrolments (tenant_id, file_number)
    WHERE file_number IS NOT NULL;
CREATE INDEX enrolments_phone_digits
    ON enrolments (tenant_id, (regexp_replace(phone, '[^0-9+]', '', 'g')))
    WHERE phone IS NOT NULL;
