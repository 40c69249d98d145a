//! [`Message`]: MessageName normalization.

use std::fmt;
use std::str::FromStr;

/// What kind of change a delivery reports, normalized from `MessageName`.
///
/// Dataverse sends the SDK message name (`Create`, `Update`, `Delete`, …). Power Automate flows
/// that imitate a webhook send whatever their author typed, and the receiver contract of spec
/// 000 accepts `Create`/`Created`, `Update`/`Updated`/`Modify`/`Modified` and
/// `Delete`/`Deleted`. Matching is case-insensitive after trimming whitespace.
///
/// Everything else (`SetState`, `Assign`, `Associate`, `CreateMultiple`, custom API names, …)
/// is [`Message::Other`] with the name exactly as sent. Those messages have their own
/// parameter shapes (`CreateMultiple` carries `Targets`, see
/// [Write plug-ins for CreateMultiple and UpdateMultiple](https://learn.microsoft.com/power-apps/developer/data-platform/write-plugin-multiple-operation)), so folding them into
/// `Update` here would hide that; a
/// receiver that wants to treat `SetState` as an update of `statecode` can match on the raw
/// name.
///
/// ```
/// use dataverse_webhook_types::Message;
///
/// assert_eq!(Message::from_name(" modified "), Message::Update);
/// assert_eq!(Message::from_name("Created"), Message::Create);
/// assert_eq!(Message::from_name("SetState"), Message::Other("SetState".to_owned()));
/// assert_eq!(Message::from_name("Deleted").as_str(), "Delete");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Message {
    /// `Create` / `Created`: a row was added.
    Create,
    /// `Update` / `Updated` / `Modify` / `Modified`: a row was changed.
    Update,
    /// `Delete` / `Deleted`: a row was removed.
    Delete,
    /// Any other message, with its name as sent.
    Other(String),
}

impl Message {
    /// Normalize a `MessageName` (or the `x-ms-dynamics-request-name` header).
    pub fn from_name(name: &str) -> Self {
        let trimmed = name.trim();
        let is = |candidates: &[&str]| candidates.iter().any(|c| trimmed.eq_ignore_ascii_case(c));
        if is(&["Create", "Created"]) {
            Self::Create
        } else if is(&["Update", "Updated", "Modify", "Modified"]) {
            Self::Update
        } else if is(&["Delete", "Deleted"]) {
            Self::Delete
        } else {
            Self::Other(name.to_owned())
        }
    }

    /// `"Create"`, `"Update"`, `"Delete"`, or the raw name of [`Message::Other`].
    pub fn as_str(&self) -> &str {
        match self {
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Delete => "Delete",
            Self::Other(name) => name,
        }
    }

    /// Whether the message is one of the three normalized kinds.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Other(_))
    }
}

impl FromStr for Message {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_name(name))
    }
}

impl From<&str> for Message {
    fn from(name: &str) -> Self {
        Self::from_name(name)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_synonym_normalizes() {
        let table = [
            ("Create", Message::Create),
            ("Created", Message::Create),
            ("create", Message::Create),
            ("CREATED", Message::Create),
            ("Update", Message::Update),
            ("Updated", Message::Update),
            ("Modify", Message::Update),
            ("Modified", Message::Update),
            ("  modify\t", Message::Update),
            ("Delete", Message::Delete),
            ("Deleted", Message::Delete),
            ("\ndeleted ", Message::Delete),
        ];
        for (name, expected) in table {
            assert_eq!(Message::from_name(name), expected, "{name:?}");
        }
    }

    #[test]
    fn other_messages_keep_the_raw_name() {
        for name in
            ["SetState", "Assign", "Associate", "CreateMultiple", "devkit_DebugCustomApi", "", " "]
        {
            assert_eq!(Message::from_name(name), Message::Other(name.to_owned()));
            assert_eq!(Message::from_name(name).as_str(), name);
        }
        assert!(!Message::from_name("Upsert").is_known());
        assert!(Message::from_name("update").is_known());
    }
}
