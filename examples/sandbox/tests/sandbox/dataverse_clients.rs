//! What third-party Dataverse clients send beyond the basics (the requests dynamics-web-api
//! makes for files, table definitions, aggregates, custom APIs and saved views), over HTTP, with
//! the shapes and errors of the real service.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dataverse_ironclad_sandbox::{Json, Sandbox};
use reqwest::Method;
use secrecy::ExposeSecret;

use super::{client, dv, json, start, text};

fn error_code(body: &Json) -> String {
    text(body.get("error").expect("error"), "code").to_owned()
}

fn values(body: &Json) -> Vec<Json> {
    body.get("value")
        .and_then(Json::as_array)
        .unwrap_or_else(|| panic!("no value in {body}"))
        .to_vec()
}

/// A request to the sandbox's control surface on the Dataverse listener.
fn control(sandbox: &Sandbox, method: Method, path: &str) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("{}_sandbox/{path}", sandbox.dataverse_url()))
        .bearer_auth(sandbox.dataverse_token().expose_secret())
}

async fn get(sandbox: &Sandbox, path: &str) -> Json {
    let response = dv(sandbox, Method::GET, path).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    json(response).await
}

#[tokio::test]
async fn a_file_column_reads_as_a_base64_property_in_ranges() {
    let sandbox = start().await;
    let announced = control(&sandbox, Method::PUT, "dataverse/files/chunk-size")
        .body(r#"{"bytes":4}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(announced.status(), 200);
    assert_eq!(json(announced).await.get("bytes").and_then(Json::as_number_text), Some("4"));
    let zero = control(&sandbox, Method::PUT, "dataverse/files/chunk-size")
        .body(r#"{"bytes":0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(zero.status(), 400);

    let agreement = sandbox
        .dataverse()
        .insert("cre6f_agreements", &Json::parse(r#"{"cre6f_name":"Property file"}"#).unwrap())
        .unwrap();
    let column = format!("cre6f_agreements({agreement})/cre6f_signeddocument");
    let started = dv(&sandbox, Method::PATCH, &format!("{column}?x-ms-file-name=signed.pdf"))
        .header("x-ms-transfer-mode", "chunked")
        .send()
        .await
        .unwrap();
    assert_eq!(started.headers()["x-ms-chunk-size"], "4");
    let location = started.headers()["Location"].to_str().unwrap().to_owned();
    // Chunks without x-ms-file-name (the session knows the name), as dynamics-web-api sends them.
    for (range, bytes, status) in
        [("bytes 0-3/6", &b"%PDF"[..], 206), ("bytes 4-5/6", &b"-1"[..], 204)]
    {
        let sent = client()
            .patch(&location)
            .bearer_auth(sandbox.dataverse_token().expose_secret())
            .header("Content-Type", "application/octet-stream")
            .header("Content-Range", range)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), status, "{range}");
    }

    let part = dv(&sandbox, Method::GET, &format!("{column}?size=full"))
        .header("Range", "bytes=2-4194305")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["Content-Disposition"], "attachment; filename=\"signed.pdf\"");
    assert_eq!(part.headers()["x-ms-file-name"], "signed.pdf");
    assert_eq!(part.headers()["x-ms-file-size"], "6");
    assert_eq!(part.headers()["Content-Range"], "bytes 2-5/6");
    assert!(part.headers()["Content-Type"].to_str().unwrap().starts_with("application/json"));
    let body = json(part).await;
    assert!(
        text(&body, "@odata.context")
            .ends_with(&format!("$metadata#cre6f_agreements({agreement})/cre6f_signeddocument"))
    );
    assert_eq!(STANDARD.decode(text(&body, "value")).unwrap(), b"DF-1");

    let whole = dv(&sandbox, Method::GET, &column).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(STANDARD.decode(text(&json(whole).await, "value")).unwrap(), b"%PDF-1");

    // An image column without a range or size still reads as its value.
    let account = sandbox.seeded().accounts[0];
    let image = dv(&sandbox, Method::GET, &format!("accounts({account})/entityimage"))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), 204);
}

