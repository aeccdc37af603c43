-- Jobs that must run on one app node at a time (the training rules, the
-- reporting-mailbox poll): the node holding a job's lease runs it and renews
-- the lease each pass; another node takes over only once it has run out.
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until BIGINT NOT NULL
);
