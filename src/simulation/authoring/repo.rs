//! Storage for what a practice writes its exercises with: `sim_templates`
//! and `sim_template_attachments`; the lure names kept on the practice's row
//! are read and saved through `people::repo::practices`.

use super::attachments::{Attachment, AttachmentMeta, FileKind};
use super::templates::SimTemplate;
use crate::auth::PracticeScope;
use crate::db::row::named_row;
use crate::db::{Db, Tx};
use crate::people::repo::practices;
use crate::shared::PracticeId;
use crate::simulation::ids::TemplateId;
use crate::simulation::library::{Landing, PracticeNames, PremiseAlignment};
use crate::simulation::render::Content;
use crate::{with_db, with_tx};

/// A template and its attachment's name, kind and size (never the file itself).
const SELECT: &str =
    "SELECT t.id, t.name, t.library_id, t.from_name, t.from_address, t.subject, t.html, t.text_body, t.landing, t.training_module, \
     t.cues, t.premise, t.red_flags_json, a.file_name, a.kind, a.size_bytes \
     FROM sim_templates t LEFT JOIN sim_template_attachments a ON a.template_id = t.id";

struct TemplateRow {
    id: TemplateId,
    name: String,
    library_id: Option<String>,
    from_name: String,
    from_address: String,
    subject: String,
    html: String,
    text_body: String,
    landing: Landing,
    training_module: String,
    cues: i64,
    premise: PremiseAlignment,
    red_flags_json: String,
    file_name: Option<String>,
    kind: Option<String>,
    size_bytes: Option<i64>,
}
named_row!(TemplateRow {
    id,
    name,
    library_id,
    from_name,
    from_address,
    subject,
    html,
    text_body,
    landing,
    training_module,
    cues,
    premise,
    red_flags_json,
    file_name,
    kind,
    size_bytes
});

impl From<TemplateRow> for SimTemplate {
    fn from(r: TemplateRow) -> Self {
        SimTemplate {
            id: r.id,
            name: r.name,
            library_id: r.library_id,
            content: Content {
                from_name: r.from_name,
                from_address: r.from_address,
                subject: r.subject,
                html: r.html,
                text: r.text_body,
            },
            landing: r.landing,
            training_module: r.training_module,
            cues: u8::try_from(r.cues).unwrap_or(0),
            premise: r.premise,
            red_flags: serde_json::from_str(&r.red_flags_json).unwrap_or_default(),
            attachment: match (
                r.file_name,
                r.kind.as_deref().and_then(FileKind::from_key),
                r.size_bytes,
            ) {
                (Some(file_name), Some(kind), Some(size)) => Some(AttachmentMeta {
                    file_name,
                    kind,
                    size,
                }),
                _ => None,
            },
        }
    }
}

pub async fn all(db: &Db, scope: &PracticeScope) -> Result<Vec<SimTemplate>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE t.practice_id = $1 ORDER BY t.name, t.id");
    let rows: Vec<TemplateRow> =
        with_db!(db, p => sqlx::query_as(&sql).bind(scope.practice_id()).fetch_all(p).await)?;
    Ok(rows.into_iter().map(SimTemplate::from).collect())
}

/// One of the practice's templates. The sender and the tracking site reach a
/// template through an exercise they already resolved, so they give its
/// practice rather than a scope.
pub async fn find(
    db: &Db,
    practice_id: PracticeId,
    id: TemplateId,
) -> Result<Option<SimTemplate>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE t.id = $1 AND t.practice_id = $2");
    let row: Option<TemplateRow> =
        with_db!(db, p => sqlx::query_as(&sql).bind(id).bind(practice_id).fetch_optional(p).await)?;
    Ok(row.map(SimTemplate::from))
}

