//! The NHS cyber alert log. NHS England publishes cyber alerts (successor to
//! CareCERT; references like CC-4567); a practice acknowledges each within
//! 48 hours, says whether it applies, and records the actions taken and who
//! owns them (the practice, ICB GP IT or a supplier).
//!
//! `domain`: severity, whether it applies, checking the form; `repo`: the
//! `cyber_alerts` table; `routes`: the handlers; `views`: their pages. The
//! 48-hour clock is `rules::ack_status`.

pub mod domain;
pub mod repo;
pub mod routes;
pub mod views;
