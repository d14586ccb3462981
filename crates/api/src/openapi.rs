//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` annotations, served at
//! `/api/openapi.json` with Swagger UI at `/swagger/` (assets compiled into the binary).

use actix_web::{HttpResponse, http::header, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::routes::{accounts, audit, auth, bulk, health, metrics, organisation, stream};

/// Adds the `bearer` security scheme (JWT access token).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_string());
        http.description = Some("Access token from /api/auth/login or /api/auth/refresh".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mojaloop bulk-payment gateway",
        description = "Upload pension payment files, follow their execution and download reports. \
                       Every error has the shape {\"error\", \"message\", \"details\"}."
    ),
    paths(
        health::live,
        health::ready,
        metrics::metrics,
        auth::login::login,
        auth::refresh::refresh,
        auth::logout::logout,
        auth::me::me,
        bulk::create::create,
        bulk::list::list,
        bulk::status::status,
        bulk::report::report,
        bulk::pain002::pain002,
        accounts::list_accounts,
        stream::stream,
        stream::ticket,
        bulk::decide::approve,
        bulk::decide::reject,
        bulk::decide::cancel,
        bulk::retry::retry,
        bulk::verification::report,
        bulk::verification::report_csv,
        bulk::verification::reverify,
        organisation::policy,
        audit::list,
    ),
    components(schemas(
        crate::error::ErrorBody,
        bulk::create::UploadRequest,
        stream::StreamTicket,
        bulk::decide::ApproveRequest,
        bulk::decide::RejectRequest,
        organisation::OrgPolicySchema,
        bulk::verification::VerificationReport,
        bulk::verification::VerificationSummary,
        bulk::verification::VerificationRow,
        bulk::verification::Tally,
        bulk::verification::FspTally
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Login and tokens"),
        (name = "bulk-transfers", description = "Bulk payments"),
        (name = "payment-runs", description = "Approval, scheduling, cancellation, retries, policy"),
        (name = "accounts", description = "Payer accounts"),
        (name = "audit", description = "Audit log: who did what, hash-chained"),
        (name = "health", description = "Probes and the Prometheus scrape"),
    )
)]
pub struct ApiDoc;

/// Path of the JSON document.
pub const OPENAPI_PATH: &str = "/api/openapi.json";

/// Swagger UI at `/swagger/`, serving the document at [`OPENAPI_PATH`].
pub fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/swagger/{_:.*}").url(OPENAPI_PATH, ApiDoc::openapi())
}

async fn to_swagger() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/swagger/"))
        .finish()
}

/// Registers the document, Swagger UI, and `/swagger` → `/swagger/`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(swagger_ui())
        .service(crate::routes::resource("/swagger", "GET").route(web::get().to(to_swagger)));
}
