//! The reporting-mailbox monitor against a real IMAP server: each test starts
//! a private Debian dovecot (config from tests/support/dovecot/) on loopback
//! ports with a freshly minted certificate, delivers messages into it with
//! IMAP APPEND, and polls it as the app would. XOAUTH2 is checked for real:
//! dovecot asks the test's own little token-info endpoint about the token.
//!
//! Without dovecot (`apt-get install dovecot-imapd`; `.ci/run` installs it)
//! the tests are skipped with a notice, except in CI where they must run.

use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use safetynet::simulation::reporting::imap::{
    poll_once, test_connection, FoundReport, MailboxAuth, MailboxError, MailboxSecurity,
    MailboxSettings,
};
use safetynet::simulation::token::RecipientToken;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

mod oauth;

pub(crate) const USER: &str = "phishing-reports@practice.test";
const PASSWORD: &str = "correct horse battery staple";
const ACCESS_TOKEN: &str = "ya29.a0-test-access-token";

// ---------- a private dovecot ----------

static SKIP_NOTICE: Once = Once::new();

fn dovecot_binary() -> Option<PathBuf> {
    let path = PathBuf::from(
        std::env::var("SAFETYNET_TEST_DOVECOT").unwrap_or_else(|_| "/usr/sbin/dovecot".into()),
    );
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI must run the reporting-mailbox tests, but {} is missing (.ci/run installs dovecot-imapd)", path.display());
    }
    SKIP_NOTICE.call_once(|| {
        // Straight to stderr, past the test harness's output capture, so it is seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** reporting-mailbox tests SKIPPED: dovecot is not installed. `apt-get install dovecot-imapd`, or run `bash .ci/run`. ***\n"
        );
    });
    None
}

/// Who the mail belongs to and who dovecot's helper processes run as. As
/// root: mail as `nobody` (dovecot refuses uid 0 for mail) and Debian's own
/// dovecot/dovenull users. Otherwise everything as the current user.
struct Identities {
    mail_uid: u32,
    mail_gid: u32,
    internal_user: String,
    login_user: String,
}

fn identities() -> Identities {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let entry = |pred: &dyn Fn(&[&str]) -> bool| -> Option<(String, u32, u32)> {
        passwd
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.len() > 3 && pred(f))
            .map(|f| {
                (
                    f[0].to_string(),
                    f[2].parse().unwrap_or(65534),
                    f[3].parse().unwrap_or(65534),
                )
            })
    };
    let me = std::fs::metadata("/proc/self").expect("/proc/self");
    if me.uid() == 0 {
        let (_, uid, gid) = entry(&|f| f[0] == "nobody").unwrap_or(("nobody".into(), 65534, 65534));
        let has = |name: &str| entry(&|f| f[0] == name).is_some();
        let pick = |name: &str| {
            if has(name) {
                name.to_string()
            } else {
                "nobody".to_string()
            }
        };
        Identities {
            mail_uid: uid,
            mail_gid: gid,
            internal_user: pick("dovecot"),
            login_user: pick("dovenull"),
        }
    } else {
        let name = entry(&|f| f[2] == me.uid().to_string())
            .map(|e| e.0)
            .expect("current user in /etc/passwd");
        Identities {
            mail_uid: me.uid(),
            mail_gid: me.gid(),
            internal_user: name.clone(),
            login_user: name,
        }
    }
}

pub(crate) struct Dovecot {
    pub(crate) dir: tempfile::TempDir,
    child: Child,
    imap_port: u16,
    imaps_port: u16,
    /// The test CA that signed dovecot's certificate.
    ca_pem: String,
    _oauth: Option<TokenInfoEndpoint>,
}

impl Dovecot {
    /// Bearer tokens are checked at the test's own token-info endpoint.
    pub(crate) async fn start() -> Option<Self> {
        let binary = dovecot_binary()?;
        let oauth = TokenInfoEndpoint::start().await;
        let port = oauth.port;
        Self::start_with(binary, "oauth2.conf", port, Some(oauth)).await
    }

    /// Bearer tokens are checked at a real token service's introspection
    /// endpoint (oidc-provider on `provider_port`).
    pub(crate) async fn start_with_introspection(provider_port: u16) -> Option<Self> {
        let binary = dovecot_binary()?;
        Self::start_with(binary, "oauth2-introspection.conf", provider_port, None).await
    }

