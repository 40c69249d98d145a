//! Four published payloads, read field by field: the contact `Update` of Microsoft's webhook
//! documentation (<https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks>),
//! the synchronous `Create` of Dynamics 365 Contact Center's presence sync
//! (<https://learn.microsoft.com/dynamics365/contact-center/extend/presence-status-sync>), and two
//! bodies from an open-source serializer's tests (an all-types `Create`, a synchronous `Update`
//! with `Guid:#System` wrappers).

mod common;

use std::str::FromStr;

use common::{CONTACT_ID, fixture, parse};
use dataverse_webhook_types::{
    Field, IsolationMode, Message, Mode, OptionSetChoice, PayloadShape, Stage, Target, Value,
    ValueKind,
};
use rust_decimal::Decimal;
use time::macros::{datetime, offset};
use uuid::uuid;

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).unwrap()
}

#[test]
fn sample_a_update_of_contact() {
    let context = parse("sample_a_update.json");
    assert_eq!(context.message(), Message::Update);
    assert_eq!(context.message_name, "Update");
    assert_eq!(context.shape(), PayloadShape::RemoteExecutionContext);
    assert_eq!(context.mode, Some(Mode::Asynchronous));
    assert_eq!(context.stage, Some(Stage::PostOperation));
    assert_eq!(context.isolation_mode, Some(IsolationMode::None));
    assert_eq!(context.depth, Some(1));
    assert_eq!(context.is_in_transaction, Some(false));
    assert_eq!(context.organization_name.as_deref(), Some("OrgName"));
    assert_eq!(context.business_unit_id, Some(uuid!("e2b9dd85-e89e-e711-8122-000d3aa2331c")));
    assert_eq!(context.correlation_id, Some(uuid!("b374239d-4233-41a9-8b17-a86cb4f737b5")));
    assert_eq!(context.request_id, None);
    assert_eq!(context.secondary_entity_name.as_deref(), Some("none"));
    // Absent in the 2017 sample: optional, not an error.
    assert_eq!(context.initiating_user_agent, None);
    assert_eq!(context.user_azure_active_directory_object_id, None);

    let created = context.operation_created_on.unwrap();
    assert_eq!(created.utc(), datetime!(2017-09-26 07:04:08 UTC));
    assert_eq!(created.offset(), Some(offset!(-7)));

    let step = context.owning_extension.as_ref().unwrap();
    assert_eq!(step.logical_name, "sdkmessageprocessingstep");
    assert_eq!(step.id, Some(uuid!("75417616-4ea2-e711-8122-000d3aa2331c")));
    assert_eq!(step.name, None);

    let target = context.target_entity().unwrap();
    assert_eq!(target.logical_name, "contact");
    assert_eq!(target.id, Some(CONTACT_ID));
    assert_eq!(
        target.attributes.keys().collect::<Vec<_>>(),
        [
            "firstname",
            "contactid",
            "fullname",
            "yomifullname",
            "modifiedon",
            "modifiedby",
            "modifiedonbehalfby"
        ]
    );
    let attributes = &target.attributes;
    assert_eq!(attributes.get_string("firstname").unwrap(), Field::Value("James"));
    assert_eq!(attributes.get_uuid("contactid").unwrap(), Field::Value(CONTACT_ID));
    assert_eq!(attributes.get("contactid").unwrap().kind(), ValueKind::Guid);
    let modified = attributes.get_datetime("modifiedon").unwrap().value().unwrap();
    assert_eq!(modified.unix_millis(), 1_506_384_247_000);
    assert_eq!(modified.offset(), None);
    let modified_by = attributes.get_reference("modifiedby").unwrap().value().unwrap();
    assert_eq!(modified_by.logical_name, "systemuser");
    assert_eq!(modified_by.id, Some(uuid!("75c2dd85-e89e-e711-8122-000d3aa2331c")));
    assert_eq!(attributes.get_reference("modifiedonbehalfby").unwrap(), Field::Null);
    assert_eq!(attributes.get_string("lastname").unwrap(), Field::Missing);
    assert!(target.formatted_values.is_empty());
    assert_eq!(target.row_version, None);

    assert_eq!(context.row_id(), Some(CONTACT_ID));
    assert_eq!(context.row_logical_name(), Some("contact"));
    assert_eq!(context.modified_on(), Some(modified));

    let image = context.post_image("AsynchronousStepPrimaryName").unwrap();
    assert_eq!(
        image.attributes.get_string("fullname").unwrap(),
        Field::Value("James Glynn (sample)")
    );
    assert!(context.pre_entity_images.as_ref().unwrap().is_empty());
    assert!(context.pre_image("AsynchronousStepPrimaryName").is_none());
    assert!(context.shared_variables.as_ref().unwrap().is_empty());
    assert!(context.output_parameters.as_ref().unwrap().is_empty());

    let parent = context.parent_context.as_deref().unwrap();
    assert_eq!(parent.stage, Some(Stage::MainOperation));
    assert_eq!(parent.organization_name.as_deref(), Some("OneFarm"));
    assert!(parent.parent_context.is_none());
    assert_eq!(parent.input_parameter("SuppressDuplicateDetection"), Some(&Value::Bool(false)));
    assert_eq!(parent.target_entity().unwrap().attributes.len(), 2);
    let Some(Value::Array(changed)) = parent.shared_variable("ChangedEntityTypes") else {
        panic!("ChangedEntityTypes should be an array");
    };
    assert_eq!(changed.len(), 14);
    let pairs: Vec<(&str, &Value)> = changed
        .iter()
        .map(|entry| match entry {
            Value::KeyValuePair { key, value } => (key.as_str(), value.as_ref()),
            other => panic!("expected a KeyValuePair, found {other:?}"),
        })
        .collect();
    assert_eq!(pairs[0], ("feedback", &Value::String("Update".into())));
    assert_eq!(pairs[13], ("contact", &Value::String("Update".into())));
}

