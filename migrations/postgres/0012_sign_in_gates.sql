-- Sign-in attempts are reserved before a password is checked. A reservation
-- first locks a row here (one of 4,096 buckets for the account, one of 4,096
-- for the network address), so two nodes reserving for the same account
-- take turns and each counts the other's attempt: a burst of guesses can
-- never check more than the limit. Buckets keep the table small; two
-- accounts sharing one only take turns.
CREATE TABLE sign_in_gates (
    bucket BIGINT PRIMARY KEY
);