    async fn start_with(
        binary: PathBuf,
        oauth_conf_name: &str,
        oauth_port: u16,
        oauth: Option<TokenInfoEndpoint>,
    ) -> Option<Self> {
        let dir = tempfile::Builder::new()
            .prefix("safetynet-dovecot-")
            .tempdir()
            .unwrap();
        // dovecot's unprivileged helpers must reach their sockets and the mail.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let ids = identities();
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).unwrap();
        std::os::unix::fs::chown(&mail, Some(ids.mail_uid), Some(ids.mail_gid)).unwrap();
        let ca_pem = write_certificates(dir.path());
        std::fs::copy("/usr/share/dovecot/dh.pem", dir.path().join("dh.pem"))
            .expect("dovecot's dh.pem");
        std::fs::write(
            dir.path().join("users"),
            format!("{USER}:{{PLAIN}}{PASSWORD}\n"),
        )
        .unwrap();
        let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/dovecot");
        let oauth_conf = std::fs::read_to_string(support.join(oauth_conf_name)).unwrap();
        std::fs::write(
            dir.path().join("oauth2.conf"),
            oauth_conf.replace("@OAUTH_PORT@", &oauth_port.to_string()),
        )
        .unwrap();
        let template = std::fs::read_to_string(support.join("dovecot.conf")).unwrap();