pub async fn insert(
    tx: &mut Tx,
    practice_id: PracticeId,
    t: &SimTemplate,
    now: i64,
) -> Result<TemplateId, sqlx::Error> {
    let flags = serde_json::to_string(&t.red_flags).map_err(|e| sqlx::Error::Encode(e.into()))?;
    with_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO sim_templates (practice_id, name, library_id, from_name, from_address, subject, html, text_body, landing, training_module, \
         difficulty, cues, premise, red_flags_json, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id")
        .bind(practice_id).bind(&t.name).bind(t.library_id.as_deref()).bind(&t.content.from_name).bind(&t.content.from_address)
        .bind(&t.content.subject).bind(&t.content.html).bind(&t.content.text).bind(t.landing).bind(&t.training_module)
        .bind(t.difficulty().as_str()).bind(i64::from(t.cues)).bind(t.premise).bind(&flags).bind(now)
        .fetch_one(&mut *c).await)
}

/// Everything the template form edits.
pub async fn update(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: TemplateId,
    t: &SimTemplate,
    now: i64,
) -> Result<(), sqlx::Error> {
    let flags = serde_json::to_string(&t.red_flags).map_err(|e| sqlx::Error::Encode(e.into()))?;
    with_tx!(tx, c => sqlx::query(
        "UPDATE sim_templates SET name = $1, from_name = $2, from_address = $3, subject = $4, html = $5, text_body = $6, landing = $7, \
         training_module = $8, difficulty = $9, cues = $10, premise = $11, red_flags_json = $12, updated_at = $13 WHERE id = $14 AND practice_id = $15")
        .bind(&t.name).bind(&t.content.from_name).bind(&t.content.from_address).bind(&t.content.subject).bind(&t.content.html)
        .bind(&t.content.text).bind(t.landing).bind(&t.training_module).bind(t.difficulty().as_str()).bind(i64::from(t.cues))
        .bind(t.premise).bind(&flags).bind(now).bind(id).bind(scope.practice_id())
        .execute(&mut *c).await.map(|_| ()))
}

/// What a GoPhish template carries: its name, subject and bodies.
pub async fn update_wording(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: TemplateId,
    t: &SimTemplate,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE sim_templates SET name = $1, subject = $2, html = $3, text_body = $4, updated_at = $5 WHERE id = $6 AND practice_id = $7")
        .bind(&t.name).bind(&t.content.subject).bind(&t.content.html).bind(&t.content.text).bind(now)
        .bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

/// The sender the email shows (GoPhish keeps it on the sending profile).
pub async fn set_sender(
    tx: &mut Tx,
    scope: &PracticeScope,
    id: TemplateId,
    from_name: &str,
    from_address: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "UPDATE sim_templates SET from_name = $1, from_address = $2 WHERE id = $3 AND practice_id = $4")
        .bind(from_name).bind(from_address).bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

/// When the template last changed.
pub async fn updated_at(
    db: &Db,
    scope: &PracticeScope,
    id: TemplateId,
) -> Result<i64, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar("SELECT updated_at FROM sim_templates WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).fetch_one(p).await)
}

/// Deletes a template (its attachment goes with it).
pub async fn delete(tx: &mut Tx, scope: &PracticeScope, id: TemplateId) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM sim_templates WHERE id = $1 AND practice_id = $2")
        .bind(id).bind(scope.practice_id()).execute(&mut *c).await.map(|_| ()))
}

/// The practice's first template of this name.
pub async fn id_by_name(
    db: &Db,
    scope: &PracticeScope,
    name: &str,
) -> Result<Option<TemplateId>, sqlx::Error> {
    with_db!(db, p => sqlx::query_scalar(
        "SELECT id FROM sim_templates WHERE practice_id = $1 AND name = $2 ORDER BY id LIMIT 1")
        .bind(scope.practice_id()).bind(name).fetch_optional(p).await)
}

/// Whether another of the practice's templates (not `except`) has this name.
pub async fn name_taken(
    db: &Db,
    scope: &PracticeScope,
    name: &str,
    except: Option<TemplateId>,
) -> Result<bool, sqlx::Error> {
    let except = except.map_or(0, TemplateId::get);
    let n: i64 = with_db!(db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM sim_templates WHERE practice_id = $1 AND name = $2 AND id <> $3")
        .bind(scope.practice_id()).bind(name).bind(except).fetch_one(p).await)?;
    Ok(n > 0)
}

