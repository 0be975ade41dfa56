//! The OpenAPI document of the ingest endpoints and the read API, served at `GET /api/v1/openapi.json`.
//! The paths are declared on the handlers themselves (`#[utoipa::path]`) and the schemas derived from
//! the types they answer with, so the document follows the code; `tests/openapi.rs` keeps
//! `docs/openapi.json` equal to it and fuzzes every endpoint from it.

use crate::domain::{Month, Ratio, TargetScope};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dvc-monitor",
        description = "Fully-online handling of administrative dossiers: the ingest contract (native events and the national-sync shape) and the read API of league tables, unit reports and aggregates.",
    ),
    paths(
        super::ingest::post_events,
        super::national_sync::post_dossiers,
        super::national_sync::post_steps,
        super::api::league,
        super::api::unit,
        super::api::unit_dossiers,
        super::api::unit_index,
        super::api::aggregate,
        super::api::alerts,
        super::api::targets,
        super::api::unmapped_sender_codes,
        super::api::healthz,
        super::api::readyz,
        openapi_json,
    ),
    components(schemas(NativeEvent, Format)),
    modifiers(&BearerToken),
    tags(
        (name = "ingest", description = "What agency systems send, with a collector token"),
        (name = "read", description = "What leaders, heads and the national committee read"),
        (name = "service", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

/// The collector tokens of `dvc-monitor tokens create`, sent as `Authorization: Bearer …`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("collector_token", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// The document, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_pretty_json().expect("the document serialises"))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service", responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}

/// `format` of the read API: JSON (the default) or CSV with the same columns.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum Format {
    Json,
    Csv,
}

/// An error answer: what is wrong, in words (never the values sent).
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

/// One event of the native contract (events.md), as sent; unknown fields are refused.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NativeEvent {
    /// Unique per source, 1–128 characters.
    id: String,
    /// Dossier code (mã hồ sơ), 1–64 characters.
    dossier: String,
    /// A registry unit code inside the token's scope.
    unit: String,
    /// A procedure code of the catalogue (mã TTHC).
    procedure: String,
    /// A status name (`received`, `returned`, …) or its national code 1–10.
    #[schema(value_type = String)]
    status: String,
    /// RFC 3339 with offset, at most 10 minutes ahead.
    at: String,
    /// `in_person`, `online`, `postal` (or 1, 2, 3); required with `received`.
    channel: Option<String>,
    /// `in_person`, `online`, `postal`; required with `returned`.
    result_delivery: Option<String>,
    /// RFC 3339 with offset.
    due: Option<String>,
    /// `online` or `offline`.
    payment: Option<String>,
}

impl PartialSchema for Month {
    fn schema() -> RefOr<Schema> {
        // The read side's range, 2000-01 to 2100-12 (`web::params`); events carry full times, not months.
        ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^(20[0-9]{2}-(0[1-9]|1[0-2])|2100-(0[1-9]|1[0-2]))$")).examples([serde_json::json!("2026-11")]).into()
    }
}

impl ToSchema for Month {}

impl PartialSchema for Ratio {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::Number).minimum(Some(0.0)).maximum(Some(1.0)).description(Some("A rate between 0 and 1, exact to 6 decimals")).into()
    }
}

impl ToSchema for Ratio {}

impl PartialSchema for TargetScope {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).description(Some("A unit code, or `kind:KIND` for every unit of a kind")).into()
    }
}

impl ToSchema for TargetScope {}