#[tokio::test]
async fn table_definitions_serve_attributes_relationships_and_filters() {
    let sandbox = start().await;
    let custom = get(
        &sandbox,
        "EntityDefinitions?$select=LogicalName,OwnershipType&$filter=IsCustomEntity%20eq%20true%20and%20OwnershipType%20eq%20Microsoft.Dynamics.CRM.OwnershipTypes'UserOwned'",
    )
    .await;
    let tables = values(&custom);
    assert_eq!(tables.len(), 1, "{custom}");
    assert_eq!(text(&tables[0], "LogicalName"), "cre6f_agreement");
    assert!(text(&custom, "@odata.context").ends_with("$metadata#EntityDefinitions"));

    let money = get(
        &sandbox,
        "EntityDefinitions(LogicalName='account')/Attributes?$select=LogicalName&$filter=AttributeType%20eq%20Microsoft.Dynamics.CRM.AttributeTypeCode'Money'",
    )
    .await;
    let money = values(&money);
    assert!(money.iter().any(|a| text(a, "LogicalName") == "revenue"));
    assert!(
        money
            .iter()
            .all(|a| text(a, "@odata.type") == "#Microsoft.Dynamics.CRM.MoneyAttributeMetadata")
    );

    // One attribute, cast to its type for the type's own properties.
    let file = get(
        &sandbox,
        "EntityDefinitions(LogicalName='cre6f_agreement')/Attributes(LogicalName='cre6f_signeddocument')/Microsoft.Dynamics.CRM.FileAttributeMetadata?$select=MaxSizeInKB",
    )
    .await;
    assert_eq!(file.get("MaxSizeInKB").and_then(Json::as_number_text), Some("32768"));
    assert!(file.get("MetadataId").is_some());
    let uncast = dv(
        &sandbox,
        Method::GET,
        "EntityDefinitions(LogicalName='cre6f_agreement')/Attributes(LogicalName='cre6f_signeddocument')?$select=MaxSizeInKB",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(uncast.status(), 400, "MaxSizeInKB is not on AttributeMetadata");
    let lookup = get(
        &sandbox,
        "EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='parentcustomerid')/Microsoft.Dynamics.CRM.LookupAttributeMetadata?$select=Targets,AttributeType",
    )
    .await;
    assert_eq!(text(&lookup, "AttributeType"), "Customer");
    assert_eq!(lookup.get("Targets").and_then(Json::as_array).map(<[Json]>::len), Some(2));

    // $expand with its own $filter, as Microsoft's example does.
    let expanded = get(
        &sandbox,
        "EntityDefinitions(LogicalName='account')?$select=LogicalName&$expand=Attributes($select=LogicalName;$filter=AttributeType%20eq%20Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist')",
    )
    .await;
    let picklists = expanded.get("Attributes").and_then(Json::as_array).unwrap();
    assert!(!picklists.is_empty());
    assert!(picklists.iter().all(|a| a.get("AttributeType").is_none()));

    let one_to_many = get(
        &sandbox,
        "RelationshipDefinitions/Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata?$select=SchemaName,ReferencingEntity&$filter=ReferencedEntity%20eq%20'account'",
    )
    .await;
    let schema_names: Vec<String> =
        values(&one_to_many).iter().map(|r| text(r, "SchemaName").to_owned()).collect();
    assert!(schema_names.contains(&"contact_customer_accounts".to_owned()), "{one_to_many}");
    let single = get(
        &sandbox,
        "RelationshipDefinitions(SchemaName='contact_customer_accounts')?$select=SchemaName,RelationshipType",
    )
    .await;
    assert_eq!(text(&single, "RelationshipType"), "OneToManyRelationship");
    let navigation = get(
        &sandbox,
        "EntityDefinitions(LogicalName='account')/OneToManyRelationships?$select=SchemaName",
    )
    .await;
    assert!(!values(&navigation).is_empty());

    let option_sets = get(&sandbox, "GlobalOptionSetDefinitions").await;
    assert!(values(&option_sets).is_empty());
    let filtered = dv(&sandbox, Method::GET, "GlobalOptionSetDefinitions?$filter=Name%20eq%20'x'")
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.status(), 400);

    let unknown = dv(&sandbox, Method::GET, "EntityDefinitions?$filter=NoSuchThing%20eq%20true")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert_eq!(
        text(json(unknown).await.get("error").unwrap(), "message"),
        "Could not find a property named 'NoSuchThing' on type 'Microsoft.Dynamics.CRM.EntityMetadata'."
    );
    let top = dv(&sandbox, Method::GET, "EntityDefinitions?$top=1").send().await.unwrap();
    assert_eq!(top.status(), 400);
}

