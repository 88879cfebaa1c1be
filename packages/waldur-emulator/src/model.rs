//! The emulator's in-memory records. Rendering to JSON lives in `render`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::clock::Date;

/// Declares a closed enum with its wire names.
macro_rules! wire_enum {
    ($name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($wire => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

wire_enum!(OrderState {
    PendingConsumer => "pending-consumer",
    PendingProvider => "pending-provider",
    PendingProject => "pending-project",
    PendingStartDate => "pending-start-date",
    Executing => "executing",
    Done => "done",
    Erred => "erred",
    Canceled => "canceled",
    Rejected => "rejected",
});

wire_enum!(OrderKind {
    Create => "Create",
    Update => "Update",
    Terminate => "Terminate",
    Restore => "Restore",
});

wire_enum!(ResourceState {
    Creating => "Creating",
    Ok => "OK",
    Erred => "Erred",
    Updating => "Updating",
    Terminating => "Terminating",
    Terminated => "Terminated",
});

wire_enum!(OfferingState {
    Draft => "Draft",
    Active => "Active",
    Paused => "Paused",
    Archived => "Archived",
    Unavailable => "Unavailable",
});

wire_enum!(BillingType {
    Fixed => "fixed",
    Usage => "usage",
    Limit => "limit",
    One => "one",
    Few => "few",
});

wire_enum!(BillingUnit {
    Month => "month",
    Quarter => "quarter",
    HalfMonth => "half_month",
    Day => "day",
    Hour => "hour",
    Quantity => "quantity",
});

wire_enum!(CoreState {
    CreationScheduled => "CREATION_SCHEDULED",
    Creating => "CREATING",
    UpdateScheduled => "UPDATE_SCHEDULED",
    Updating => "UPDATING",
    DeletionScheduled => "DELETION_SCHEDULED",
    Deleting => "DELETING",
    Ok => "OK",
    Erred => "ERRED",
});

/// The built-in components of a plugin's offering type, which allow no
/// others (waldur-mastermind `marketplace_slurm/apps.py` registers
/// `cpu`, `gpu`, `ram` for `Marketplace.Slurm`).
pub fn builtin_components(offering_type: &str) -> Option<&'static [&'static str]> {
    match offering_type {
        "Marketplace.Slurm" => Some(&["cpu", "gpu", "ram"]),
        _ => None,
    }
}

/// Offering types whose orders the provider's agent finishes by hand
/// (`set_state_done`), per ENDPOINTS.md section 3.
pub const AGENT_DRIVEN_TYPES: &[&str] = &[
    "Marketplace.Slurm",
    "Marketplace.Basic",
    "Support.OfferingTemplate",
];

#[derive(Debug, Clone)]
pub struct CustomerRecord {
    pub uuid: String,
    pub seq: u64,
    pub created: String,
    pub name: String,
    pub slug: String,
    pub abbreviation: String,
    pub backend_id: String,
}

#[derive(Debug, Clone)]
pub struct ProjectRecord {
    pub uuid: String,
    pub seq: u64,
    pub created: String,
    pub customer_uuid: String,
    pub name: String,
    pub slug: String,
    pub backend_id: String,
}

#[derive(Debug, Clone)]
pub struct CategoryRecord {
    pub uuid: String,
    pub seq: u64,
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComponentRecord {
    pub uuid: String,
    pub billing_type: BillingType,
    pub component_type: String,
    pub name: String,
    pub description: String,
    pub measured_unit: String,
    pub unit_factor: i64,
    pub limit_period: Option<String>,
    pub limit_amount: Option<i64>,
    pub article_code: String,
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    pub max_available_limit: Option<i64>,
    pub default_limit: Option<i64>,
    pub is_boolean: bool,
    pub is_prepaid: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub uuid: String,
    pub name: String,
    pub description: String,
    pub article_code: String,
    pub max_amount: Option<i64>,
    pub archived: bool,
    /// Normalised decimal text.
    pub unit_price: String,
    pub unit: BillingUnit,
    pub backend_id: String,
}

#[derive(Debug, Clone)]
pub struct OfferingRecord {
    pub uuid: String,
    pub seq: u64,
    pub created: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub full_description: String,
    pub privacy_policy_link: String,
    /// Shared offerings with terms refuse orders that do not accept them.
    pub terms_of_service: String,
    pub terms_of_service_link: String,
    pub access_url: String,
    pub getting_started: String,
    pub integration_guide: String,
    pub customer_uuid: String,
    pub category_uuid: String,
    pub offering_type: String,
    pub state: OfferingState,
    pub paused_reason: String,
    pub attributes: Value,
    pub plugin_options: Value,
    pub backend_metadata: Value,
    pub components: Vec<ComponentRecord>,
    pub plans: Vec<PlanRecord>,
    pub shared: bool,
    pub billable: bool,
    pub backend_id: String,
}

#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub uuid: String,
    pub seq: u64,
    pub created: String,
    pub modified: String,
    pub completed_at: Option<String>,
    pub offering_uuid: String,
    pub project_uuid: String,
    pub plan_uuid: Option<String>,
    /// The marketplace resource the order acts on.
    pub resource_uuid: String,
    pub kind: OrderKind,
    pub state: OrderState,
    /// The username of the caller that created the order.
    pub created_by: String,
    /// Who approved as consumer, when someone did (or the creator, when
    /// the consumer review was skipped).
    pub consumer_reviewed_by: Option<String>,
    pub consumer_reviewed_at: Option<String>,
    pub attributes: Value,
    pub limits: BTreeMap<String, i64>,
    pub backend_id: String,
    pub error_message: String,
    pub error_traceback: String,
    pub callback_url: Option<String>,
    pub request_comment: Option<String>,
    pub provider_rejection_comment: String,
    pub consumer_rejection_comment: String,
    pub provider_reviewed_at: Option<String>,
    pub start_date: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ResourceRecord {
    pub uuid: String,
    pub seq: u64,
    pub created: String,
    pub modified: String,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub offering_uuid: String,
    pub project_uuid: String,
    pub plan_uuid: Option<String>,
    pub state: ResourceState,
    pub backend_id: String,
    pub limits: BTreeMap<String, i64>,
    pub paused: bool,
    pub attributes: Value,
    /// Last submitted usage per component type, in hundredths.
    pub current_usages: BTreeMap<String, i128>,
    pub report: Vec<(String, String)>,
    pub error_message: String,
    pub error_traceback: String,
    pub end_date: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UsageRecord {
    pub uuid: String,
    pub seq: u64,
    pub created: String,
    pub resource_uuid: String,
    pub component_type: String,
    /// In hundredths: usage is `Decimal(20,2)` in Waldur.
    pub hundredths: i128,
    pub description: String,
    pub date: String,
    pub billing_period: Date,
    pub recurring: bool,
    /// The `ResourcePlanPeriod` the row belongs to; `None` for a resource
    /// without a plan (Waldur's `unique_without_optional` rows).
    pub plan_period_uuid: Option<String>,
}

/// A `ResourcePlanPeriod`: which plan a resource had from `start` until
/// `end` (waldur-mastermind `marketplace/models.py`). Usage rows are kept
/// per plan period, so a plan switch starts new rows in the same month.
#[derive(Debug, Clone)]
pub struct PlanPeriodRecord {
    pub uuid: String,
    pub resource_uuid: String,
    pub plan_uuid: String,
    /// ISO 8601 timestamps, comparable as text (one format).
    pub start: String,
    pub end: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AllocationRecord {
    pub uuid: String,
    pub seq: u64,
    pub created: String,
    pub modified: String,
    pub name: String,
    pub description: String,
    pub project_uuid: String,
    pub state: CoreState,
    pub backend_id: String,
    pub cpu_limit: i64,
    pub cpu_usage: i64,
    pub gpu_limit: i64,
    pub gpu_usage: i64,
    pub ram_limit: i64,
    pub ram_usage: i64,
    pub is_active: bool,
    pub username: Option<String>,
    pub marketplace_resource_uuid: Option<String>,
}

/// A SLURM cluster as Waldur knows it (`service-settings/`), only as the
/// target of FireCREST jobs.
#[derive(Debug, Clone)]
pub struct ServiceSettingsRecord {
    pub uuid: String,
    pub name: String,
}

/// A FireCREST batch job (`slurm-jobs/`).
#[derive(Debug, Clone)]
pub struct SlurmJobRecord {
    pub uuid: String,
    pub seq: u64,
    pub created: String,
    pub modified: String,
    pub name: String,
    pub description: String,
    pub service_settings_uuid: String,
    pub project_uuid: String,
    pub state: CoreState,
    /// The SLURM job id.
    pub backend_id: String,
    /// SLURM's state (`PENDING`, `RUNNING`, ...), free text in Waldur.
    pub runtime_state: String,
    pub file_name: String,
    pub script: Vec<u8>,
    /// "Job output", any JSON; `None` renders as null.
    pub report: Option<Value>,
}

/// Everything the emulator knows, keyed by UUID.
#[derive(Debug, Default)]
pub struct Store {
    next_seq: u64,
    pub customers: BTreeMap<String, CustomerRecord>,
    pub projects: BTreeMap<String, ProjectRecord>,
    pub categories: BTreeMap<String, CategoryRecord>,
    pub offerings: BTreeMap<String, OfferingRecord>,
    pub orders: BTreeMap<String, OrderRecord>,
    pub resources: BTreeMap<String, ResourceRecord>,
    pub usages: BTreeMap<String, UsageRecord>,
    pub allocations: BTreeMap<String, AllocationRecord>,
    pub service_settings: BTreeMap<String, ServiceSettingsRecord>,
    pub slurm_jobs: BTreeMap<String, SlurmJobRecord>,
    pub plan_periods: BTreeMap<String, PlanPeriodRecord>,
    /// (username, offering uuid): the user consented to the offering's
    /// terms of service (Waldur 8 `UserOfferingConsent`).
    pub consents: std::collections::BTreeSet<(String, String)>,
}

impl Store {
    /// A number that orders records by creation.
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

/// Parses a decimal with at most 2 decimals (`^-?\d{0,18}(?:\.\d{0,2})?$`,
/// the usage amount pattern) into hundredths.
pub fn parse_hundredths(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |part: &str| part.chars().all(|ch| ch.is_ascii_digit());
    if whole.len() > 18 || fraction.len() > 2 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let whole_value: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction_value: i128 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i128>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    let value = whole_value * 100 + fraction_value;
    Some(if negative { -value } else { value })
}

/// Hundredths as Waldur's decimal text, always with 2 decimals.
pub fn format_hundredths(value: i128) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hundredths_round_trip() {
        assert_eq!(parse_hundredths("120.5"), Some(12_050));
        assert_eq!(parse_hundredths("120.50"), Some(12_050));
        assert_eq!(parse_hundredths("7"), Some(700));
        assert_eq!(parse_hundredths(".5"), Some(50));
        assert_eq!(parse_hundredths("-1.25"), Some(-125));
        assert_eq!(parse_hundredths("1.234"), None);
        assert_eq!(parse_hundredths("1e3"), None);
        assert_eq!(parse_hundredths(""), None);
        assert_eq!(parse_hundredths("."), None);
        assert_eq!(format_hundredths(12_050), "120.50");
        assert_eq!(format_hundredths(-5), "-0.05");
        assert_eq!(format_hundredths(0), "0.00");
    }

    #[test]
    fn wire_names() {
        assert_eq!(
            OrderState::parse("pending-provider"),
            Some(OrderState::PendingProvider)
        );
        assert_eq!(ResourceState::Ok.as_str(), "OK");
        assert_eq!(OfferingState::ALL.len(), 5);
        assert_eq!(CoreState::parse("nope"), None);
    }
}
