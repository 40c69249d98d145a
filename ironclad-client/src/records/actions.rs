//! Contract lifecycle actions: `POST /records/{id}/actions`
//! ([reference](https://developer.ironcladapp.com/reference/run-an-action-on-a-record)).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::serde_util::{lenient, lenient_raw};
use crate::string_enum::string_enum;
use crate::values::RecordProperty;

string_enum! {
    /// A lifecycle action on a contract record.
    pub enum ContractActionType {
        /// Make the contract active (effective date, terms, renewal).
        Activate = "activate",
        /// End it (`standard_terminatedDate`, `standard_terminationEffectiveDate`).
        Terminate = "terminate",
        /// Replace it by another (`standard_supersededDate`, `standard_supersessionEffectiveDate`).
        Supersede = "supersede",
        /// Extend it by its renewal term (`standard_renewalTermLength`).
        Extend = "extend",
        /// Stop an auto-renewal (no properties).
        CancelAutoRenewal = "cancelAutoRenewal",
        /// Change the renewal terms.
        EditRenewal = "editRenewal",
        /// Undo an earlier action (`standard_undoObligationAction`).
        Undo = "undo",
    }
}

/// An action to run on a contract record: `{"type": …, "properties": {<key>: {type, value}}}`.
/// Property keys are Ironclad's (`effectiveDate`, `expirationDate`, `standard_renewalType`,
/// `standard_terminatedDate`, …); values use the record property shapes.
///
/// ```
/// use ironclad_client::records::ContractAction;
/// use time::macros::datetime;
///
/// let terminate = ContractAction::terminate(datetime!(2026-08-01 0:00 UTC), datetime!(2026-09-01 0:00 UTC));
/// assert_eq!(
///     serde_json::to_string(&terminate)?,
///     r#"{"type":"terminate","properties":{"standard_terminatedDate":{"type":"date","value":"2026-08-01T00:00:00Z"},"standard_terminationEffectiveDate":{"type":"date","value":"2026-09-01T00:00:00Z"}}}"#
/// );
/// assert_eq!(serde_json::to_string(&ContractAction::cancel_auto_renewal())?, r#"{"type":"cancelAutoRenewal"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[must_use]
pub struct ContractAction {
    #[serde(rename = "type")]
    action: ContractActionType,
    // Every action but `cancelAutoRenewal` requires `properties`, even when empty;
    // `cancelAutoRenewal` allows none.
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<BTreeMap<String, RecordProperty>>,
}

impl ContractAction {
    /// An action of `action` type with no properties yet.
    pub fn new(action: ContractActionType) -> Self {
        let properties = (action != ContractActionType::CancelAutoRenewal).then(BTreeMap::new);
        Self { action, properties }
    }

    /// Activate the contract; add its terms with [`ContractAction::property`].
    pub fn activate() -> Self {
        Self::new(ContractActionType::Activate)
    }

    /// Terminate the contract on `terminated`, taking effect on `effective`.
    pub fn terminate(terminated: OffsetDateTime, effective: OffsetDateTime) -> Self {
        Self::new(ContractActionType::Terminate)
            .property("standard_terminatedDate", RecordProperty::date(terminated))
            .property("standard_terminationEffectiveDate", RecordProperty::date(effective))
    }

    /// Mark the contract superseded on `superseded`, taking effect on `effective`.
    pub fn supersede(superseded: OffsetDateTime, effective: OffsetDateTime) -> Self {
        Self::new(ContractActionType::Supersede)
            .property("standard_supersededDate", RecordProperty::date(superseded))
            .property("standard_supersessionEffectiveDate", RecordProperty::date(effective))
    }

    /// Stop the contract's auto-renewal.
    pub fn cancel_auto_renewal() -> Self {
        Self::new(ContractActionType::CancelAutoRenewal)
    }

    /// Undo the last `action`.
    pub fn undo(action: ContractActionType) -> Self {
        let undone = RecordProperty::string(action.as_str());
        Self::new(ContractActionType::Undo).property("standard_undoObligationAction", undone)
    }

    /// Set property `key` (ignored by `cancelAutoRenewal`, which takes none).
    pub fn property(mut self, key: impl Into<String>, value: impl Into<RecordProperty>) -> Self {
        if let Some(properties) = &mut self.properties {
            properties.insert(key.into(), value.into());
        }
        self
    }
}

/// The action as Ironclad applied it (its answer echoes the action).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppliedContractAction {
    /// The action type.
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub action: Option<ContractActionType>,
    /// The properties it set.
    #[serde(default, deserialize_with = "lenient_raw")]
    pub properties: BTreeMap<String, RecordProperty>,
}