        // A free port can be taken by a parallel test before dovecot binds it: retry.
        for _attempt in 0..3 {
            let (imap_port, imaps_port) = (free_port(), free_port());
            let conf = template
                .replace("@DIR@", dir.path().to_str().unwrap())
                .replace("@IMAP_PORT@", &imap_port.to_string())
                .replace("@IMAPS_PORT@", &imaps_port.to_string())
                .replace("@UID@", &ids.mail_uid.to_string())
                .replace("@GID@", &ids.mail_gid.to_string())
                .replace("@INTERNAL_USER@", &ids.internal_user)
                .replace("@LOGIN_USER@", &ids.login_user);
            let conf_path = dir.path().join("dovecot.conf");
            let conf = if oauth_conf_name == "oauth2-introspection.conf" {
                // The token service's tokens last seconds, and dovecot slows
                // down each sign-in from an address after a failed one (up
                // to 15 s): longer than a token lasts. Its documented switch:
                // a penalty socket nobody may open.
                conf + "\nservice anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n"
            } else {
                conf
            };
            std::fs::write(&conf_path, conf).unwrap();
            let out = std::fs::File::create(dir.path().join("foreground.log")).unwrap();
            let mut child = Command::new(&binary)
                .arg("-F")
                .arg("-c")
                .arg(&conf_path)
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("start dovecot");
            if wait_until_listening(&mut child, &[imap_port, imaps_port]).await {
                return Some(Self {
                    dir,
                    child,
                    imap_port,
                    imaps_port,
                    ca_pem,
                    _oauth: oauth,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
            // A stale pid file would stop the next attempt from starting.
            let _ = std::fs::remove_file(dir.path().join("run/master.pid"));
        }
        panic!("dovecot did not start; its logs:\n{}", logs(dir.path()));
    }

    pub(crate) fn settings(&self, security: MailboxSecurity) -> MailboxSettings {
        MailboxSettings {
            host: "127.0.0.1".into(),
            port: match security {
                MailboxSecurity::Tls => self.imaps_port,
                MailboxSecurity::Starttls => self.imap_port,
            },
            security,
            username: USER.into(),
            auth: MailboxAuth::Password(PASSWORD.into()),
            folder: "INBOX".into(),
            ca_pem: Some(self.ca_pem.clone()),
        }
    }

    /// An IMAP session of the test's own (not the code under test), for
    /// delivering messages and creating folders.
    async fn admin(
        &self,
    ) -> async_imap::Session<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.imaps_port))
            .await
            .unwrap();
        let tls = tls_connector(&self.ca_pem)
            .connect("127.0.0.1".try_into().unwrap(), tcp)
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tls);
        client.read_response().await.unwrap().expect("greeting");
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .expect("admin login")
    }

    /// Delivers messages with APPEND, so they arrive unseen like real mail.
    pub(crate) async fn deliver(&self, folder: &str, messages: &[Vec<u8>]) {
        let mut session = self.admin().await;
        for m in messages {
            session
                .append(folder, None, None, m)
                .await
                .unwrap_or_else(|e| panic!("APPEND: {e}\n{}", logs(self.dir.path())));
        }
        session.logout().await.unwrap();
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its helper processes; SIGKILL only if it hangs.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_until_listening(child: &mut Child, ports: &[u16]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let mut all = true;
        for port in ports {
            all &= tokio::net::TcpStream::connect(("127.0.0.1", *port))
                .await
                .is_ok();
        }
        if all {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

pub(crate) fn logs(dir: &Path) -> String {
    ["foreground.log", "dovecot.log"]
        .iter()
        .map(|f| {
            format!(
                "--- {f}\n{}",
                std::fs::read_to_string(dir.join(f)).unwrap_or_default()
            )
        })
        .collect()
}

/// A test CA and a leaf for 127.0.0.1/localhost signed by it (rustls will
/// not accept a self-signed CA certificate as the server's own). Writes the
/// server's files and returns the CA's PEM.
fn write_certificates(dir: &Path) -> String {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Safety Net test CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca = ca_params.self_signed(&ca_key).unwrap();

    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let mut leaf_params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();

    std::fs::write(
        dir.join("server.crt"),
        format!("{}{}", leaf.pem(), ca.pem()),
    )
    .unwrap();
    std::fs::write(dir.join("server.key"), leaf_key.serialize_pem()).unwrap();
    ca.pem()
}

fn tls_connector(ca_pem: &str) -> tokio_rustls::TlsConnector {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// The OAuth2 token-info endpoint dovecot asks about bearer tokens: it knows
/// one token, belonging to the test mailbox, and refuses every other.
struct TokenInfoEndpoint {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl TokenInfoEndpoint {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    // Keep-alive: several requests may come on one connection.
                    let mut buf = Vec::new();
                    loop {
                        let mut chunk = [0u8; 4096];
                        let Ok(n) = conn.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let request = String::from_utf8_lossy(&buf[..end]).to_string();
                            buf.drain(..end + 4);
                            let (status, body) = if request.contains(ACCESS_TOKEN) {
                                ("200 OK", format!("{{\"email\":\"{USER}\"}}"))
                            } else {
                                (
                                    "401 Unauthorized",
                                    "{\"error\":\"invalid_token\"}".to_string(),
                                )
                            };
                            let response = format!(
                                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if conn.write_all(response.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self { port, task }
    }
}

impl Drop for TokenInfoEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ---------- the messages staff send ----------

fn simulated_email(t: &RecipientToken, to: &str) -> String {
    format!(
        "From: Parcel Services <noreply@parcel-track.example>\r\n\
         To: {to}\r\n\
         Subject: Your parcel could not be delivered\r\n\
         Date: Mon, 02 Mar 2026 08:00:00 +0000\r\n\
         Message-ID: <{t}@parcel-track.example>\r\n\
         X-Safety-Net-Simulation: {t}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n\
         <p>We tried to deliver your parcel.</p><a href=3D\"https://parcel-track.example/c/{t}\">Rearrange delivery</a>=\r\n\
         <img src=3D\"https://parcel-track.example/o/{t}\">\r\n"
    )
}

/// Outlook's inline forward: HTML, quoted-printable, the link wrapped by Safe Links.
pub(crate) fn inline_forward(t: &RecipientToken, from: &str) -> Vec<u8> {
    let original = format!("https://parcel-track.example/c/{t}");
    let encoded: String = original
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let safelink = format!(
        "https://eur01.safelinks.protection.outlook.com/?url={encoded}&amp;data=05%7C02%7C{}%7C&amp;sdata=abc%3D&amp;reserved=0",
        from.replace('@', "%40")
    );
    let html = format!(
        "<html><body><p>Is this one of yours?</p><hr><b>From:</b> Parcel Services &lt;noreply@parcel-track.example&gt;<br>\
         <b>Subject:</b> Your parcel could not be delivered<br><p>We tried to deliver your parcel.</p>\
         <a href=\"{safelink}\">Rearrange delivery</a></body></html>"
    );
    // Quoted-printable with 76-character lines, which split the long link (and maybe the token).
    let escaped = html.replace('=', "=3D");
    let chars: Vec<char> = escaped.chars().collect();
    let qp = chars
        .chunks(75)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("=\r\n");
    format!(
        "From: Alice Smith <{from}>\r\n\
         To: {USER}\r\n\
         Subject: FW: Your parcel could not be delivered\r\n\
         Date: Tue, 03 Mar 2026 09:15:00 +0000\r\n\
         Message-ID: <fw-{t}-1@practice.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n{qp}\r\n"
    )
    .into_bytes()
}

/// Forwarded as an attachment (Outlook's "Forward as attachment", Thunderbird's default for some).
fn attachment_forward(t: &RecipientToken, from_header: &str) -> Vec<u8> {
    format!(
        "From: {from_header}\r\n\
         To: {USER}\r\n\
         Subject: FW: Your parcel could not be delivered\r\n\
         Date: Tue, 03 Mar 2026 09:20:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n\
         --outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThis looks like phishing.\r\n\
         --outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"parcel.eml\"\r\n\r\n\
         {}\r\n--outer--\r\n",
        simulated_email(t, "bob.jones@practice.test")
    )
    .into_bytes()
}

fn ordinary_report(from: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {USER}\r\nSubject: FW: Invoice overdue\r\nDate: Tue, 03 Mar 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         This came from a supplier I have never heard of: https://invoices.example/view?id=123\r\n"
    )
    .into_bytes()
}

fn by_reporter(reports: &[FoundReport], reporter: &str) -> FoundReport {
    reports
        .iter()
        .find(|r| r.reporter.as_deref() == Some(reporter))
        .unwrap_or_else(|| panic!("no report from {reporter} in {reports:#?}"))
        .clone()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The outbound policy as the tests' Safety Net has it: the test servers are on loopback.
fn loopback() -> safetynet::net::outbound::Policy {
    safetynet::net::outbound::Policy::new(
        &["127.0.0.0/8".into(), "::1/128".into()],
        std::time::Duration::from_secs(20),
    )
}

fn error_text(e: MailboxError) -> String {
    e.to_string()
}

// ---------- the tests ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_reports_are_found_over_starttls_then_marked_seen() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let (alice_token, bob_token) = (RecipientToken::generate(), RecipientToken::generate());
    dovecot
        .deliver(
            "INBOX",
            &[
                inline_forward(&alice_token, "alice.smith@practice.test"),
                attachment_forward(&bob_token, "\"Jones, Bob\" <Bob.Jones@Practice.Test>"),
                ordinary_report("carol@practice.test"),
            ],
        )
        .await;
    let settings = dovecot.settings(MailboxSecurity::Starttls);

    let reports = poll_once(&loopback(), &settings)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", logs(dovecot.dir.path())));
    assert_eq!(reports.len(), 3, "{reports:#?}");
    assert_eq!(
        by_reporter(&reports, "alice.smith@practice.test").tokens,
        vec![alice_token]
    );
    assert_eq!(
        by_reporter(&reports, "bob.jones@practice.test").tokens,
        vec![bob_token]
    );
    assert_eq!(
        by_reporter(&reports, "carol@practice.test").tokens,
        vec![],
        "an ordinary report has no token"
    );
    let mut uids: Vec<u32> = reports.iter().map(|r| r.uid).collect();
    uids.dedup();
    assert_eq!(uids.len(), 3);
    for r in &reports {
        let at = r.received_at.expect("INTERNALDATE");
        assert!(
            (at - unix_now()).abs() < 600,
            "received_at {at} is the delivery time"
        );
    }

    // They were marked seen: nothing new the second time.
    assert_eq!(poll_once(&loopback(), &settings).await.unwrap(), vec![]);

    // Only what arrives later is reported next.
    let late = RecipientToken::generate();
    dovecot
        .deliver("INBOX", &[inline_forward(&late, "dave@practice.test")])
        .await;
    let reports = poll_once(&loopback(), &settings).await.unwrap();
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert_eq!(reports[0].tokens, vec![late]);
    assert_eq!(reports[0].reporter.as_deref(), Some("dave@practice.test"));
    assert!(reports[0].uid > *uids.iter().max().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_works() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let t = RecipientToken::generate();
    dovecot
        .deliver("INBOX", &[attachment_forward(&t, "erin@practice.test")])
        .await;
    let settings = dovecot.settings(MailboxSecurity::Tls);
    test_connection(&loopback(), &settings).await.unwrap();
    let reports = poll_once(&loopback(), &settings).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].tokens, vec![t]);
    assert_eq!(reports[0].reporter.as_deref(), Some("erin@practice.test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xoauth2_sign_in_works_and_a_bad_token_is_explained() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let t = RecipientToken::generate();
    dovecot
        .deliver("INBOX", &[inline_forward(&t, "frank@practice.test")])
        .await;
    let mut settings = dovecot.settings(MailboxSecurity::Starttls);
    settings.auth = MailboxAuth::OAuth2 {
        access_token: ACCESS_TOKEN.into(),
    };
    let reports = poll_once(&loopback(), &settings)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", logs(dovecot.dir.path())));
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].tokens, vec![t]);

    settings.auth = MailboxAuth::OAuth2 {
        access_token: "ya29.expired".into(),
    };
    let err = error_text(test_connection(&loopback(), &settings).await.unwrap_err());
    assert!(
        err.starts_with(&format!(
            "The mail server refused the access token for {USER}"
        )),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_folder_is_read_and_a_missing_one_is_explained() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    // A name outside ASCII, so it must travel in IMAP's modified UTF-7.
    let folder = "Phishing – reports";
    let mut admin = dovecot.admin().await;
    admin.create("Phishing &IBM- reports").await.unwrap();
    admin.logout().await.unwrap();
    let t = RecipientToken::generate();
    dovecot
        .deliver(
            "Phishing &IBM- reports",
            &[attachment_forward(&t, "gina@practice.test")],
        )
        .await;

    let mut settings = dovecot.settings(MailboxSecurity::Starttls);
    settings.folder = folder.into();
    let reports = poll_once(&loopback(), &settings).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].tokens, vec![t]);

    settings.folder = "Phishing reports".into();
    let err = error_text(test_connection(&loopback(), &settings).await.unwrap_err());
    assert!(
        err.starts_with("The mail server refused to open a folder called \"Phishing reports\""),
        "{err}"
    );
    assert!(poll_once(&loopback(), &settings).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_explained() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    for security in [MailboxSecurity::Starttls, MailboxSecurity::Tls] {
        let mut settings = dovecot.settings(security);
        settings.auth = MailboxAuth::Password("Tr0ub4dor&3".into());
        let err = error_text(test_connection(&loopback(), &settings).await.unwrap_err());
        assert!(
            err.starts_with(&format!("The mail server refused the password for {USER}")),
            "{err}"
        );
        assert!(
            !err.contains("Tr0ub4dor"),
            "the password must not appear: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_explained() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    for security in [MailboxSecurity::Starttls, MailboxSecurity::Tls] {
        let mut settings = dovecot.settings(security);
        settings.ca_pem = None;
        let err = error_text(test_connection(&loopback(), &settings).await.unwrap_err());
        assert!(
            err.starts_with("The certificate of 127.0.0.1 is not trusted"),
            "{err}"
        );
    }
    // Garbage in the CA setting is reported as such, before any connection.
    let mut settings = dovecot.settings(MailboxSecurity::Tls);
    settings.ca_pem = Some("not a certificate".into());
    let err = error_text(test_connection(&loopback(), &settings).await.unwrap_err());
    assert!(
        err.starts_with("The extra CA certificate in the settings is not usable"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wrong_port_or_security_is_explained() {
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    // Nothing listening.
    let mut settings = dovecot.settings(MailboxSecurity::Tls);
    settings.port = free_port();
    let err = error_text(test_connection(&loopback(), &settings).await.unwrap_err());
    assert!(
        err.starts_with(&format!("Could not connect to 127.0.0.1:{}", settings.port)),
        "{err}"
    );

    // TLS spoken to the plain (STARTTLS) port.
    let mut settings = dovecot.settings(MailboxSecurity::Tls);
    settings.port = dovecot.imap_port;
    let err = error_text(test_connection(&loopback(), &settings).await.unwrap_err());
    assert!(err.contains("did not answer with TLS"), "{err}");

    // STARTTLS spoken to the TLS port: the server waits for a TLS hello and says nothing.
    let mut settings = dovecot.settings(MailboxSecurity::Starttls);
    settings.port = dovecot.imaps_port;
    let err = error_text(test_connection(&loopback(), &settings).await.unwrap_err());
    assert!(err.contains("choose TLS rather than STARTTLS"), "{err}");
}
