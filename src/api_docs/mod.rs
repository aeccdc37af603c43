//! The OpenAPI 3.1 description of Safety Net's JSON APIs: the GoPhish-compatible
//! API, device check-in, and the events webhooks send. Served without sign-in at
//! [`PATH`] and printed by `safetynet openapi`; each API keeps its own key.
//!
//! Request bodies and the webhook event are the code's own types (`ToSchema`
//! derived where they are defined); answers are described in `schemas`. A test
//! checks that every GoPhish route registered is described here, and
//! tests/api/openapi.rs runs schemathesis against the running app.

mod gophish;
mod schemas;

use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Where the description is served.
pub const PATH: &str = "/api/openapi.json";

/// GoPhish clients ask for lists with a trailing slash; both forms are routes.
const LIST_PATHS: [&str; 5] = [
    "/api/campaigns",
    "/api/groups",
    "/api/templates",
    "/api/pages",
    "/api/smtp",
];

#[utoipa::path(post, path = "/api/checkin", tag = "device check-in",
    summary = "A computer reports its operating system, build and last update",
    description = "Only `hostname` is required. The device is matched by serial number, then by computer name; an unknown device is added to the practice's asset register.",
    request_body = crate::resilience::checkin::domain::Report,
    security(("checkin_token" = [])),
    responses(
        (status = 200, description = "The device was updated", body = schemas::CheckInAnswer),
        (status = 201, description = "The device was added", body = schemas::CheckInAnswer),
        (status = 400, description = "The body is not a check-in", body = schemas::CheckInAnswer),
        (status = 401, description = "No token, or one Safety Net does not know", body = schemas::CheckInAnswer),
        (status = 429, description = "Too many check-ins with this token; see Retry-After", body = schemas::CheckInAnswer),
    ))]
#[allow(dead_code)]
fn checkin() {}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A practice manager's GoPhish API key (Simulation, GoPhish API), as `Authorization: Bearer <key>`.",
                    ))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "api_key_query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "api_key",
                "The same key as `?api_key=<key>`, as GoPhish takes it.",
            ))),
        );
        c.add_security_scheme(
            "checkin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The practice's device enrolment token (Resilience, Device check-in), as `Authorization: Bearer <token>`.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Safety Net JSON APIs",
        description = "The GoPhish-compatible API (every call is scoped to the practice of the key's owner), device check-in, and the events webhooks send (signed with `X-Safety-Net-Signature: sha256=<hex HMAC-SHA256 of the body>`; delivery is at least once, so use `event_id` to ignore repeats)."
    ),
    paths(
        gophish::list_campaigns, gophish::create_campaign, gophish::campaign_summaries,
        gophish::campaign, gophish::campaign_summary, gophish::campaign_results,
        gophish::complete_campaign,
        gophish::list_groups, gophish::create_group, gophish::group_summaries, gophish::group,
        gophish::update_group, gophish::delete_group, gophish::group_summary,
        gophish::list_templates, gophish::create_template, gophish::template,
        gophish::update_template, gophish::delete_template,
        gophish::list_pages, gophish::create_page, gophish::page, gophish::update_page,
        gophish::delete_page,
        gophish::list_profiles, gophish::create_profile, gophish::profile,
        gophish::update_profile, gophish::delete_profile,
        checkin,
    ),
    components(schemas(crate::simulation::webhooks::client::Payload)),
    modifiers(&Security),
    security(("api_key" = []), ("api_key_query" = [])),
)]
struct ApiDoc;

/// The description as JSON: the derived document, the trailing-slash list
/// routes, and the webhook event (OpenAPI 3.1's `webhooks`, which the
/// derive does not write).
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the description serialises");
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for p in LIST_PATHS {
            if let Some(mut item) = paths.get(p).cloned() {
                if let Some(ops) = item.as_object_mut() {
                    for op in ops.values_mut() {
                        if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                            op["operationId"] = json!(format!("{id}_slash"));
                        }
                    }
                }
                paths.insert(format!("{p}/"), item);
            }
        }
    }
    doc["webhooks"] = json!({
        "simulationEvent": {"post": {
            "operationId": "simulation_event",
            "summary": "A simulation event (open, click, submit, report; `test` from the test button)",
            "parameters": [{"name": "X-Safety-Net-Signature", "in": "header", "required": true,
                "description": "sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the webhook's secret>",
                "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/WebhookEvent"}}}},
            "responses": {"2XX": {"description": "Received; any other answer is tried again later"}}
        }}
    });
    doc
}

/// GET /api/openapi.json: no sign-in (the description holds no practice's data).
pub async fn serve() -> Response {
    axum::Json(document()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gophish_route_is_described() {
        let doc = document();
        let routes = crate::simulation::gophish::routes(crate::web::routes::Routes::new());
        let api: Vec<_> = routes
            .into_parts()
            .1
            .into_iter()
            .filter(|r| r.path.starts_with("/api/"))
            .collect();
        assert!(api.len() > 30, "the GoPhish routes were found");
        for r in api {
            let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
            assert!(op.is_object(), "{} {} has no description", r.method, r.path);
        }
    }

    #[test]
    fn describes_checkin_webhooks_and_both_keys() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/checkin"]["post"].is_object());
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["api_key_query"]["name"], "api_key");
        assert_eq!(schemes["checkin_token"]["scheme"], "bearer");
        let event = &doc["components"]["schemas"]["WebhookEvent"]["properties"];
        assert!(event["event_id"].is_object() && event["recipient"].is_object());
    }
}
