//! The Dataverse emulator's wire formats
//! (<https://learn.microsoft.com/power-apps/developer/data-platform/webapi/overview>).

use std::collections::HashSet;

use base64::Engine as _;
use dataverse_ironclad_sandbox::{Json, NewAgreement};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use secrecy::ExposeSecret;

use super::{client, dv, json, keys, start, text};

fn error_of(body: &Json) -> (String, String) {
    let error = body.get("error").expect("error object");
    assert_eq!(keys(body), ["error"], "nothing but the error object");
    (text(error, "code").to_owned(), text(error, "message").to_owned())
}

#[tokio::test]
async fn create_answers_204_with_odata_entity_id_or_201_with_the_representation() {
    let sandbox = start().await;
    let opportunity = sandbox.seeded().opportunities[0];
    let body = format!(
        r#"{{"cre6f_name":"Created over HTTP","cre6f_agreementtype":1,"cre6f_agreementvalue":125000.5000,
            "cre6f_agreementstartdate":"2026-12-01","cre6f_Opportunity@odata.bind":"/opportunities({opportunity})"}}"#
    );
    let response = dv(&sandbox, Method::POST, "cre6f_agreements")
        .header(CONTENT_TYPE, "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let entity_id = response.headers()["OData-EntityId"].to_str().unwrap().to_owned();
    let prefix = format!("{}cre6f_agreements(", sandbox.dataverse_api_url());
    assert!(entity_id.starts_with(&prefix) && entity_id.ends_with(')'), "{entity_id}");
    let id: uuid::Uuid = entity_id[prefix.len()..entity_id.len() - 1].parse().unwrap();
    assert_eq!(response.headers()["OData-Version"], "4.0");
    assert!(response.bytes().await.unwrap().is_empty());
    let stored = sandbox.dataverse().agreement(id).unwrap();
    assert_eq!(stored.value.unwrap().to_string(), "125000.5000");
    assert_eq!(stored.opportunity_id, Some(opportunity));

    let response = dv(
        &sandbox,
        Method::POST,
        "cre6f_agreements?$select=cre6f_name,cre6f_agreementnumber,cre6f_agreementvalue",
    )
    .header(CONTENT_TYPE, "application/json")
    .header("Prefer", "return=representation")
    .body(body)
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["Preference-Applied"], "return=representation");
    assert!(response.headers().get("OData-EntityId").is_none());
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let created = json(response).await;
    assert_eq!(
        keys(&created),
        [
            "@odata.context",
            "@odata.etag",
            "cre6f_agreementid",
            "cre6f_name",
            "cre6f_agreementnumber",
            "cre6f_agreementvalue",
            "_transactioncurrencyid_value"
        ]
    );
    assert!(text(&created, "@odata.context").ends_with(
        "$metadata#cre6f_agreements(cre6f_name,cre6f_agreementnumber,cre6f_agreementvalue)/$entity"
    ));
    let etag = text(&created, "@odata.etag");
    assert!(etag.starts_with("W/\"") && etag.ends_with('"'), "{etag}");
    assert!(text(&created, "cre6f_agreementnumber").starts_with("AGR-01"));
    assert_eq!(
        created.get("cre6f_agreementvalue").unwrap().to_string(),
        "125000.5000",
        "money is exact"
    );
    let usd = sandbox.dataverse().currency_id("USD").unwrap().to_string();
    assert_eq!(text(&created, "_transactioncurrencyid_value"), usd, "the base currency is set");
}

