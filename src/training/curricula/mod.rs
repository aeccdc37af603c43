//! Which modules each job role needs at a practice: the shipped curricula
//! (`content/training/curricula.toml`), except where the practice manager
//! changed a role's (`routes`: the "Role curricula" page). New starters get
//! their role's modules as induction; "trained" means all of them done.

pub mod repo;
pub mod routes;

use std::collections::HashMap;

use crate::db::Db;
use crate::shared::PracticeId;
use crate::training::content::{catalogue, SLUGS};

/// Every role's modules at one practice, by role key.
#[derive(Debug, Clone, Default)]
pub struct Curricula(HashMap<String, Vec<String>>);

impl Curricula {
    /// The shipped curricula with the practice's own versions over them.
    pub fn with_changes(changed: impl IntoIterator<Item = (String, Vec<String>)>) -> Self {
        let mut map: HashMap<String, Vec<String>> = catalogue()
            .roles
            .iter()
            .map(|r| (r.key.clone(), r.modules.clone()))
            .collect();
        map.extend(changed);
        Self(map)
    }

    /// The modules of a role (none for a role the catalogue does not have).
    pub fn for_role(&self, key: &str) -> &[String] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }

    /// The modules a person needs, from their job role as the practice typed it.
    pub fn for_staff(&self, job_role: &str, employment_type: &str) -> &[String] {
        self.for_role(&catalogue().role_for(job_role, employment_type).key)
    }
}

/// The practice's curricula: one query.
pub async fn load(db: &Db, practice_id: PracticeId) -> Result<Curricula, sqlx::Error> {
    let changed = repo::changed(db, practice_id).await?;
    Ok(Curricula::with_changes(
        changed
            .into_iter()
            .map(|r| (r.role_key, parse_list(&r.modules))),
    ))
}

/// A stored list of module slugs, `phishing,passwords`.
pub fn parse_list(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The modules ticked for each role on the curricula form (`role=module`
/// pairs), each list in catalogue order; unknown roles and modules are ignored.
pub fn chosen(fields: &[(String, String)]) -> HashMap<&'static str, Vec<&'static str>> {
    let mut chosen: HashMap<&'static str, Vec<&'static str>> = catalogue()
        .roles
        .iter()
        .map(|r| (r.key.as_str(), Vec::new()))
        .collect();
    for (role, module) in fields {
        let Some(list) = chosen.get_mut(role.as_str()) else {
            continue;
        };
        if let Some(slug) = SLUGS.iter().find(|s| **s == module) {
            if !list.contains(slug) {
                list.push(slug);
            }
        }
    }
    for list in chosen.values_mut() {
        list.sort_by_key(|m| SLUGS.iter().position(|s| s == m));
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticked_modules_are_kept_in_catalogue_order_and_strangers_ignored() {
        let role = catalogue().roles[0].key.clone();
        let fields = vec![
            (role.clone(), SLUGS[2].to_string()),
            (role.clone(), SLUGS[0].to_string()),
            (role.clone(), SLUGS[0].to_string()),
            (role.clone(), "no-such-module".to_string()),
            ("no-such-role".to_string(), SLUGS[1].to_string()),
        ];
        let c = chosen(&fields);
        assert_eq!(c[role.as_str()], vec![SLUGS[0], SLUGS[2]]);
        assert!(!c.contains_key("no-such-role"));
        assert_eq!(
            parse_list(&c[role.as_str()].join(",")),
            vec![SLUGS[0], SLUGS[2]]
        );
        assert!(parse_list("").is_empty());
    }
}
