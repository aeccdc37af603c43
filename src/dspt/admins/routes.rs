//! The register's pages: the manager's list and add form, one entry with its
//! acceptances, a staff member's "Your agreements", and the page an emailed
//! link opens (no account: the link is the only key, and opens nothing else).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::domain::{Accepted, Access, AccessForm, AccessKind, Standing, Via};
use super::{repo, LINK_PATH, MY_AGREEMENTS};
use crate::auth::audit::{self, Action, Actor};
use crate::auth::{tokens, ManagerScope, PracticeScope};
use crate::dspt::agreement::it_administrator;
use crate::dspt::ids::AccessId;
use crate::dspt::status::short_date;
use crate::people::accounts::practice_name;
use crate::people::domain::{AccountStatus, Showing};
use crate::people::staff::{self, Search, StaffMember};
use crate::resilience::dates::{iso, uk_date};
use crate::shared::{AppState, StaffId};
use crate::ukclock;
use crate::web::{render, AppError, ClientIp, FieldErrors, Notice, Page, Path, ValidForm};

const NOTICES: &[(&str, &str)] = &[
    (
        "added",
        "Added to the register. The agreement has been emailed to them.",
    ),
    (
        "sent",
        "The agreement has been emailed again. Any earlier link no longer works.",
    ),
    (
        "ended",
        "Their access is recorded as ended, and their agreement with it.",
    ),
    (
        "accepted",
        "Thank you: your acceptance of the agreement is recorded.",
    ),
];

/// A line of the register.
pub struct Line {
    pub a: Access,
    pub standing: Standing,
}