#[test]
fn sample_b_synchronous_create_with_newer_fields() {
    let context = parse("sample_b_create.json");
    assert_eq!(context.message(), Message::Create);
    assert_eq!(context.mode, Some(Mode::Synchronous));
    assert_eq!(context.is_in_transaction, Some(true));
    assert_eq!(context.stage, Some(Stage::PostOperation));
    assert_eq!(context.initiating_user_agent.as_deref(), Some(""));
    assert_eq!(context.initiating_user_azure_active_directory_object_id, Some(uuid::Uuid::nil()));
    assert_eq!(context.user_azure_active_directory_object_id, Some(uuid::Uuid::nil()));
    assert_eq!(context.request_id, Some(uuid!("09097f27-6123-4c61-b463-af00adb2e082")));
    assert_eq!(context.organization_name.as_deref(), Some("unqc09254dea911ef119f83000d3a9d3"));
    let created = context.operation_created_on.unwrap();
    assert_eq!(created.utc(), datetime!(2024-07-24 10:28:25.786 UTC));
    assert_eq!(created.offset(), None);
    assert_eq!(
        context.owning_extension.as_ref().unwrap().name.as_deref(),
        Some("Bhanu_Update: Create of msdyn_agentstatus")
    );

    let id = uuid!("4b1e3d75-a749-ef11-acce-00224802d26d");
    assert_eq!(context.output_parameter("id").and_then(Value::as_uuid), Some(id));
    assert_eq!(context.row_id(), Some(id));

    let target = context.target_entity().unwrap();
    assert_eq!(target.logical_name, "msdyn_agentstatus");
    assert_eq!(target.attributes.len(), 20);
    let attributes = &target.attributes;
    assert_eq!(attributes.get("statecode"), Some(&Value::OptionSetValue(0)));
    assert_eq!(
        attributes.get_option_set("statuscode").unwrap(),
        Field::Value(OptionSetChoice::Value(1))
    );
    assert_eq!(attributes.get_bool("msdyn_isagentloggedin").unwrap(), Field::Value(false));
    assert_eq!(attributes.get("timezoneruleversionnumber"), Some(&Value::Integer(4)));
    assert_eq!(attributes.get_integer("msdyn_availableunitscapacity").unwrap(), Field::Value(100));
    assert_eq!(attributes.get_string("msdyn_presencemodifiedby").unwrap(), Field::Value("SYSTEM"));
    let presence = attributes.get_reference("msdyn_currentpresenceid").unwrap().value().unwrap();
    assert_eq!(presence.logical_name, "msdyn_presence");
    assert_eq!(presence.id, Some(uuid!("70139190-c07a-e811-8162-000d3aa11f50")));
    assert_eq!(
        attributes.get_datetime("createdon").unwrap().value().unwrap().utc(),
        datetime!(2024-07-24 10:28:25 UTC)
    );
    assert_eq!(target.formatted_value("statecode"), Some("Active"));
    assert_eq!(target.formatted_value("modifiedon"), Some("2024-07-24T10:28:25-00:00"));
    assert_eq!(target.formatted_values.len(), 10);
    assert_eq!(context.modified_on().unwrap().utc(), datetime!(2024-07-24 10:28:25 UTC));

    let parent = context.parent_context.as_deref().unwrap();
    assert_eq!(parent.stage, Some(Stage::MainOperation));
    assert_eq!(parent.operation_created_on.unwrap().unix_millis(), 1_721_816_905_739);
    let capacity = parent
        .target_entity()
        .unwrap()
        .attributes
        .get_datetime("msdyn_capacitymodifiedon")
        .unwrap()
        .value()
        .unwrap();
    // `+0000` is kept as an explicit UTC offset, the milliseconds exactly.
    assert_eq!(capacity.unix_millis(), 1_721_809_601_096);
    assert_eq!(capacity.offset(), Some(offset!(UTC)));
    assert_eq!(parent.shared_variable("AcceptLang"), Some(&Value::String(String::new())));
    assert_eq!(parent.shared_variable("IsAutoTransact"), Some(&Value::Bool(true)));
}

