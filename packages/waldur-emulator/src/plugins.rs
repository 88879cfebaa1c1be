//! What Waldur's marketplace plugin manager knows about offering types
//! (waldur-mastermind `marketplace/plugins.py` `PluginManager`, filled by
//! each plugin's `apps.py` `manager.register(...)`).

/// The offering types a default waldur-mastermind install registers:
/// every plugin's `PLUGIN_NAME` or type constant (`marketplace/__init__.py`
/// `Marketplace.Basic`, `marketplace_slurm_remote` `Marketplace.Slurm`,
/// `marketplace_script`, `marketplace_remote` `Waldur.RemoteOffering`,
/// `marketplace_support` `Support.OfferingTemplate`, `booking`,
/// `marketplace_rancher`, `marketplace_slurm` `SlurmInvoices.SlurmPackage`,
/// `marketplace_openstack`, `marketplace_azure`, `marketplace_vmware`).
/// There is no `Marketplace.Remote`, `Support.PerHour` or `Support.Usage`.
pub const DEFAULT_OFFERING_TYPES: &[&str] = &[
    BASIC,
    SLURM_REMOTE,
    "Marketplace.Script",
    REMOTE,
    SUPPORT,
    "Marketplace.Booking",
    "Marketplace.Rancher",
    "SlurmInvoices.SlurmPackage",
    "OpenStack.Tenant",
    "OpenStack.Instance",
    "OpenStack.Volume",
    "Azure.VirtualMachine",
    "Azure.SQLServer",
    "VMware.VirtualMachine",
];

pub const BASIC: &str = "Marketplace.Basic";
pub const SLURM_REMOTE: &str = "Marketplace.Slurm";
pub const SUPPORT: &str = "Support.OfferingTemplate";
pub const REMOTE: &str = "Waldur.RemoteOffering";

/// `PluginManager.can_update_limits`: the plugins registered with
/// `can_update_limits=True`. Orders with `limits` for other types are
/// refused (`marketplace/utils.py` `validate_limits`).
pub fn can_update_limits(offering_type: &str) -> bool {
    [
        BASIC,
        SLURM_REMOTE,
        "Marketplace.Script",
        REMOTE,
        SUPPORT,
        "OpenStack.Tenant",
        "VMware.VirtualMachine",
    ]
    .contains(&offering_type)
}

/// `marketplace/utils.py` `order_should_not_be_reviewed_by_provider`,
/// negated: SLURM and Basic orders always wait for the provider; a
/// remote offering's order waits unless `auto_approve_remote_orders` or
/// the orderer owns the provider's customer; other types never wait.
pub fn provider_review_needed(
    offering_type: &str,
    auto_approve_remote_orders: bool,
    orderer_owns_provider: bool,
) -> bool {
    match offering_type {
        SLURM_REMOTE | BASIC => true,
        REMOTE => !(auto_approve_remote_orders || orderer_owns_provider),
        _ => false,
    }
}
