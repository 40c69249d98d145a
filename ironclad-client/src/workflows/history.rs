//! Turn history: `GET /workflows/{id}/turn-history`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Workflows;
use crate::ids::WorkflowId;
use crate::paging::Paginated;
use crate::serde_util::{lenient, timestamp_opt};

/// One turn of a workflow's negotiation: whose turn it was, from when to when
/// ([reference](https://developer.ironcladapp.com/reference/turn-history)).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Turn {
    /// The turn's position, from 1.
    #[serde(default, deserialize_with = "lenient")]
    pub turn_number: Option<u32>,
    /// Whose turn: `internal` or `counterparty`.
    #[serde(default, deserialize_with = "lenient")]
    pub turn_party: Option<String>,
    /// How the turn started (`manual change`, …).
    #[serde(default, deserialize_with = "lenient")]
    pub turn_location: Option<String>,
    /// When the turn started.
    #[serde(default, with = "timestamp_opt")]
    pub turn_start_time: Option<OffsetDateTime>,
    /// When it ended (absent for the current turn).
    #[serde(default, with = "timestamp_opt")]
    pub turn_end_time: Option<OffsetDateTime>,
    /// The user who took the turn.
    #[serde(default, deserialize_with = "lenient")]
    pub turn_user_id: Option<String>,
    /// That user's email.
    #[serde(default, deserialize_with = "lenient")]
    pub turn_user_email: Option<String>,
}

impl Workflows<'_> {
    /// The turns of a workflow (paged).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let turns = client.workflows().turn_history("6a6b4091ef38863a01482499").collect_all().await?;
    /// for turn in &turns {
    ///     println!("{:?}: {:?} from {:?}", turn.turn_number, turn.turn_party, turn.turn_start_time);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn turn_history(&self, workflow_id: impl Into<WorkflowId>) -> Paginated<Turn> {
        self.paged(workflow_id.into(), "turn-history", Vec::new(), "page of turns")
    }
}