#[test]
fn sample_c_every_column_type_with_exact_numbers() {
    let context = parse("sample_c_alltypes_create.json");
    assert_eq!(context.message(), Message::Create);
    assert_eq!(context.initiating_user_agent, None);
    let created = context.operation_created_on.unwrap();
    assert_eq!(created.offset(), Some(offset!(UTC)));

    let target = context.target_entity().unwrap();
    let attributes = &target.attributes;
    assert_eq!(attributes.get("albxrm_currency"), Some(&Value::Money(dec("2154.32"))));
    assert_eq!(attributes.get("albxrm_currency_base"), Some(&Value::Money(dec("2154.32"))));
    assert_eq!(attributes.get_decimal("albxrm_currency").unwrap(), Field::Value(dec("2154.32")));
    // The scale is kept: ten zeros on the wire, ten zeros here.
    assert_eq!(attributes.get("exchangerate"), Some(&Value::Decimal(dec("1.0000000000"))));
    assert_eq!(
        attributes.get_decimal("exchangerate").unwrap().value().unwrap().to_string(),
        "1.0000000000"
    );
    assert_eq!(attributes.get("albxrm_float"), Some(&Value::Decimal(dec("2365.12"))));
    assert_eq!(attributes.get("albxrm_decimal"), Some(&Value::Decimal(dec("10.01"))));
    assert_eq!(attributes.get_integer("albxrm_wholenumber").unwrap(), Field::Value(987_654_321));
    assert_eq!(attributes.get_bool("albxrm_twooptions").unwrap(), Field::Value(true));
    assert_eq!(
        attributes.get_option_set("albxrm_optionset").unwrap(),
        Field::Value(OptionSetChoice::Value(257_760_001))
    );
    assert_eq!(
        attributes.get("albxrm_multiselectoptionset"),
        Some(&Value::OptionSetValues(vec![257_760_001, 257_760_002]))
    );
    assert_eq!(
        attributes.get_option_sets("albxrm_multiselectoptionset").unwrap(),
        Field::Value(vec![257_760_001, 257_760_002])
    );
    assert_eq!(
        attributes.get_string("albxrm_multiplelinesoftext").unwrap(),
        Field::Value("sdafasf\nasdfas\nafsd")
    );
    assert_eq!(
        attributes.get_datetime("albxrm_dateandtime").unwrap().value().unwrap().utc(),
        datetime!(2020-12-15 07:00 UTC)
    );
    let currency = attributes.get_reference("transactioncurrencyid").unwrap().value().unwrap();
    assert_eq!(currency.logical_name, "transactioncurrency");
    assert_eq!(
        attributes.get_reference("albxrm_customer").unwrap().value().unwrap().logical_name,
        "account"
    );

    // Formatted values are passed through untouched, mojibake included.
    assert_eq!(target.formatted_value("albxrm_currency"), Some("Ã¢â\u{80}\u{9a}Â¬2,154.32"));
    assert_eq!(target.formatted_value("albxrm_multiselectoptionset"), Some("Value 1; Value 2"));
    assert_eq!(target.formatted_value("albxrm_twooptions"), Some("Yes"));

    let parent = context.parent_context.as_deref().unwrap();
    assert_eq!(parent.target_entity().unwrap().formatted_value("albxrm_twooptions"), Some("True"));
    assert_eq!(
        context
            .post_image("AsynchronousStepPrimaryName")
            .unwrap()
            .attributes
            .get_string("albxrm_name")
            .unwrap(),
        Field::Value("Test Betim")
    );
}

