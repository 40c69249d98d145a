//! [`FlowError`]: what can stop one agreement or one event, and whether trying again may help.

use crate::state::StateError;

/// Why one agreement (flow 1) or one webhook event (flows 2–4) could not be processed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// Dataverse refused or could not be reached.
    #[error("Dataverse: {0}")]
    Dataverse(#[from] dataverse_client::Error),
    /// Ironclad refused or could not be reached.
    #[error("Ironclad: {0}")]
    Ironclad(#[from] ironclad_client::Error),
    /// The durable state could not be read or written.
    #[error("{0}")]
    State(#[from] StateError),
    /// Something the flow needs does not exist yet (a completed workflow's repository record);
    /// it should appear, so trying again later may help.
    #[error("{0}")]
    NotYet(String),
    /// The data cannot be used as it is (a column of the wrong type, a value without a
    /// currency, an event without a workflow id): trying again will not help until it changes.
    #[error("{0}")]
    Data(String),
}

impl FlowError {
    /// Whether the same attempt may succeed later: throttling, server and gateway errors,
    /// timeouts, connection failures, authentication (a token endpoint hiccup) and the local
    /// state. Refusals of the request itself (400, 404, 413, 422), decoding errors and bad data
    /// are permanent.
    ///
    /// ```
    /// use flows::FlowError;
    ///
    /// assert!(!FlowError::Data("no currency".into()).is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            FlowError::Dataverse(error) => match error {
                dataverse_client::Error::Api(_) | dataverse_client::Error::Conflict(_) => {
                    !matches!(error.status().map(|s| s.as_u16()), Some(400 | 404 | 405 | 413 | 422))
                }
                dataverse_client::Error::Transport(_)
                | dataverse_client::Error::Timeout(_)
                | dataverse_client::Error::Auth(_)
                | dataverse_client::Error::Io(_) => true,
                _ => false,
            },
            FlowError::Ironclad(error) => match error {
                ironclad_client::Error::Api(_) => {
                    !matches!(error.status().map(|s| s.as_u16()), Some(400 | 404 | 405 | 413 | 422))
                }
                ironclad_client::Error::Token(_)
                | ironclad_client::Error::Transport { .. }
                | ironclad_client::Error::Io { .. }
                | ironclad_client::Error::LaunchTimedOut { .. } => true,
                _ => false,
            },
            FlowError::State(_) | FlowError::NotYet(_) => true,
            FlowError::Data(_) => false,
        }
    }
}
