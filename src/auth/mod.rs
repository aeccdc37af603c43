//! Accounts, sign-in, sessions, two-step verification (TOTP), roles, the
//! audit log, and the scopes that every practice query must be given.

pub mod accounts;
pub mod api_keys;
pub mod attempts;
pub mod audit;
pub mod mfa;
pub mod password;
pub mod routes;
pub mod scope;
pub mod session;
pub mod tokens;

pub use scope::{system_scope_for, ManagerScope, OperatorScope, PracticeScope, SignedIn};
pub use session::SessionUser;

/// What someone may do. Champions are staff members marked as their
/// department's cyber-security champion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// ICB / PCN / federation IT: practices and aggregates, never one person's results.
    Operator,
    Manager,
    Champion,
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Manager => "manager",
            Self::Champion => "champion",
            Self::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-', '_'], "")
            .as_str()
        {
            "operator" => Some(Self::Operator),
            "manager" | "practicemanager" => Some(Self::Manager),
            "champion" => Some(Self::Champion),
            "staff" => Some(Self::Staff),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Operator => "Operator",
            Self::Manager => "Practice manager",
            Self::Champion => "Cyber champion",
            Self::Staff => "Staff",
        }
    }

    /// Practice managers and operators hold the keys to everyone's data, so
    /// two-step verification is not optional for them.
    pub fn requires_mfa(self) -> bool {
        matches!(self, Self::Operator | Self::Manager)
    }
}
