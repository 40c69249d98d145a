//! Choice labels and primary names read live from an environment's table definitions, through
//! `dataverse-client`'s metadata API, instead of from saved JSON.

use dataverse_client::Client;
use dataverse_client::metadata::{ChoiceOption, TableMetadata};

use crate::choices::{Choice, TableExtras};

impl TableExtras {
    /// What the definition of one table says: the options of its choice, status and status
    /// reason columns and its primary name column.
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_codegen::TableExtras;
    ///
    /// let mut extras = TableExtras::new();
    /// extras.add_table_metadata(&*client.table_metadata("account").await?);
    /// assert_eq!(extras.primary_name("account"), Some("name"));
    /// # Ok(()) }
    /// ```
    pub fn add_table_metadata(&mut self, table: &TableMetadata) {
        if let Some(name) = &table.primary_name_attribute {
            self.set_primary_name(&table.logical_name, name);
        }
        for attribute in &table.attributes {
            let Some(choices) = &attribute.choices else { continue };
            if choices.options.is_empty() {
                continue;
            }
            let mut options: Vec<(i32, Option<String>)> =
                choices.options.iter().map(|o| (o.value, label(o))).collect();
            options.sort_by_key(|(value, _)| *value);
            options.dedup_by_key(|(value, _)| *value);
            self.set_choice(
                &table.logical_name,
                &attribute.logical_name,
                Choice { schema_name: attribute.schema_name.clone(), options },
            );
        }
    }

    /// Read the definitions of `tables` (logical names) from the environment `client` is
    /// connected to ([`Client::table_metadata`], a few requests per table, run one table after
    /// another).
    ///
    /// ```no_run
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_codegen::{Document, Generator, TableExtras};
    ///
    /// let document = Document::from_path("metadata.xml").expect("metadata");
    /// let extras = TableExtras::fetch(&client, ["account", "contact"]).await?;
    /// let output = Generator::new(&document).tables(["account", "contact"]).extras(extras).generate();
    /// # let _ = output; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The first [`dataverse_client::Error`]: a table that does not exist is `404`
    /// ([`dataverse_client::Error::is_not_found`]).
    pub async fn fetch<I, S>(
        client: &Client,
        tables: I,
    ) -> Result<TableExtras, dataverse_client::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut extras = TableExtras::new();
        for table in tables {
            extras.add_table_metadata(&*client.table_metadata(table.as_ref()).await?);
        }
        Ok(extras)
    }
}

/// The label `table_metadata` gives (the user's, else the first localized one), else the English
/// one, else the first. Saved responses prefer English to the first localized label; here
/// `ChoiceOption::label` has already chosen the first, so English only wins when the user's
/// label is present without text.
fn label(option: &ChoiceOption) -> Option<String> {
    option.label.clone().or_else(|| {
        option
            .localized_labels
            .iter()
            .find(|(language, _)| *language == 1033)
            .or_else(|| option.localized_labels.first())
            .map(|(_, label)| label.clone())
    })
}
