//! What processing one webhook event did.

use std::fmt;

use rust_decimal::Decimal;
use uuid::Uuid;

/// What processing a webhook event did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventOutcome {
    /// Nothing to do, and why (another template, another attribute, no `dynamicsMsaId`, an
    /// event type the flows do not handle).
    Ignored(String),
    /// Flow 2: the Agreement Value now mirrors the workflow's `totalContractValue`.
    ValueSynced {
        /// The Agreement.
        agreement: Uuid,
        /// The value written (`None`: cleared).
        amount: Option<Decimal>,
        /// Its currency.
        currency: Option<String>,
        /// `false` when the Agreement already held it and nothing was written.
        changed: bool,
    },
    /// Flow 3: the approval is noted on the Agreement.
    ApprovalNoted {
        /// The Agreement.
        agreement: Uuid,
        /// The note.
        note: Uuid,
        /// `false` when the note already existed (an earlier attempt created it).
        created: bool,
    },
    /// Flow 4: the signed copy is attached to the Agreement and its status set.
    SignedCopyAttached {
        /// The Agreement.
        agreement: Uuid,
        /// The note holding the document.
        note: Uuid,
        /// The document's file name.
        file_name: String,
        /// `false` when the note already existed (an earlier attempt created it).
        created: bool,
        /// The status written to the Agreement.
        status: String,
    },
}

impl fmt::Display for EventOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventOutcome::Ignored(reason) => write!(f, "ignored: {reason}"),
            EventOutcome::ValueSynced { agreement, amount, currency, changed } => {
                let value = match (amount, currency) {
                    (Some(amount), Some(currency)) => format!("{amount} {currency}"),
                    (Some(amount), None) => amount.to_string(),
                    (None, _) => "empty".to_owned(),
                };
                let verb = if *changed { "set to" } else { "already" };
                write!(f, "agreement {agreement} value {verb} {value}")
            }
            EventOutcome::ApprovalNoted { agreement, note, created } => {
                let verb = if *created { "added" } else { "already present" };
                write!(f, "approval note {note} {verb} on agreement {agreement}")
            }
            EventOutcome::SignedCopyAttached { agreement, note, file_name, created, status } => {
                let verb = if *created { "attached" } else { "already attached" };
                write!(
                    f,
                    "{file_name} {verb} as note {note} on agreement {agreement}; status {status}"
                )
            }
        }
    }
}
