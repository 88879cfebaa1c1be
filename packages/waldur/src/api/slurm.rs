//! `slurm-allocations/` (ENDPOINTS.md section 6), read only.

use crate::client::{object_path, WaldurClient};
use crate::error::Error;
use crate::types::{SlurmAllocation, SlurmAllocationFilter};

const ALLOCATIONS: &str = "slurm-allocations/";

impl WaldurClient {
    /// `GET slurm-allocations/`, all pages.
    pub async fn list_slurm_allocations(
        &self,
        filter: &SlurmAllocationFilter,
    ) -> Result<Vec<SlurmAllocation>, Error> {
        self.list_all(ALLOCATIONS, &filter.to_query()).await
    }

    /// `GET slurm-allocations/{uuid}/`.
    pub async fn get_slurm_allocation(&self, uuid: &str) -> Result<SlurmAllocation, Error> {
        self.get(&object_path(ALLOCATIONS, uuid)?).await
    }
}
