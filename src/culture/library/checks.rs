//! What the drill, tip and threat files must keep, in words a content writer
//! can act on: ids in kebab case, known training modules, sources with full
//! https addresses, phone numbers only from Ofcom's drama ranges (or the real
//! services we tell people to use), no real web addresses in a drill, a USB
//! stick's page with nothing that runs, and every drill complete for each role.

use super::*;

pub(super) fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// Whether a training module exists in the training catalogue.
pub fn module_known(id: &str) -> bool {
    crate::training::content::catalogue().module(id).is_some()
}

/// Everything wrong with a source, in words a content writer can act on.
pub(super) fn source_problems(place: &str, s: &Source) -> Vec<String> {
    let mut p = Vec::new();
    if s.publisher.trim().is_empty() || s.title.trim().is_empty() {
        p.push(format!("{place}: a source needs a publisher and a title"));
    }
    match url::Url::parse(&s.url) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some_and(|h| h.contains('.')) => {}
        _ => p.push(format!(
            "{place}: source {:?} is not a full https address",
            s.url
        )),
    }
    p
}

/// Phone numbers in the text that are neither in Ofcom's ranges kept for
/// drama nor a real service we tell people to use (the NHS cyber security
/// operations centre, 0300 303 5222).
pub(super) fn stray_phone_numbers(text: &str) -> Vec<String> {
    const ALLOWED_PREFIXES: [&str; 3] = ["07700900", "01632960", "03003035222"];
    let re = regex_lite::Regex::new(r"\b0\d{2,4}(?: ?\d{3,4}){2}\b").expect("valid pattern");
    re.find_iter(text)
        .map(|m| m.as_str().to_string())
        .filter(|n| {
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            !ALLOWED_PREFIXES.iter().any(|p| digits.starts_with(p))
        })
        .collect()
}

/// Web addresses in drill text (not sources) that are not under the
/// reserved `.example` domain.
pub(super) fn real_web_addresses(text: &str) -> Vec<String> {
    let re = regex_lite::Regex::new(r#"https?://[^\s"<>]+"#).expect("valid pattern");
    re.find_iter(text)
        .map(|m| m.as_str().to_string())
        .filter(|u| {
            !url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(|h| h.ends_with(".example")))
                .unwrap_or(false)
        })
        .collect()
}

/// Everything in the USB file that could run code or fetch anything other
/// than the one tracked link. Empty means the file is harmless.
pub fn usb_html_problems(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut p = Vec::new();
    for banned in [
        "<script",
        "<iframe",
        "<frame",
        "<object",
        "<embed",
        "<img",
        "<link",
        "<form",
        "<svg",
        "<video",
        "<audio",
        "<source",
        "<base",
        "<style",
        "<applet",
        "<meta http-equiv",
        "javascript:",
        "data:",
        "url(",
        "@import",
        "expression(",
    ] {
        if lower.contains(banned) {
            p.push(format!("contains {banned}"));
        }
    }
    let handler = regex_lite::Regex::new(r"(?i)[\s/]on[a-z]+\s*=").expect("valid pattern");
    if let Some(m) = handler.find(html) {
        p.push(format!("has an event handler ({})", m.as_str().trim()));
    }
    let attr = regex_lite::Regex::new(
        r#"(?i)\b(href|src|srcset|action|formaction|data|poster|background|xlink:href|ping|cite|manifest)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)"#,
    )
    .expect("valid pattern");
    let addresses: Vec<(String, String)> = attr
        .captures_iter(html)
        .map(|c| {
            let value = c[2].trim_matches(|ch| ch == '"' || ch == '\'').to_string();
            (c[1].to_ascii_lowercase(), value)
        })
        .collect();
    let links: Vec<&(String, String)> = addresses.iter().filter(|(n, _)| n == "href").collect();
    if addresses.len() != 1 || links.len() != 1 || links[0].1 != LINK_PLACEHOLDER {
        p.push(format!(
            "must have exactly one address, href=\"{LINK_PLACEHOLDER}\"; found {addresses:?}"
        ));
    }
    if html.matches(LINK_PLACEHOLDER).count() != 1
        || html.replace(LINK_PLACEHOLDER, "").contains("{{")
    {
        p.push(format!(
            "must use {LINK_PLACEHOLDER} exactly once and no other placeholder"
        ));
    }
    p
}