#[test]
fn sample_d_system_wrappers() {
    let context = parse("sample_d_update_wrapped.json");
    assert_eq!(context.message(), Message::Update);
    assert_eq!(context.mode, Some(Mode::Synchronous));
    assert_eq!(
        context.owning_extension.as_ref().unwrap().name.as_deref(),
        Some("D365WebHookHttpTrigger: Update of account")
    );
    let attributes = &context.target_entity().unwrap().attributes;
    let account = uuid!("ec4e2f7d-9d60-e811-a95a-000d3af24950");
    assert_eq!(attributes.get("accountid"), Some(&Value::Guid(account)));
    assert_eq!(attributes.get_uuid("accountid").unwrap(), Field::Value(account));
    let Some(Value::DateTime(modified)) = attributes.get("modifiedon") else {
        panic!("modifiedon should be a DateTime wrapper");
    };
    assert_eq!(modified.unix_millis(), 1_527_757_524_000);
    assert_eq!(attributes.get_string("telephone1").unwrap(), Field::Value("1111"));
    assert_eq!(context.row_id(), Some(account));
    let Some(Target::Entity(parent_target)) = context.parent_context.as_deref().unwrap().target()
    else {
        panic!("parent target");
    };
    // In the parent the same id arrives as a plain string.
    assert_eq!(parent_target.attributes.get_uuid("accountid").unwrap(), Field::Value(account));
}

#[test]
fn the_research_samples_parse_through_from_str_too() {
    for name in [
        "sample_a_update.json",
        "sample_b_create.json",
        "sample_c_alltypes_create.json",
        "sample_d_update_wrapped.json",
    ] {
        let text = String::from_utf8(fixture(name)).unwrap();
        let from_str = dataverse_webhook_types::RemoteExecutionContext::from_str(&text).unwrap();
        assert_eq!(from_str, parse(name), "{name}");
    }
}

/// The fixtures are the published samples byte for byte, checked against the team's copy of
/// them when it sits beside the checkout; without it (e.g. a packaged crate) there is nothing to
/// compare against and the test says so.
#[test]
fn fixtures_are_the_research_samples_byte_for_byte() {
    let manifest_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let notes = manifest_dir
        .ancestors()
        .map(|dir| dir.join("shared/research/dataverse.md"))
        .find_map(|path| std::fs::read_to_string(path).ok());
    let Some(notes) = notes else {
        eprintln!("skipped: shared/research/dataverse.md is not in any ancestor directory");
        return;
    };
    for (label, file) in [
        ("**Sample A**", "sample_a_update.json"),
        ("**Sample B**", "sample_b_create.json"),
        ("**Sample C**", "sample_c_alltypes_create.json"),
        ("**Sample D**", "sample_d_update_wrapped.json"),
    ] {
        let after_label = &notes[notes.find(label).unwrap_or_else(|| panic!("{label} in notes"))..];
        let block_start = after_label.find("```json\n").unwrap() + "```json\n".len();
        let block = &after_label[block_start..];
        let block = &block[..block.find("\n```").unwrap() + 1];
        assert_eq!(block.as_bytes(), fixture(file).as_slice(), "{file} differs from {label}");
    }
}