#[tokio::test]
async fn write_mistakes_get_the_real_errors() {
    let sandbox = start().await;
    let post = |path: &str, body: &str| {
        dv(&sandbox, Method::POST, path)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
    };

    let response = post("cre6f_agreements", r#"{"Cre6f_name":"x"}"#).await.unwrap();
    assert_eq!(response.status(), 400);
    let (code, message) = error_of(&json(response).await);
    assert_eq!(code, "0x80048d19");
    assert!(message.starts_with(
        "Error identified in Payload provided by the user for Entity :'cre6f_agreements'"
    ));
    assert!(message.contains(
        "Invalid property 'Cre6f_name' was found in entity 'Microsoft.Dynamics.CRM.cre6f_agreement'."
    ));

    let opportunity = sandbox.seeded().opportunities[0];
    let wrong_case =
        format!(r#"{{"cre6f_opportunity@odata.bind":"/opportunities({opportunity})"}}"#);
    let (code, message) =
        error_of(&json(post("cre6f_agreements", &wrong_case).await.unwrap()).await);
    assert_eq!(code, "0x80048d19");
    assert!(message.contains(
        "An undeclared property 'cre6f_opportunity' which only has property annotations in the payload but no property value was found in the payload."
    ));

    let missing =
        format!(r#"{{"cre6f_Opportunity@odata.bind":"/opportunities({})"}}"#, uuid::Uuid::new_v4());
    let response = post("cre6f_agreements", &missing).await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(error_of(&json(response).await).1.starts_with("opportunity With Id = "));

    let response = post("cre6f_agreements", r#"{"cre6f_agreementvalue":"125000"}"#).await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        error_of(&json(response).await)
            .1
            .contains("Cannot convert the literal '125000' to the expected type 'Edm.Decimal'.")
    );

    let response =
        post("cre6f_agreements", r#"{"cre6f_agreementstartdate":"2026-12-01T00:00:00Z"}"#)
            .await
            .unwrap();
    assert!(error_of(&json(response).await).1.contains("'Edm.Date'"));

    let response = post("cre6f_agreements", r#"{"cre6f_agreementtype":9}"#).await.unwrap();
    assert_eq!(error_of(&json(response).await).0, "0x8004431a");

    let response = post("cre6f_agreements", "{not json").await.unwrap();
    assert_eq!(response.status(), 400);

    let response = post("Cre6f_agreements", "{}").await.unwrap();
    assert_eq!(response.status(), 404);
    let (code, message) = error_of(&json(response).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("0x8006088a", "Resource not found for the segment 'Cre6f_agreements'.")
    );

    let response = dv(&sandbox, Method::GET, "accounts?$select=Name").send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        error_of(&json(response).await),
        (
            "0x0".to_owned(),
            "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.account'."
                .to_owned()
        )
    );

    let response = dv(&sandbox, Method::GET, "accounts?$skip=5").send().await.unwrap();
    assert_eq!(error_of(&json(response).await).1, "The query parameter $skip is not supported");

    let response = dv(&sandbox, Method::POST, "WhoAmI").send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(
        error_of(&json(response).await)
            .1
            .starts_with("No HTTP resource was found that matches the request URI")
    );
}

#[tokio::test]
async fn patch_is_an_upsert_with_conditional_headers() {
    let sandbox = start().await;
    let id = uuid::Uuid::new_v4();
    let path = format!("cre6f_agreements({id})");
    let patch = |body: &str| {
        dv(&sandbox, Method::PATCH, &path)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_owned())
    };

    let response = patch(r#"{"cre6f_name":"x"}"#).header("If-Match", "*").send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        error_of(&json(response).await),
        (String::new(), format!("cre6f_agreement With Id = {id} Does Not Exist"))
    );

    let response = patch(r#"{"cre6f_name":"upserted"}"#).send().await.unwrap();
    assert_eq!(response.status(), 204, "PATCH without If-Match creates");
    assert!(response.headers()["OData-EntityId"].to_str().unwrap().ends_with(&path));
    assert_eq!(sandbox.dataverse().agreement(id).unwrap().name.as_deref(), Some("upserted"));

    let response =
        patch(r#"{"cre6f_name":"again"}"#).header("If-None-Match", "*").send().await.unwrap();
    assert_eq!(response.status(), 412);
    assert_eq!(
        error_of(&json(response).await).1,
        "A record with matching key values already exists."
    );

    let current = json(
        dv(&sandbox, Method::GET, &format!("{path}?$select=cre6f_name")).send().await.unwrap(),
    )
    .await;
    let etag = text(&current, "@odata.etag").to_owned();
    let response =
        patch(r#"{"cre6f_name":"stale"}"#).header("If-Match", "W/\"1\"").send().await.unwrap();
    assert_eq!(response.status(), 412);
    assert_eq!(
        error_of(&json(response).await).1,
        "The version of the existing record doesn't match the RowVersion property provided."
    );

    let response = patch(r#"{"cre6f_name":"fresh","cre6f_agreementvalue":1234567.8912}"#)
        .header("If-Match", &etag)
        .header("Prefer", "return=representation")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated = json(response).await;
    assert_eq!(text(&updated, "cre6f_name"), "fresh");
    assert_eq!(updated.get("cre6f_agreementvalue").unwrap().to_string(), "1234567.8912");
    assert_ne!(text(&updated, "@odata.etag"), etag, "every write bumps the version");
    assert_eq!(
        updated.get("cre6f_ironcladworkflowurl"),
        Some(&Json::Null),
        "no $select: every column, nulls included"
    );

    let response = dv(&sandbox, Method::GET, &path)
        .header("If-None-Match", text(&updated, "@odata.etag"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);

    let response = dv(&sandbox, Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let response = dv(&sandbox, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(error_of(&json(response).await).0, "0x80040217");
}

#[tokio::test]
async fn paging_follows_next_links_without_skipping_rows_changed_between_pages() {
    let sandbox = start().await;
    sandbox.bulk_create_agreements(11).unwrap();
    let expected =
        sandbox.dataverse().agreements().iter().filter(|a| a.agreement_type == Some(1)).count();
    assert_eq!(expected, 13);

    let mut url = format!(
        "{}cre6f_agreements?$select=cre6f_name&$filter=cre6f_agreementtype%20eq%201&$orderby=cre6f_name%20asc",
        sandbox.dataverse_api_url()
    );
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let response = client()
            .get(&url)
            .bearer_auth(sandbox.dataverse_token().expose_secret())
            .header("Prefer", "odata.maxpagesize=4")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["Preference-Applied"], "odata.maxpagesize=4");
        let page = json(response).await;
        let rows = page.get("value").and_then(Json::as_array).unwrap().to_vec();
        assert!(rows.len() <= 4);
        for row in &rows {
            names.push(text(row, "cre6f_name").to_owned());
            // Writing back each row read (as the launch flow does) must not disturb paging.
            let id = text(row, "cre6f_agreementid");
            sandbox
                .dataverse()
                .update(
                    "cre6f_agreements",
                    id.parse().unwrap(),
                    &Json::parse(r#"{"cre6f_ironcladworkflowstatus":"Review"}"#).unwrap(),
                )
                .unwrap();
        }
        pages += 1;
        match page.get("@odata.nextLink").and_then(Json::as_str) {
            Some(next) => {
                assert!(next.contains("$skiptoken=%3Ccookie%20pagenumber%3D%22"), "{next}");
                assert!(
                    next.contains("$select=cre6f_name&$filter=cre6f_agreementtype%20eq%201"),
                    "other options are kept: {next}"
                );
                url = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(names.len(), expected);
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), expected, "no duplicates");
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "$orderby holds across pages");

    let response =
        dv(&sandbox, Method::GET, "cre6f_agreements?$top=2&$count=true&$select=cre6f_name")
            .send()
            .await
            .unwrap();
    let page = json(response).await;
    assert_eq!(keys(&page), ["@odata.context", "@odata.count", "value"]);
    assert_eq!(page.get("value").and_then(Json::as_array).unwrap().len(), 2);
    assert_eq!(page.get("@odata.count").unwrap().to_string(), "15");
}

#[tokio::test]
async fn nested_expand_reads_agreement_opportunity_and_account_in_one_request() {
    let sandbox = start().await;
    let seeded = sandbox.seeded();
    let path = format!(
        "cre6f_agreements({})?$select=cre6f_name,cre6f_agreementvalue&$expand=cre6f_Opportunity($select=name,totalamount;$expand=parentaccountid($select=name,address1_line1,address1_city,address1_stateorprovince,address1_postalcode,address1_country)),transactioncurrencyid($select=isocurrencycode)",
        seeded.agreements[0]
    );
    let response = dv(&sandbox, Method::GET, &path).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let agreement = json(response).await;
    assert!(text(&agreement, "@odata.context").contains(
        "#cre6f_agreements(cre6f_name,cre6f_agreementvalue,cre6f_Opportunity(name,totalamount,parentaccountid(name,"
    ));
    let opportunity = agreement.get("cre6f_Opportunity").unwrap();
    assert_eq!(
        keys(opportunity),
        [
            "@odata.etag",
            "opportunityid",
            "name",
            "totalamount",
            "_transactioncurrencyid_value",
            "parentaccountid"
        ]
    );
    assert_eq!(text(opportunity, "name"), "Contoso cloud migration");
    assert_eq!(opportunity.get("totalamount").unwrap().to_string(), "250000.00");
    let account = opportunity.get("parentaccountid").unwrap();
    assert_eq!(text(account, "name"), "Contoso Ltd");
    assert_eq!(text(account, "address1_city"), "Redmond");
    assert_eq!(text(account, "address1_postalcode"), "98052");
    assert_eq!(text(agreement.get("transactioncurrencyid").unwrap(), "isocurrencycode"), "USD");

    let nda = format!(
        "cre6f_agreements({})?$select=cre6f_name&$expand=cre6f_Opportunity($select=name)",
        seeded.agreements[2]
    );
    let nda = json(dv(&sandbox, Method::GET, &nda).send().await.unwrap()).await;
    assert_eq!(nda.get("cre6f_Opportunity"), Some(&Json::Null));

    let response = dv(&sandbox, Method::GET, "cre6f_agreements?$expand=cre6f_opportunity")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "navigation property names are case-sensitive");
}

#[tokio::test]
async fn filter_literals_quotes_guids_dates_and_type_errors() {
    let sandbox = start().await;
    let seeded = sandbox.seeded();
    let count = |filter: &'static str| {
        let sandbox = &sandbox;
        async move {
            let response = dv(sandbox, Method::GET, filter).send().await.unwrap();
            assert_eq!(response.status(), 200, "{filter}");
            json(response).await.get("value").and_then(Json::as_array).unwrap().len()
        }
    };
    // 'O''Brien & Daughters': doubled quote, and & encoded.
    assert_eq!(count("accounts?$filter=name%20eq%20%27O%27%27Brien%20%26%20Daughters%27").await, 1);
    assert_eq!(count("accounts?$filter=contains(name,%27north%27)").await, 1, "case-insensitive");
    assert_eq!(
        count("cre6f_agreements?$filter=cre6f_agreementstartdate%20eq%202026-12-01").await,
        1
    );
    assert_eq!(count("cre6f_agreements?$filter=createdon%20gt%202020-01-01T00:00:00Z%20and%20cre6f_agreementtype%20eq%201").await, 2);
    assert_eq!(count("cre6f_agreements?$filter=cre6f_agreementvalue%20ge%20480000%20or%20cre6f_ironcladworkflowurl%20ne%20null").await, 1);
    assert_eq!(count("cre6f_agreements?$filter=not%20(cre6f_agreementtype%20eq%201)").await, 2);
    assert_eq!(count("cre6f_agreements?$filter=cre6f_Opportunity/name%20eq%20%27Northwind%20logistics%20platform%27").await, 1);
    let by_guid = format!(
        "cre6f_agreements?$filter=_cre6f_opportunity_value%20eq%20{}",
        seeded.opportunities[0]
    );
    let response = dv(&sandbox, Method::GET, &by_guid).send().await.unwrap();
    assert_eq!(json(response).await.get("value").and_then(Json::as_array).unwrap().len(), 1);

    let response =
        dv(&sandbox, Method::GET, "cre6f_agreements?$filter=cre6f_agreementtype%20eq%20%27MSA%27")
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        error_of(&json(response).await).1,
        "A binary operator with incompatible types was detected. Found operand types 'Edm.Int32' and 'Edm.String' for operator kind 'Equal'."
    );
    let response = dv(&sandbox, Method::GET, "cre6f_agreements?$filter=cre6f_name%20eq%20%27x")
        .send()
        .await
        .unwrap();
    assert!(error_of(&json(response).await).1.contains("unterminated string literal"));
}

#[tokio::test]
async fn formatted_values_and_lookup_annotations() {
    let sandbox = start().await;
    let id = sandbox.seeded().agreements[0];
    let response = dv(&sandbox, Method::GET, &format!("cre6f_agreements({id})?$select=cre6f_agreementtype,cre6f_agreementvalue,cre6f_agreementstartdate,_cre6f_opportunity_value"))
        .header("Prefer", "odata.include-annotations=\"*\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["Preference-Applied"], "odata.include-annotations=\"*\"");
    let row = json(response).await;
    let formatted = |key: &str| {
        text(&row, &format!("{key}@OData.Community.Display.V1.FormattedValue")).to_owned()
    };
    assert_eq!(formatted("cre6f_agreementtype"), "MSA");
    assert_eq!(formatted("cre6f_agreementvalue"), "$250,000.00");
    assert_eq!(formatted("cre6f_agreementstartdate"), "12/1/2026");
    assert_eq!(formatted("_cre6f_opportunity_value"), "Contoso cloud migration");
    assert_eq!(
        text(&row, "_cre6f_opportunity_value@Microsoft.Dynamics.CRM.lookuplogicalname"),
        "opportunity"
    );
    assert_eq!(
        text(&row, "_cre6f_opportunity_value@Microsoft.Dynamics.CRM.associatednavigationproperty"),
        "cre6f_Opportunity"
    );
    let order = keys(&row);
    let annotation = order
        .iter()
        .position(|k| k == "cre6f_agreementtype@OData.Community.Display.V1.FormattedValue")
        .unwrap();
    assert_eq!(order[annotation + 1], "cre6f_agreementtype", "annotations precede their property");
}

#[tokio::test]
async fn notes_carry_base64_documents() {
    let sandbox = start().await;
    let agreement = sandbox
        .dataverse()
        .create_agreement(NewAgreement { name: Some("With notes".into()), ..NewAgreement::msa() })
        .unwrap();
    let pdf = b"%PDF-1.4\nsigned bytes\n%%EOF\n".to_vec();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let body = format!(
        r#"{{"subject":"Signed contract","notetext":"From Ironclad","filename":"MSA.pdf","mimetype":"application/pdf",
            "isdocument":true,"documentbody":"{encoded}","objectid_cre6f_agreement@odata.bind":"/cre6f_agreements({agreement})"}}"#
    );
    let response = dv(&sandbox, Method::POST, "annotations")
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let note_url = response.headers()["OData-EntityId"].to_str().unwrap().to_owned();
    let note_id = &note_url[note_url.len() - 37..note_url.len() - 1];

    let filter = format!(
        "annotations?$select=subject,filename,filesize,mimetype,isdocument,objecttypecode,_objectid_value&$filter=_objectid_value%20eq%20{agreement}"
    );
    let notes = json(dv(&sandbox, Method::GET, &filter).send().await.unwrap()).await;
    let note = &notes.get("value").and_then(Json::as_array).unwrap()[0];
    assert_eq!(note.get("filesize").unwrap().to_string(), pdf.len().to_string());
    assert_eq!(text(note, "objecttypecode"), "cre6f_agreement");
    assert_eq!(text(note, "_objectid_value"), agreement.to_string());
    assert_eq!(note.get("isdocument"), Some(&Json::Bool(true)));

    let response =
        dv(&sandbox, Method::GET, &format!("annotations({note_id})/documentbody/$value"))
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/plain");
    assert_eq!(response.text().await.unwrap(), encoded);

    let notes = sandbox.dataverse().notes_regarding(agreement);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].document.as_deref(), Some(pdf.as_slice()));
    assert_eq!(notes[0].mime_type.as_deref(), Some("application/pdf"));

    let bad = format!(
        r#"{{"documentbody":"not*base64","objectid_cre6f_agreement@odata.bind":"/cre6f_agreements({agreement})"}}"#
    );
    let response = dv(&sandbox, Method::POST, "annotations")
        .header(CONTENT_TYPE, "application/json")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(error_of(&json(response).await).1.contains("not a valid Base-64 string"));
    assert_eq!(
        sandbox.dataverse().notes_regarding(agreement).len(),
        1,
        "a refused note is not stored"
    );
}

#[tokio::test]
async fn note_block_upload_and_download() {
    let sandbox = start().await;
    let agreement = sandbox.seeded().agreements[0];
    let post = |action: &str, body: String| {
        dv(&sandbox, Method::POST, action)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    let target = format!(
        r#"{{"subject":"Big file","filename":"big.pdf","mimetype":"application/pdf","@odata.type":"Microsoft.Dynamics.CRM.annotation","objectid_cre6f_agreement@odata.bind":"/cre6f_agreements({agreement})","objecttypecode":"cre6f_agreement"}}"#
    );
    let mismatched =
        target.replace(r#""objecttypecode":"cre6f_agreement""#, r#""objecttypecode":"account""#);
    let refused = post("InitializeAnnotationBlocksUpload", format!(r#"{{"Target":{mismatched}}}"#))
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(error_of(&json(refused).await).1.contains("does not match"));
    let init = json(
        post("InitializeAnnotationBlocksUpload", format!(r#"{{"Target":{target}}}"#))
            .await
            .unwrap(),
    )
    .await;
    assert!(
        text(&init, "@odata.context")
            .ends_with("$metadata#Microsoft.Dynamics.CRM.InitializeAnnotationBlocksUploadResponse")
    );
    let token = text(&init, "FileContinuationToken").to_owned();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let blocks = [(b64(b"block-0001"), vec![b'a'; 3000]), (b64(b"block-0002"), vec![b'b'; 1000])];
    for (id, data) in &blocks {
        let response = post(
            "UploadBlock",
            format!(
                r#"{{"BlockId":"{id}","BlockData":"{}","FileContinuationToken":"{token}"}}"#,
                b64(data)
            ),
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 204);
    }
    let commit = format!(
        r#"{{"Target":{target},"BlockList":["{}","{}"],"FileContinuationToken":"{token}"}}"#,
        blocks[0].0, blocks[1].0
    );
    let committed = json(post("CommitAnnotationBlocksUpload", commit).await.unwrap()).await;
    assert_eq!(committed.get("FileSizeInBytes").unwrap().to_string(), "4000");
    let note_id = text(&committed, "AnnotationId").to_owned();
    let stored = sandbox.dataverse().notes_regarding(agreement);
    assert!(stored.iter().any(|note| note.object_type.as_deref() == Some("cre6f_agreement")));

    let init = json(post("InitializeAnnotationBlocksDownload", format!(r#"{{"Target":{{"annotationid":"{note_id}","@odata.type":"Microsoft.Dynamics.CRM.annotation"}}}}"#)).await.unwrap()).await;
    assert_eq!(text(&init, "FileName"), "big.pdf");
    assert_eq!(init.get("FileSizeInBytes").unwrap().to_string(), "4000");
    let token = text(&init, "FileContinuationToken");
    let block = json(
        post(
            "DownloadBlock",
            format!(r#"{{"Offset":2990,"BlockLength":20,"FileContinuationToken":"{token}"}}"#),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(text(&block, "Data"), b64(b"aaaaaaaaaabbbbbbbbbb"));
}

#[tokio::test]
async fn authentication_bearer_and_client_credentials() {
    let sandbox = start().await;
    let url = format!("{}accounts", sandbox.dataverse_api_url());
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap().to_owned();
    assert!(
        challenge.starts_with("Bearer authorization_uri=https://login.microsoftonline.com/"),
        "{challenge}"
    );
    assert!(response.bytes().await.unwrap().is_empty());
    let response = client().get(&url).bearer_auth("not-the-token").send().await.unwrap();
    assert_eq!(response.status(), 401);

    let scope = format!("{}/.default", sandbox.dataverse_url().as_str().trim_end_matches('/'));
    let form = |secret: &str, scope: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", sandbox.dataverse_client_id().to_owned()),
            ("client_secret", secret.to_owned()),
            ("scope", scope.to_owned()),
        ]
    };
    let response = client()
        .post(sandbox.dataverse_token_url())
        .form(&form(sandbox.dataverse_client_secret().expose_secret(), &scope))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token = json(response).await;
    assert_eq!(text(&token, "token_type"), "Bearer");
    assert_eq!(token.get("expires_in").unwrap().to_string(), "3599");
    let response =
        client().get(&url).bearer_auth(text(&token, "access_token")).send().await.unwrap();
    assert_eq!(response.status(), 200, "an issued token works");

    let response = client()
        .post(sandbox.dataverse_token_url())
        .form(&form("wrong", &scope))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let error = json(response).await;
    assert_eq!(text(&error, "error"), "invalid_client");
    assert!(text(&error, "error_description").starts_with("AADSTS7000215"));
    let response = client()
        .post(sandbox.dataverse_token_url())
        .form(&form(
            sandbox.dataverse_client_secret().expose_secret(),
            "https://other.crm.dynamics.com/.default",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(text(&json(response).await, "error"), "invalid_scope");
}

#[tokio::test]
async fn note_size_is_limited_by_max_upload_file_size_on_the_base64_text() {
    let sandbox = start().await;
    let agreement = sandbox.seeded().agreements[0];
    let post = |bytes: usize| {
        let encoded = base64::engine::general_purpose::STANDARD.encode(vec![7u8; bytes]);
        let body = format!(
            r#"{{"subject":"big","filename":"big.pdf","mimetype":"application/pdf","documentbody":"{encoded}","objectid_cre6f_agreement@odata.bind":"/cre6f_agreements({agreement})"}}"#
        );
        dv(&sandbox, Method::POST, "annotations")
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    // 3 MiB encodes to 4 MiB of base64: under the default 5 MB limit (and over axum's 2 MB default).
    let response = post(3 * 1024 * 1024).await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(sandbox.dataverse().notes_regarding(agreement)[0].file_size, Some(3 * 1024 * 1024));
    // 4 MiB encodes to about 5.6 MB: over the limit, which applies to the base64 size.
    let response = post(4 * 1024 * 1024).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        error_of(&json(response).await),
        ("0x80044a02".to_owned(), "Attachment file size is too big.".to_owned())
    );
}