/// The texts a person reads in a drill, for the checks that apply to all of them.
pub(super) fn drill_texts(d: &Drill) -> Vec<&str> {
    let mut t: Vec<&str> = vec![&d.title, &d.summary, &d.purpose, &d.running.at_the_end];
    t.extend(d.running.before.iter().map(String::as_str));
    t.extend(d.running.during.iter().map(String::as_str));
    t.extend(d.checklist.iter().map(|c| c.text.as_str()));
    t.extend(
        d.outcomes
            .iter()
            .flat_map(|o| [o.label.as_str(), o.debrief.as_str()]),
    );
    if let Some(s) = &d.script {
        t.push(&s.caller);
        t.push(&s.invented_details);
        t.extend(s.lines.iter().map(String::as_str));
    }
    if let Some(c) = &d.card {
        t.extend([c.sender.as_str(), c.text.as_str(), c.answer.as_str()]);
        t.extend(c.red_flags.iter().map(String::as_str));
    }
    if let Some(u) = &d.usb {
        t.push(&u.label);
        t.push(&u.file_name);
        t.extend(u.places.iter().map(String::as_str));
    }
    if let Some(p) = &d.poster {
        t.push(&p.headline);
        t.extend(p.places.iter().map(String::as_str));
    }
    if let Some(page) = &d.debrief_page {
        t.push(&page.title);
        t.push(&page.body);
    }
    t
}

