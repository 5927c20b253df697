//! Roles and permissions: the one table that says which role may do what (docs/permissions.md).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ModelError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Registrar,
    ProgramManager,
    Approver,
    Finance,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Admin, Role::Registrar, Role::ProgramManager, Role::Approver, Role::Finance, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Registrar => "registrar",
            Role::ProgramManager => "program_manager",
            Role::Approver => "approver",
            Role::Finance => "finance",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Result<Role, ModelError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            ModelError::InvalidInput(format!(
                "unknown role {s:?}; roles are {}",
                Role::ALL.map(|r| r.as_str()).join(", ")
            ))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See registrants, households and lists, with personal fields masked.
    RegistryRead,
    /// See personal fields unmasked (each reveal is audited) and export them.
    PersonalDataReveal,
    /// Create, edit and disable registrants.
    RegistrantWrite,
    /// Import CSV files into the registry.
    ImportRun,
    /// Export registrants to CSV.
    ExportRun,
    /// Change office settings, lists, ID types and custom fields.
    SettingsManage,
    /// Add, change and disable user accounts.
    UsersManage,
    /// Read the audit log and verify its chain.
    AuditRead,
    /// Make and restore backups.
    BackupRun,
    /// Create and edit programs and their rules, enrol, pause, resume and exit members.
    ProgramManage,
    /// Run deduplication, decide duplicate groups and merge records.
    DuplicatesManage,
    /// Set a program's entitlement rule, stages and schedule; create cycles, generate and edit
    /// entitlements, send cycles for approval.
    CycleManage,
    /// Approve or reject entitlements at the stages that name the user's role.
    EntitlementApprove,
    /// Post funds to programs.
    FundManage,
    /// Prepare payment batches, export payment files, mark them sent and import reconciliation files.
    PaymentManage,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::RegistryRead => "registry_read",
            Permission::PersonalDataReveal => "personal_data_reveal",
            Permission::RegistrantWrite => "registrant_write",
            Permission::ImportRun => "import_run",
            Permission::ExportRun => "export_run",
            Permission::SettingsManage => "settings_manage",
            Permission::UsersManage => "users_manage",
            Permission::AuditRead => "audit_read",
            Permission::BackupRun => "backup_run",
            Permission::ProgramManage => "program_manage",
            Permission::DuplicatesManage => "duplicates_manage",
            Permission::CycleManage => "cycle_manage",
            Permission::EntitlementApprove => "entitlement_approve",
            Permission::FundManage => "fund_manage",
            Permission::PaymentManage => "payment_manage",
        }
    }
}

/// The permission table: the only place that says which role may do what.
pub fn role_permissions(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        Role::Admin => &[
            RegistryRead,
            PersonalDataReveal,
            RegistrantWrite,
            ImportRun,
            ExportRun,
            SettingsManage,
            UsersManage,
            AuditRead,
            BackupRun,
            ProgramManage,
            DuplicatesManage,
            CycleManage,
            EntitlementApprove,
            FundManage,
            PaymentManage,
        ],
        Role::Registrar => &[RegistryRead, PersonalDataReveal, RegistrantWrite, ImportRun, ExportRun, DuplicatesManage],
        Role::ProgramManager => {
            &[RegistryRead, PersonalDataReveal, ExportRun, ProgramManage, DuplicatesManage, CycleManage]
        }
        // Approval is further limited to the stages that name the user's role (admins: stages naming admin).
        Role::Approver => &[RegistryRead, EntitlementApprove],
        Role::Finance => &[RegistryRead, ExportRun, FundManage, PaymentManage],
        // Reads everything, changes nothing, sees personal data masked.
        Role::Auditor => &[RegistryRead, ExportRun, AuditRead],
    }
}
