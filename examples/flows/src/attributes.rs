//! The Ironclad attribute ids of spec 004's MSA workflow ("Ironclad Setup" and the launch
//! mapping). The custom ones (`dynamicsMsaId`, `dynamicsMsaNumber`, `totalContractValue`) are
//! added to the template by the Ironclad admin; the others are standard on most templates.

/// Dynamics MSA ID (text): the Agreement's id, the link back to Dynamics.
pub const DYNAMICS_MSA_ID: &str = "dynamicsMsaId";
/// Dynamics MSA Number (text): the Agreement Number.
pub const DYNAMICS_MSA_NUMBER: &str = "dynamicsMsaNumber";
/// Agreement Date (date).
pub const AGREEMENT_DATE: &str = "agreementDate";
/// Counterparty Signer Name (text).
pub const COUNTERPARTY_SIGNER_NAME: &str = "counterpartySignerName";
/// Counterparty Signer Email (email).
pub const COUNTERPARTY_SIGNER_EMAIL: &str = "counterpartySignerEmail";
/// Total Contract Value (monetary amount).
pub const TOTAL_CONTRACT_VALUE: &str = "totalContractValue";
/// Counterparty Name (text).
pub const COUNTERPARTY_NAME: &str = "counterpartyName";
/// Counterparty Address (address).
pub const COUNTERPARTY_ADDRESS: &str = "counterpartyAddress";