/// Everything wrong with a drill, in words a content writer can act on.
pub fn drill_problems(d: &Drill, role_keys: &[&str]) -> Vec<String> {
    let mut p = Vec::new();
    let id = &d.id;
    if !is_kebab(id) {
        p.push(format!("{id}: id must be kebab-case"));
    }
    for s in &d.suits {
        if !role_keys.contains(&s.as_str()) {
            p.push(format!(
                "{id}: suits names {s:?}, which is not a role key in curricula.toml"
            ));
        }
    }
    if d.suits.is_empty() {
        p.push(format!("{id}: suits must name at least one role"));
    }
    if !(1..=60).contains(&d.minutes) {
        p.push(format!("{id}: minutes must be 1 to 60"));
    }
    if !module_known(&d.training_module) {
        p.push(format!(
            "{id}: training module {} does not exist",
            d.training_module
        ));
    }
    if d.running.before.is_empty() || d.running.at_the_end.trim().is_empty() {
        p.push(format!(
            "{id}: running needs at least one step before, and what to say at the end"
        ));
    }
    if d.checklist.len() < 2 {
        p.push(format!(
            "{id}: the checklist needs at least two observable steps"
        ));
    }
    let mut seen = HashSet::new();
    for c in &d.checklist {
        if !is_kebab(&c.id) || !seen.insert(c.id.as_str()) {
            p.push(format!(
                "{id}: checklist id {:?} must be kebab-case and unique",
                c.id
            ));
        }
    }
    if d.sources.is_empty() {
        p.push(format!("{id}: needs at least one source"));
    }
    for s in &d.sources {
        p.extend(source_problems(id, s));
    }
    let keys: Vec<OutcomeKey> = d.outcomes.iter().map(|o| o.key).collect();
    if d.kind.has_personal_outcomes() {
        if keys != OutcomeKey::ALL {
            p.push(format!(
                "{id}: outcomes must be good-catch, partly and needs-practice, in that order"
            ));
        }
    } else if !keys.is_empty() {
        p.push(format!(
            "{id}: a QR poster is counted anonymously, so it has no outcomes"
        ));
    }
    for t in drill_texts(d) {
        if t.trim().is_empty() {
            p.push(format!("{id}: a text is empty"));
        }
        for n in stray_phone_numbers(t) {
            p.push(format!("{id}: phone number {n} is not from Ofcom's drama ranges (07700 900xxx, 01632 960xxx)"));
        }
        for u in real_web_addresses(t) {
            p.push(format!("{id}: web address {u} must be under .example"));
        }
        if t.contains("{{") && !t.contains(QR_PLACEHOLDER) {
            p.push(format!("{id}: unexpected placeholder in {t:?}"));
        }
    }
    let has = |present: bool, table: &str| -> Option<String> {
        (!present).then(|| format!("{id}: a {} drill needs [{table}]", d.kind.as_str()))
    };
    let extra = |present: bool, table: &str| -> Option<String> {
        present.then(|| format!("{id}: a {} drill has no [{table}]", d.kind.as_str()))
    };
    let tables = [
        ("script", d.script.is_some(), d.kind == DrillKind::Phone),
        ("card", d.card.is_some(), d.kind == DrillKind::SmsCard),
        ("usb", d.usb.is_some(), d.kind == DrillKind::UsbDrop),
        ("walk", d.walk.is_some(), d.kind == DrillKind::WalkRound),
        ("poster", d.poster.is_some(), d.kind == DrillKind::QrPoster),
        (
            "debrief_page",
            d.debrief_page.is_some(),
            matches!(d.kind, DrillKind::UsbDrop | DrillKind::QrPoster),
        ),
    ];
    for (table, present, wanted) in tables {
        p.extend(if wanted {
            has(present, table)
        } else {
            extra(present, table)
        });
    }
    match d.kind {
        DrillKind::Phone => {
            for check in PHONE_CHECKS {
                if d.check(check).is_none() {
                    p.push(format!(
                        "{id}: a phone drill's checklist must include {check}"
                    ));
                }
            }
            if d.script.as_ref().is_some_and(|s| s.lines.len() < 2) {
                p.push(format!(
                    "{id}: the script needs an opening line and at least one push"
                ));
            }
        }
        DrillKind::SmsCard => {
            if d.card
                .as_ref()
                .is_some_and(|c| !(2..=5).contains(&c.red_flags.len()))
            {
                p.push(format!("{id}: a card needs 2 to 5 red flags"));
            }
        }
        DrillKind::UsbDrop => {
            if let Some(u) = &d.usb {
                for problem in usb_html_problems(&u.html) {
                    p.push(format!("{id}: the USB file {problem}"));
                }
                if u.places.is_empty() || !u.file_name.ends_with(".html") {
                    p.push(format!(
                        "{id}: a USB drill needs places and an .html file name"
                    ));
                }
            }
        }
        DrillKind::WalkRound => {
            if d.checklist.len() < 5 {
                p.push(format!(
                    "{id}: a walk-round checklist needs at least five checks"
                ));
            }
            let running = [d.running.before.join(" "), d.running.during.join(" ")].join(" ");
            if !running.to_lowercase().contains("photograph") {
                p.push(format!(
                    "{id}: a walk-round must say never to take photographs"
                ));
            }
        }
        DrillKind::QrPoster => {
            if let Some(poster) = &d.poster {
                if poster.text.matches(QR_PLACEHOLDER).count() != 1
                    || poster.text.replace(QR_PLACEHOLDER, "").contains("{{")
                {
                    p.push(format!("{id}: the poster text must have {QR_PLACEHOLDER} exactly once and no other placeholder"));
                }
                if poster.places.is_empty() {
                    p.push(format!("{id}: a poster needs at least one place"));
                }
            }
        }
    }
    if let Some(page) = &d.debrief_page {
        let html = page.body_html();
        if html.contains("&lt;") && html.contains("&gt;") {
            p.push(format!("{id}: the debrief page contains raw HTML"));
        }
    }
    p
}

