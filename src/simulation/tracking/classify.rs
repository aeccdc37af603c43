//! Whether a tracking hit was a person's: email-security scanners, link
//! previewers and link checkers open and click every link, and counting
//! them would tell a practice its staff clicked when nobody did. The rules
//! look at the network (as the practice configured), the browser name, the
//! request method, the email's hidden link and the time since delivery.

use axum::http::Method;

/// Browser names that email-security scanners and link previewers use.
const SCANNER_AGENTS: [&str; 22] = [
    "bot",
    "crawler",
    "spider",
    "preview",
    "scanner",
    "safelinks",
    "microsoft office",
    "ms-office",
    "python",
    "curl",
    "wget",
    "go-http-client",
    "java/",
    "okhttp",
    "proofpoint",
    "mimecast",
    "barracuda",
    "symantec",
    "forcepoint",
    "zscaler",
    "headless",
    "libwww",
];

/// What the practice has configured about scanners (see `[simulation]` settings).
pub struct ScannerRules<'a> {
    pub too_soon_secs: i64,
    pub extra_agents: &'a [String],
    pub networks: &'a [String],
}

impl ScannerRules<'_> {
    pub const DEFAULT: ScannerRules<'static> = ScannerRules {
        too_soon_secs: 10,
        extra_agents: &[],
        networks: &[],
    };

    fn in_scanner_network(&self, ip: &str) -> Option<&str> {
        let ip: std::net::IpAddr = ip.parse().ok()?;
        self.networks
            .iter()
            .find(|n| n.parse::<ipnet::IpNet>().is_ok_and(|net| net.contains(&ip)))
            .map(String::as_str)
    }
}

/// What was seen of one hit.
pub struct Seen<'a> {
    pub method: &'a Method,
    pub user_agent: &'a str,
    pub ip: &'a str,
    /// When the email was delivered, if the hit must wait for a person to read it.
    pub sent_at: Option<i64>,
    pub now: i64,
    /// The same email's hidden link, which no person can see, was followed.
    pub hidden_link_followed: bool,
}

/// Whether a hit counts as a person's action, and if not, what gave it away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Person,
    NotPerson(Sign),
}

/// What marks a hit as a machine's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sign {
    /// From a network the practice set as its email scanner's.
    ScannerNetwork(String),
    /// A browser name the practice listed as a scanner's.
    ListedAgent(String),
    /// A HEAD request: link checkers look before they fetch.
    Head,
    /// No browser name at all.
    NoAgent,
    /// A browser name that scanners and previewers use.
    ScannerAgent(&'static str),
    HiddenLink,
    /// This many seconds after delivery.
    TooSoon(i64),
}

impl Verdict {
    pub fn counted(&self) -> bool {
        *self == Verdict::Person
    }

    /// Why, as the manager reads it beside the event.
    pub fn reasons(&self) -> String {
        let sign = match self {
            Verdict::Person => return "counted: an ordinary browser".into(),
            Verdict::NotPerson(sign) => sign,
        };
        match sign {
            Sign::ScannerNetwork(net) => {
                format!("not counted: from {net}, a network set as your email scanner's")
            }
            Sign::ListedAgent(a) => {
                format!("not counted: the browser name matches a scanner you listed (\"{a}\")")
            }
            Sign::Head => {
                "not counted: a HEAD request (link checkers look before they fetch; browsers do not)"
                    .into()
            }
            Sign::NoAgent => "not counted: no browser name was sent (automated software)".into(),
            Sign::ScannerAgent(s) => {
                format!("not counted: the browser name looks like an email scanner (\"{s}\")")
            }
            Sign::HiddenLink => {
                "not counted: the same email's hidden link, which no person can see, was followed too"
                    .into()
            }
            Sign::TooSoon(secs) => format!("not counted yet: {secs} seconds after delivery is too fast for a person; counted if the page confirms a real browser"),
        }
    }
}

