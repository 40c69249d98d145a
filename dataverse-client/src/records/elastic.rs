//! Rows of elastic tables, addressed by primary key and partition.

use uuid::Uuid;

use super::key::RecordKey;
use crate::query::Literal;

impl RecordKey {
    /// A row of an elastic table that was created with a `partitionid`: its primary key and its
    /// partition together, through the table's `KeyForNoSqlEntityWithPKPartitionId` alternate key
    /// (`contoso_sensordatas(contoso_sensordataid=<id>,partitionid='device-001')`). It works for
    /// retrieve, update, upsert and delete; Dataverse needs both values to find such a row
    /// ([Specifying PartitionId](https://learn.microsoft.com/power-apps/developer/data-platform/use-elastic-tables#specifying-partitionid)).
    ///
    /// ```
    /// use dataverse_client::records::RecordKey;
    /// use uuid::Uuid;
    ///
    /// let key = RecordKey::with_partition("contoso_sensordataid", Uuid::nil(), "device-001");
    /// assert_eq!(
    ///     key.to_string(),
    ///     "contoso_sensordataid=00000000-0000-0000-0000-000000000000,partitionid='device-001'"
    /// );
    /// ```
    pub fn with_partition(
        primary_id_attribute: impl Into<String>,
        id: Uuid,
        partition_id: impl Into<String>,
    ) -> Self {
        RecordKey::Alternate(vec![
            (primary_id_attribute.into(), Literal::Guid(id)),
            ("partitionid".to_owned(), Literal::String(partition_id.into())),
        ])
    }
}