fn lines(all: Vec<Access>, today: time::Date) -> Vec<Line> {
    let version = i64::from(it_administrator().version);
    all.into_iter()
        .map(|a| Line {
            standing: a.standing(today, version),
            a,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dspt/admins.html")]
struct ListPage {
    page: Page,
    lines: Vec<Line>,
    staff: Vec<StaffMember>,
    kinds: &'static [AccessKind],
    form: AccessForm,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    scope: &ManagerScope,
    form: AccessForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Html<String>, AppError> {
    let today = uk_date(state.clock.now());
    render(ListPage {
        page: Page::for_user("IT administrators and their agreements", scope.user())
            .with_notice(notice),
        lines: lines(repo::all(&state.db, scope).await?, today),
        staff: staff::search(
            &state.db,
            scope,
            &Search {
                words: "",
                department: None,
                showing: Showing::Current,
            },
        )
        .await?,
        kinds: AccessKind::ALL,
        form,
        errors,
    })
}

/// `/dspt/administrators`: the register and the form to add someone.
pub async fn list(
    State(state): State<AppState>,
    scope: ManagerScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    list_page(
        &state,
        &scope,
        AccessForm::default(),
        FieldErrors::default(),
        notice.say(NOTICES),
    )
    .await
}

/// Adds someone to the register and emails them the agreement.
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    ValidForm(form): ValidForm<AccessForm>,
) -> Result<Response, AppError> {
    let chosen = match form.staff_id.trim().parse::<StaffId>() {
        Ok(id) => staff::find(&state.db, &scope, id)
            .await?
            .filter(|s| s.active),
        Err(_) => None,
    };
    let new = match form.check(chosen.as_ref().map(|s| s.id)) {
        Ok(n) => n,
        Err(errors) => {
            return Ok(list_page(&state, &scope, form, errors, None)
                .await?
                .into_response())
        }
    };
    let now = state.clock.now();
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let has_account = chosen.is_some_and(|s| matches!(s.account, AccountStatus::Active { .. }));
    let mut tx = state.db.begin().await?;
    let id = repo::insert(&mut tx, &scope, &new, now).await?;
    let entry = Access {
        id,
        staff_id: new.staff_id,
        full_name: new.full_name.as_str().to_string(),
        email: new.email.as_str().to_string(),
        organisation: new.organisation.clone(),
        systems: new.systems.clone(),
        access_kind: new.access_kind,
        ended_on: None,
        staff_active: None,
        staff_left_on: None,
        agreed_at: None,
        agreed_version: None,
    };
    super::send(
        &mut tx,
        &state,
        scope.practice_id(),
        &practice,
        &entry,
        has_account,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::AdminAccessChanged,
        &format!(
            "added {} ({}) to the register of administrator access and sent the agreement",
            entry.full_name, entry.organisation
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/dspt/administrators/{id}"), "added").into_response())
}

#[derive(Template)]
#[template(path = "dspt/admin.html")]
struct ShowPage {
    page: Page,
    line: Line,
    accepted: Vec<Accepted>,
    link: String,
    version: u32,
    today: String,
}

impl ShowPage {
    fn when(&self, at: &i64) -> String {
        ukclock::format(*at)
    }
}

async fn find(state: &AppState, scope: &PracticeScope, id: AccessId) -> Result<Access, AppError> {
    repo::find(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `/dspt/administrators/{access_id}`: one person, their agreement and its history.
pub async fn show(
    State(state): State<AppState>,
    scope: ManagerScope,
    Path(id): Path<AccessId>,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let a = find(&state, &scope, id).await?;
    let now = state.clock.now();
    let link = match repo::last_link(&state.db, &scope, id).await? {
        Some((_, _, Some(used))) => format!(
            "The last emailed link was used on {}.",
            ukclock::format(used)
        ),
        Some((sent, expires, None)) if expires > now => format!(
            "A link was emailed on {}; it works until {}.",
            ukclock::format(sent),
            ukclock::format(expires)
        ),
        Some((sent, _, None)) => format!(
            "The link emailed on {} was not used and no longer works.",
            ukclock::format(sent)
        ),
        None => String::new(),
    };
    let today = uk_date(now);
    let line = lines(vec![a], today).remove(0);
    render(ShowPage {
        page: Page::for_user(line.a.full_name.clone(), scope.user())
            .with_notice(notice.say(NOTICES)),
        accepted: repo::accepted(&state.db, &scope, id).await?,
        line,
        link,
        version: it_administrator().version,
        today: crate::resilience::dates::numeric(today),
    })
}

/// Emails the agreement again (a new link for someone without an account).
pub async fn resend(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<AccessId>,
) -> Result<Response, AppError> {
    let a = find(&state, &scope, id).await?;
    if a.ended().is_some() {
        return Err(AppError::BadRequest(
            "Their access has ended, so there is no agreement to send.".into(),
        ));
    }
    let now = state.clock.now();
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let has_account = super::has_account(&state.db, &scope, &a).await?;
    let mut tx = state.db.begin().await?;
    super::send(
        &mut tx,
        &state,
        scope.practice_id(),
        &practice,
        &a,
        has_account,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::AdminAccessChanged,
        &format!("sent the administrator agreement to {}", a.full_name),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/dspt/administrators/{id}"), "sent").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EndForm {
    ended_on: String,
}

/// Records that the person's access ended (their agreement ends with it).
pub async fn end(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: ManagerScope,
    Path(id): Path<AccessId>,
    ValidForm(form): ValidForm<EndForm>,
) -> Result<Response, AppError> {
    let a = find(&state, &scope, id).await?;
    let now = state.clock.now();
    let today = uk_date(now);
    let on = match crate::resilience::dates::parse_date(&form.ended_on) {
        Ok(Some(d)) if d <= today => d,
        Ok(None) => today,
        Ok(Some(_)) => {
            return Err(AppError::BadRequest(
                "The day access ended cannot be in the future. Go back and enter today's date or an earlier one.".into(),
            ))
        }
        Err(problem) => return Err(AppError::BadRequest(problem)),
    };
    let mut tx = state.db.begin().await?;
    repo::end(&mut tx, &scope, id, &iso(on), now).await?;
    audit::record(
        &mut tx,
        Some(scope.practice_id()),
        &Actor::user(scope.user(), &ip),
        Action::AdminAccessChanged,
        &format!(
            "{}'s administrator access ended on {}",
            a.full_name,
            short_date(on)
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Notice::redirect(&format!("/dspt/administrators/{id}"), "ended").into_response())
}

// ---------- accepting ----------

/// The agreement's text for a practice, as HTML from our own Markdown (the
/// practice's name escaped).
fn agreement_html(practice: &str) -> String {
    it_administrator().html_for(practice)
}

#[derive(Template)]
#[template(path = "dspt/my_agreements.html")]
struct MinePage {
    page: Page,
    waiting: Vec<Line>,
    agreed: Vec<Line>,
    text: String,
    version: u32,
}

/// `/agreements`: the register entries naming the signed-in staff member.
pub async fn mine(
    State(state): State<AppState>,
    scope: PracticeScope,
    notice: Notice,
) -> Result<Html<String>, AppError> {
    let today = uk_date(state.clock.now());
    let entries = match scope.user().staff_id {
        Some(staff_id) => repo::for_staff(&state.db, &scope, staff_id).await?,
        None => Vec::new(),
    };
    let (waiting, agreed): (Vec<Line>, Vec<Line>) = lines(entries, today)
        .into_iter()
        .filter(|l| !matches!(l.standing, Standing::Ended { .. }))
        .partition(|l| l.standing.needs_acceptance());
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    render(MinePage {
        page: Page::for_user("Your agreements", scope.user()).with_notice(notice.say(NOTICES)),
        waiting,
        agreed,
        text: agreement_html(&practice),
        version: it_administrator().version,
    })
}

/// A staff member accepts for one of their register entries.
pub async fn accept_mine(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    scope: PracticeScope,
    Path(id): Path<AccessId>,
) -> Result<Response, AppError> {
    let a = find(&state, &scope, id).await?;
    if a.staff_id.is_none() || a.staff_id != scope.user().staff_id || a.ended().is_some() {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    let practice = practice_name(&state.db, scope.practice_id()).await?;
    let mut tx = state.db.begin().await?;
    let signer = super::Signer {
        name: &scope.user().full_name,
        via: Via::Account,
        actor: Actor::user(scope.user(), &ip),
    };
    super::accept(&mut tx, scope.practice_id(), &practice, id, &signer, now).await?;
    tx.commit().await?;
    Ok(Notice::redirect(MY_AGREEMENTS, "accepted").into_response())
}

#[derive(Template)]
#[template(path = "dspt/agreement_link.html")]
struct LinkPage {
    page: Page,
    practice: String,
    name: String,
    text: String,
    version: u32,
    action: String,
    typed: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "dspt/agreement_message.html")]
struct MessagePage {
    page: Page,
    message: String,
}

/// Every link that does not work (unknown, used, expired, access ended) looks the same.
fn link_gone() -> Result<Response, AppError> {
    Ok((
        StatusCode::GONE,
        render(MessagePage {
            page: Page::bare("This link no longer works"),
            message: "Each link works once and for 7 days. If you still need to accept the agreement, ask the practice manager to send you a new link.".into(),
        })?,
    )
        .into_response())
}

async fn link_entry(
    state: &AppState,
    token: &str,
) -> Result<Option<(crate::shared::PracticeId, Access, String)>, AppError> {
    if token.len() > 100 {
        return Ok(None);
    }
    let now = state.clock.now();
    let Some(live) = repo::live_link(&state.db, &tokens::digest(token), now).await? else {
        return Ok(None);
    };
    let scope =
        crate::auth::system_scope_for(live.practice_id, "an administrator's agreement link");
    let Some(a) = repo::find(&state.db, &scope, live.access_id).await? else {
        return Ok(None);
    };
    if a.ended().is_some() {
        return Ok(None);
    }
    let practice = practice_name(&state.db, live.practice_id).await?;
    Ok(Some((live.practice_id, a, practice)))
}

fn link_page(
    token: &str,
    a: &Access,
    practice: String,
    typed: String,
    error: Option<String>,
) -> LinkPage {
    LinkPage {
        page: Page::bare(format!("{practice}: IT administrator agreement")),
        name: a.full_name.clone(),
        text: agreement_html(&practice),
        practice,
        version: it_administrator().version,
        action: format!("{LINK_PATH}/{token}"),
        typed,
        error,
    }
}

/// `/agreement/{token}`: the agreement to read, and the form to accept it.
pub async fn link(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match link_entry(&state, &token).await? {
        Some((_, a, practice)) => {
            let typed = a.full_name.clone();
            Ok(render(link_page(&token, &a, practice, typed, None))?.into_response())
        }
        None => link_gone(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AcceptForm {
    signed_name: String,
    agree: String,
}

/// Accepts through the link, which is used up in the same transaction.
pub async fn link_accept(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    ValidForm(form): ValidForm<AcceptForm>,
) -> Result<Response, AppError> {
    let Some((practice_id, a, practice)) = link_entry(&state, &token).await? else {
        return link_gone();
    };
    let name = match (
        super::domain::signed_name(&form.signed_name),
        form.agree == "yes",
    ) {
        (Ok(name), true) => name,
        (Err(problem), _) => {
            return Ok(render(link_page(
                &token,
                &a,
                practice,
                form.signed_name,
                Some(problem),
            ))?
            .into_response())
        }
        (Ok(_), false) => {
            let problem =
                "Tick the box to say you have read the agreement and accept it".to_string();
            return Ok(render(link_page(
                &token,
                &a,
                practice,
                form.signed_name,
                Some(problem),
            ))?
            .into_response());
        }
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Only the first of two requests with the same link gets here with a row.
    let Some(used) = repo::use_link(&mut tx, &tokens::digest(&token), now).await? else {
        return link_gone();
    };
    if used.practice_id != practice_id || used.access_id != a.id {
        return link_gone();
    }
    let signer = super::Signer {
        name: &name,
        via: Via::Link,
        actor: Actor {
            user_id: None,
            email: Some(a.email.clone()),
            ip: Some(ip),
        },
    };
    super::accept(&mut tx, practice_id, &practice, a.id, &signer, now).await?;
    tx.commit().await?;
    Ok(render(MessagePage {
        page: Page::bare("Thank you"),
        message: format!(
            "Your acceptance of {practice}'s IT administrator agreement is recorded, with today's date. You will be asked again in a year. You can close this page."
        ),
    })?
    .into_response())
}
