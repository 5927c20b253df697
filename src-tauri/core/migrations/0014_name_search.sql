-- Search across scripts and spellings: the name index gains each name's Latin forms (only where they
-- differ from the folded words) and consonant skeletons. An FTS5 table cannot gain columns, so it is made
-- anew; the migration's Rust step (store::name_index::refill) fills it from the registrants.
DROP TABLE name_index;
CREATE VIRTUAL TABLE name_index USING fts5 (
    name,
    latin,
    skeleton,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

-- An ID number typed without its letter prefix (110336044 for NID110336044).
CREATE INDEX id_documents_unprefixed ON id_documents (ltrim(value_norm, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'));
