//! Rendering a parsed Dataverse webhook payload for the `inspect-webhook` binary.
//!
//! The output is one JSON object with snake_case keys:
//!
//! ```json
//! {"message": "Create", "raw_message": "Create", "primary_entity_name": "contact",
//!  "primary_entity_id": "6d81597f-…", "size_exceeded": false,
//!  "attributes": {"firstname": "Ada", "revenue": "1234567.8912", …},
//!  "attribute_types": {"firstname": "string", "revenue": "money", …},
//!  "formatted_values": {"statecode": "Active", …}}
//! ```
//!
//! Values are rendered so nothing is lost: money and decimals as exact decimal strings, dates
//! as RFC 3339 in UTC, references as `{"logical_name", "id", "name"}`, option sets as integers
//! (multi-select as an array), GUIDs as strings, and anything unmodelled as its JSON. The
//! attributes are the `Target`'s, whatever the message; a Delete's `Target` is a reference, so
//! its attributes are empty and the id comes from the reference.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use clap::Parser;
use dataverse_webhook_types::{
    DataverseDateTime, Entity, KeyValueList, Message, Value, ValueKind, WebhookDelivery,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use time::format_description::well_known::Rfc3339;

/// Exit code for bad input (not a payload, a malformed `--header`); clap uses it for usage
/// errors too.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for I/O failures (unreadable file or stdin, closed stdout).
pub const EXIT_IO: u8 = 1;

/// Print a Dataverse or Power Automate webhook payload as normalized JSON.
///
/// Reads the body a webhook receiver gets (a RemoteExecutionContext, or the simplified body a
/// Power Automate HTTP action sends) from FILE or standard input, and prints the normalized
/// message, the primary entity and each Target attribute with its typed value. Exit codes:
/// 0 on success, 2 when the input is not a payload, 1 on I/O errors.
#[derive(Debug, Parser)]
#[command(name = "inspect-webhook", version)]
pub struct Args {
    /// The payload file; `-` or nothing reads standard input.
    pub file: Option<PathBuf>,

    /// A request header as `Name: value`, e.g. `-H 'x-ms-dynamics-msg-size-exceeded: true'`
    /// (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
}

/// Run the command: read, parse, print. Returns the process exit code.
pub fn run(args: &Args, stdin: impl Read, mut stdout: impl Write, mut stderr: impl Write) -> u8 {
    let (code, message) = match inspect(args, stdin) {
        Ok(json) => match writeln!(stdout, "{json}").and_then(|()| stdout.flush()) {
            Ok(()) => return 0,
            // The reader went away (`| head`): nothing is wrong with the input or the output.
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => return 0,
            Err(error) => (EXIT_IO, format!("cannot write the output: {error}")),
        },
        Err(Failure::BadInput(message)) => (EXIT_BAD_INPUT, message),
        Err(Failure::Io(message)) => (EXIT_IO, message),
    };
    // One line, whatever the error says.
    let line = message.replace(['\n', '\r'], " ");
    // Nothing else can be done if stderr is closed too.
    let _ = writeln!(stderr, "inspect-webhook: {line}");
    code
}

enum Failure {
    BadInput(String),
    Io(String),
}

fn inspect(args: &Args, mut stdin: impl Read) -> Result<String, Failure> {
    let headers = parse_headers(&args.headers)?;
    let mut body = Vec::new();
    match args.file.as_deref().filter(|path| path.as_os_str() != "-") {
        Some(path) => {
            body = std::fs::read(path)
                .map_err(|error| Failure::Io(format!("cannot read {}: {error}", path.display())))?;
        }
        None => {
            stdin
                .read_to_end(&mut body)
                .map_err(|error| Failure::Io(format!("cannot read standard input: {error}")))?;
        }
    }
    let delivery = WebhookDelivery::parse(&headers, &body)
        .map_err(|error| Failure::BadInput(error.to_string()))?;
    let inspection = Inspection::new(&delivery);
    serde_json::to_string_pretty(&inspection)
        .map_err(|error| Failure::Io(format!("cannot render the output: {error}")))
}

fn parse_headers(lines: &[String]) -> Result<HeaderMap, Failure> {
    let mut headers = HeaderMap::new();
    for line in lines {
        let bad = || Failure::BadInput(format!("--header {line:?} is not `Name: value`"));
        let (name, value) = line.split_once(':').ok_or_else(bad)?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| bad())?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// The printed document. Field order is the output order.
#[derive(Debug, serde::Serialize)]
pub struct Inspection<'a> {
    message: &'static str,
    raw_message: &'a str,
    primary_entity_name: Option<&'a str>,
    primary_entity_id: Option<String>,
    size_exceeded: bool,
    attributes: Attributes<'a>,
    attribute_types: AttributeTypes<'a>,
    formatted_values: FormattedValues<'a>,
}

impl<'a> Inspection<'a> {
    /// Render a parsed delivery: its body, with the headers' table name and size-exceeded
    /// signal.
    pub fn new(delivery: &'a WebhookDelivery) -> Self {
        let context = &delivery.context;
        let target = context.target_entity();
        Self {
            message: match context.message() {
                Message::Create => "Create",
                Message::Update => "Update",
                Message::Delete => "Delete",
                _ => "Other",
            },
            raw_message: &context.message_name,
            primary_entity_name: delivery.row_logical_name(),
            primary_entity_id: delivery.row_id().map(|id| id.to_string()),
            size_exceeded: delivery.parameters_and_images_dropped(),
            attributes: Attributes(target.map(|entity| &entity.attributes)),
            attribute_types: AttributeTypes(target.map(|entity| &entity.attributes)),
            formatted_values: FormattedValues(target),
        }
    }
}

/// `{"name": rendered value, …}` in wire order.
#[derive(Debug)]
struct Attributes<'a>(Option<&'a KeyValueList<Value>>);

