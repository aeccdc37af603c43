//! The outbound policy: where Safety Net may connect on a practice's behalf
//! (sending profiles and "Send test email", the reporting mailbox, webhooks
//! and "Send a test event").
//!
//! A practice manager types a host name, so without a policy their account
//! could reach inside the network Safety Net runs in: the cloud's metadata
//! service, an admin page on loopback, a database on a private address. Only
//! public addresses are allowed, unless the operator lists a network in
//! `[outbound] allow_networks`. The check is made on the address actually
//! connected to, after the name lookup, so a name that changes its address
//! between a check and the connection (DNS rebinding) gains nothing: every
//! connection here goes to an address that passed [`Policy::check`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;
use tokio::net::TcpStream;

use crate::config::Settings;

/// Why an address is not a public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Unspecified,
    Loopback,
    Private,
    LinkLocal,
    /// 100.64.0.0/10, used inside carrier and cloud networks.
    SharedAddressSpace,
    /// A cloud server's metadata service (its credentials and settings).
    Metadata,
    UniqueLocal,
    Multicast,
    Broadcast,
    Documentation,
    /// Reserved for special purposes (benchmarking, future use, tunnelling).
    Reserved,
}

impl Category {
    /// In words for the practice manager.
    pub fn describe(self) -> &'static str {
        match self {
            Category::Unspecified => "not the address of a single computer",
            Category::Loopback => "this server itself (a loopback address)",
            Category::Private => "a private address inside a local network",
            Category::LinkLocal => {
                "a link-local address, which only reaches the local network segment"
            }
            Category::SharedAddressSpace => {
                "an address inside a provider's own network (100.64.0.0/10)"
            }
            Category::Metadata => {
                "a cloud server's private settings service, where its passwords are kept"
            }
            Category::UniqueLocal => "a private IPv6 address inside a local network",
            Category::Multicast => "a multicast address, not a single computer",
            Category::Broadcast => "a broadcast address, not a single computer",
            Category::Documentation => "an address reserved for examples in documentation",
            Category::Reserved => "an address reserved for special purposes",
        }
    }

    /// Never allowed, whatever networks the operator lists.
    fn never(self) -> bool {
        matches!(
            self,
            Category::Metadata | Category::Unspecified | Category::Multicast | Category::Broadcast
        )
    }
}

fn v4_in(ip: Ipv4Addr, net: [u8; 4], bits: u8) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn v6_in(ip: Ipv6Addr, net: Ipv6Addr, bits: u8) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u128::MAX << (128 - bits)
    };
    u128::from(ip) & mask == u128::from(net) & mask
}

fn classify_v4(ip: Ipv4Addr) -> Option<Category> {
    const METADATA: [Ipv4Addr; 3] = [
        Ipv4Addr::new(169, 254, 169, 254), // AWS, Azure, Google, Oracle…
        Ipv4Addr::new(169, 254, 170, 2),   // AWS container credentials
        Ipv4Addr::new(100, 100, 100, 200), // Alibaba Cloud
    ];
    if METADATA.contains(&ip) {
        return Some(Category::Metadata);
    }
    let table: [([u8; 4], u8, Category); 16] = [
        ([0, 0, 0, 0], 8, Category::Unspecified),
        ([127, 0, 0, 0], 8, Category::Loopback),
        ([10, 0, 0, 0], 8, Category::Private),
        ([172, 16, 0, 0], 12, Category::Private),
        ([192, 168, 0, 0], 16, Category::Private),
        ([169, 254, 0, 0], 16, Category::LinkLocal),
        ([100, 64, 0, 0], 10, Category::SharedAddressSpace),
        ([192, 0, 0, 0], 24, Category::Reserved),
        ([192, 0, 2, 0], 24, Category::Documentation),
        ([198, 51, 100, 0], 24, Category::Documentation),
        ([203, 0, 113, 0], 24, Category::Documentation),
        ([198, 18, 0, 0], 15, Category::Reserved),
        ([192, 88, 99, 0], 24, Category::Reserved),
        ([224, 0, 0, 0], 4, Category::Multicast),
        ([255, 255, 255, 255], 32, Category::Broadcast),
        ([240, 0, 0, 0], 4, Category::Reserved),
    ];
    table
        .iter()
        .find(|(net, bits, _)| v4_in(ip, *net, *bits))
        .map(|(_, _, c)| *c)
}

