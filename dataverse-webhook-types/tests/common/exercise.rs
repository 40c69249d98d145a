//! Parse a body and call everything a receiver would on the result: shared by the property
//! tests (`tests/no_panic.rs`) and the cargo-fuzz target (`fuzz/fuzz_targets/parse.rs`), so both
//! exercise the same surface.

use dataverse_webhook_types::{Entity, KeyValueList, RemoteExecutionContext, Target, Value};

/// Parse, and on success call every accessor; on failure, render the error.
pub fn parse_and_use(body: &[u8]) {
    match RemoteExecutionContext::from_slice(body) {
        Ok(context) => use_context(&context),
        Err(error) => {
            let _ = (error.to_string(), error.path(), error.kind(), error.line(), error.column());
        }
    }
}

fn use_context(context: &RemoteExecutionContext) {
    let _ = format!("{context:?}");
    let _ =
        (context.message(), context.row_id(), context.row_logical_name(), context.modified_on());
    let _ = (context.shape(), context.input_parameters_dropped());
    match context.target() {
        Some(Target::Entity(entity)) => use_entity(entity),
        Some(Target::Collection(collection)) => collection.entities.iter().for_each(use_entity),
        Some(Target::Reference(reference)) => use_values(&reference.key_attributes),
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
    for (name, _) in entity.formatted_values.iter() {
        let _ = entity.formatted_value(name);
    }
}

fn use_values(values: &KeyValueList<Value>) {
    for (name, value) in values.iter() {
        let _ = (value.kind(), value.as_uuid(), value.as_datetime(), value.as_decimal());
        let _ = (values.get_string(name), values.get_integer(name), values.get_bool(name));
        let _ =
            (values.get_decimal(name), values.get_option_set(name), values.get_option_sets(name));
        let _ = (values.get_reference(name), values.get_datetime(name), values.get_uuid(name));
        match value {
            Value::Entity(entity) => use_entity(entity),
            Value::EntityCollection(collection) => collection.entities.iter().for_each(use_entity),
            _ => {}
        }
    }
}
