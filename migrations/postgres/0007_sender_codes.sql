-- Codes agency systems use for their units (DonViXuLy, madonvi in the national-sync shape), mapped to
-- registry units. `source` is the collector token's source the mapping is for, '' for every source.
CREATE TABLE sender_codes (
    source TEXT COLLATE "C" NOT NULL,
    code   TEXT COLLATE "C" NOT NULL,
    unit   TEXT NOT NULL,
    PRIMARY KEY (source, code)
);

-- Codes that arrived without a mapping, so the operator can add them: counts and times only.
CREATE TABLE unmapped_sender_codes (
    source     TEXT COLLATE "C" NOT NULL,
    code       TEXT COLLATE "C" NOT NULL,
    seen       BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    PRIMARY KEY (source, code)
);