impl Serialize for Attributes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in self.0.into_iter().flat_map(KeyValueList::iter) {
            map.serialize_entry(name, &Rendered(value))?;
        }
        map.end()
    }
}

/// `{"name": "string" | "money" | …}` in wire order.
#[derive(Debug)]
struct AttributeTypes<'a>(Option<&'a KeyValueList<Value>>);

impl Serialize for AttributeTypes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in self.0.into_iter().flat_map(KeyValueList::iter) {
            map.serialize_entry(name, type_name(value))?;
        }
        map.end()
    }
}

#[derive(Debug)]
struct FormattedValues<'a>(Option<&'a Entity>);

impl Serialize for FormattedValues<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, text) in self.0.into_iter().flat_map(|entity| entity.formatted_values.iter()) {
            map.serialize_entry(name, text)?;
        }
        map.end()
    }
}

/// The type names of the output contract.
fn type_name(value: &Value) -> &'static str {
    match value.kind() {
        ValueKind::String => "string",
        ValueKind::Integer => "integer",
        ValueKind::Decimal => "decimal",
        ValueKind::Money => "money",
        ValueKind::Boolean => "boolean",
        ValueKind::OptionSet => "optionset",
        ValueKind::OptionSets => "optionsets",
        ValueKind::Reference => "reference",
        ValueKind::DateTime => "datetime",
        ValueKind::Guid => "guid",
        ValueKind::Null => "null",
        ValueKind::EntityCollection => "entity_collection",
        // Entity, KeyValuePair, Array, Raw and whatever a later version adds.
        _ => "raw",
    }
}

/// One value as the output contract renders it.
struct Rendered<'a>(&'a Value);