#[tokio::test]
async fn metadata_writes_are_refused_as_not_emulated() {
    let sandbox = start().await;
    for (method, path) in [
        (Method::POST, "EntityDefinitions"),
        (Method::PUT, "EntityDefinitions(LogicalName='account')"),
        (Method::POST, "EntityDefinitions(LogicalName='account')/Attributes"),
        (Method::POST, "RelationshipDefinitions"),
        (Method::DELETE, "RelationshipDefinitions(SchemaName='contact_customer_accounts')"),
        (Method::POST, "GlobalOptionSetDefinitions"),
    ] {
        let refused = dv(&sandbox, method.clone(), path)
            .header("Content-Type", "application/json")
            .body(r#"{"SchemaName":"new_thing"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 501, "{method} {path}");
        let body = json(refused).await;
        assert_eq!(error_code(&body), "0x0");
        assert!(
            text(body.get("error").unwrap(), "message").starts_with(
                "The sandbox does not emulate creating, updating or deleting metadata definitions"
            ),
            "{body}"
        );
    }
}

/// `GET accounts?fetchXml=…` with the query URL-encoded.
async fn fetch(sandbox: &Sandbox, fetch_xml: &str, prefer: Option<&str>) -> reqwest::Response {
    let encoded: String = url::form_urlencoded::byte_serialize(fetch_xml.as_bytes()).collect();
    let mut request = dv(sandbox, Method::GET, &format!("accounts?fetchXml={encoded}"));
    if let Some(prefer) = prefer {
        request = request.header("Prefer", prefer);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn fetchxml_aggregates_group_count_and_sum_as_the_service_does() {
    let sandbox = start().await;
    for row in [
        r#"{"name":"Agg 1","address1_city":"Redmond","numberofemployees":1500,"accountcategorycode":1}"#,
        r#"{"name":"Agg 2","address1_city":"Redmond","numberofemployees":2900,"accountcategorycode":1}"#,
        r#"{"name":"Agg 3","address1_city":"Dallas","numberofemployees":6000}"#,
        r#"{"name":"Agg 4","numberofemployees":2900}"#,
        r#"{"name":"Agg 5","address1_city":"Redmond"}"#,
    ] {
        sandbox.dataverse().insert("accounts", &Json::parse(row).unwrap()).unwrap();
    }
    let filter =
        r#"<filter><condition attribute="name" operator="begins-with" value="Agg "/></filter>"#;
    let totals = fetch(
        &sandbox,
        &format!(
            r#"<fetch aggregate="true"><entity name="account">
            <attribute name="numberofemployees" alias="Average" aggregate="avg"/>
            <attribute name="numberofemployees" alias="Count" aggregate="count"/>
            <attribute name="numberofemployees" alias="ColumnCount" aggregate="countcolumn"/>
            <attribute name="numberofemployees" alias="Distinct" aggregate="countcolumn" distinct="true"/>
            <attribute name="numberofemployees" alias="Maximum" aggregate="max"/>
            <attribute name="numberofemployees" alias="Minimum" aggregate="min"/>
            <attribute name="numberofemployees" alias="Sum" aggregate="sum"/>{filter}</entity></fetch>"#
        ),
        None,
    )
    .await;
    assert_eq!(totals.status(), 200);
    let totals = json(totals).await;
    assert!(text(&totals, "@odata.context").ends_with("$metadata#accounts"));
    // 13300 / 4 = 3325; nulls are left out of everything but count.
    assert_eq!(
        values(&totals)[0].to_string(),
        r#"{"Average":3325,"Count":5,"ColumnCount":4,"Distinct":3,"Maximum":6000,"Minimum":1500,"Sum":13300}"#
    );

    let grouped = json(
        fetch(
            &sandbox,
            &format!(
                r#"<fetch aggregate="true"><entity name="account">
                <attribute name="numberofemployees" alias="Total" aggregate="sum"/>
                <attribute name="address1_city" alias="Count" aggregate="count"/>
                <attribute name="address1_city" alias="City" groupby="true"/>
                <order alias="City"/>{filter}</entity></fetch>"#
            ),
            None,
        )
        .await,
    )
    .await;
    // Columns in attribute order; the row without a city is its own group, first, without the
    // alias.
    let rows: Vec<String> = values(&grouped).iter().map(Json::to_string).collect();
    assert_eq!(
        rows,
        [
            r#"{"Total":2900,"Count":1}"#,
            r#"{"Total":6000,"Count":1,"City":"Dallas"}"#,
            r#"{"Total":4400,"Count":3,"City":"Redmond"}"#
        ]
    );

    let labelled = json(
        fetch(
            &sandbox,
            &format!(
                r#"<fetch aggregate="true"><entity name="account">
                <attribute name="accountid" alias="Count" aggregate="count"/>
                <attribute name="accountcategorycode" alias="Category" groupby="true"/>
                <order alias="Count" descending="true"/>{filter}</entity></fetch>"#
            ),
            Some(r#"odata.include-annotations="OData.Community.Display.V1.FormattedValue""#),
        )
        .await,
    )
    .await;
    assert_eq!(
        values(&labelled)[1].to_string(),
        r#"{"Count":2,"Category@OData.Community.Display.V1.FormattedValue":"Preferred Customer","Category":1}"#
    );

    for (query, code) in [
        (
            r#"<fetch aggregate="true" aggregatelimit="2"><entity name="account"><attribute name="accountid" alias="n" aggregate="count"/></entity></fetch>"#,
            "0x8004E023",
        ),
        (
            r#"<fetch aggregate="true"><entity name="account"><attribute name="name" alias="n" aggregate="sum"/></entity></fetch>"#,
            "0x80040203",
        ),
        (
            r#"<fetch aggregate="true"><entity name="account"><attribute name="name"/><attribute name="accountid" alias="n" aggregate="count"/></entity></fetch>"#,
            "0x80040203",
        ),
        (
            r#"<fetch aggregate="true"><entity name="account"><attribute name="numberofemployees" aggregate="max"/></entity></fetch>"#,
            "0x80040203",
        ),
    ] {
        let refused = fetch(&sandbox, query, None).await;
        assert_eq!(refused.status(), 400, "{query}");
        assert_eq!(error_code(&json(refused).await), code, "{query}");
    }
}

#[tokio::test]
async fn fetchxml_aggregates_group_dates_and_linked_columns() {
    let sandbox = start().await;
    let account = sandbox
        .dataverse()
        .insert("accounts", &Json::parse(r#"{"name":"Linked parent"}"#).unwrap())
        .unwrap();
    for n in 0..3 {
        sandbox
            .dataverse()
            .insert(
                "contacts",
                &Json::parse(&format!(
                    r#"{{"lastname":"Linked {n}","parentcustomerid_account@odata.bind":"/accounts({account})"}}"#
                ))
                .unwrap(),
            )
            .unwrap();
    }
    let query = format!(
        r#"<fetch aggregate="true"><entity name="account">
        <attribute name="accountid" alias="Accounts" aggregate="countcolumn" distinct="true"/>
        <attribute name="createdon" alias="Year" groupby="true" dategrouping="year"/>
        <attribute name="createdon" alias="Period" groupby="true" dategrouping="fiscal-period"/>
        <filter><condition attribute="accountid" operator="eq" value="{account}"/></filter>
        <link-entity name="contact" from="parentcustomerid" to="accountid" alias="c">
          <attribute name="contactid" alias="Contacts" aggregate="count"/>
        </link-entity></entity></fetch>"#
    );
    let body = json(fetch(&sandbox, &query, None).await).await;
    let row = &values(&body)[0];
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(
        row.get("Year").and_then(Json::as_number_text),
        Some(now.year().to_string().as_str())
    );
    assert_eq!(
        text(row, "Period"),
        format!("Quarter {} FY{}", (u8::from(now.month()) - 1) / 3 + 1, now.year())
    );
    assert_eq!(row.get("Accounts").and_then(Json::as_number_text), Some("1"));
    assert_eq!(row.get("Contacts").and_then(Json::as_number_text), Some("3"));
}

#[tokio::test]
async fn custom_apis_declared_over_the_control_surface_answer_as_declared() {
    let sandbox = start().await;
    let declare = |body: &'static str| {
        control(&sandbox, Method::POST, "dataverse/custom-apis").body(body).send()
    };
    let registered = declare(
        r#"{"name":"sample_Escalate","bound_to":{"row":"accounts"},
            "parameters":[{"name":"Reason","type":"Edm.String"},{"name":"Level","type":"Edm.Int32","optional":true}],
            "response":{"Account":{"$bound_id":true},"Reason":{"$parameter":"Reason"},"Fixed":[1,2]}}"#,
    )
    .await
    .unwrap();
    assert_eq!(registered.status(), 201);
    assert_eq!(text(&json(registered).await, "name"), "sample_Escalate");
    let account = sandbox.seeded().accounts[0];
    let path = format!("accounts({account})/Microsoft.Dynamics.CRM.sample_Escalate");
    let answered = super::post_json(&sandbox, &path, r#"{"Reason":"Late","Level":2}"#).await;
    assert_eq!(answered.status(), 200);
    let body = json(answered).await;
    assert!(
        text(&body, "@odata.context")
            .ends_with("$metadata#Microsoft.Dynamics.CRM.sample_EscalateResponse")
    );
    assert_eq!(text(&body, "Account"), account.to_string());
    assert_eq!(text(&body, "Reason"), "Late");
    assert_eq!(body.get("Fixed").map(Json::to_string).as_deref(), Some("[1,2]"));
    // Checked as declared: a wrong type, a missing parameter, unbound use.
    let wrong = super::post_json(&sandbox, &path, r#"{"Reason":"Late","Level":"high"}"#).await;
    assert_eq!(error_code(&json(wrong).await), "0x80048d19");
    let missing = super::post_json(&sandbox, &path, "{}").await;
    assert_eq!(missing.status(), 400);
    let unbound = super::post_json(&sandbox, "sample_Escalate", r#"{"Reason":"x"}"#).await;
    assert_eq!(unbound.status(), 404);

    declare(
        r#"{"name":"sample_Greet","kind":"function","parameters":[{"name":"Name","type":"Edm.String"}],
            "response":{"Greeting":{"$parameter":"Name"}}}"#,
    )
    .await
    .unwrap();
    let greeted = get(&sandbox, "sample_Greet(Name=@p1)?@p1='Ada'").await;
    assert_eq!(text(&greeted, "Greeting"), "Ada");

    declare(
        r#"{"name":"sample_Refuse","error":{"status":403,"code":"0x80040220","message":"No."}}"#,
    )
    .await
    .unwrap();
    let refused = super::post_json(&sandbox, "sample_Refuse", "").await;
    assert_eq!(refused.status(), 403);
    assert_eq!(error_code(&json(refused).await), "0x80040220");

    let invalid = declare(r#"{"name":"sample_Bad","bound_to":{"row":"acounts"}}"#).await.unwrap();
    assert_eq!(invalid.status(), 400);
    let body = json(invalid).await;
    assert_eq!(
        text(body.get("error").unwrap(), "message"),
        "'acounts' is not an entity set of the loaded metadata"
    );
}

#[tokio::test]
async fn saved_and_user_queries_run_their_fetchxml() {
    let sandbox = start().await;
    let views = get(
        &sandbox,
        "savedqueries?$select=name,returnedtypecode&$filter=name%20eq%20'Active%20Accounts'",
    )
    .await;
    assert_eq!(
        text(&values(&views)[0], "savedqueryid"),
        dataverse_ironclad_sandbox::dataverse::ACTIVE_ACCOUNTS_VIEW.to_string()
    );
    let inactive = sandbox
        .dataverse()
        .insert("accounts", &Json::parse(r#"{"name":"Closed account","statecode":1}"#).unwrap())
        .unwrap();
    let active = get(&sandbox, "accounts?savedQuery=00000000-0000-0000-00aa-000010001002").await;
    let rows = values(&active);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| text(r, "accountid") != inactive.to_string()));
    // Only the view's columns, nulls left out, ordered by name.
    assert_eq!(super::keys(&rows[0]), ["@odata.etag", "accountid", "name"]);
    let names: Vec<&str> = rows.iter().map(|r| text(r, "name")).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);

    let created = super::post_json(
        &sandbox,
        "userqueries",
        r#"{"name":"Mine","returnedtypecode":"account","querytype":0,"fetchxml":"<fetch><entity name='account'><attribute name='name'/><filter><condition attribute='statecode' operator='eq' value='1'/></filter></entity></fetch>"}"#,
    )
    .await;
    assert_eq!(created.status(), 204);
    let location = created.headers()["OData-EntityId"].to_str().unwrap().to_owned();
    let id = location.rsplit('(').next().unwrap().trim_end_matches(')').to_owned();
    let mine = get(&sandbox, &format!("accounts?userQuery={id}")).await;
    assert_eq!(values(&mine).len(), 1);
    assert_eq!(text(&values(&mine)[0], "name"), "Closed account");

    for (path, status) in [
        (format!("contacts?userQuery={id}"), 400),
        (format!("accounts?userQuery={id}&$top=1"), 400),
        ("accounts?savedQuery=not-a-guid".to_owned(), 400),
        ("accounts?savedQuery=00000000-0000-0000-0000-000000000001".to_owned(), 404),
    ] {
        let refused = dv(&sandbox, Method::GET, &path).send().await.unwrap();
        assert_eq!(refused.status(), status, "{path}");
    }
}

#[tokio::test]
async fn search_and_background_operations_answer_501() {
    let sandbox = start().await;
    let search = client()
        .post(format!("{}api/search/v1.0/query", sandbox.dataverse_url()))
        .bearer_auth(sandbox.dataverse_token().expose_secret())
        .header("Content-Type", "application/json")
        .body(r#"{"search":"contoso"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(search.status(), 501);
    assert!(search.headers().contains_key("REQ_ID"));
    let body = json(search).await;
    assert_eq!(error_code(&body), "0x0");
    assert!(
        text(body.get("error").unwrap(), "message")
            .starts_with("The sandbox does not emulate the Dataverse Search API"),
        "{body}"
    );
    let anonymous = client()
        .post(format!("{}api/search/v1.0/query", sandbox.dataverse_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let status = client()
        .get(format!(
            "{}api/backgroundoperation/00000000-0000-0000-0000-000000000001",
            sandbox.dataverse_url()
        ))
        .bearer_auth(sandbox.dataverse_token().expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 501);

    let before = sandbox.dataverse().count("accounts");
    let asynchronous = dv(&sandbox, Method::POST, "accounts")
        .header("Prefer", "respond-async")
        .header("Content-Type", "application/json")
        .body(r#"{"name":"Later"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(asynchronous.status(), 501);
    let message = text(json(asynchronous).await.get("error").unwrap(), "message").to_owned();
    assert!(message.starts_with("The sandbox does not emulate background operations"), "{message}");
    assert_eq!(sandbox.dataverse().count("accounts"), before, "nothing ran");
}
