//! Tests over all of `content/` at once: the rules in `content/checks.toml`
//! (words that must or must not appear, so a corrected error cannot come
//! back), every source address anywhere in the content, one address per
//! source title, and that every role's curriculum teaches how to isolate an
//! infected computer. Each capability's own tests check its file formats.

#![cfg(test)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Checks {
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    why: String,
    source: String,
    files: Vec<String>,
    #[serde(default)]
    must: Vec<String>,
    #[serde(default)]
    must_not: Vec<String>,
}

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// Every text file under `content/`, as (path relative to content/, text).
fn content_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("content folder")
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let path = e.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if matches!(
                path.extension().and_then(|x| x.to_str()),
                Some("md" | "toml")
            ) {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&path).expect("UTF-8 content")));
            }
        }
    }
    let mut out = Vec::new();
    let root = content_dir();
    walk(&root, &root, &mut out);
    out
}

/// Lower case, with runs of whitespace as one space.
fn flat(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn selects(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => path == pattern,
    }
}

#[test]
fn the_rules_in_checks_toml_hold() {
    let text = std::fs::read_to_string(content_dir().join("checks.toml")).expect("checks.toml");
    let checks: Checks = toml::from_str(&text).expect("checks.toml parses");
    let files: Vec<(String, String)> = content_files()
        .into_iter()
        .filter(|(p, _)| p != "checks.toml")
        .map(|(p, t)| (p, flat(&t)))
        .collect();
    let mut problems = Vec::new();
    for rule in &checks.rules {
        assert!(rule.source.starts_with("https://") && !rule.why.is_empty());
        let chosen: Vec<&(String, String)> = files
            .iter()
            .filter(|(p, _)| rule.files.iter().any(|f| selects(f, p)))
            .collect();
        for f in &rule.files {
            assert!(
                f.ends_with('*') || chosen.iter().any(|(p, _)| p == f),
                "checks.toml names {f}, which does not exist"
            );
        }
        for (path, text) in chosen {
            for words in &rule.must {
                if !text.contains(&flat(words)) {
                    problems.push(format!("{path} must say {words:?}: {}", rule.why));
                }
            }
            for words in &rule.must_not {
                if text.contains(&flat(words)) {
                    problems.push(format!("{path} must not say {words:?}: {}", rule.why));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "content rules broken:\n{}",
        problems.join("\n")
    );
}

/// Every (title, address) pair in a TOML value: sources, contacts, support dates.
fn sources_in(v: &toml::Value, out: &mut Vec<(String, String)>) {
    match v {
        toml::Value::Table(t) => {
            let title = t
                .get("title")
                .or_else(|| t.get("name"))
                .and_then(|x| x.as_str());
            for key in ["url", "source"] {
                if let Some(url) = t.get(key).and_then(|x| x.as_str()) {
                    if url.contains("://") || key == "url" {
                        out.push((title.unwrap_or_default().to_string(), url.to_string()));
                    }
                }
            }
            t.values().for_each(|x| sources_in(x, out));
        }
        toml::Value::Array(a) => a.iter().for_each(|x| sources_in(x, out)),
        _ => {}
    }
}

fn all_sources() -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for (path, text) in content_files() {
        let toml_text = if path.ends_with(".md") {
            match crate::training::content::split_front_matter(&text) {
                Some((fm, _)) => fm.to_string(),
                None => continue,
            }
        } else {
            text
        };
        let value: toml::Value =
            toml::from_str(&toml_text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut pairs = Vec::new();
        sources_in(&value, &mut pairs);
        found.extend(pairs.into_iter().map(|(t, u)| (path.clone(), t, u)));
    }
    found
}

#[test]
fn every_source_is_a_full_https_address() {
    let sources = all_sources();
    assert!(sources.len() > 150, "found {} sources", sources.len());
    for (path, title, address) in &sources {
        let url = url::Url::parse(address)
            .unwrap_or_else(|e| panic!("{path}: {title:?} has address {address:?}: {e}"));
        assert_eq!(url.scheme(), "https", "{path}: {address}");
        let host = url.host_str().unwrap_or_default();
        assert!(
            host.contains('.') && !host.ends_with(".example"),
            "{path}: {address}"
        );
        assert!(!address.contains(' '), "{path}: {address}");
    }
}

#[test]
fn one_address_per_source_title() {
    let mut by_title: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (path, title, address) in all_sources() {
        if title.is_empty() || path.ends_with("support-dates.toml") {
            continue;
        }
        by_title
            .entry(title.to_lowercase())
            .or_default()
            .entry(address.trim_end_matches('/').to_string())
            .or_default()
            .push(path);
    }
    let clashes: Vec<String> = by_title
        .iter()
        .filter(|(_, urls)| urls.len() > 1)
        .map(|(title, urls)| format!("{title:?}: {urls:?}"))
        .collect();
    assert!(
        clashes.is_empty(),
        "one page, one address:\n{}",
        clashes.join("\n")
    );
}

#[test]
fn every_role_is_taught_to_isolate_an_infected_computer() {
    let c = crate::training::content::catalogue();
    let teaches = |slug: &str| {
        let m = c.module(slug).expect("module");
        let text: String = m.sections.iter().map(|s| s.html.to_lowercase()).collect();
        ["network cable", "wi-fi", "switched on", "service desk"]
            .iter()
            .all(|w| text.contains(w))
    };
    for role in &c.roles {
        assert!(
            role.modules.iter().any(|m| teaches(m)),
            "the {} curriculum has no module teaching the isolation steps",
            role.key
        );
    }
    for slug in crate::training::content::SLUGS {
        assert!(
            slug == "champions" || c.roles.iter().any(|r| r.modules.iter().any(|m| m == slug)),
            "{slug} is in no role's curriculum"
        );
    }
}
