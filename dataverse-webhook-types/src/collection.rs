//! [`KeyValueList`]: the ordered `[{"key": …, "value": …}]` collections of the payload.

use std::fmt;

/// An ordered list of `key` → value pairs, as Dataverse sends `InputParameters`,
/// `OutputParameters`, `SharedVariables`, entity `Attributes`, `FormattedValues` and images.
///
/// On the wire these are JSON arrays of `{"key": …, "value": …}` objects, not JSON objects, so
/// the order is kept and a key could in principle repeat. Keys are unique in practice;
/// [`get`](Self::get) returns the first match and [`iter`](Self::iter) shows every pair.
/// Lookups compare keys exactly (Dataverse logical names are lower case).
///
/// ```
/// use dataverse_webhook_types::{KeyValueList, Value};
///
/// let list: KeyValueList<Value> =
///     [("firstname".to_owned(), Value::String("James".to_owned()))].into_iter().collect();
/// assert_eq!(list.get("firstname").and_then(Value::as_str), Some("James"));
/// assert!(list.get("lastname").is_none());
/// ```
#[derive(Clone, PartialEq)]
pub struct KeyValueList<V> {
    entries: Vec<(String, V)>,
}

impl<V> KeyValueList<V> {
    /// An empty list.
    pub fn new() -> Self {
        Self { entries: Vec::new() }
    }

    /// The value of the first pair whose key is `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether some pair has this key.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The pairs in wire order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &V)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The keys in wire order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Append a pair (used while parsing and by tests that build payloads by hand).
    pub fn push(&mut self, key: impl Into<String>, value: V) {
        self.entries.push((key.into(), value));
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self { entries: Vec::with_capacity(capacity) }
    }
}

impl<V> Default for KeyValueList<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: fmt::Debug> fmt::Debug for KeyValueList<V> {
    // Printed as a map: it reads like the payload and keeps the order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl<V> FromIterator<(String, V)> for KeyValueList<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        Self { entries: iter.into_iter().collect() }
    }
}

impl<V> IntoIterator for KeyValueList<V> {
    type Item = (String, V);
    type IntoIter = std::vec::IntoIter<(String, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a KeyValueList<V> {
    type Item = (&'a str, &'a V);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (String, V)>, fn(&'a (String, V)) -> (&'a str, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        fn split<V>(pair: &(String, V)) -> (&str, &V) {
            (pair.0.as_str(), &pair.1)
        }
        self.entries.iter().map(split)
    }
}
