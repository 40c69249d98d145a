//! Custom APIs declared as JSON, so tests in any language can register one over the control
//! surface (`POST /_sandbox/dataverse/custom-apis`) and call it as they would call one deployed
//! in an environment:
//!
//! ```json
//! {"name": "sample_Greet", "kind": "function", "bound_to": {"row": "accounts"},
//!  "parameters": [{"name": "Name", "type": "Edm.String", "optional": false}],
//!  "response": {"Greeting": "Hello", "Name": {"$parameter": "Name"}, "Account": {"$bound_id": true}}}
//! ```
//!
//! - `kind`: `"action"` (the default, `POST`) or `"function"` (`GET`);
//! - `bound_to`: absent (unbound), `{"row": "<set>"}` or `{"table": "<set>"}`;
//! - `parameters[].type`: `Edm.String`, `Edm.Int32`, `Edm.Decimal`, `Edm.Boolean`, `Edm.Guid`,
//!   `Edm.DateTimeOffset`, `Edm.Untyped` or `Microsoft.Dynamics.CRM.<table>` (an entity);
//! - `response`: the answer's properties (absent or `null`: `204 No Content`), where
//!   `{"$parameter": "<name>"}` stands for a parameter's value and `{"$bound_id": true}` for the
//!   bound row's id;
//! - `error`: `{"status": 400, "code": "0x80040265", "message": "…"}` to make every call fail as
//!   a plug-in would.

use super::custom_api::{CustomApi, CustomApiCall, CustomApiError, ParameterType};
use crate::json::{Json, JsonObject};

/// Replace the placeholders of `template` with the call's values.
fn fill(template: &Json, call: &CustomApiCall) -> Json {
    match template {
        Json::Object(object) => {
            if let Some(name) = object.get("$parameter").and_then(Json::as_str) {
                return call.parameters.get(name).cloned().unwrap_or(Json::Null);
            }
            if object.get("$bound_id").is_some() {
                return call.bound_row.map_or(Json::Null, |id| Json::String(id.to_string()));
            }
            let mut out = JsonObject::new();
            for (key, value) in object.iter() {
                out.insert(key, fill(value, call));
            }
            Json::Object(out)
        }
        Json::Array(items) => Json::Array(items.iter().map(|item| fill(item, call)).collect()),
        other => other.clone(),
    }
}

/// The declared error, if any.
fn declared_error(body: &Json) -> Result<Option<CustomApiError>, String> {
    let Some(error) = body.get("error").filter(|e| !e.is_null()) else { return Ok(None) };
    let status = error.get("status").and_then(Json::as_number_text).map_or(Ok(400), |t| {
        t.parse::<u16>().map_err(|_| "'error.status' must be an HTTP status")
    })?;
    if !(400..600).contains(&status) {
        return Err("'error.status' must be between 400 and 599".to_owned());
    }
    let text = |name: &str| error.get(name).and_then(Json::as_str).map(str::to_owned);
    let message = text("message").ok_or("'error.message' must be a string")?;
    Ok(Some(CustomApiError {
        status,
        code: text("code").unwrap_or_else(|| "0x80040265".to_owned()),
        message,
    }))
}

/// The custom API `body` declares, or why it is not a declaration.
pub(crate) fn declared(body: &Json, entity_sets: &[String]) -> Result<CustomApi, String> {
    let name = body.get("name").and_then(Json::as_str).ok_or("'name' must be a string")?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("'{name}' is not a valid unique name (letters, digits and '_')"));
    }
    let response = body.get("response").cloned().unwrap_or(Json::Null);
    if !matches!(response, Json::Null | Json::Object(_)) {
        return Err("'response' must be an object or null".to_owned());
    }
    let error = declared_error(body)?;
    let handler = move |call: &CustomApiCall| match &error {
        Some(error) => Err(error.clone()),
        None => Ok(fill(&response, call)),
    };
    let mut api = match body.get("kind").and_then(Json::as_str).unwrap_or("action") {
        "action" => CustomApi::action(name, handler),
        "function" => CustomApi::function(name, handler),
        other => return Err(format!("'kind' must be \"action\" or \"function\", not '{other}'")),
    };
    let known = |set: &str| -> Result<String, String> {
        if entity_sets.iter().any(|s| s == set) {
            Ok(set.to_owned())
        } else {
            Err(format!("'{set}' is not an entity set of the loaded metadata"))
        }
    };
    match body.get("bound_to") {
        None | Some(Json::Null) => {}
        Some(binding) => {
            match (
                binding.get("row").and_then(Json::as_str),
                binding.get("table").and_then(Json::as_str),
            ) {
                (Some(set), None) => api = api.bound_to_row(&known(set)?),
                (None, Some(set)) => api = api.bound_to_table(&known(set)?),
                _ => {
                    return Err(
                        "'bound_to' must be {\"row\": \"<set>\"} or {\"table\": \"<set>\"}"
                            .to_owned(),
                    );
                }
            }
        }
    }
    let parameters = match body.get("parameters") {
        None | Some(Json::Null) => &[][..],
        Some(Json::Array(items)) => items.as_slice(),
        Some(_) => return Err("'parameters' must be an array".to_owned()),
    };
    for parameter in parameters {
        let name =
            parameter.get("name").and_then(Json::as_str).ok_or("every parameter needs a 'name'")?;
        let edm = parameter.get("type").and_then(Json::as_str).unwrap_or("Edm.String");
        let kind = ParameterType::from_edm(edm)
            .ok_or_else(|| format!("'{edm}' is not a parameter type (Edm.String, Edm.Int32, …)"))?;
        let optional = parameter.get("optional").and_then(Json::as_bool).unwrap_or(false);
        api = api.parameter(name, kind, optional);
    }
    Ok(api)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Json {
        Json::parse(text).unwrap()
    }

    #[test]
    fn fills_parameters_and_the_bound_id() {
        let template = parse(
            r#"{"Echo":{"$parameter":"Text"},"Row":{"$bound_id":true},"Items":[{"$parameter":"Missing"},1]}"#,
        );
        let id = uuid::Uuid::new_v4();
        let call = CustomApiCall {
            parameters: match parse(r#"{"Text":"hi"}"#) {
                Json::Object(o) => o,
                _ => unreachable!(),
            },
            bound_row: Some(id),
        };
        assert_eq!(
            fill(&template, &call).to_string(),
            format!(r#"{{"Echo":"hi","Row":"{id}","Items":[null,1]}}"#)
        );
    }

    #[test]
    fn refuses_what_is_not_a_declaration() {
        let sets = vec!["accounts".to_owned()];
        for (body, reason) in [
            (r#"{}"#, "'name' must be a string"),
            (r#"{"name":"a b"}"#, "not a valid unique name"),
            (r#"{"name":"x","kind":"query"}"#, "'kind' must be"),
            (r#"{"name":"x","bound_to":{"row":"acounts"}}"#, "not an entity set"),
            (
                r#"{"name":"x","parameters":[{"name":"P","type":"Edm.Thing"}]}"#,
                "not a parameter type",
            ),
            (r#"{"name":"x","response":[1]}"#, "'response' must be"),
            (r#"{"name":"x","error":{"status":200,"message":"m"}}"#, "between 400 and 599"),
        ] {
            let error = declared(&parse(body), &sets).unwrap_err();
            assert!(error.contains(reason), "{body}: {error}");
        }
        assert!(
            declared(
                &parse(r#"{"name":"sample_X","kind":"function","bound_to":{"table":"accounts"}}"#),
                &sets
            )
            .is_ok()
        );
    }
}
