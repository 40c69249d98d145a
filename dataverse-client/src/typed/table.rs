//! Tables as types: a struct that knows its table's names, and the client calls that take it
//! instead of an entity-set string.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::client::Client;
use crate::paging::QueryRequest;
use crate::query::Query;
use crate::records::{Create, CreateAndReturn, Delete, RecordKey, Retrieve, Update, Upsert};

/// A row type that knows its table: what `dataverse-codegen` implements for every read
/// struct it generates (and what a hand-written struct can implement), so that calls name the
/// table by type, through [`Client::table`], instead of repeating its entity set as a string.
///
/// ```
/// use dataverse_client::typed::Table;
/// use serde::Deserialize;
/// use uuid::Uuid;
///
/// #[derive(Deserialize)]
/// struct Account {
///     accountid: Option<Uuid>,
///     name: Option<String>,
/// }
///
/// impl Table for Account {
///     const LOGICAL_NAME: &'static str = "account";
///     const ENTITY_SET: &'static str = "accounts";
///     const PRIMARY_ID: &'static str = "accountid";
///     fn id(&self) -> Option<Uuid> {
///         self.accountid
///     }
/// }
/// assert_eq!(Account::ENTITY_SET, "accounts");
/// ```
pub trait Table: DeserializeOwned {
    /// The table's logical name (`account`).
    const LOGICAL_NAME: &'static str;
    /// The entity set name: the table's name in Web API URLs (`accounts`).
    const ENTITY_SET: &'static str;
    /// The primary key column (`accountid`).
    const PRIMARY_ID: &'static str;

    /// This row's primary key, when it was read (a `$select` without the key still returns
    /// it; a row decoded from elsewhere may lack it).
    fn id(&self) -> Option<Uuid>;
}

impl Client {
    /// The calls on one table, named by its row type: `client.table::<Account>()` creates,
    /// retrieves, updates, upserts, deletes and queries `accounts` and decodes rows as
    /// `Account`. The string-based calls ([`Client::create`], [`Client::query`], …) remain for
    /// tables without a type.
    ///
    /// ```no_run
    /// # use dataverse_client::typed::Table;
    /// # #[derive(serde::Deserialize)] struct Account { accountid: Option<uuid::Uuid>, name: Option<String> }
    /// # impl Table for Account { const LOGICAL_NAME: &'static str = "account";
    /// #   const ENTITY_SET: &'static str = "accounts"; const PRIMARY_ID: &'static str = "accountid";
    /// #   fn id(&self) -> Option<uuid::Uuid> { self.accountid } }
    /// # async fn run(client: dataverse_client::Client) -> Result<(), dataverse_client::Error> {
    /// use dataverse_client::query::Filter;
    /// use serde_json::json;
    ///
    /// let accounts = client.table::<Account>();
    /// let id = accounts.create(&json!({ "name": "Contoso" })).await?;
    /// let account = accounts.retrieve(id).select(["name"]).await?;
    /// let named: Vec<Account> = accounts
    ///     .query(|q| q.select(["name"]).filter(Filter::eq("name", "Contoso")))
    ///     .collect_all()
    ///     .await?;
    /// # let _ = (account.name, named); Ok(()) }
    /// ```
    pub fn table<T: Table>(&self) -> TableClient<'_, T> {
        TableClient { client: self, table: PhantomData }
    }
}

/// The calls on the table of `T`; see [`Client::table`]. Each returns the same request builder
/// as the string-based call it stands for.
#[must_use = "a table handle does nothing until one of its calls is sent"]
pub struct TableClient<'c, T> {
    client: &'c Client,
    table: PhantomData<fn() -> T>,
}

impl<T> Clone for TableClient<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for TableClient<'_, T> {}

impl<T: Table> fmt::Debug for TableClient<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableClient").field("entity_set", &T::ENTITY_SET).finish()
    }
}

impl<'c, T: Table> TableClient<'c, T> {
    /// Create a row ([`Client::create`]).
    pub fn create<B: Serialize + ?Sized>(&self, body: &B) -> Create<'c> {
        self.client.create(T::ENTITY_SET, body)
    }

    /// Create a row and return it as a `T` ([`Client::create_and_return`]).
    pub fn create_and_return<B: Serialize + ?Sized>(&self, body: &B) -> CreateAndReturn<'c, T> {
        self.client.create_and_return(T::ENTITY_SET, body)
    }

    /// Retrieve one row as a `T` ([`Client::retrieve`]).
    pub fn retrieve(&self, key: impl Into<RecordKey>) -> Retrieve<'c, T> {
        self.client.retrieve(T::ENTITY_SET, key)
    }

    /// Update a row ([`Client::update`]).
    pub fn update<B: Serialize + ?Sized>(&self, key: impl Into<RecordKey>, body: &B) -> Update<'c> {
        self.client.update(T::ENTITY_SET, key, body)
    }

    /// Create or update a row ([`Client::upsert`]).
    pub fn upsert<B: Serialize + ?Sized>(&self, key: impl Into<RecordKey>, body: &B) -> Upsert<'c> {
        self.client.upsert(T::ENTITY_SET, key, body)
    }

    /// Delete a row ([`Client::delete`]).
    pub fn delete(&self, key: impl Into<RecordKey>) -> Delete<'c> {
        self.client.delete(T::ENTITY_SET, key)
    }

    /// Query the table, rows decoded as `T` ([`Client::query`]): `build` gets
    /// `Query::new(T::ENTITY_SET)` and adds `$select`, `$filter` and the rest.
    pub fn query(&self, build: impl FnOnce(Query) -> Query) -> QueryRequest<'c, T> {
        self.client.query(build(Query::new(T::ENTITY_SET)))
    }
}
