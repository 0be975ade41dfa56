-- Codes agency systems use for their units (DonViXuLy, madonvi in the national-sync shape), mapped to
-- registry units. `source` is the collector token's source the mapping is for, '' for every source.
CREATE TABLE sender_codes (
    source TEXT NOT NULL,
    code   TEXT NOT NULL,
    unit   TEXT NOT NULL,
    PRIMARY KEY (source, code)
) WITHOUT ROWID;

-- Codes that arrived without a mapping, so the operator can add them: counts and times only.
CREATE TABLE unmapped_sender_codes (
    source     TEXT NOT NULL,
    code       TEXT NOT NULL,
    seen       INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (source, code)
) WITHOUT ROWID;
