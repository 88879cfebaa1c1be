//! `customers/` and `projects/` (ENDPOINTS.md section 7).

use crate::client::{object_path, WaldurClient};
use crate::error::Error;
use crate::types::{Customer, CustomerFilter, Project, ProjectFilter};

const CUSTOMERS: &str = "customers/";
const PROJECTS: &str = "projects/";

impl WaldurClient {
    /// `GET customers/`, all pages.
    pub async fn list_customers(&self, filter: &CustomerFilter) -> Result<Vec<Customer>, Error> {
        self.list_all(CUSTOMERS, &filter.to_query()).await
    }

    /// `GET customers/{uuid}/`.
    pub async fn get_customer(&self, uuid: &str) -> Result<Customer, Error> {
        self.get(&object_path(CUSTOMERS, uuid)?).await
    }

    /// `GET projects/`, all pages.
    pub async fn list_projects(&self, filter: &ProjectFilter) -> Result<Vec<Project>, Error> {
        self.list_all(PROJECTS, &filter.to_query()).await
    }

    /// `GET projects/{uuid}/`.
    pub async fn get_project(&self, uuid: &str) -> Result<Project, Error> {
        self.get(&object_path(PROJECTS, uuid)?).await
    }
}
