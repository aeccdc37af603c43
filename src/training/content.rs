//! The built-in staff modules, quiz banks and role curricula from
//! `content/training/`, parsed once and checked by the tests below. The file
//! format is described in `content/training/README.md`.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::Deserialize;

#[derive(rust_embed::RustEmbed)]
#[folder = "content/training/"]
struct TrainingFiles;

/// The module slugs, in the order staff see them. Simulations, curricula and
/// people's records refer to these, so a slug is never renamed or reused.
pub const SLUGS: [&str; 14] = [
    "phishing",
    "passwords",
    "phone-scams",
    "voice-cloning",
    "service-desk-scams",
    "remote-access-scams",
    "ransomware",
    "backups-updates",
    "patient-data",
    "ai-tools",
    "devices",
    "social-media",
    "reporting",
    "champions",
];

/// Questions in every quiz bank.
pub const BANK_SIZE: usize = 12;

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub publisher: String,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    slug: String,
    title: String,
    minutes: u32,
    summary: String,
    outcomes: Vec<String>,
    sources: Vec<Source>,
}

/// One page of a lesson: a `## ` section of the module's Markdown.
#[derive(Debug, Clone)]
pub struct Section {
    pub heading: String,
    /// Rendered from our own Markdown with raw HTML escaped.
    pub html: String,
    pub words: usize,
}

#[derive(Debug, Clone)]
pub struct Module {
    pub slug: &'static str,
    pub title: String,
    pub minutes: u32,
    pub summary: String,
    pub outcomes: Vec<String>,
    pub sources: Vec<Source>,
    pub sections: Vec<Section>,
    pub quiz: Quiz,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub prompt: String,
    pub choices: Vec<String>,
    pub answer: usize,
    pub explanation: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quiz {
    pub draw: usize,
    pub questions: Vec<Question>,
}

impl Quiz {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleCurriculum {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub matches: Vec<String>,
    pub modules: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CurriculaFile {
    roles: Vec<RoleCurriculum>,
}

pub struct Catalogue {
    pub modules: Vec<Module>,
    pub roles: Vec<RoleCurriculum>,
}

impl Catalogue {
    pub fn module(&self, slug: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.slug == slug)
    }

    pub fn role(&self, key: &str) -> Option<&RoleCurriculum> {
        self.roles.iter().find(|r| r.key == key)
    }

    /// The role family for a job role as typed by the practice: the first role
    /// whose words appear in it; locums by employment type; else everyone.
    pub fn role_for(&self, job_role: &str, employment_type: &str) -> &RoleCurriculum {
        let job = job_role.to_lowercase();
        if employment_type.eq_ignore_ascii_case("locum") {
            if let Some(r) = self.role("locum") {
                return r;
            }
        }
        self.roles
            .iter()
            .find(|r| r.matches.iter().any(|m| job.contains(&m.to_lowercase())))
            .or_else(|| self.role("everyone"))
            .unwrap_or(&self.roles[0])
    }
}

/// The built-in catalogue. The content is compiled in and checked by the tests
/// below, so a failure here is a build mistake, not a user's.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: LazyLock<Catalogue> =
        LazyLock::new(|| load().unwrap_or_else(|e| panic!("built-in training content: {e}")));
    &CATALOGUE
}

/// A module named in a path (`/training/modules/{module}`): with
/// `web::Path<KnownModule>`, a slug the catalogue does not have answers
/// "Page not found" before the handler runs.
#[derive(Debug, Clone, Copy)]
pub struct KnownModule(pub &'static Module);

impl<'de> Deserialize<'de> for KnownModule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let slug = String::deserialize(d)?;
        catalogue()
            .module(&slug)
            .map(KnownModule)
            .ok_or_else(|| serde::de::Error::custom("no such module"))
    }
}

pub fn module_title(slug: &str) -> &str {
    catalogue()
        .module(slug)
        .map(|m| m.title.as_str())
        .unwrap_or("Training")
}

fn file(path: &str) -> Result<String, String> {
    let f = TrainingFiles::get(path).ok_or_else(|| format!("{path} is missing"))?;
    String::from_utf8(f.data.into_owned()).map_err(|_| format!("{path} is not UTF-8"))
}

/// Splits `+++`-fenced TOML front matter from the Markdown body.
pub fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("+++")?.trim_start_matches('\r');
    let rest = rest.strip_prefix('\n')?;
    let end = rest.find("\n+++")?;
    let body = &rest[end + 4..];
    Some((&rest[..end], body.trim_start_matches(['\r', '\n'])))
}

/// Renders trusted Markdown to HTML; any raw HTML in it is shown as text.
pub fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{Event, Parser};
    let events = Parser::new(md).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// Splits a lesson body into its `## ` sections.
