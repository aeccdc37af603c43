//! The Data Security and Protection Toolkit (DSPT) as content (issue 16).
//!
//! [`toolkit`] reads a year's evidence items (`content/dspt/<year>.toml`, or a
//! newer file an operator loads) into a checked [`toolkit::Toolkit`]: each item
//! with its description, whether it is mandatory, which of Safety Net's
//! records can evidence it, how fresh that evidence must be, and the
//! CAF-aligned outcomes it corresponds to. [`agreement`] is the text of the
//! accountability agreement IT administrators sign for item 4.3.1.

pub mod agreement;
pub mod toolkit;
