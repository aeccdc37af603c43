//! The `safetynet` command and its subcommands.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::app::Application;
use crate::auth::Role;
use crate::config::Settings;
use crate::db::Db;
use crate::shared::{Clock, EmailAddress, PersonName, PracticeId};

#[derive(Parser)]
#[command(
    name = "safetynet",
    version,
    about = "Safety Net: your GP practice's cyber security programme, in one program."
)]
pub struct Cli {
    /// A TOML configuration file. Settings can also come from SAFETYNET_* environment variables
    /// (for example SAFETYNET_DATABASE_URL, SAFETYNET_SMTP__HOST).
    #[arg(long, global = true, env = "SAFETYNET_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run Safety Net: the staff app and the simulation site, plus the email sender.
    Serve(ServeArgs),
    /// Try Safety Net with a demo practice ("Riverside Surgery") on a local SQLite database.
    /// Prints the address and a practice manager's sign-in details. Safe to run again.
    Demo(ServeArgs),
    /// Apply database migrations and exit (serve and demo also do this at start-up).
    Migrate(DbArgs),
    /// Manage practices.
    Practice {
        #[command(subcommand)]
        command: PracticeCommand,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// List every route of the app with who may use it.
    Routes,
    /// Print the OpenAPI description of the JSON APIs (also served at /api/openapi.json).
    Openapi,
    /// Measure sending, tracking and results-page speed on this machine (prints figures).
    #[cfg(feature = "bench")]
    Bench(crate::bench::BenchArgs),
    /// Measure speed on this machine: needs a build with benchmarks (see README, "How fast").
    #[cfg(not(feature = "bench"))]
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
    /// Back up Safety Net's own database to a file while it runs (a consistent snapshot
    /// of every table; the file restores into SQLite or PostgreSQL).
    Backup {
        /// Where to write the backup. Default: <data dir>/backups/safetynet-<date>-<time>.snbackup
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Restore a backup made by `safetynet backup` into the database (stop Safety Net first).
    /// Refuses a database that already has data unless --force is given.
    Restore {
        /// The backup file.
        #[arg(long)]
        input: PathBuf,
        /// Replace whatever the database holds now.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The table of operating-system and software support (end-of-life) dates.
    SupportDates {
        #[command(subcommand)]
        command: SupportDatesCommand,
    },
    /// The Data Security and Protection Toolkit (DSPT) items Safety Net gathers evidence for.
    Dspt {
        #[command(subcommand)]
        command: DsptCommand,
    },
}

#[derive(Subcommand)]
enum DsptCommand {
    /// Load a newer year's toolkit file (TOML, as content/dspt/2025-26.toml) for every practice.
    /// The toolkit published most recently applies.
    Load {
        /// The toolkit file.
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the toolkit that applies, item by item.
    Show {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum SupportDatesCommand {
    /// Load a newer support-dates table (TOML, as content/resilience/support-dates.toml) for every
    /// practice. A practice's own newer table, or a newer one shipped with Safety Net, still wins.
    Load {
        /// The table file.
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the table in use for practices without their own.
    Show {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Args, Clone, Default)]
struct ServeArgs {
    /// Address for the staff app, like 127.0.0.1:8080.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Address for the simulation site (tracking links and landing pages), like 127.0.0.1:8081.
    #[arg(long)]
    sim_listen: Option<SocketAddr>,
    /// Folder for the SQLite database and other files.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Args, Clone, Default)]
struct DbArgs {
    /// Database URL: sqlite://FILE or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long)]
    database_url: Option<String>,
    /// Folder for the SQLite database when no URL is given.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum PracticeCommand {
    /// Create a practice with the standard departments.
    Create {
        /// The practice's name, like "Riverside Surgery".
        #[arg(long)]
        name: String,
        /// Its ODS code, like A81001.
        #[arg(long)]
        ods_code: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List practices with their ids.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account and print a link for its owner to choose a password (also emailed).
    Create {
        #[arg(long)]
        email: String,
        /// Full name, like "Priya Shah".
        #[arg(long)]
        name: String,
        /// operator, manager, champion or staff.
        #[arg(long)]
        role: String,
        /// The practice id (see `safetynet practice list`); not used for operators.
        #[arg(long)]
        practice: Option<PracticeId>,
        #[command(flatten)]
        db: DbArgs,
    },
}

impl ServeArgs {
    fn apply(&self, s: &mut Settings) {
        if let Some(l) = self.listen {
            s.listen = l;
        }
        if let Some(l) = self.sim_listen {
            s.sim_listen = l;
        }
        if let Some(d) = &self.data_dir {
            s.data_dir = d.clone();
            if self.database_url.is_none() && s.database_url.starts_with("sqlite://") {
                s.database_url = String::new();
            }
        }
        if let Some(u) = &self.database_url {
            s.database_url = u.clone();
        }
        s.fill_derived();
    }
}

impl DbArgs {
    fn apply(&self, s: &mut Settings) {
        ServeArgs {
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            ..Default::default()
        }
        .apply(s)
    }
}

pub fn run() -> std::process::ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn open(settings: &Settings) -> anyhow::Result<Db> {
    if settings.database_url.starts_with("sqlite://") {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating the data folder {}", settings.data_dir.display()))?;
    }
    Db::connect(&settings.database_url).await
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => {
            args.apply(&mut settings);
            let db = open(&settings).await?;
            serve(settings, db, None).await
        }
        Command::Demo(args) => {
            args.apply(&mut settings);
            // The demo's sending profile is a mail server on this computer (127.0.0.1:2525).
            if settings.outbound.allow_networks.is_empty() {
                settings.outbound.allow_networks = vec!["127.0.0.0/8".into(), "::1/128".into()];
            }
            let db = open(&settings).await?;
            let login = crate::demo::seed(&db, Clock::default().now()).await?;
            serve(settings, db, Some(login)).await
        }
        Command::Migrate(args) => {
            args.apply(&mut settings);
            open(&settings).await?;
            println!("The database is up to date.");
            Ok(())
        }
        Command::Practice {
            command: PracticeCommand::Create { name, ods_code, db },
        } => {
            db.apply(&mut settings);
            let db = open(&settings).await?;
            let name = name.trim();
            anyhow::ensure!(!name.is_empty(), "give the practice a name with --name");
            let id = crate::people::practices::create_practice(
                &db,
                name,
                ods_code.as_deref(),
                Clock::default().now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("Created practice {id}: {name}");
            Ok(())
        }
        Command::Practice {
            command: PracticeCommand::List { db },
        } => {
            db.apply(&mut settings);
            let db = open(&settings).await?;
            for p in crate::people::practices::all(&db).await? {
                println!("{}\t{}", p.id, p.name);
            }
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    practice,
                    db,
                },
        } => {
            db.apply(&mut settings);
            let db = open(&settings).await?;
            create_user(settings, db, &email, &name, &role, practice).await
        }
        #[cfg(feature = "bench")]
        Command::Bench(args) => crate::bench::run(args).await,
        #[cfg(not(feature = "bench"))]
        Command::Bench { .. } => anyhow::bail!(
            "this copy of Safety Net was built without its benchmarks. From a source checkout, run: \
             cargo run --release --features bench -- bench"
        ),
        Command::Backup { output, db } => {
            db.apply(&mut settings);
            let database = Db::connect_without_migrating(&settings.database_url).await?;
            let now = Clock::default().now();
            let path = output.unwrap_or_else(|| {
                let t = crate::ukclock::local(now);
                settings.data_dir.join("backups").join(format!(
                    "safetynet-{:04}{:02}{:02}-{:02}{:02}{:02}.snbackup",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                ))
            });
            let s = crate::resilience::own_backup::backup(&database, &path, now).await?;
            println!(
                "Backed up {} tables ({} rows, {} bytes) from the {} database to {}",
                s.tables,
                s.rows,
                s.bytes,
                crate::resilience::own_backup::describe(database.backend()),
                path.display()
            );
            println!("Copy it somewhere else too (another computer, an encrypted drive kept offline): a backup on the same disk is lost with it.");
            database.close().await;
            Ok(())
        }
        Command::Restore { input, force, db } => {
            db.apply(&mut settings);
            if settings.database_url.starts_with("sqlite://") {
                std::fs::create_dir_all(&settings.data_dir).with_context(|| {
                    format!("creating the data folder {}", settings.data_dir.display())
                })?;
            }
            let s = crate::resilience::own_backup::restore(&settings.database_url, &input, force)
                .await?;
            println!(
                "Restored {} tables ({} rows) from {}; every table's row count matches the backup.",
                s.tables,
                s.rows,
                input.display()
            );
            Ok(())
        }
        Command::SupportDates {
            command: SupportDatesCommand::Load { file, db },
        } => {
            db.apply(&mut settings);
            let database = open(&settings).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let text = crate::web::import::csv::decode(&bytes);
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "support-dates.toml".into());
            match crate::resilience::support_dates::load_for_every_practice(
                &database,
                &name,
                &text,
                "operator (command line)",
                Clock::default().now(),
            )
            .await?
            {
                Ok(t) => {
                    println!(
                        "Loaded the support-dates table checked on {} ({} products) for every practice.",
                        crate::resilience::dates::long_date(t.updated),
                        t.products.len()
                    );
                    Ok(())
                }
                Err(problem) => anyhow::bail!("{problem}"),
            }
        }
        Command::SupportDates {
            command: SupportDatesCommand::Show { db },
        } => {
            db.apply(&mut settings);
            let database = open(&settings).await?;
            let table = crate::resilience::support_dates::for_every_practice(&database).await?;
            println!(
                "Support dates, last checked {}:",
                crate::resilience::dates::long_date(table.updated)
            );
            for p in &table.products {
                println!(
                    "  {:<40} {}  {}",
                    p.name,
                    crate::resilience::dates::iso(p.ends),
                    p.source
                );
            }
            Ok(())
        }
        Command::Dspt {
            command: DsptCommand::Load { file, db },
        } => {
            db.apply(&mut settings);
            let database = open(&settings).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "toolkit.toml".into());
            let current = crate::dspt::in_use::toolkit(&database).await?;
            let mut tx = database.begin().await?;
            let now = Clock::default().now();
            match crate::dspt::in_use::load(&mut tx, &current, &bytes, &name, "operator (command line)", now).await? {
                Ok(t) => {
                    crate::auth::audit::record(
                        &mut tx,
                        None,
                        &crate::auth::audit::Actor::system(),
                        crate::auth::audit::Action::DsptChanged,
                        &format!("loaded {} ({} items) from {name} on the command line", t.name(), t.items.len()),
                        now,
                    )
                    .await?;
                    tx.commit().await?;
                    println!(
                        "Loaded {} ({} items, {} mandatory) for every practice; submission deadline {}.",
                        t.name(),
                        t.items.len(),
                        t.mandatory_items().count(),
                        crate::dspt::status::short_date(t.deadline)
                    );
                    Ok(())
                }
                Err(problem) => anyhow::bail!("{problem}"),
            }
        }
        Command::Dspt {
            command: DsptCommand::Show { db },
        } => {
            db.apply(&mut settings);
            let database = open(&settings).await?;
            let t = crate::dspt::in_use::toolkit(&database).await?;
            println!(
                "{} for {}: {} items, submit by {}.",
                t.name(),
                t.audience,
                t.items.len(),
                crate::dspt::status::short_date(t.deadline)
            );
            for i in &t.items {
                println!(
                    "  {:<7} {}{}",
                    i.id,
                    i.title,
                    if i.mandatory { " (mandatory)" } else { "" }
                );
            }
            Ok(())
        }
        Command::Routes => {
            for r in crate::app::route_table() {
                println!("{:<5} {:<40} {:?}", r.method, r.path, r.access);
            }
            Ok(())
        }
        Command::Openapi => {
            println!("{:#}", crate::api_docs::document());
            Ok(())
        }
    }
}

async fn create_user(
    settings: Settings,
    db: Db,
    email: &str,
    name: &str,
    role: &str,
    practice: Option<PracticeId>,
) -> anyhow::Result<()> {
    let email =
        EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("--email: {}", e.message))?;
    let name = PersonName::parse(name).map_err(|e| anyhow::anyhow!("--name: {}", e.message))?;
    let role = Role::parse(role).context("--role must be operator, manager, champion or staff")?;
    let clock = Clock::default();
    let now = clock.now();
    let (user_id, practice_id, practice_name) = match (role, practice) {
        (Role::Operator, None) => {
            let id = crate::people::accounts::create_user(
                &db,
                email.as_str(),
                name.as_str(),
                role,
                None,
                None,
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .map_err(|e| anyhow::anyhow!(e))?;
            (id, None, "your area".to_string())
        }
        (Role::Operator, Some(_)) => {
            anyhow::bail!("operators do not belong to a practice: leave out --practice")
        }
        (_, None) => {
            anyhow::bail!("give the practice id with --practice (see `safetynet practice list`)")
        }
        (_, Some(pid)) => {
            let pname = crate::people::accounts::practice_name(&db, pid)
                .await
                .map_err(|_| {
                    anyhow::anyhow!("there is no practice {pid} (see `safetynet practice list`)")
                })?;
            let id = if role == Role::Manager {
                crate::people::practices::add_practice_manager(&db, pid, &name, &email, now).await
            } else {
                crate::people::accounts::create_user(
                    &db,
                    email.as_str(),
                    name.as_str(),
                    role,
                    Some(pid),
                    None,
                    now,
                )
                .await
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .map_err(|e| anyhow::anyhow!(e))?;
            (id, Some(pid), pname)
        }
    };
    let mut settings = settings;
    if settings.public_url.is_empty() {
        settings.public_url = format!("http://{}", settings.listen);
    }
    let mut tx = db.begin().await?;
    let link = crate::people::accounts::send_invitation(
        &mut tx,
        &settings.public_url,
        &crate::people::accounts::Invitation {
            user_id,
            email: email.as_str(),
            full_name: name.as_str(),
            practice_id,
            practice_name: &practice_name,
            inviter: "Safety Net",
        },
        now,
    )
    .await?;
    tx.commit().await?;
    println!("Created {} account for {name} <{email}>.", role.label());
    println!("They choose their password here (valid for 7 days; the link has also been queued as an email):\n{link}");
    Ok(())
}

async fn serve(
    settings: Settings,
    db: Db,
    demo: Option<crate::demo::DemoLogin>,
) -> anyhow::Result<()> {
    let app = Application::build(settings, db, Clock::default()).await?;
    let url = app.state().public_url().to_string();
    println!("Safety Net is running at {url}");
    println!("Simulation site: {}", app.state().settings.sim_public_url);
    if let Some(login) = demo {
        println!();
        println!(
            "Demo practice: {} ({})",
            crate::demo::PRACTICE,
            if login.created {
                "just created"
            } else {
                "already set up"
            }
        );
        println!("Sign in as the practice manager:");
        println!("  email:     {}", login.email);
        println!("  password:  {}", login.password);
        println!(
            "  security code: add this key to an authenticator app: {}",
            login.totp_secret
        );
        println!(
            "  or use one of these one-time recovery codes: {}",
            login.recovery_codes[..3].join("  ")
        );
        println!();
        println!("GoPhish-compatible API (for GoPhish scripts and the `gophish` Python client):");
        println!("  base URL: {url}/");
        println!("  API key:  {}", login.api_key);
        println!(
            "  try: curl -H 'Authorization: Bearer {}' {url}/api/campaigns/summary",
            login.api_key
        );
        println!("(A new password, codes and API key are printed each time the demo starts.)");
    }
    println!("Press Ctrl+C to stop.");
    let stop = CancellationToken::new();
    let signal_stop = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        signal_stop.cancel();
    });
    app.run_until_stopped(stop, true).await
}
