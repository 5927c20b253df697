-- Lists sorted by birth date. Households have no birth date, so in an index on the birth date alone they
-- all sort first, and a page of people had to walk past every household (0.7 s on a million people);
-- filtered by area, each page sorted the whole area (0.25 s). These indexes hold individuals only, so a
-- page is one short walk. (Not the kind as a leading column: the planner then takes `kind = ?` for a
-- selective condition and sorts a million rows for every list.)
DROP INDEX IF EXISTS registrants_birth_date;
CREATE INDEX registrants_birth_date ON registrants (ifnull(birth_date, ''), rowid) WHERE kind = 'individual';
CREATE INDEX registrants_area_birth_date ON registrants (area, ifnull(birth_date, ''), rowid)
    WHERE kind = 'individual';
-- Households sorted by name: their names sit together in the name index, and the first page walked past
-- every person's name to reach them (0.6 to 2.7 s). Indexes of households only are small.
CREATE INDEX registrants_group_name ON registrants (sort_name, rowid) WHERE kind = 'group';
CREATE INDEX registrants_area_group_name ON registrants (area, sort_name, rowid) WHERE kind = 'group';
-- Statistics for the new indexes: beside older statistics of the others, the planner would take an index
-- without any for the most selective and sort whole areas with it.
PRAGMA analysis_limit = 1000;
ANALYZE registrants;