/// The IPv4 address an IPv6 address carries, where it carries one that a
/// gateway would reach: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d),
/// NAT64 (64:ff9b::/96, 64:ff9b:1::/48) and 6to4 (2002::/16).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let o = ip.octets();
    let last4 = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let n = u128::from(ip);
    // ::a.b.c.d, but not :: or ::1 themselves.
    if n >> 32 == 0 && n > 1 {
        return Some(last4);
    }
    if v6_in(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96)
        || v6_in(ip, Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48)
    {
        return Some(last4);
    }
    if ip.segments()[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

fn classify_v6(ip: Ipv6Addr) -> Option<Category> {
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some(Category::Metadata); // AWS over IPv6
    }
    if ip.is_unspecified() {
        return Some(Category::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Category::Loopback);
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let table: [(Ipv6Addr, u8, Category); 10] = [
        (
            Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
            10,
            Category::LinkLocal,
        ),
        (
            Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
            10,
            Category::Private,
        ),
        (
            Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
            7,
            Category::UniqueLocal,
        ),
        (
            Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0),
            8,
            Category::Multicast,
        ),
        (
            Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
            32,
            Category::Documentation,
        ),
        (
            Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
            20,
            Category::Documentation,
        ),
        (
            Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
            64,
            Category::Reserved,
        ),
        // Teredo tunnels hide the address they reach.
        (
            Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
            32,
            Category::Reserved,
        ),
        (
            Ipv6Addr::new(0x2001, 0x10, 0, 0, 0, 0, 0, 0),
            28,
            Category::Reserved,
        ),
        (
            Ipv6Addr::new(0x2001, 0x20, 0, 0, 0, 0, 0, 0),
            28,
            Category::Reserved,
        ),
    ];
    table
        .iter()
        .find(|(net, bits, _)| v6_in(ip, *net, *bits))
        .map(|(_, _, c)| *c)
}

/// What kind of non-public address this is; `None` for a public one.
pub fn classify(ip: IpAddr) -> Option<Category> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// An address written into a host box in any of the forms a resolver
/// accepts: `127.0.0.1`, `127.1`, `2130706433`, `0x7f.1`, `::1`, `[::1]`,
/// `::ffff:127.0.0.1`. `None` for a name.
pub fn literal(host: &str) -> Option<IpAddr> {
    let host = host.trim().trim_end_matches('.');
    if let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Some(ip);
    }
    // The URL standard's host parser reads the shortened, decimal, octal and hex forms.
    match url::Host::parse(host).ok()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// What went wrong reaching a practice's server, sorted so a test page can
/// say which kind of failure it was. Nothing the remote side sent is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("Safety Net will not connect to {host}: {reason}. If this server really is on your own network, ask the person who runs Safety Net to allow that network.")]
    Refused { host: String, reason: String },
    #[error("Safety Net could not find {host}: no computer has that name. Check the server name.")]
    NotFound { host: String },
    #[error("Could not connect to {host}:{port}: {why}. Check the server name and port.")]
    CouldNotConnect {
        host: String,
        port: u16,
        why: &'static str,
    },
    #[error(
        "{host}:{port} did not answer in time. Check the server name and port, or try again later."
    )]
    TimedOut { host: String, port: u16 },
}

/// Which kind of failure, for the words on a test page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    RefusedByPolicy,
    CouldNotConnect,
    TimedOut,
    TlsFailed,
    ServerSaidNo,
    /// It answered, but not as that kind of server does.
    UnexpectedAnswer,
}

impl FailureKind {
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::RefusedByPolicy => "Refused by Safety Net's outbound policy",
            FailureKind::CouldNotConnect => "Could not connect",
            FailureKind::TimedOut => "Timed out",
            FailureKind::TlsFailed => "The secure (TLS) connection failed",
            FailureKind::ServerSaidNo => "The server said no",
            FailureKind::UnexpectedAnswer => "The server's answer was not understood",
        }
    }
}

impl OutboundError {
    pub fn kind(&self) -> FailureKind {
        match self {
            OutboundError::Refused { .. } => FailureKind::RefusedByPolicy,
            OutboundError::NotFound { .. } | OutboundError::CouldNotConnect { .. } => {
                FailureKind::CouldNotConnect
            }
            OutboundError::TimedOut { .. } => FailureKind::TimedOut,
        }
    }
}

/// Describes a failed connection without the operating system's wording.
pub fn connect_failure(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => {
            "nothing is accepting connections on that port (connection refused)"
        }
        K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof => "it closed the connection",
        K::TimedOut => "it did not answer",
        K::HostUnreachable | K::NetworkUnreachable => "that address cannot be reached from here",
        _ => "the network connection failed",
    }
}

/// Whether a TLS failure is among an error's causes (rustls errors often
/// sit inside an `io::Error`, whose `source` skips them).
pub fn tls_failure_in(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<tokio_rustls::rustls::Error>() {
            return true;
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if tls_failure_in(inner) {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

/// The first `io::Error` among an error's causes.
pub fn io_failure_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    in_chain::<std::io::Error>(e)
}

/// The first error of type `T` among an error's causes (itself included).
pub fn in_chain<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        cur = err.source();
    }
    None
}