/// Everything wrong with the library as a whole.
pub fn problems(lib: &Library) -> Vec<String> {
    let catalogue = crate::training::content::catalogue();
    let role_keys: Vec<&str> = catalogue.roles.iter().map(|r| r.key.as_str()).collect();
    let mut p = Vec::new();
    let rules = lib.rules.join(" ").to_lowercase();
    for needed in ["practice manager", "real patient", "photograph"] {
        if !rules.contains(needed) {
            p.push(format!("drills/rules.toml must mention {needed:?}"));
        }
    }
    let mut ids = HashSet::new();
    for d in &lib.drills {
        if !ids.insert(d.id.as_str()) {
            p.push(format!("drill id {} is used twice", d.id));
        }
        p.extend(drill_problems(d, &role_keys));
    }
    let count = |k: DrillKind| lib.drills_of(k).count();
    if count(DrillKind::Phone) < 9 {
        p.push("the library needs at least 9 phone drills".into());
    }
    if count(DrillKind::SmsCard) < 6 {
        p.push("the library needs at least 6 text-message cards".into());
    }
    if count(DrillKind::UsbDrop) < 1 || count(DrillKind::QrPoster) < 1 {
        p.push("the library needs a USB drop and a QR poster drill".into());
    }
    for area in Area::ALL {
        if !lib
            .drills
            .iter()
            .any(|d| d.walk.as_ref().is_some_and(|w| w.area == area))
        {
            p.push(format!("no walk-round for {}", area.label()));
        }
    }

    let mut tip_ids = HashSet::new();
    for t in &lib.tips {
        let id = &t.id;
        if !is_kebab(id) || !tip_ids.insert(id.as_str()) {
            p.push(format!("tip id {id:?} must be kebab-case and unique"));
        }
        let say = t.say.trim().trim_end_matches(['"', '\'', '”', '’']);
        if !say.ends_with(['.', '!', '?']) || say[..say.len() - 1].contains(". ") {
            p.push(format!("tip {id}: say must be one sentence"));
        }
        let sentences = t.why.matches(". ").count() + 1;
        if !(2..=3).contains(&sentences) || t.why.len() > 400 {
            p.push(format!(
                "tip {id}: why must be two or three short sentences"
            ));
        }
        p.extend(source_problems(&format!("tip {id}"), &t.source));
        for n in stray_phone_numbers(&format!("{} {}", t.say, t.why)) {
            p.push(format!("tip {id}: phone number {n} is not allowed"));
        }
    }
    if lib.tips.len() < 24 {
        p.push(format!(
            "{} tips; the cyber minute needs at least 24",
            lib.tips.len()
        ));
    }
    for topic in TipTopic::ALL {
        if lib.tips.iter().filter(|t| t.topic == topic).count() < 2 {
            p.push(format!("fewer than two tips about {}", topic.label()));
        }
    }

    let mut threat_ids = HashSet::new();
    for t in &lib.threats {
        let id = &t.id;
        if !is_kebab(id) || !threat_ids.insert(id.as_str()) {
            p.push(format!("threat id {id:?} must be kebab-case and unique"));
        }
        if t.summary_lines().count() != 2 {
            p.push(format!("threat {id}: the summary must be two lines"));
        }
        if !(2..=4).contains(&t.what_to_do.len()) {
            p.push(format!("threat {id}: what_to_do needs 2 to 4 actions"));
        }
        if let Some(m) = &t.training_module {
            if !module_known(m) {
                p.push(format!("threat {id}: training module {m} does not exist"));
            }
        }
        if t.sources.is_empty() {
            p.push(format!("threat {id}: needs at least one source"));
        }
        for s in &t.sources {
            p.extend(source_problems(&format!("threat {id}"), s));
        }
        for text in t.what_to_do.iter().chain([&t.summary, &t.title]) {
            for n in stray_phone_numbers(text) {
                p.push(format!("threat {id}: phone number {n} is not allowed"));
            }
        }
    }
    if !(8..=12).contains(&lib.threats.len()) {
        p.push(format!("{} threats; keep 8 to 12", lib.threats.len()));
    }
    p
}
