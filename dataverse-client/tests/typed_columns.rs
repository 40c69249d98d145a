//! Column names that are not strings (such as enums generated from `$metadata`) work wherever
//! a column name is taken, and string names keep working.

use dataverse_client::query::{Expand, Filter, Query};

#[derive(Clone, Copy)]
enum Column {
    Name,
    Revenue,
    ParentAccount,
}

impl AsRef<str> for Column {
    fn as_ref(&self) -> &str {
        match self {
            Column::Name => "name",
            Column::Revenue => "revenue",
            Column::ParentAccount => "_parentaccountid_value",
        }
    }
}

impl From<Column> for String {
    fn from(column: Column) -> String {
        column.as_ref().to_owned()
    }
}

#[test]
fn typed_columns_in_select_filter_order_and_expand() {
    let query = Query::new("accounts")
        .select([Column::Name, Column::Revenue, Column::ParentAccount])
        .filter(
            Filter::contains(Column::Name, "Contoso")
                .and(Filter::gt(Column::Revenue, 1000))
                .and(Filter::is_not_null(Column::ParentAccount))
                .and(Filter::any_of(Column::Revenue, [1, 2])),
        )
        .order_by(Column::Name)
        .expand(Expand::new("primarycontactid").select([Column::Name]));
    let typed = query.to_query_string().expect("query");

    let name = String::from("name");
    let by_string = Query::new("accounts")
        .select(["name", "revenue", "_parentaccountid_value"])
        .filter(
            Filter::contains(&name, "Contoso")
                .and(Filter::gt(name.replace("name", "revenue"), 1000))
                .and(Filter::is_not_null("_parentaccountid_value"))
                .and(Filter::any_of("revenue", [1, 2])),
        )
        .order_by("name")
        .expand(Expand::new("primarycontactid").select(["name"]));
    assert_eq!(typed, by_string.to_query_string().expect("query"));
    assert_eq!(
        typed,
        "$select=name,revenue,_parentaccountid_value\
         &$filter=contains(name,'Contoso')%20and%20revenue%20gt%201000%20and%20_parentaccountid_value%20ne%20null%20and%20(revenue%20eq%201%20or%20revenue%20eq%202)\
         &$orderby=name%20asc\
         &$expand=primarycontactid($select=name)"
    );
}
