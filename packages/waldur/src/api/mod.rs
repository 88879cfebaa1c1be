//! Endpoint methods of [`WaldurClient`](crate::WaldurClient), one file per
//! API area. Paths, bodies and answers follow `shared/waldur/ENDPOINTS.md`.

mod offerings;
mod orders;
mod resources;
mod slurm;
mod slurm_jobs;
mod structure;
mod usages;
mod users;

pub use users::CurrentUser;

/// The body argument of a POST action that takes none.
pub(crate) const NO_BODY: Option<&()> = None;