/// Decides whether a hit was a person's.
pub fn classify(seen: &Seen<'_>, rules: &ScannerRules<'_>) -> Verdict {
    let not = Verdict::NotPerson;
    let lower = seen.user_agent.to_ascii_lowercase();
    if let Some(net) = rules.in_scanner_network(seen.ip) {
        return not(Sign::ScannerNetwork(net.to_string()));
    }
    if let Some(a) = rules
        .extra_agents
        .iter()
        .find(|a| !a.is_empty() && lower.contains(&a.to_ascii_lowercase()))
    {
        return not(Sign::ListedAgent(a.clone()));
    }
    if seen.method == Method::HEAD {
        return not(Sign::Head);
    }
    if lower.is_empty() {
        return not(Sign::NoAgent);
    }
    if let Some(s) = SCANNER_AGENTS.iter().find(|s| lower.contains(*s)) {
        return not(Sign::ScannerAgent(s));
    }
    if seen.hidden_link_followed {
        return not(Sign::HiddenLink);
    }
    if let Some(sent) = seen.sent_at {
        if seen.now - sent < rules.too_soon_secs {
            return not(Sign::TooSoon(seen.now - sent));
        }
    }
    Verdict::Person
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;
    const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120";

    fn seen<'a>(
        method: &'a Method,
        ua: &'a str,
        ip: &'a str,
        sent_ago: i64,
        hidden: bool,
    ) -> Seen<'a> {
        Seen {
            method,
            user_agent: ua,
            ip,
            sent_at: Some(NOW - sent_ago),
            now: NOW,
            hidden_link_followed: hidden,
        }
    }

    #[test]
    fn head_requests_scanners_and_instant_clicks_are_not_people() {
        let rules = ScannerRules::DEFAULT;
        let (get, head) = (Method::GET, Method::HEAD);
        let verdict = |s: Seen<'_>| classify(&s, &rules);
        assert_eq!(
            verdict(seen(&head, "Mozilla/5.0", "10.0.0.1", 600, false)),
            Verdict::NotPerson(Sign::Head)
        );
        assert_eq!(
            verdict(seen(
                &get,
                "Mozilla/5.0 (compatible; SafeLinks)",
                "10.0.0.1",
                600,
                false
            )),
            Verdict::NotPerson(Sign::ScannerAgent("safelinks"))
        );
        assert_eq!(
            verdict(seen(&get, "", "10.0.0.1", 600, false)),
            Verdict::NotPerson(Sign::NoAgent)
        );
        assert_eq!(
            verdict(seen(
                &get,
                "Mozilla/5.0 (Windows NT 10.0)",
                "10.0.0.1",
                2,
                false
            )),
            Verdict::NotPerson(Sign::TooSoon(2))
        );
        assert_eq!(
            verdict(seen(
                &get,
                "Mozilla/5.0 (Windows NT 10.0)",
                "10.0.0.1",
                600,
                true
            )),
            Verdict::NotPerson(Sign::HiddenLink)
        );
        let person = verdict(seen(&get, BROWSER, "10.0.0.1", 600, false));
        assert!(person.counted(), "{}", person.reasons());
        assert_eq!(person.reasons(), "counted: an ordinary browser");
    }

    #[test]
    fn configured_scanner_networks_and_names_are_not_people() {
        let nets = vec!["40.94.0.0/16".to_string()];
        let agents = vec!["AcmeMailGuard".to_string()];
        let rules = ScannerRules {
            too_soon_secs: 10,
            extra_agents: &agents,
            networks: &nets,
        };
        let get = Method::GET;
        let in_net = classify(&seen(&get, BROWSER, "40.94.12.3", 600, false), &rules);
        assert_eq!(
            in_net,
            Verdict::NotPerson(Sign::ScannerNetwork("40.94.0.0/16".into()))
        );
        assert!(in_net
            .reasons()
            .contains("a network set as your email scanner's"));
        assert!(classify(&seen(&get, BROWSER, "40.95.12.3", 600, false), &rules).counted());
        assert_eq!(
            classify(
                &seen(&get, "Mozilla/5.0 acmemailguard/2", "10.0.0.1", 600, false),
                &rules
            ),
            Verdict::NotPerson(Sign::ListedAgent("AcmeMailGuard".into()))
        );
    }
}
