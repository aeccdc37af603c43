//! Tabletop exercises (DSPT 7.2.1: test the plan at least once a year): pick a
//! scenario we wrote (`plan_content`), run it with the team — timed injects,
//! discussion notes, who came — agree actions with owners, and print the
//! after-action report.
//!
//! `domain`: an exercise's state and reading the run form; `repo`: the
//! `exercises`, `exercise_attendees` and `exercise_actions` tables;
//! `routes`: the handlers; `views`: their pages; `report`: the PDF.

pub mod domain;
pub mod repo;
pub mod report;
pub mod routes;
pub mod views;
