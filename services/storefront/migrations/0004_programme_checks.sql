-- Applying to a free-mask programme (issue 21): the phone is checked first, then the form is
-- filled in. A 'programme' check's intent names only the hub and the programme; what the
-- applicant types (the NIK above all) travels in the pages' own fields and goes to the orders
-- service, never into this database. `refusals`: applications the orders service refused
-- under the check (a bad or already used NIK...), so one code cannot probe NIK after NIK.
ALTER TABLE phone_checks DROP CONSTRAINT phone_checks_purpose_check;
ALTER TABLE phone_checks ADD CONSTRAINT phone_checks_purpose_check
    CHECK (purpose IN ('order', 'my_orders', 'cancel', 'programme'));
ALTER TABLE phone_checks ADD COLUMN refusals integer NOT NULL DEFAULT 0;
