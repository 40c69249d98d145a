//! Actions and functions inside a batch.

use http::Method;

use super::request::{BatchRequest, Target};
use crate::operations::{Action, Function};

impl BatchRequest {
    /// Call an action or custom API: `POST <path>` with its parameters as JSON. Inside a change
    /// set it commits or rolls back with the other requests of the set.
    ///
    /// ```
    /// use dataverse_client::{operations::Action, batch::Batch, batch::BatchRequest};
    /// use uuid::Uuid;
    ///
    /// let mut batch = Batch::new();
    /// batch.add(BatchRequest::action(
    ///     &Action::bound("opportunities", Uuid::nil(), "sample_Recalculate").parameter("Full", &true),
    /// ));
    /// assert_eq!(batch.len(), 1);
    /// ```
    pub fn action(action: &Action) -> Self {
        let (segments, body) = match (action.segments(), action.body()) {
            (Ok(segments), Ok(body)) => (segments, Some(body)),
            (Err(error), _) | (_, Err(error)) => {
                let mut request = Self::new(Method::POST, Target::Segments(Vec::new(), None));
                request.fail(error);
                return request;
            }
        };
        let mut request = Self::new(Method::POST, Target::Segments(segments, None));
        request.body = body;
        request
    }

    /// Call a function: `GET <path>(…)?@p1=…`. Not allowed inside a change set; decode the
    /// response with [`BatchResponse::json`](crate::batch::BatchResponse::json).
    ///
    /// ```
    /// use dataverse_client::{batch::Batch, batch::BatchRequest, operations::Function};
    ///
    /// let mut batch = Batch::new();
    /// batch.add(BatchRequest::function(&Function::new("WhoAmI")));
    /// assert_eq!(batch.len(), 1);
    /// ```
    pub fn function(function: &Function) -> Self {
        match function.path_and_query() {
            Ok((segments, query)) => Self::new(Method::GET, Target::Segments(segments, query)),
            Err(error) => {
                let mut request = Self::new(Method::GET, Target::Segments(Vec::new(), None));
                request.fail(error);
                request
            }
        }
    }
}
