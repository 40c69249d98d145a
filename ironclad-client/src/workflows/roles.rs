//! Role assignment: `PATCH /workflows/{id}/roles/{roleName}` and
//! `GET /workflows/{id}/roles/{roleName}/eligible-assignees`.

use rest_client_core::Replay;
use serde::{Deserialize, Serialize};

use super::Workflows;
use crate::Error;
use crate::http::{ApiRequest, id_segment, segments};
use crate::ids::WorkflowId;
use crate::paging::Paginated;
use crate::serde_util::lenient;

/// A user who may take a workflow role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RoleUser {
    /// The Ironclad user id.
    #[serde(default, deserialize_with = "lenient")]
    pub user_id: Option<String>,
    /// The email.
    #[serde(default, deserialize_with = "lenient")]
    pub email: Option<String>,
    /// The display name.
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
}

/// The answer to [`Workflows::assign_role`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RoleAssignment {
    /// The role's display name.
    #[serde(default, deserialize_with = "lenient")]
    pub role_name: Option<String>,
    /// Who holds it now.
    #[serde(default, deserialize_with = "lenient")]
    pub assignee: Option<RoleUser>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignBody<'a> {
    user_id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DefaultAssigneePage {
    #[serde(default, deserialize_with = "lenient")]
    default_assignee: Option<RoleUser>,
}

fn role_path(workflow_id: impl Into<WorkflowId>, role_name: &str) -> Result<Vec<String>, Error> {
    Ok(segments![
        "workflows",
        WorkflowId::segment(workflow_id)?,
        "roles",
        id_segment("role name", role_name)?
    ])
}

impl Workflows<'_> {
    /// Give workflow role `role_name` (its display name: `Legal Approver`, `Archiver`, …) to the
    /// user `user_id`, who must be eligible ([`Workflows::eligible_assignees`]; see the
    /// [reference](https://developer.ironcladapp.com/reference/update-workflow-role-assignment)).
    /// It sets the assignee, so it is replayed after transient failures.
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let assignment = client
    ///     .workflows()
    ///     .assign_role("6a6b4091ef38863a01482499", "Legal Approver", "61968ae4945dcecf4a78cc83")
    ///     .await?;
    /// println!("{:?}", assignment.assignee.and_then(|a| a.email));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty role name or user id (before sending);
    /// [`Error::Api`] 403 when the user may not take the role, 422 `INVALID_STATE` when the
    /// workflow is completed.
    pub async fn assign_role(
        &self,
        workflow_id: impl Into<WorkflowId>,
        role_name: &str,
        user_id: &str,
    ) -> Result<RoleAssignment, Error> {
        let user_id = id_segment("user id", user_id)?;
        let request = ApiRequest::new(http::Method::PATCH, role_path(workflow_id, role_name)?)
            .json(&AssignBody { user_id: &user_id })?
            .replay(Replay::Safe);
        self.client.execute_json(request, "role assignment").await
    }

    /// The users who may take workflow role `role_name` (paged;
    /// [reference](https://developer.ironcladapp.com/reference/list-workflow-role-eligible-assignees)).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let people = client
    ///     .workflows()
    ///     .eligible_assignees("6a6b4091ef38863a01482499", "Legal Approver")
    ///     .collect_all()
    ///     .await?;
    /// # let _ = people; Ok(()) }
    /// ```
    pub fn eligible_assignees(
        &self,
        workflow_id: impl Into<WorkflowId>,
        role_name: &str,
    ) -> Paginated<RoleUser> {
        match role_path(workflow_id, role_name) {
            Ok(mut path) => {
                path.push("eligible-assignees".to_owned());
                self.paged_at(path, Vec::new(), "page of eligible assignees")
            }
            Err(error) => Paginated::failed(error),
        }
    }

    /// The user who takes workflow role `role_name` by default, if any (`defaultAssignee` of
    /// the eligible-assignees list).
    ///
    /// ```no_run
    /// # async fn demo(client: ironclad_client::Client) -> Result<(), ironclad_client::Error> {
    /// let default = client.workflows().default_assignee("6a6b4091ef38863a01482499", "Legal Approver").await?;
    /// # let _ = default; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Api`] 404 when the workflow or role does not exist.
    pub async fn default_assignee(
        &self,
        workflow_id: impl Into<WorkflowId>,
        role_name: &str,
    ) -> Result<Option<RoleUser>, Error> {
        let mut path = role_path(workflow_id, role_name)?;
        path.push("eligible-assignees".to_owned());
        let request = ApiRequest::get(path).query("page", 0).query("pageSize", 1);
        let page: DefaultAssigneePage =
            self.client.execute_json(request, "page of eligible assignees").await?;
        Ok(page.default_assignee)
    }
}