/// How [`http_failure`] speaks of the far side of a request.
pub struct HttpWords<'a> {
    /// The far side as the manager knows it, like "the token service login.example".
    pub who: &'a str,
    /// What to check after a certificate failure, like "the address".
    pub check: &'a str,
    /// Added after a refused connection (may be empty), like " Is it running?".
    pub ask: &'a str,
    /// The end of "… did not answer …" for an answer that is not one, like "properly".
    pub odd: &'a str,
    pub timeout: Duration,
}

/// Why an HTTP request made for a practice got no answer, by its kind only:
/// never anything the far side sent, since a practice can point Safety Net
/// at anything and its answer could be another service's secrets.
pub fn http_failure(e: &reqwest::Error, w: HttpWords<'_>) -> String {
    let who = w.who;
    if let Some(r) = in_chain::<Refusal>(e) {
        return r.0.to_string();
    }
    if e.is_timeout() {
        let secs = w.timeout.as_secs();
        let label = FailureKind::TimedOut.label();
        return format!("{label}: {who} did not answer within {secs} seconds.");
    }
    if tls_failure_in(e) {
        let label = FailureKind::TlsFailed.label();
        return format!(
            "{label}: check {} is right and its certificate is valid.",
            w.check
        );
    }
    let connect = FailureKind::CouldNotConnect.label();
    if e.is_connect() {
        let why = io_failure_in(e)
            .map(connect_failure)
            .unwrap_or("the network connection failed");
        return format!("{connect}: {who}: {why}.{}", w.ask);
    }
    if let Some(io) = io_failure_in(e) {
        return format!("{connect}: {who}: {}.", connect_failure(io));
    }
    let label = FailureKind::UnexpectedAnswer.label();
    format!("{label}: {who} did not answer {}.", w.odd)
}

/// The outbound policy for one Safety Net: the built-in rules plus the
/// operator's allowed networks.
#[derive(Debug, Clone)]
pub struct Policy {
    allow: Vec<IpNet>,
    timeout: Duration,
}

impl Policy {
    /// `allow` has been checked when the settings were loaded; a network that does not parse is left out.
    pub fn new(allow: &[String], timeout: Duration) -> Self {
        Self {
            allow: allow.iter().filter_map(|n| n.parse().ok()).collect(),
            timeout,
        }
    }

    pub fn from_settings(s: &Settings) -> Self {
        Self::new(
            &s.outbound.allow_networks,
            Duration::from_secs(s.outbound.timeout_seconds.max(1)),
        )
    }

    /// How long a server may take to answer each step.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether Safety Net may connect to `ip`, and if not, why.
    pub fn check(&self, ip: IpAddr) -> Result<(), Category> {
        let Some(category) = classify(ip) else {
            return Ok(());
        };
        let canonical = ip.to_canonical();
        let listed = self
            .allow
            .iter()
            .any(|n| n.contains(&ip) || n.contains(&canonical));
        if listed && !category.never() {
            Ok(())
        } else {
            Err(category)
        }
    }

    fn refused(host: &str, ip: IpAddr, c: Category) -> OutboundError {
        let reason = if literal(host) == Some(ip) {
            format!("{ip} is {}", c.describe())
        } else {
            format!("it leads to {ip}, {}", c.describe())
        };
        OutboundError::Refused {
            host: host.to_string(),
            reason,
        }
    }

    /// For a settings form: a host typed as an address that is not allowed,
    /// refused now with the reason. Names are looked up when connecting.
    pub fn check_host(&self, host: &str) -> Result<(), String> {
        match literal(host) {
            Some(ip) => self
                .check(ip)
                .map_err(|c| Self::refused(host, ip, c).to_string()),
            None => Ok(()),
        }
    }

