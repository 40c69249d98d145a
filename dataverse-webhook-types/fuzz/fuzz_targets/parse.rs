//! Arbitrary bytes into the payload parser, then through every accessor a receiver calls.
//! Run: `cargo +nightly fuzz run parse fuzz/corpus/parse tests/fixtures` from the crate dir.
#![no_main]

use dataverse_webhook_types::{Entity, KeyValueList, RemoteExecutionContext, Target, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    match RemoteExecutionContext::from_slice(body) {
        Ok(context) => use_context(&context),
        Err(error) => drop(error.to_string()),
    }
});

fn use_context(context: &RemoteExecutionContext) {
    drop(format!("{context:?}"));
    let _ = (context.message(), context.row_id(), context.row_logical_name(), context.modified_on());
    match context.target() {
        Some(Target::Entity(entity)) => use_entity(entity),
        Some(Target::Collection(collection)) => collection.entities.iter().for_each(use_entity),
        _ => {}
    }
    for list in [&context.input_parameters, &context.output_parameters, &context.shared_variables]
        .into_iter()
        .flatten()
    {
        use_values(list);
    }
    for images in [&context.pre_entity_images, &context.post_entity_images].into_iter().flatten() {
        images.iter().for_each(|(_, image)| use_entity(image));
    }
    if let Some(parent) = &context.parent_context {
        use_context(parent);
    }
}

fn use_entity(entity: &Entity) {
    use_values(&entity.attributes);
    use_values(&entity.key_attributes);
}

fn use_values(values: &KeyValueList<Value>) {
    for (name, value) in values.iter() {
        let _ = (value.kind(), value.as_uuid(), value.as_datetime(), value.as_decimal());
        let _ = (values.get_string(name), values.get_integer(name), values.get_bool(name));
        let _ = (values.get_decimal(name), values.get_option_set(name), values.get_option_sets(name));
        let _ = (values.get_reference(name), values.get_datetime(name), values.get_uuid(name));
        match value {
            Value::Entity(entity) => use_entity(entity),
            Value::EntityCollection(collection) => collection.entities.iter().for_each(use_entity),
            _ => {}
        }
    }
}
