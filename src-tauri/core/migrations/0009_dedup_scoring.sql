-- Deduplication scores pairs by probability (docs/programs.md, "Deduplication"): each office sets the
-- probability from which a pair is proposed for review and from which it is marked very likely; each
-- group keeps its band and the explanation of its pairs (which fields agreed, how much each weighed).
ALTER TABLE office ADD COLUMN dedup_review REAL NOT NULL DEFAULT 0.9 CHECK (dedup_review > 0 AND dedup_review < 1);
ALTER TABLE office ADD COLUMN dedup_very_likely REAL NOT NULL DEFAULT 0.99
    CHECK (dedup_very_likely > 0 AND dedup_very_likely < 1);
ALTER TABLE duplicate_groups ADD COLUMN band TEXT NOT NULL DEFAULT 'review' CHECK (band IN ('review', 'very_likely'));
ALTER TABLE duplicate_groups ADD COLUMN explanation TEXT NOT NULL DEFAULT '[]';