pub fn sections(body: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            out.push((h.trim().to_string(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

fn load() -> Result<Catalogue, String> {
    let mut modules = Vec::new();
    for slug in SLUGS {
        let path = format!("modules/{slug}.md");
        let text = file(&path)?;
        let (fm, body) =
            split_front_matter(&text).ok_or_else(|| format!("{path}: no +++ front matter"))?;
        let fm: FrontMatter = toml::from_str(fm).map_err(|e| format!("{path}: {e}"))?;
        if fm.slug != slug {
            return Err(format!("{path}: slug is {}", fm.slug));
        }
        let quiz_path = format!("quizzes/{slug}.toml");
        let quiz: Quiz =
            toml::from_str(&file(&quiz_path)?).map_err(|e| format!("{quiz_path}: {e}"))?;
        let sections = sections(body)
            .into_iter()
            .map(|(heading, md)| Section {
                heading,
                words: md.split_whitespace().count(),
                html: markdown_to_html(&md),
            })
            .collect();
        modules.push(Module {
            slug,
            title: fm.title,
            minutes: fm.minutes,
            summary: fm.summary,
            outcomes: fm.outcomes,
            sources: fm.sources,
            sections,
            quiz,
        });
    }
    let curricula: CurriculaFile =
        toml::from_str(&file("curricula.toml")?).map_err(|e| format!("curricula.toml: {e}"))?;
    Ok(Catalogue {
        modules,
        roles: curricula.roles,
    })
}

/// Everything wrong with a module, in words a content writer can act on.
pub fn problems(m: &Module) -> Vec<String> {
    let mut p = Vec::new();
    let s = m.slug;
    if !(5..=15).contains(&m.minutes) {
        p.push(format!("{s}: minutes {} is outside 5–15", m.minutes));
    }
    if !(3..=6).contains(&m.sections.len()) {
        p.push(format!("{s}: {} sections, want 3–6", m.sections.len()));
    }
    let words: usize = m.sections.iter().map(|x| x.words).sum();
    if !(500..=2000).contains(&words) {
        p.push(format!("{s}: {words} words is not 5–15 minutes of reading"));
    }
    if !(3..=5).contains(&m.outcomes.len()) {
        p.push(format!("{s}: {} outcomes, want 3–5", m.outcomes.len()));
    }
    if m.sources.len() < 2 || m.sources.iter().any(|x| !x.url.starts_with("https://")) {
        p.push(format!("{s}: needs at least 2 https sources"));
    }
    if m.quiz.questions.len() != BANK_SIZE || m.quiz.draw != 6 {
        p.push(format!(
            "{s}: a quiz bank has {BANK_SIZE} questions and draws 6, not {} and {}",
            m.quiz.questions.len(),
            m.quiz.draw
        ));
    }
    let mut positions = HashSet::new();
    for q in &m.quiz.questions {
        positions.insert(q.answer);
    }
    if positions.len() < 3 {
        p.push(format!("{s}: vary the position of the correct answer"));
    }
    let mut ids = HashSet::new();
    for q in &m.quiz.questions {
        if !ids.insert(q.id.as_str()) {
            p.push(format!("{s}: question id {} repeated", q.id));
        }
        if q.id.contains(',') || q.id.contains(':') || q.id.is_empty() {
            p.push(format!("{s}: question id {:?} must be kebab-case", q.id));
        }
        if !(3..=4).contains(&q.choices.len()) || q.answer >= q.choices.len() {
            p.push(format!(
                "{s}: question {} needs 3–4 choices and an answer among them",
                q.id
            ));
        }
        if q.explanation.trim().is_empty() {
            p.push(format!("{s}: question {} has no explanation", q.id));
        }
    }
    for sec in &m.sections {
        if sec.html.contains("&lt;") && sec.html.contains("&gt;") {
            p.push(format!("{s}: section {:?} contains raw HTML", sec.heading));
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_quiz_and_curriculum_is_complete_and_consistent() {
        let c = load().expect("training content loads");
        let all: Vec<String> = c.modules.iter().flat_map(problems).collect();
        assert!(all.is_empty(), "content problems:\n{}", all.join("\n"));
        for key in ["reception", "gp", "nurse", "manager", "locum", "everyone"] {
            assert!(c.role(key).is_some(), "curricula.toml has no {key} role");
        }
        for r in &c.roles {
            for m in &r.modules {
                assert!(
                    SLUGS.contains(&m.as_str()),
                    "role {} names unknown module {m}",
                    r.key
                );
            }
        }
    }

    #[test]
    fn simulation_follow_ups_all_have_a_module() {
        for m in crate::simulation::library::TRAINING_MODULES {
            assert!(SLUGS.contains(m), "{m} has no training module");
        }
    }

    #[test]
    fn job_roles_find_their_curriculum() {
        let c = catalogue();
        assert_eq!(c.role_for("Receptionist", "permanent").key, "reception");
        assert_eq!(
            c.role_for("Senior care navigator", "permanent").key,
            "reception"
        );
        assert_eq!(c.role_for("GP partner", "locum").key, "locum");
        assert_eq!(c.role_for("Window cleaner", "permanent").key, "everyone");
    }

    #[test]
    fn raw_html_in_markdown_is_shown_as_text() {
        let html = markdown_to_html("Hello <script>alert(1)</script> **there**");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("<strong>there</strong>"));
    }

    #[test]
    fn front_matter_is_split_from_the_body() {
        let (fm, body) = split_front_matter("+++\nslug = \"x\"\n+++\n\n## One\ntext\n").unwrap();
        assert_eq!(fm, "slug = \"x\"");
        assert_eq!(
            sections(body),
            vec![("One".to_string(), "text\n".to_string())]
        );
        assert!(split_front_matter("no front matter").is_none());
    }
}
