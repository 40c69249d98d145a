//! What an action or function is bound to, and the path it is called at.

use crate::error::Result;
use crate::odata::validate_identifier;
use crate::records::RecordKey;

/// The namespace every bound operation's name is qualified with.
pub(crate) const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// What an operation is bound to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Binding {
    /// Called by its plain name at the service root.
    Unbound,
    /// Bound to one row: `<entity_set>(<key>)/Microsoft.Dynamics.CRM.<name>`.
    Row { entity_set: String, key: RecordKey },
    /// Bound to a table: `<entity_set>/Microsoft.Dynamics.CRM.<name>`.
    Collection { entity_set: String },
}

impl Binding {
    /// The path segments of the call: the binding, then the name (qualified when bound, plain
    /// when not: "Functions that aren't bound must not use the full name",
    /// <https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-web-api-functions#bound-functions>).
    /// `suffix` is appended to the name (a function's parameter list).
    pub(crate) fn segments(&self, name: &str, suffix: &str) -> Result<Vec<String>> {
        let plain = name.strip_prefix(NAMESPACE).unwrap_or(name);
        validate_identifier("operation name", plain)?;
        Ok(match self {
            Binding::Unbound => vec![format!("{plain}{suffix}")],
            Binding::Row { entity_set, key } => {
                vec![key.segment(entity_set)?, format!("{NAMESPACE}{plain}{suffix}")]
            }
            Binding::Collection { entity_set } => {
                validate_identifier("entity set", entity_set)?;
                vec![entity_set.clone(), format!("{NAMESPACE}{plain}{suffix}")]
            }
        })
    }

    /// The entity set (or the operation name when unbound), for tracing.
    pub(crate) fn target<'a>(&'a self, name: &'a str) -> &'a str {
        match self {
            Binding::Unbound => name,
            Binding::Row { entity_set, .. } | Binding::Collection { entity_set } => entity_set,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn bound_names_are_qualified_and_unbound_names_are_not() {
        assert_eq!(
            Binding::Unbound.segments("Microsoft.Dynamics.CRM.WhoAmI", "()").unwrap(),
            ["WhoAmI()"]
        );
        let row = Binding::Row { entity_set: "systemusers".into(), key: Uuid::nil().into() };
        assert_eq!(
            row.segments("RetrieveUserPrivileges", "()").unwrap(),
            [
                "systemusers(00000000-0000-0000-0000-000000000000)".to_owned(),
                "Microsoft.Dynamics.CRM.RetrieveUserPrivileges()".to_owned()
            ]
        );
        let table = Binding::Collection { entity_set: "accounts".into() };
        assert_eq!(
            table.segments("Microsoft.Dynamics.CRM.CreateMultiple", "").unwrap(),
            ["accounts", "Microsoft.Dynamics.CRM.CreateMultiple"]
        );
        assert!(Binding::Unbound.segments("a/b", "").is_err());
        assert!(Binding::Collection { entity_set: "x?y".into() }.segments("A", "").is_err());
    }
}
