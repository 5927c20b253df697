-- The fields most eligibility rules read, beside each registrant's rowid (program/select.rs): a rule over
-- everyone that reads only these is evaluated from this index, which has a fraction of the table's pages
-- to decrypt. Within kind and status it is in rowid order, so candidates come as from the table.
CREATE INDEX registrants_rule_facts ON registrants
    (kind, status, rowid, sex, birth_date, birth_date_approx, area, registered_on);
