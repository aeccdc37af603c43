//! The network edge: which client address a request counts as, and where
//! Safety Net may connect on a practice's behalf.

pub mod forwarded;
pub mod outbound;
