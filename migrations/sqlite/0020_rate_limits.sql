-- Rate limits shared by every app node: one row per (rule, key), holding the
-- moment the key's bucket will be full again ("theoretical arrival time",
-- seconds since 1970). A check is one conditional upsert, so concurrent
-- requests on any node count against the same budget. Only keys the caller
-- has verified (a known check-in token) get a row.
CREATE TABLE rate_limits (
    rule TEXT NOT NULL,
    key TEXT NOT NULL,
    full_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (rule, key)
);