/// The template's attachment with its contents, for sending and downloading.
pub async fn load_attachment(
    db: &Db,
    practice_id: PracticeId,
    template_id: TemplateId,
) -> Result<Option<Attachment>, sqlx::Error> {
    struct FileRow {
        file_name: String,
        kind: String,
        size_bytes: i64,
        data: Vec<u8>,
    }
    named_row!(FileRow {
        file_name,
        kind,
        size_bytes,
        data
    });
    let row: Option<FileRow> = with_db!(db, p => sqlx::query_as(
        "SELECT file_name, kind, size_bytes, data FROM sim_template_attachments WHERE template_id = $1 AND practice_id = $2")
        .bind(template_id).bind(practice_id).fetch_optional(p).await)?;
    Ok(row.and_then(|r| {
        Some(Attachment {
            meta: AttachmentMeta {
                file_name: r.file_name,
                kind: FileKind::from_key(&r.kind)?,
                size: r.size_bytes,
            },
            data: r.data,
        })
    }))
}

/// Adds or replaces the template's attachment.
pub async fn store_attachment(
    tx: &mut Tx,
    practice_id: PracticeId,
    template_id: TemplateId,
    a: &Attachment,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query(
        "INSERT INTO sim_template_attachments (template_id, practice_id, file_name, kind, size_bytes, data, uploaded_at) \
         SELECT id, practice_id, $3, $4, $5, $6, $7 FROM sim_templates WHERE id = $1 AND practice_id = $2 \
         ON CONFLICT (template_id) DO UPDATE SET file_name = excluded.file_name, kind = excluded.kind, \
           size_bytes = excluded.size_bytes, data = excluded.data, uploaded_at = excluded.uploaded_at")
        .bind(template_id).bind(practice_id).bind(&a.meta.file_name).bind(a.meta.kind.key())
        .bind(a.meta.size).bind(&a.data).bind(now)
        .execute(&mut *c).await.map(|_| ()))
}

pub async fn delete_attachment(
    tx: &mut Tx,
    practice_id: PracticeId,
    template_id: TemplateId,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, c => sqlx::query("DELETE FROM sim_template_attachments WHERE template_id = $1 AND practice_id = $2")
        .bind(template_id).bind(practice_id).execute(&mut *c).await.map(|_| ()))
}

/// The names the practice gave for lures that mention its own GP partner or
/// PCN (kept on the practice's row, which `people` owns).
pub async fn practice_names(
    db: &Db,
    practice_id: PracticeId,
) -> Result<PracticeNames, sqlx::Error> {
    let n = practices::lure_names(db, practice_id).await?;
    Ok(PracticeNames {
        partner: n.partner,
        pcn: n.pcn,
    })
}

/// Saves the practice's lure names through `people`, in the caller's `tx`.
pub async fn save_practice_names(
    tx: &mut Tx,
    scope: &PracticeScope,
    names: &PracticeNames,
) -> Result<(), sqlx::Error> {
    let names = practices::LureNames {
        partner: names.partner.clone(),
        pcn: names.pcn.clone(),
    };
    practices::set_lure_names(tx, scope, &names).await
}

/// Whether exercise emails carry the "Report it" link (a setting on the
/// practice's row, which `people` owns).
pub async fn report_link_on(db: &Db, practice_id: PracticeId) -> Result<bool, sqlx::Error> {
    practices::report_link_on(db, practice_id).await
}

/// Switches the report link on or off through `people`, in the caller's `tx`.
pub async fn save_report_link(
    tx: &mut Tx,
    scope: &PracticeScope,
    on: bool,
) -> Result<(), sqlx::Error> {
    practices::set_report_link(tx, scope, on).await
}