impl Serialize for Rendered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.0;
        match value.kind() {
            ValueKind::Null => serializer.serialize_none(),
            ValueKind::DateTime => match value.as_datetime() {
                Some(at) => serializer.serialize_str(&rfc3339_utc(at)),
                None => serializer.serialize_none(),
            },
            ValueKind::Guid => match value.as_uuid() {
                Some(id) => serializer.collect_str(&id),
                None => serializer.serialize_none(),
            },
            _ => match value {
                Value::Bool(flag) => serializer.serialize_bool(*flag),
                Value::Integer(number) => serializer.serialize_i64(*number),
                Value::Decimal(amount) | Value::Money(amount) => serializer.collect_str(amount),
                Value::String(text) => serializer.serialize_str(text),
                Value::OptionSetValue(code) => serializer.serialize_i32(*code),
                Value::OptionSetValues(codes) => codes.serialize(serializer),
                Value::EntityReference(reference) => ReferenceOut {
                    logical_name: &reference.logical_name,
                    id: reference.id.map(|id| id.to_string()),
                    name: reference.name.as_deref(),
                }
                .serialize(serializer),
                Value::Entity(entity) => EntityOut(entity).serialize(serializer),
                Value::EntityCollection(collection) => {
                    let mut seq = serializer.serialize_seq(Some(collection.entities.len()))?;
                    for entity in &collection.entities {
                        seq.serialize_element(&EntityOut(entity))?;
                    }
                    seq.end()
                }
                Value::KeyValuePair { key, value } => {
                    let mut map = serializer.serialize_map(Some(2))?;
                    map.serialize_entry("key", key)?;
                    map.serialize_entry("value", &Rendered(value))?;
                    map.end()
                }
                Value::Array(items) => {
                    let mut seq = serializer.serialize_seq(Some(items.len()))?;
                    for item in items {
                        seq.serialize_element(&Rendered(item))?;
                    }
                    seq.end()
                }
                Value::Raw(raw) => raw.as_raw_value().serialize(serializer),
                // A variant added by a later version of the library: say so rather than guess.
                _ => serializer.serialize_none(),
            },
        }
    }
}

#[derive(serde::Serialize)]
struct ReferenceOut<'a> {
    logical_name: &'a str,
    id: Option<String>,
    name: Option<&'a str>,
}

/// A nested row: `{"logical_name", "id", "attributes"}`.
struct EntityOut<'a>(&'a Entity);

impl Serialize for EntityOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("logical_name", &self.0.logical_name)?;
        map.serialize_entry("id", &self.0.id.map(|id| id.to_string()))?;
        map.serialize_entry("attributes", &Attributes(Some(&self.0.attributes)))?;
        map.end()
    }
}

/// `2024-07-24T10:28:25Z` (with a fraction only when there is one).
fn rfc3339_utc(at: DataverseDateTime) -> String {
    at.utc().format(&Rfc3339).unwrap_or_else(|_| format!("{}ms since epoch", at.unix_millis()))
}

