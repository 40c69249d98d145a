//! Bulk messages, file columns, custom APIs, table definitions and `$apply` of the Dataverse
//! emulator, over HTTP, with the errors the real service gives.

use dataverse_ironclad_sandbox::dataverse::{CustomApi, CustomApiError, ParameterType};
use dataverse_ironclad_sandbox::{Json, JsonObject};
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;

use super::{dv, json, post_json as post, start, text};

fn error_code(body: &Json) -> String {
    text(body.get("error").expect("error"), "code").to_owned()
}

#[tokio::test]
async fn create_multiple_creates_every_target_or_none() {
    let sandbox = start().await;
    let before = sandbox.dataverse().count("accounts");
    let created = post(
        &sandbox,
        "accounts/Microsoft.Dynamics.CRM.CreateMultiple",
        r#"{"Targets":[{"name":"Bulk 1","@odata.type":"Microsoft.Dynamics.CRM.account"},{"name":"Bulk 2","@odata.type":"Microsoft.Dynamics.CRM.account"}]}"#,
    )
    .await;
    assert_eq!(created.status(), 200);
    let body = json(created).await;
    assert!(
        text(&body, "@odata.context")
            .ends_with("$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse")
    );
    assert_eq!(body.get("Ids").and_then(Json::as_array).map(<[Json]>::len), Some(2));
    assert_eq!(sandbox.dataverse().count("accounts"), before + 2);

    // One bad target (a name longer than 160) fails the request and nothing of it stays.
    let long = "x".repeat(161);
    let failed = post(
        &sandbox,
        "accounts/Microsoft.Dynamics.CRM.CreateMultiple",
        &format!(r#"{{"Targets":[{{"name":"Kept?","@odata.type":"Microsoft.Dynamics.CRM.account"}},{{"name":"{long}","@odata.type":"Microsoft.Dynamics.CRM.account"}}]}}"#),
    )
    .await;
    assert_eq!(failed.status(), 400);
    assert_eq!(error_code(&json(failed).await), "0x80044331");
    assert_eq!(sandbox.dataverse().count("accounts"), before + 2);

    // Every target needs its @odata.type; the table refusing the messages says so.
    let untyped = post(
        &sandbox,
        "accounts/Microsoft.Dynamics.CRM.CreateMultiple",
        r#"{"Targets":[{"name":"x"}]}"#,
    )
    .await;
    assert_eq!(untyped.status(), 400);
    let unsupported = post(
        &sandbox,
        "annotations/Microsoft.Dynamics.CRM.CreateMultiple",
        r#"{"Targets":[{"subject":"x","@odata.type":"Microsoft.Dynamics.CRM.annotation"}]}"#,
    )
    .await;
    assert_eq!(unsupported.status(), 400);
    assert_eq!(error_code(&json(unsupported).await), "0x80040800");
    let unknown = post(
        &sandbox,
        "accounts/Microsoft.Dynamics.CRM.CreateMultiple",
        r#"{"Targets":[],"Extra":1}"#,
    )
    .await;
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn update_and_upsert_multiple_follow_the_key_rules() {
    let sandbox = start().await;
    let created = json(
        post(
            &sandbox,
            "accounts/Microsoft.Dynamics.CRM.CreateMultiple",
            r#"{"Targets":[{"name":"Before","@odata.type":"Microsoft.Dynamics.CRM.account"}]}"#,
        )
        .await,
    )
    .await;
    let id = created.get("Ids").and_then(Json::as_array).unwrap()[0].as_str().unwrap().to_owned();
    let updated = post(
        &sandbox,
        "accounts/Microsoft.Dynamics.CRM.UpdateMultiple",
        &format!(r#"{{"Targets":[{{"name":"After","accountid":"{id}","@odata.type":"Microsoft.Dynamics.CRM.account"}}]}}"#),
    )
    .await;
    assert_eq!(updated.status(), 204);
    let row = sandbox.dataverse().get("accounts", uuid::Uuid::parse_str(&id).unwrap()).unwrap();
    assert_eq!(text(&row, "name"), "After");
    let missing = post(
        &sandbox,
        "accounts/Microsoft.Dynamics.CRM.UpdateMultiple",
        r#"{"Targets":[{"name":"x","accountid":"00000000-0000-0000-0000-000000000001","@odata.type":"Microsoft.Dynamics.CRM.account"}]}"#,
    )
    .await;
    assert_eq!(missing.status(), 404);

    // UpsertMultiple by alternate key: creates, then updates; a key column repeated in a row to
    // create is refused as the real service refuses it.
    let upsert = |name: &str, extra: &str| {
        format!(
            r#"{{"Targets":[{{"name":"{name}"{extra},"@odata.id":"accounts(accountnumber='UM-1')","@odata.type":"Microsoft.Dynamics.CRM.account"}}]}}"#
        )
    };
    let repeated = post(
        &sandbox,
        "accounts/Microsoft.Dynamics.CRM.UpsertMultiple",
        &upsert("R", r#","accountnumber":"UM-1""#),
    )
    .await;
    assert_eq!(repeated.status(), 400);
    assert_eq!(error_code(&json(repeated).await), "0x80040216");
    for name in ["Created", "Updated"] {
        let response =
            post(&sandbox, "accounts/Microsoft.Dynamics.CRM.UpsertMultiple", &upsert(name, ""))
                .await;
        assert_eq!(response.status(), 204);
    }
    let row = json(
        dv(&sandbox, Method::GET, "accounts(accountnumber='UM-1')?$select=name")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(text(&row, "name"), "Updated");
    // DeleteMultiple is for elastic tables only.
    let delete = post(
        &sandbox,
        "accounts/Microsoft.Dynamics.CRM.DeleteMultiple",
        &format!(r#"{{"Targets":[{{"accountid":"{id}","@odata.type":"Microsoft.Dynamics.CRM.account"}}]}}"#),
    )
    .await;
    assert_eq!(error_code(&json(delete).await), "0x80040800");
}

#[tokio::test]
async fn a_file_column_takes_chunks_of_the_announced_size_and_serves_ranges() {
    let sandbox = start().await;
    sandbox.dataverse().set_file_chunk_size(4);
    let agreement = sandbox
        .dataverse()
        .insert("cre6f_agreements", &Json::parse(r#"{"cre6f_name":"With file"}"#).unwrap())
        .unwrap();
    let column = format!("cre6f_agreements({agreement})/cre6f_signeddocument");
    let started = dv(&sandbox, Method::PATCH, &format!("{column}?x-ms-file-name=msa.pdf"))
        .header("x-ms-transfer-mode", "chunked")
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    assert_eq!(started.headers()["x-ms-chunk-size"], "4");
    assert_eq!(started.headers()["Accept-Ranges"], "bytes");
    let location = started.headers()["Location"].to_str().unwrap().to_owned();
    assert!(location.contains("sessiontoken="));
    let chunk = |range: &'static str, bytes: &'static [u8]| {
        sandbox_client_patch(&sandbox, &location, range, bytes)
    };
    // Larger than announced: refused.
    assert_eq!(chunk("bytes 0-5/10", b"%PDF-1").await, 400);
    assert_eq!(chunk("bytes 0-3/10", b"%PDF").await, 206);
    // Out of order: refused.
    assert_eq!(chunk("bytes 8-9/10", b"ab").await, 400);
    // A chunk that changes the file's declared size: refused.
    assert_eq!(chunk("bytes 4-7/12", b"-1.7").await, 400);
    assert_eq!(chunk("bytes 4-7/10", b"-1.7").await, 206);
    assert_eq!(chunk("bytes 8-9/10", b"\n%").await, 204);
    assert_eq!(
        sandbox.dataverse().file("cre6f_agreements", agreement, "cre6f_signeddocument"),
        Some(("msa.pdf".to_owned(), b"%PDF-1.7\n%".to_vec()))
    );

    // The row reads the file's id and name.
    let row = json(dv(&sandbox, Method::GET, &format!("cre6f_agreements({agreement})?$select=cre6f_signeddocument,cre6f_signeddocument_name")).send().await.unwrap()).await;
    assert_eq!(text(&row, "cre6f_signeddocument_name"), "msa.pdf");
    assert!(uuid::Uuid::parse_str(text(&row, "cre6f_signeddocument")).is_ok());

    let range = dv(&sandbox, Method::GET, &format!("{column}/$value"))
        .header("Range", "bytes=4-7")
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 206);
    assert_eq!(range.headers()["x-ms-file-size"], "10");
    assert_eq!(range.headers()["x-ms-file-name"], "msa.pdf");
    assert_eq!(range.headers()["mimetype"], "application/pdf");
    assert_eq!(range.bytes().await.unwrap().as_ref(), b"-1.7");
    let outside = dv(&sandbox, Method::GET, &format!("{column}/$value"))
        .header("Range", "bytes=10-12")
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 416);

    // A file larger than the column's MaxSizeInKB (32 MB) is refused at its first chunk.
    let again = dv(&sandbox, Method::PATCH, &format!("{column}?x-ms-file-name=big.pdf"))
        .header("x-ms-transfer-mode", "chunked")
        .send()
        .await
        .unwrap();
    let location = again.headers()["Location"].to_str().unwrap().to_owned();
    assert_eq!(sandbox_client_patch(&sandbox, &location, "bytes 0-3/40000000", b"%PDF").await, 400);

    let deleted = dv(&sandbox, Method::DELETE, &column).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = dv(&sandbox, Method::GET, &format!("{column}/$value")).send().await.unwrap();
    assert_eq!(gone.status(), 404);
}

async fn sandbox_client_patch(
    sandbox: &dataverse_ironclad_sandbox::Sandbox,
    location: &str,
    range: &str,
    bytes: &'static [u8],
) -> u16 {
    let path = location.split("/api/data/v9.2/").nth(1).unwrap().to_owned();
    dv(sandbox, Method::PATCH, &path)
        .header("x-ms-file-name", "msa.pdf")
        .header(CONTENT_TYPE, "application/octet-stream")
        .header("Content-Range", range)
        .body(bytes)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_image_column_takes_only_images() {
    let sandbox = start().await;
    let account = sandbox
        .dataverse()
        .insert("accounts", &Json::parse(r#"{"name":"Pictured"}"#).unwrap())
        .unwrap();
    let column = format!("accounts({account})/entityimage");
    let not_an_image = dv(&sandbox, Method::PATCH, &column)
        .header("x-ms-file-name", "a.txt")
        .body("plain text")
        .send()
        .await
        .unwrap();
    assert_eq!(not_an_image.status(), 400);
    assert_eq!(error_code(&json(not_an_image).await), "0x80072553");
    let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
    let uploaded = dv(&sandbox, Method::PATCH, &column)
        .header("x-ms-file-name", "logo.png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 204);
    let full =
        dv(&sandbox, Method::GET, &format!("{column}/$value?size=full")).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.bytes().await.unwrap().to_vec(), png);
}

#[tokio::test]
async fn custom_apis_check_their_parameters() {
    let sandbox = start().await;
    sandbox.dataverse().register_custom_api(
        CustomApi::function("sample_Echo", |call| {
            let text = call.parameters.get("Text").cloned().unwrap_or(Json::Null);
            if text.as_str() == Some("fail") {
                return Err(CustomApiError::plugin("asked to fail"));
            }
            if text.as_str() == Some("fail with 200") {
                let mut error = CustomApiError::plugin("an error is never a success");
                error.status = 200;
                return Err(error);
            }
            Ok(Json::Object(JsonObject::new().with("Echoed", text)))
        })
        .parameter("Text", ParameterType::String, false)
        .parameter("Count", ParameterType::Integer, true),
    );
    let echoed = dv(&sandbox, Method::GET, "sample_Echo(Text=@p1,Count=@p2)?@p1='a%26b''c'&@p2=3")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), 200);
    let body = json(echoed).await;
    assert_eq!(text(&body, "Echoed"), "a&b'c");
    assert!(text(&body, "@odata.context").ends_with("Microsoft.Dynamics.CRM.sample_EchoResponse"));
    let wrong_type =
        dv(&sandbox, Method::GET, "sample_Echo(Text=@p1,Count=@p2)?@p1='a'&@p2='three'")
            .send()
            .await
            .unwrap();
    assert_eq!(wrong_type.status(), 400);
    let unknown = dv(&sandbox, Method::GET, "sample_Echo(Text=@p1,Other=@p2)?@p1='a'&@p2=1")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let missing = dv(&sandbox, Method::GET, "sample_Echo()").send().await.unwrap();
    assert_eq!(missing.status(), 400);
    let failed =
        dv(&sandbox, Method::GET, "sample_Echo(Text=@p1)?@p1='fail'").send().await.unwrap();
    assert_eq!(error_code(&json(failed).await), "0x80040265");
    // An error given a success status still answers as an error.
    let odd = dv(&sandbox, Method::GET, "sample_Echo(Text=@p1)?@p1='fail%20with%20200'")
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), 400);
    let as_action = post(&sandbox, "sample_Echo", r#"{"Text":"a"}"#).await;
    assert_eq!(as_action.status(), 404);

    // The sandbox's own custom API: the seeded agreements of type SOW worth at least 50000.5
    // (none), then one more.
    let summarize = || {
        post(&sandbox, "cre6f_SummarizeAgreements", r#"{"AgreementType":3,"MinimumValue":50000.5}"#)
    };
    let before = json(summarize().await).await;
    let count = |body: &Json| {
        body.get("Count")
            .and_then(Json::as_number_text)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap()
    };
    sandbox
        .dataverse()
        .insert(
            "cre6f_agreements",
            &Json::parse(
                r#"{"cre6f_name":"A","cre6f_agreementtype":3,"cre6f_agreementvalue":60000}"#,
            )
            .unwrap(),
        )
        .unwrap();
    sandbox
        .dataverse()
        .insert(
            "cre6f_agreements",
            &Json::parse(r#"{"cre6f_name":"B","cre6f_agreementtype":3,"cre6f_agreementvalue":20}"#)
                .unwrap(),
        )
        .unwrap();
    let after = json(summarize().await).await;
    assert_eq!(count(&after), count(&before) + 1);
    let unknown_parameter =
        post(&sandbox, "cre6f_SummarizeAgreements", r#"{"AgreementType":1,"Minimum":50}"#).await;
    assert_eq!(error_code(&json(unknown_parameter).await), "0x80048d19");
}

#[tokio::test]
async fn table_definitions_come_from_the_loaded_metadata() {
    let sandbox = start().await;
    let definition = json(
        dv(&sandbox, Method::GET, "EntityDefinitions(LogicalName='cre6f_agreement')?$select=EntitySetName,PrimaryIdAttribute&$expand=Attributes($select=LogicalName,AttributeType),Keys($select=KeyAttributes),ManyToOneRelationships($select=ReferencingAttribute,ReferencingEntityNavigationPropertyName)")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(text(&definition, "EntitySetName"), "cre6f_agreements");
    assert_eq!(text(&definition, "PrimaryIdAttribute"), "cre6f_agreementid");
    assert!(definition.get("LogicalName").is_none(), "only what was selected");
    let attributes = definition.get("Attributes").and_then(Json::as_array).unwrap();
    let kind = |name: &str| {
        attributes
            .iter()
            .find(|a| text(a, "LogicalName") == name)
            .map(|a| text(a, "AttributeType").to_owned())
    };
    assert_eq!(kind("cre6f_agreementvalue").as_deref(), Some("Money"));
    assert_eq!(kind("cre6f_opportunity").as_deref(), Some("Lookup"));
    let lookups = definition.get("ManyToOneRelationships").and_then(Json::as_array).unwrap();
    assert!(
        lookups
            .iter()
            .any(|r| text(r, "ReferencingEntityNavigationPropertyName") == "cre6f_Opportunity")
    );
    let bad = dv(
        &sandbox,
        Method::GET,
        "EntityDefinitions(LogicalName='cre6f_agreement')?$select=NoSuchProperty",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(bad.status(), 400);
    let choices = json(
        dv(&sandbox, Method::GET, "EntityDefinitions(LogicalName='cre6f_agreement')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet,GlobalOptionSet")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let value = choices.get("value").and_then(Json::as_array).unwrap();
    let agreement_type =
        value.iter().find(|a| text(a, "LogicalName") == "cre6f_agreementtype").unwrap();
    let options = agreement_type
        .get("OptionSet")
        .and_then(|o| o.get("Options"))
        .and_then(Json::as_array)
        .unwrap();
    assert_eq!(options[0].get("Value").and_then(Json::as_number_text), Some("1"));
    let by_set = json(
        dv(
            &sandbox,
            Method::GET,
            "EntityDefinitions?$filter=EntitySetName%20eq%20'accounts'&$select=LogicalName",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        text(&by_set.get("value").and_then(Json::as_array).unwrap()[0], "LogicalName"),
        "account"
    );
}

#[tokio::test]
async fn apply_groups_and_aggregates() {
    let sandbox = start().await;
    for (name, kind, value) in [("Apply A", 1, 100), ("Apply B", 1, 50), ("Apply C", 2, 7)] {
        sandbox
            .dataverse()
            .insert("cre6f_agreements", &Json::parse(&format!(r#"{{"cre6f_name":"{name}","cre6f_agreementtype":{kind},"cre6f_agreementvalue":{value}}}"#)).unwrap())
            .unwrap();
    }
    let grouped = json(
        dv(&sandbox, Method::GET, "cre6f_agreements?$apply=filter(startswith(cre6f_name,'Apply'))/groupby((cre6f_agreementtype),aggregate(cre6f_agreementvalue%20with%20sum%20as%20total,$count%20as%20count))")
            .header("Prefer", "odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\"")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let rows = grouped.get("value").and_then(Json::as_array).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get("total").and_then(Json::as_number_text), Some("150"));
    assert_eq!(rows[0].get("count").and_then(Json::as_number_text), Some("2"));
    assert_eq!(
        text(&rows[0], "cre6f_agreementtype@OData.Community.Display.V1.FormattedValue"),
        "MSA"
    );
    let ordered = dv(&sandbox, Method::GET, "cre6f_agreements?$apply=aggregate(cre6f_agreementvalue%20with%20sum%20as%20total)&$orderby=total").send().await.unwrap();
    assert_eq!(ordered.status(), 400);
    let by_date = dv(&sandbox, Method::GET, "cre6f_agreements?$apply=groupby((createdon))")
        .send()
        .await
        .unwrap();
    assert_eq!(by_date.status(), 400);
    let unknown = dv(
        &sandbox,
        Method::GET,
        "cre6f_agreements?$apply=aggregate(nothing%20with%20sum%20as%20t)",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(unknown.status(), 400);

    // A sum beyond a decimal's range is a 400 with a reason (it panicked), in $apply and FetchXML.
    for name in ["Huge 1", "Huge 2"] {
        sandbox
            .dataverse()
            .insert("cre6f_agreements", &Json::parse(&format!(r#"{{"cre6f_name":"{name}","cre6f_agreementvalue":79228162514264337593543950335}}"#)).unwrap())
            .unwrap();
    }
    for query in [
        "cre6f_agreements?$apply=aggregate(cre6f_agreementvalue%20with%20sum%20as%20total)",
        "cre6f_agreements?$apply=aggregate(cre6f_agreementvalue%20with%20average%20as%20mean)",
        "cre6f_agreements?fetchXml=%3Cfetch%20aggregate%3D%22true%22%3E%3Centity%20name%3D%22cre6f_agreement%22%3E%3Cattribute%20name%3D%22cre6f_agreementvalue%22%20alias%3D%22total%22%20aggregate%3D%22sum%22%2F%3E%3C%2Fentity%3E%3C%2Ffetch%3E",
    ] {
        let overflow = dv(&sandbox, Method::GET, query).send().await.unwrap();
        assert_eq!(overflow.status(), 400, "{query}");
        let body = json(overflow).await;
        let message = text(body.get("error").expect("error"), "message").to_owned();
        assert!(message.contains("larger than a decimal"), "{query}: {message}");
    }
}