    /// Every address `host` stands for, each allowed by the policy; refused
    /// if any is not (a name that leads somewhere private is not trusted).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError> {
        let host = host.trim();
        let ips: Vec<IpAddr> = match literal(host) {
            Some(ip) => vec![ip],
            None => {
                let name = host.trim_end_matches('.');
                let found =
                    tokio::time::timeout(self.timeout, tokio::net::lookup_host((name, port)))
                        .await
                        .map_err(|_| OutboundError::TimedOut {
                            host: host.to_string(),
                            port,
                        })?
                        .map_err(|_| OutboundError::NotFound {
                            host: host.to_string(),
                        })?;
                found.map(|a| a.ip()).collect()
            }
        };
        if ips.is_empty() {
            return Err(OutboundError::NotFound {
                host: host.to_string(),
            });
        }
        for ip in &ips {
            self.check(*ip).map_err(|c| Self::refused(host, *ip, c))?;
        }
        Ok(ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect())
    }

    /// A TCP connection to `host:port`, made only to an allowed address.
    pub async fn connect(&self, host: &str, port: u16) -> Result<TcpStream, OutboundError> {
        let addrs = self.resolve(host, port).await?;
        let mut last = "the network connection failed";
        for addr in addrs {
            match tokio::time::timeout(self.timeout, TcpStream::connect(addr)).await {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err(e)) => last = connect_failure(&e),
                Err(_) => {
                    return Err(OutboundError::TimedOut {
                        host: host.to_string(),
                        port,
                    })
                }
            }
        }
        Err(OutboundError::CouldNotConnect {
            host: host.to_string(),
            port,
            why: last,
        })
    }
}

/// A refusal from inside reqwest's name lookup, carried through its error.
#[derive(Debug)]
pub struct Refusal(pub OutboundError);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Refusal {}

/// reqwest's name lookup through the policy, so every connection an HTTP
/// client makes (including to a name whose address changed) is checked.
/// Addresses written as digits skip name lookup: check those with
/// [`Policy::resolve`] before sending.
pub struct Resolver(pub Policy);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addrs = policy.resolve(&name, 0).await.map_err(Refusal)?;
            // Port 0 is replaced by the URL's port.
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn every_kind_of_inside_address_is_recognised() {
        for (a, c) in [
            ("127.0.0.1", Category::Loopback),
            ("::1", Category::Loopback),
            ("10.1.2.3", Category::Private),
            ("172.31.255.1", Category::Private),
            ("192.168.1.1", Category::Private),
            ("169.254.169.254", Category::Metadata),
            ("100.100.100.200", Category::Metadata),
            ("fd00:ec2::254", Category::Metadata),
            ("169.254.10.1", Category::LinkLocal),
            ("fe80::1", Category::LinkLocal),
            ("100.64.0.1", Category::SharedAddressSpace),
            ("fd12:3456::1", Category::UniqueLocal),
            ("0.0.0.0", Category::Unspecified),
            ("::", Category::Unspecified),
            ("224.0.0.1", Category::Multicast),
            ("255.255.255.255", Category::Broadcast),
            ("192.0.2.10", Category::Documentation),
            ("2001:db8::1", Category::Documentation),
            // IPv4 inside IPv6: mapped, compatible, NAT64 and 6to4 are judged by the IPv4 address.
            ("::ffff:127.0.0.1", Category::Loopback),
            ("::ffff:169.254.169.254", Category::Metadata),
            ("::10.0.0.1", Category::Private),
            ("64:ff9b::a9fe:a9fe", Category::Metadata),
            ("64:ff9b:1::7f00:1", Category::Loopback),
            ("2002:c0a8:0101::1", Category::Private),
        ] {
            assert_eq!(classify(ip(a)), Some(c), "{a}");
        }
        for a in [
            "93.184.216.34",
            "2606:4700::1111",
            "64:ff9b::5db8:d822",
            "172.32.0.1",
        ] {
            assert_eq!(classify(ip(a)), None, "{a} is public");
        }
    }

    #[test]
    fn addresses_typed_in_odd_forms_are_read_as_addresses() {
        for (typed, meant) in [
            ("127.1", "127.0.0.1"),
            ("2130706433", "127.0.0.1"),
            ("0x7f.0.0.1", "127.0.0.1"),
            ("0177.0.0.1", "127.0.0.1"),
            ("[::1]", "::1"),
            ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
            ("169.254.169.254.", "169.254.169.254"),
        ] {
            assert_eq!(literal(typed), Some(ip(meant)), "{typed}");
        }
        assert_eq!(literal("smtp.example.org"), None);
        assert_eq!(literal("localhost"), None);
    }

    #[test]
    fn an_allowed_network_opens_it_but_never_the_metadata_service() {
        let p = Policy::new(
            &["127.0.0.0/8".into(), "169.254.0.0/16".into()],
            Duration::from_secs(1),
        );
        assert_eq!(p.check(ip("127.0.0.1")), Ok(()));
        assert_eq!(p.check(ip("::ffff:127.0.0.1")), Ok(()));
        assert_eq!(p.check(ip("10.0.0.1")), Err(Category::Private));
        assert_eq!(p.check(ip("169.254.169.254")), Err(Category::Metadata));
        let none = Policy::new(&[], Duration::from_secs(1));
        assert!(none
            .check_host("2130706433")
            .unwrap_err()
            .contains("loopback"));
        assert!(none.check_host("smtp.example.org").is_ok());
    }
}
