//! Practice culture beyond email: the content behind champions, drills that
//! need no email, and the "cyber minute" at practice meetings (issue 14).
//!
//! [`library`] holds the built-in drill library (`content/drills/`), the
//! rotating tips (`content/tips/`) and the "current threat" entries a manager
//! can pick for a meeting (`content/threats/`), typed and checked. The
//! features that schedule drills, record outcomes and prepare meeting
//! briefings build on it.

pub mod library;
