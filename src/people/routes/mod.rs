//! The pages of `people`, one file per thing the practice manages: its
//! staff, their accounts (invitations, who is a manager), its departments;
//! and an operator's practices. Handlers only: the SQL is in `repo`, the
//! templates in `views`. (Staff import is `web::import`'s, for `StaffImport`.)

pub mod accounts;
pub mod departments;
pub mod practices;
pub mod staff;