/// Read standard input and write standard output/error, for the binary.
pub fn run_with_stdio(args: &Args) -> u8 {
    run(args, io::stdin().lock(), io::stdout().lock(), io::stderr().lock())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;

    fn fixture_path(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../dataverse-webhook-types/tests/fixtures")
            .join(name)
    }

    /// Run with a file argument; returns (exit code, stdout as JSON or Null, stderr).
    fn run_file(name: &str, headers: &[&str]) -> (u8, serde_json::Value, String) {
        let args = Args {
            file: Some(fixture_path(name)),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        };
        run_args(&args, &b""[..])
    }

    fn run_args(args: &Args, stdin: &[u8]) -> (u8, serde_json::Value, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(args, stdin, &mut out, &mut err);
        let json = if out.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&out).expect("stdout is JSON")
        };
        (code, json, String::from_utf8(err).expect("stderr is UTF-8"))
    }

    #[test]
    fn sample_b_renders_every_attribute_with_its_type() {
        let (code, out, err) = run_file("sample_b_create.json", &[]);
        assert_eq!((code, err.as_str()), (0, ""));
        let system_user = |id: &str| json!({"logical_name": "systemuser", "id": id, "name": null});
        assert_eq!(
            out,
            json!({
                "message": "Create",
                "raw_message": "Create",
                "primary_entity_name": "msdyn_agentstatus",
                "primary_entity_id": "4b1e3d75-a749-ef11-acce-00224802d26d",
                "size_exceeded": false,
                "attributes": {
                    "msdyn_capacitymodifiedon": "2024-07-24T08:26:41Z",
                    "msdyn_agentstatusid": "4b1e3d75-a749-ef11-acce-00224802d26d",
                    "owningbusinessunit": {"logical_name": "businessunit", "id": "e95e91cf-7b10-ef11-9f8a-6045bdd4c6be", "name": null},
                    "modifiedon": "2024-07-24T10:28:25Z",
                    "modifiedonbehalfby": null,
                    "msdyn_presencemodifiedby": "SYSTEM",
                    "msdyn_currentpresenceid": {"logical_name": "msdyn_presence", "id": "70139190-c07a-e811-8162-000d3aa11f50", "name": null},
                    "msdyn_presencemodifiedon": "2024-07-24T10:28:24Z",
                    "statecode": 0,
                    "statuscode": 1,
                    "msdyn_isagentloggedin": false,
                    "createdby": system_user("09eb2446-db10-ef11-9f8a-6045bdd4c6be"),
                    "timezoneruleversionnumber": 4,
                    "msdyn_agentid": system_user("a7f9a9ed-b311-ef11-9f89-000d3a544b4c"),
                    "ownerid": system_user("09eb2446-db10-ef11-9f8a-6045bdd4c6be"),
                    "msdyn_availableunitscapacity": 100,
                    "msdyn_isblockedbysomeprofile": false,
                    "owninguser": system_user("09eb2446-db10-ef11-9f8a-6045bdd4c6be"),
                    "modifiedby": system_user("09eb2446-db10-ef11-9f8a-6045bdd4c6be"),
                    "createdon": "2024-07-24T10:28:25Z"
                },
                "attribute_types": {
                    "msdyn_capacitymodifiedon": "datetime",
                    "msdyn_agentstatusid": "guid",
                    "owningbusinessunit": "reference",
                    "modifiedon": "datetime",
                    "modifiedonbehalfby": "null",
                    "msdyn_presencemodifiedby": "string",
                    "msdyn_currentpresenceid": "reference",
                    "msdyn_presencemodifiedon": "datetime",
                    "statecode": "optionset",
                    "statuscode": "optionset",
                    "msdyn_isagentloggedin": "boolean",
                    "createdby": "reference",
                    "timezoneruleversionnumber": "integer",
                    "msdyn_agentid": "reference",
                    "ownerid": "reference",
                    "msdyn_availableunitscapacity": "integer",
                    "msdyn_isblockedbysomeprofile": "boolean",
                    "owninguser": "reference",
                    "modifiedby": "reference",
                    "createdon": "datetime"
                },
                "formatted_values": {
                    "msdyn_capacitymodifiedon": "2024-07-24T08:26:41-00:00",
                    "modifiedon": "2024-07-24T10:28:25-00:00",
                    "msdyn_presencemodifiedon": "2024-07-24T10:28:24-00:00",
                    "statecode": "Active",
                    "statuscode": "Active",
                    "msdyn_isagentloggedin": "No",
                    "timezoneruleversionnumber": "4",
                    "msdyn_availableunitscapacity": "100",
                    "msdyn_isblockedbysomeprofile": "No",
                    "createdon": "2024-07-24T10:28:25-00:00"
                }
            })
        );
    }

    #[test]
    fn output_keeps_wire_order_and_exact_text() {
        let args =
            Args { file: Some(fixture_path("sample_c_alltypes_create.json")), headers: Vec::new() };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(&args, &b""[..], &mut out, &mut err), 0);
        let text = String::from_utf8(out).unwrap();
        // Exact decimal text, never through f64 (the JSON string holds the digits as sent).
        assert!(text.contains(r#""albxrm_currency": "2154.32""#), "{text}");
        assert!(text.contains(r#""exchangerate": "1.0000000000""#), "{text}");
        // Attributes in wire order: the first and second keys of the Target.
        let first = text.find(r#""albxrm_twooptions""#).unwrap();
        let second = text.find(r#""albxrm_lookupaccount""#).unwrap();
        assert!(first < second);
    }

    #[test]
    fn sample_c_types_cover_money_decimals_and_multi_select() {
        let (code, out, _) = run_file("sample_c_alltypes_create.json", &[]);
        assert_eq!(code, 0);
        assert_eq!(out["attributes"]["albxrm_currency"], "2154.32");
        assert_eq!(out["attribute_types"]["albxrm_currency"], "money");
        assert_eq!(out["attributes"]["albxrm_float"], "2365.12");
        assert_eq!(out["attribute_types"]["albxrm_decimal"], "decimal");
        assert_eq!(out["attributes"]["albxrm_multiselectoptionset"], json!([257760001, 257760002]));
        assert_eq!(out["attribute_types"]["albxrm_multiselectoptionset"], "optionsets");
        assert_eq!(out["attributes"]["albxrm_dateandtime"], "2020-12-15T07:00:00Z");
        assert_eq!(out["attributes"]["albxrm_multiplelinesoftext"], "sdafasf\nasdfas\nafsd");
        assert_eq!(out["formatted_values"]["albxrm_optionset"], "Value 2");
    }

    #[test]
    fn wrappers_deletes_collections_and_flows() {
        let (_, wrapped, _) = run_file("sample_d_update_wrapped.json", &[]);
        assert_eq!(wrapped["attributes"]["accountid"], "ec4e2f7d-9d60-e811-a95a-000d3af24950");
        assert_eq!(wrapped["attribute_types"]["accountid"], "guid");
        assert_eq!(wrapped["attributes"]["modifiedon"], "2018-05-31T09:05:24Z");
        assert_eq!(wrapped["attribute_types"]["modifiedon"], "datetime");

        let (_, delete, _) = run_file("delete_contact.json", &[]);
        assert_eq!(delete["message"], "Delete");
        assert_eq!(delete["primary_entity_id"], "6d81597f-0f9f-e711-8122-000d3aa2331c");
        assert_eq!(delete["attributes"], json!({}));
        assert_eq!(delete["formatted_values"], json!({}));

        let (_, multiple, _) = run_file("createmultiple_account.json", &[]);
        assert_eq!(multiple["message"], "Other");
        assert_eq!(multiple["raw_message"], "CreateMultiple");
        assert_eq!(multiple["attributes"], json!({}));

        let (_, flow, _) = run_file("power_automate_modified.json", &[]);
        assert_eq!(flow["message"], "Update");
        assert_eq!(flow["raw_message"], " modified ");
        assert_eq!(flow["primary_entity_name"], "contact");
        assert_eq!(flow["attributes"]["statecode"], "Inactive");
        assert_eq!(flow["attribute_types"]["statecode"], "string");

        let (_, empty, _) = run_file("power_automate_template_empty.json", &[]);
        assert_eq!(empty["primary_entity_id"], serde_json::Value::Null);
    }

    #[test]
    fn size_exceeded_comes_from_the_header_or_the_body() {
        let (_, plain, _) = run_file("sample_a_update.json", &[]);
        assert_eq!(plain["size_exceeded"], false);
        let (_, flagged, _) =
            run_file("sample_a_update.json", &["x-ms-dynamics-msg-size-exceeded: true"]);
        assert_eq!(flagged["size_exceeded"], true);
        let (_, dropped, _) = run_file("size_exceeded_update.json", &[]);
        assert_eq!(dropped["size_exceeded"], true);
        assert_eq!(dropped["attributes"], json!({}));
    }

    #[test]
    fn the_table_falls_back_to_the_entity_name_header() {
        let body =
            br#"{"MessageName":"Update","PrimaryEntityId":"6d81597f-0f9f-e711-8122-000d3aa2331c"}"#;
        let bare = Args { file: None, headers: Vec::new() };
        let (_, out, _) = run_args(&bare, body);
        assert_eq!(out["primary_entity_name"], serde_json::Value::Null);
        let named = Args { file: None, headers: vec!["x-ms-dynamics-entity-name: contact".into()] };
        let (code, out, _) = run_args(&named, body);
        assert_eq!(code, 0);
        assert_eq!(out["primary_entity_name"], "contact");
        assert_eq!(out["size_exceeded"], true, "no InputParameters in the body");
    }

    #[test]
    fn reads_standard_input() {
        let body = br#"{"MessageName":"Created","PrimaryEntityName":"contact","InputParameters":[{"key":"Target","value":{"revenue":1234567.8912}}]}"#;
        for file in [None, Some(PathBuf::from("-"))] {
            let (code, out, _) = run_args(&Args { file, headers: Vec::new() }, body);
            assert_eq!(code, 0);
            assert_eq!(out["message"], "Create");
            assert_eq!(out["attributes"]["revenue"], "1234567.8912");
            assert_eq!(out["attribute_types"]["revenue"], "decimal");
        }
    }

    #[test]
    fn bad_input_is_one_line_on_stderr_and_exit_2() {
        let (code, out, err) =
            run_args(&Args { file: None, headers: Vec::new() }, b"{\"MessageName\":\n 5}");
        assert_eq!(code, EXIT_BAD_INPUT);
        assert_eq!(out, serde_json::Value::Null);
        assert_eq!(
            err,
            "inspect-webhook: invalid webhook payload at `MessageName`: invalid type: integer `5`, expected a string (line 2, column 2)\n"
        );

        let (code, _, err) = run_args(&Args { file: None, headers: Vec::new() }, b"\xff");
        assert_eq!(code, EXIT_BAD_INPUT);
        assert_eq!(err.lines().count(), 1);

        let args = Args { file: None, headers: vec!["no colon".to_owned()] };
        let (code, _, err) = run_args(&args, b"{}");
        assert_eq!(code, EXIT_BAD_INPUT);
        assert_eq!(err, "inspect-webhook: --header \"no colon\" is not `Name: value`\n");
    }

    #[test]
    fn io_errors_exit_1() {
        let (code, out, err) = run_file("no_such_fixture.json", &[]);
        assert_eq!(code, EXIT_IO);
        assert_eq!(out, serde_json::Value::Null);
        assert!(err.starts_with("inspect-webhook: cannot read "), "{err}");
        assert_eq!(err.lines().count(), 1);

        struct Failing(io::ErrorKind);
        impl Write for Failing {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(self.0, "refused"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let args = Args { file: Some(fixture_path("sample_a_update.json")), headers: Vec::new() };
        let mut err = Vec::new();
        assert_eq!(run(&args, &b""[..], Failing(io::ErrorKind::StorageFull), &mut err), EXIT_IO);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "inspect-webhook: cannot write the output: refused\n"
        );
        // A closed pipe (`| head`) is not an error.
        let mut err = Vec::new();
        assert_eq!(run(&args, &b""[..], Failing(io::ErrorKind::BrokenPipe), &mut err), 0);
        assert!(err.is_empty());
    }

    #[test]
    fn help_describes_the_command() {
        use clap::CommandFactory;
        let help = Args::command().render_long_help().to_string();
        assert!(
            help.contains("Print a Dataverse or Power Automate webhook payload as normalized JSON")
        );
        assert!(help.contains("--header"));
        Args::command().debug_assert();
    }
}
