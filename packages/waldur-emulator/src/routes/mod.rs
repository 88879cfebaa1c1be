//! The HTTP surface: one module per API area, mounted under `/api/`.

mod directory;
mod emulator_control;
mod offerings;
mod orders;
mod resources;
mod respond;
mod slurm;
mod slurm_jobs;
mod terms_of_service;
mod usages;

use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

use crate::api_error::ApiError;
use crate::shared::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/marketplace-provider-offerings/",
            get(offerings::list).post(offerings::create),
        )
        .route(
            "/api/marketplace-provider-offerings/{uuid}/",
            get(offerings::retrieve),
        )
        .route(
            "/api/marketplace-provider-offerings/{uuid}/{action}/",
            post(offerings::action),
        )
        .route(
            "/api/marketplace-orders/",
            get(orders::list).post(orders::create),
        )
        .route("/api/marketplace-orders/{uuid}/", get(orders::retrieve))
        .route(
            "/api/marketplace-offering-terms-of-service/",
            get(terms_of_service::list),
        )
        .route(
            "/api/marketplace-user-offering-consents/",
            post(terms_of_service::give_consent),
        )
        .route(
            "/api/marketplace-orders/{uuid}/{action}/",
            post(orders::action),
        )
        .route("/api/marketplace-resources/", get(resources::list))
        .route(
            "/api/marketplace-resources/{uuid}/",
            get(resources::retrieve),
        )
        .route(
            "/api/marketplace-resources/{uuid}/{action}/",
            post(resources::consumer_action),
        )
        .route("/api/marketplace-provider-resources/", get(resources::list))
        .route(
            "/api/marketplace-provider-resources/{uuid}/",
            get(resources::retrieve),
        )
        .route(
            "/api/marketplace-provider-resources/{uuid}/{action}/",
            post(resources::provider_action),
        )
        .route("/api/marketplace-component-usages/", get(usages::list))
        .route(
            "/api/marketplace-component-usages/set_usage/",
            post(usages::set_usage),
        )
        .route(
            "/api/marketplace-component-usages/{uuid}/",
            get(usages::retrieve),
        )
        .route("/api/customers/", get(directory::list_customers))
        .route("/api/customers/{uuid}/", get(directory::get_customer))
        .route("/api/projects/", get(directory::list_projects))
        .route("/api/projects/{uuid}/", get(directory::get_project))
        .route(
            "/api/marketplace-categories/",
            get(directory::list_categories),
        )
        .route(
            "/api/marketplace-categories/{uuid}/",
            get(directory::get_category),
        )
        .route("/api/users/me/", get(directory::current_user))
        .route("/api/slurm-allocations/", get(slurm::list))
        .route("/api/slurm-allocations/{uuid}/", get(slurm::retrieve))
        .route(
            "/api/slurm-jobs/",
            get(slurm_jobs::list).post(slurm_jobs::create),
        )
        .route("/api/slurm-jobs/{uuid}/", get(slurm_jobs::retrieve))
        .route("/control/summary/", get(emulator_control::summary))
        .route("/control/tokens/", post(emulator_control::add_token))
        .route(
            "/control/offering-types/",
            post(emulator_control::set_offering_types),
        )
        .route(
            "/control/slurm-jobs/{uuid}/runtime/",
            post(emulator_control::set_slurm_job_runtime),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_token,
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}
