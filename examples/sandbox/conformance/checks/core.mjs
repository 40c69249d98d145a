// The checks on the standard tables: CRUD, upsert, queries, paging, counts, FetchXML, $batch,
// associations, notes and their block messages, change tracking, errors and 429.

import assert from "node:assert/strict";

/** The checks of this group, with what `dynamics-web-api.mjs` hands every group. */
export async function checks({ api, check, failure, control, GUID, run, ids }) {
  await check("WhoAmI (callFunction)", async () => {
    const who = await api.callFunction("WhoAmI");
    assert.match(who.UserId, GUID);
    assert.match(who.BusinessUnitId, GUID);
    assert.match(who.OrganizationId, GUID);
  });

  await check("$metadata (retrieveCsdlMetadata)", async () => {
    const csdl = await api.retrieveCsdlMetadata();
    assert.match(csdl, /<EntitySet Name="accounts" EntityType="Microsoft.Dynamics.CRM.account">/);
    assert.match(csdl, /<NavigationProperty Name="parentcustomerid_account" Type="mscrm.account"/);
  });

  await check("create (204 + OData-EntityId)", async () => {
    ids.account = await api.create({
      collection: "accounts",
      data: { name: `Conformance ${run}`, accountnumber: `CONF-${run}`, revenue: 1234567.891, numberofemployees: 42 },
    });
    assert.match(ids.account, GUID);
  });

  await check("create with return=representation and $select", async () => {
    const contact = await api.create({
      collection: "contacts",
      data: {
        firstname: "Ada",
        lastname: `Lovelace ${run}`,
        emailaddress1: "ada@example.com",
        "parentcustomerid_account@odata.bind": `accounts(${ids.account})`,
      },
      returnRepresentation: true,
      select: ["fullname", "emailaddress1", "_parentcustomerid_value"],
    });
    assert.match(contact.contactid, GUID);
    assert.equal(contact.fullname, `Ada Lovelace ${run}`);
    assert.equal(contact._parentcustomerid_value, ids.account);
    assert.match(contact["@odata.etag"], /^W\/"\d+"$/);
    ids.contact = contact.contactid;
  });

  await check("create with related rows (deep insert)", async () => {
    const id = await api.create({
      collection: "accounts",
      data: {
        name: `Deep ${run}`,
        primarycontactid: { firstname: "Pat", lastname: `Primary ${run}` },
        contact_customer_accounts: [{ lastname: `Child ${run} 1` }, { lastname: `Child ${run} 2` }],
      },
    });
    const account = await api.retrieve({
      collection: "accounts",
      key: id,
      select: ["name"],
      expand: [
        { property: "primarycontactid", select: ["fullname"] },
        { property: "contact_customer_accounts", select: ["lastname"], orderBy: ["lastname"] },
      ],
    });
    assert.equal(account.primarycontactid.fullname, `Pat Primary ${run}`);
    assert.deepEqual(account.contact_customer_accounts.map((c) => c.lastname), [`Child ${run} 1`, `Child ${run} 2`]);
  });

  await check("retrieve with $select and $expand", async () => {
    const contact = await api.retrieve({
      collection: "contacts",
      key: ids.contact,
      select: ["lastname"],
      expand: [{ property: "parentcustomerid_account", select: ["name", "numberofemployees"] }],
    });
    assert.equal(contact.lastname, `Lovelace ${run}`);
    assert.equal(contact.parentcustomerid_account.name, `Conformance ${run}`);
    assert.equal(contact.parentcustomerid_account.numberofemployees, 42);
  });

  await check("retrieve with formatted values", async () => {
    const account = await api.retrieve({
      collection: "accounts",
      key: ids.account,
      select: ["revenue", "statecode"],
      includeAnnotations: "OData.Community.Display.V1.FormattedValue",
    });
    assert.equal(account.revenue, 1234567.891);
    assert.equal(account.statecode_Formatted, "Active");
    assert.equal(account.revenue_Formatted, "$1,234,567.89");
  });

  await check("retrieve by alternate key", async () => {
    const account = await api.retrieve({ collection: "accounts", key: `accountnumber='CONF-${run}'`, select: ["name"] });
    assert.equal(account.accountid, ids.account);
  });

  await check("conditional retrieve (If-None-Match with the current etag): 304", async () => {
    const account = await api.retrieve({ collection: "accounts", key: ids.account, select: ["name"] });
    const unchanged = await api.retrieve({ collection: "accounts", key: ids.account, select: ["name"], ifnonematch: account["@odata.etag"] });
    assert.equal(unchanged, undefined, "dynamics-web-api answers nothing for a 304");
    const changed = await api.retrieve({ collection: "accounts", key: ids.account, select: ["name"], ifnonematch: 'W/"1"' });
    assert.equal(changed.name, `Conformance ${run}`);
  });

  await check("update (If-Match: *)", async () => {
    await api.update({ collection: "accounts", key: ids.account, data: { telephone1: "555-0100" } });
    const account = await api.retrieve({ collection: "accounts", key: ids.account, select: ["telephone1"] });
    assert.equal(account.telephone1, "555-0100");
  });

  await check("update with return=representation", async () => {
    const account = await api.update({
      collection: "accounts",
      key: ids.account,
      data: { websiteurl: "https://example.com" },
      returnRepresentation: true,
      select: ["websiteurl"],
    });
    assert.equal(account.websiteurl, "https://example.com");
  });

  await check("update with a stale etag: 412", async () => {
    const error = await failure(api.update({ collection: "accounts", key: ids.account, data: { name: "x" }, ifmatch: 'W/"1"' }));
    assert.equal(error.status, 412);
    assert.equal(error.code, "0x80060882");
  });

  await check("update of a missing row: 404", async () => {
    const error = await failure(
      api.update({ collection: "accounts", key: "00000000-0000-0000-0000-000000000001", data: { name: "x" } }),
    );
    assert.equal(error.status, 404);
  });

  await check("updateSingleProperty (PUT)", async () => {
    await api.updateSingleProperty({ collection: "accounts", key: ids.account, fieldValuePair: { description: "single" } });
    const account = await api.retrieve({ collection: "accounts", key: ids.account, select: ["description"] });
    assert.equal(account.description, "single");
  });

  await check("upsert: create then update by id", async () => {
    const id = "6b3c2a1d-0000-4000-8000-" + run.padStart(12, "0").slice(-12).replace(/[^0-9a-f]/g, "a");
    await api.upsert({ collection: "accounts", key: id, data: { name: `Upserted ${run}` } });
    await api.upsert({ collection: "accounts", key: id, data: { name: `Upserted again ${run}` } });
    const account = await api.retrieve({ collection: "accounts", key: id, select: ["name"] });
    assert.equal(account.name, `Upserted again ${run}`);
    ids.upserted = id;
  });

  await check("upsert create-only (If-None-Match: *) on an existing row: 412", async () => {
    const error = await failure(
      api.upsert({ collection: "accounts", key: ids.upserted, data: { name: "x" }, ifnonematch: "*" }),
    );
    assert.equal(error.status, 412);
  });

  await check("upsert update-only (If-Match: *) on a missing row: 404", async () => {
    const error = await failure(
      api.upsert({ collection: "accounts", key: "00000000-0000-0000-0000-000000000002", data: { name: "x" }, ifmatch: "*" }),
    );
    assert.equal(error.status, 404);
  });

  await check("upsert by alternate key", async () => {
    await api.upsert({ collection: "accounts", key: `accountnumber='ALT-${run}'`, data: { name: `Alternate ${run}` } });
    const account = await api.retrieve({ collection: "accounts", key: `accountnumber='ALT-${run}'`, select: ["name"] });
    assert.equal(account.name, `Alternate ${run}`);
  });

  await check("alternate key with a reserved character: 400", async () => {
    const error = await failure(api.retrieve({ collection: "accounts", key: `accountnumber='A/B'` }));
    assert.equal(error.status, 400);
  });

  await check("retrieveMultiple: $filter, $orderby, $top, $count", async () => {
    const response = await api.retrieveMultiple({
      collection: "accounts",
      select: ["name"],
      filter: `startswith(name,'Conformance ${run}') or startswith(name,'Upserted again ${run}')`,
      orderBy: ["name desc"],
      count: true,
    });
    assert.deepEqual(
      response.value.map((a) => a.name),
      [`Upserted again ${run}`, `Conformance ${run}`],
    );
    assert.equal(response.oDataCount, 2);
  });

  await check("retrieveMultiple with LIKE wildcards escaped", async () => {
    await api.create({ collection: "accounts", data: { name: `50% off ${run}` } });
    await api.create({ collection: "accounts", data: { name: `500 off ${run}` } });
    const literal = await api.retrieveMultiple({ collection: "accounts", select: ["name"], filter: `contains(name,'50[%] off ${run}')` });
    assert.deepEqual(literal.value.map((a) => a.name), [`50% off ${run}`]);
  });

  await check("paging: odata.maxpagesize and @odata.nextLink", async () => {
    for (let n = 0; n < 5; n++) {
      await api.create({ collection: "contacts", data: { lastname: `Paged ${run} ${n}` } });
    }
    const first = await api.retrieveMultiple({
      collection: "contacts",
      select: ["lastname"],
      filter: `startswith(lastname,'Paged ${run}')`,
      maxPageSize: 2,
    });
    assert.equal(first.value.length, 2);
    assert.ok(first.oDataNextLink, "a next link");
    const second = await api.retrieveMultiple({ collection: "contacts", maxPageSize: 2 }, first.oDataNextLink);
    assert.equal(second.value.length, 2);
    assert.notEqual(second.value[0].lastname, first.value[0].lastname);
  });

  await check("retrieveAll follows every page", async () => {
    const all = await api.retrieveAll({
      collection: "contacts",
      select: ["lastname"],
      filter: `startswith(lastname,'Paged ${run}')`,
      maxPageSize: 2,
    });
    assert.equal(all.value.length, 5);
  });

  await check("count ($count segment) and count with a filter", async () => {
    const total = await api.count({ collection: "contacts" });
    assert.ok(total >= 6, `count ${total}`);
    const filtered = await api.count({ collection: "contacts", filter: `startswith(lastname,'Paged ${run}')` });
    assert.equal(filtered, 5);
    const all = await api.countAll({ collection: "contacts", filter: `startswith(lastname,'Paged ${run}')` });
    assert.equal(all, 5);
  });

  const pagedFetch = `<fetch count="2"><entity name="contact"><attribute name="lastname"/><order attribute="lastname"/>
    <filter><condition attribute="lastname" operator="like" value="Paged ${run}%"/></filter></entity></fetch>`;

  await check("FetchXML (fetch) with a page", async () => {
    const page = await api.fetch({ collection: "contacts", fetchXml: pagedFetch, includeAnnotations: "Microsoft.Dynamics.CRM.fetchxmlpagingcookie" });
    assert.deepEqual(page.value.map((c) => c.lastname), [`Paged ${run} 0`, `Paged ${run} 1`]);
    assert.equal(page.PagingInfo.nextPage, 2);
    // dynamics-web-api hands the inner cookie back XML-escaped, ready for the paging-cookie attribute.
    assert.ok(page.PagingInfo.cookie.startsWith("&lt;cookie page=&quot;1&quot;&gt;&lt;contactid last=&quot;{"), page.PagingInfo.cookie);
  });

  await check("FetchXML (fetchAll) with paging cookies", async () => {
    const all = await api.fetchAll({ collection: "contacts", fetchXml: pagedFetch, includeAnnotations: "Microsoft.Dynamics.CRM.fetchxmlpagingcookie" });
    assert.deepEqual(all.value.map((c) => c.lastname), [0, 1, 2, 3, 4].map((n) => `Paged ${run} ${n}`));
  });

  await check("FetchXML with a link-entity", async () => {
    const fetchXml = `<fetch><entity name="contact"><attribute name="lastname"/>
      <filter><condition attribute="contactid" operator="eq" value="${ids.contact}"/></filter>
      <link-entity name="account" from="accountid" to="parentcustomerid" alias="acct"><attribute name="name"/></link-entity>
      </entity></fetch>`;
    const response = await api.fetch({ collection: "contacts", fetchXml });
    assert.equal(response.value[0]["acct.name"], `Conformance ${run}`);
  });

  await check("a long URL goes as $batch (FetchXML over 2000 characters)", async () => {
    const padding = Array.from({ length: 60 }, (_, n) => `<condition attribute="lastname" operator="ne" value="padding-${n}-${run}"/>`).join("");
    const fetchXml = `<fetch><entity name="contact"><attribute name="lastname"/><filter>
      <condition attribute="lastname" operator="like" value="Paged ${run}%"/>${padding}</filter></entity></fetch>`;
    const response = await api.fetch({ collection: "contacts", fetchXml });
    assert.equal(response.value.length, 5);
  });

  await check("associate and disassociate (collection-valued)", async () => {
    const other = await api.create({ collection: "contacts", data: { lastname: `Associated ${run}` } });
    await api.associate({
      collection: "accounts",
      primaryKey: ids.account,
      relationshipName: "contact_customer_accounts",
      relatedCollection: "contacts",
      relatedKey: other,
    });
    let related = await api.retrieve({
      collection: "accounts",
      key: ids.account,
      select: ["name"],
      expand: [{ property: "contact_customer_accounts", select: ["lastname"] }],
    });
    assert.ok(related.contact_customer_accounts.some((c) => c.contactid === other));
    await api.disassociate({ collection: "accounts", primaryKey: ids.account, relationshipName: "contact_customer_accounts", relatedKey: other });
    related = await api.retrieve({
      collection: "accounts",
      key: ids.account,
      select: ["name"],
      expand: [{ property: "contact_customer_accounts", select: ["lastname"] }],
    });
    assert.ok(!related.contact_customer_accounts.some((c) => c.contactid === other));
  });

  await check("associateSingleValued and disassociateSingleValued", async () => {
    await api.associateSingleValued({
      collection: "accounts",
      primaryKey: ids.account,
      navigationProperty: "primarycontactid",
      relatedCollection: "contacts",
      relatedKey: ids.contact,
    });
    let account = await api.retrieve({ collection: "accounts", key: ids.account, select: ["_primarycontactid_value"] });
    assert.equal(account._primarycontactid_value, ids.contact);
    await api.disassociateSingleValued({ collection: "accounts", primaryKey: ids.account, navigationProperty: "primarycontactid" });
    account = await api.retrieve({ collection: "accounts", key: ids.account, select: ["_primarycontactid_value"] });
    assert.equal(account._primarycontactid_value, null);
  });

  await check("$batch: a change set with Content-ID references and a GET", async () => {
    api.startBatch();
    api.create({ collection: "accounts", data: { name: `Batch ${run}` }, contentId: "1" });
    api.create({ collection: "contacts", data: { lastname: `Batch ${run}`, "parentcustomerid_account@odata.bind": "$1" } });
    api.retrieveMultiple({ collection: "accounts", select: ["name"], filter: `name eq 'Batch ${run}'` });
    const responses = await api.executeBatch();
    assert.match(responses[0], GUID);
    assert.match(responses[1], GUID);
    assert.equal(responses[2].value[0].name, `Batch ${run}`);
    const contact = await api.retrieve({ collection: "contacts", key: responses[1], select: ["_parentcustomerid_value"] });
    assert.equal(contact._parentcustomerid_value, responses[0]);
  });

  await check("$batch: a failed change set rolls back and reports the failing request", async () => {
    const before = await api.count({ collection: "accounts" });
    api.startBatch();
    api.create({ collection: "accounts", data: { name: `Rolled back ${run}` } });
    api.create({ collection: "accounts", data: { name: "x".repeat(200) } });
    const error = await failure(api.executeBatch());
    const errors = Array.isArray(error) ? error : [error];
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0].status, 400);
    // A batch part's error keeps the service's body: {"error":{"code","message"}}.
    assert.equal(errors[0].error.code, "0x80044331");
    assert.match(errors[0].headers.req_id, GUID);
    assert.equal(await api.count({ collection: "accounts" }), before);
  });

  await check("$batch with continue-on-error", async () => {
    api.startBatch();
    api.retrieve({ collection: "accounts", key: "00000000-0000-0000-0000-000000000003" });
    api.retrieveMultiple({ collection: "accounts", select: ["name"], filter: `name eq 'Batch ${run}'` });
    const responses = await api.executeBatch({ continueOnError: true });
    assert.equal(responses[0].status, 404);
    assert.equal(responses[1].value[0].name, `Batch ${run}`);
  });

  await check("notes: create with documentbody and read it back", async () => {
    const body = Buffer.from(`hello from ${run}`).toString("base64");
    ids.note = await api.create({
      collection: "annotations",
      data: {
        subject: "Conformance note",
        filename: "hello.txt",
        mimetype: "text/plain",
        documentbody: body,
        "objectid_account@odata.bind": `/accounts(${ids.account})`,
      },
    });
    const note = await api.retrieve({
      collection: "annotations",
      key: ids.note,
      select: ["documentbody", "filesize", "isdocument", "objecttypecode", "_objectid_value"],
    });
    assert.equal(note.documentbody, body);
    assert.equal(note.filesize, Buffer.from(body, "base64").length);
    assert.equal(note.isdocument, true);
    assert.equal(note.objecttypecode, "account");
    assert.equal(note._objectid_value, ids.account);
  });

  await check("notes: block upload and download (callAction)", async () => {
    const bytes = Buffer.from("0123456789".repeat(1000));
    const annotationid = "5d1f6e2a-0000-4000-8000-00000000abcd";
    const target = {
      annotationid,
      subject: "Blocks",
      filename: "blocks.bin",
      mimetype: "application/octet-stream",
      "objectid_account@odata.bind": `/accounts(${ids.account})`,
      "@odata.type": "Microsoft.Dynamics.CRM.annotation",
    };
    const init = await api.callAction({ actionName: "InitializeAnnotationBlocksUpload", action: { Target: target } });
    const blockIds = [];
    for (let offset = 0, n = 0; offset < bytes.length; offset += 4096, n++) {
      const BlockId = Buffer.from(`block-${String(n).padStart(4, "0")}`).toString("base64");
      blockIds.push(BlockId);
      await api.callAction({
        actionName: "UploadBlock",
        action: { BlockId, BlockData: bytes.subarray(offset, offset + 4096).toString("base64"), FileContinuationToken: init.FileContinuationToken },
      });
    }
    const commit = await api.callAction({
      actionName: "CommitAnnotationBlocksUpload",
      action: { Target: target, BlockList: blockIds, FileContinuationToken: init.FileContinuationToken },
    });
    assert.equal(commit.AnnotationId, annotationid);
    assert.equal(commit.FileSizeInBytes, bytes.length);
    const download = await api.callAction({
      actionName: "InitializeAnnotationBlocksDownload",
      action: { Target: { annotationid, "@odata.type": "Microsoft.Dynamics.CRM.annotation" } },
    });
    assert.equal(download.FileSizeInBytes, bytes.length);
    assert.equal(download.FileName, "blocks.bin");
    const chunks = [];
    for (let offset = 0; offset < download.FileSizeInBytes; offset += 3000) {
      const block = await api.callAction({
        actionName: "DownloadBlock",
        action: { Offset: offset, BlockLength: 3000, FileContinuationToken: download.FileContinuationToken },
      });
      chunks.push(Buffer.from(block.Data, "base64"));
    }
    assert.ok(Buffer.concat(chunks).equals(bytes));
  });

  await check("change tracking: a delta link reports new and deleted rows", async () => {
    const initial = await api.retrieveMultiple({ collection: "contacts", select: ["lastname"], trackChanges: true });
    assert.ok(initial.oDataDeltaLink, "a delta link");
    const created = await api.create({ collection: "contacts", data: { lastname: `Tracked ${run}` } });
    const doomed = initial.value[0].contactid;
    await api.deleteRecord({ collection: "contacts", key: doomed });
    const delta = await api.retrieveMultiple({ collection: "contacts", select: ["lastname"] }, initial.oDataDeltaLink);
    assert.ok(delta.value.some((c) => c.contactid === created && c.lastname === `Tracked ${run}`));
    assert.ok(delta.value.some((c) => c.id === doomed && c.reason === "deleted"));
    assert.ok(delta.oDataDeltaLink && delta.oDataDeltaLink !== initial.oDataDeltaLink);
  });

  await check("deleteRecord, then retrieve: 404 with the service's code", async () => {
    await api.deleteRecord({ collection: "accounts", key: ids.upserted });
    const error = await failure(api.retrieve({ collection: "accounts", key: ids.upserted }));
    assert.equal(error.status, 404);
    assert.equal(error.code, "0x80040217");
    assert.equal(error.message, `account With Id = ${ids.upserted} Does Not Exist`);
  });

  await check("errors: an unknown column is refused (400 0x80048d19)", async () => {
    const error = await failure(api.create({ collection: "accounts", data: { Name: "wrong case" } }));
    assert.equal(error.status, 400);
    assert.equal(error.code, "0x80048d19");
    assert.match(error.message, /Invalid property 'Name' was found in entity 'Microsoft.Dynamics.CRM.account'/);
  });

  await check("errors: a wrong-case @odata.bind is refused", async () => {
    const error = await failure(
      api.create({ collection: "contacts", data: { lastname: "x", "ParentCustomerId_account@odata.bind": `/accounts(${ids.account})` } }),
    );
    assert.equal(error.status, 400);
    assert.match(error.message, /An undeclared property 'ParentCustomerId_account'/);
  });

  await check("errors: an unknown entity set (404 0x8006088a)", async () => {
    const error = await failure(api.retrieveMultiple({ collection: "acounts" }));
    assert.equal(error.status, 404);
    assert.equal(error.code, "0x8006088a");
  });

  await check("errors: an unknown column in $select (400)", async () => {
    const error = await failure(api.retrieveMultiple({ collection: "accounts", select: ["nmae"] }));
    assert.equal(error.status, 400);
    assert.match(error.message, /Could not find a property named 'nmae' on type 'Microsoft.Dynamics.CRM.account'/);
  });

  await check("errors: a wrong value type (400)", async () => {
    const error = await failure(api.create({ collection: "accounts", data: { numberofemployees: "many" } }));
    assert.equal(error.status, 400);
    assert.match(error.message, /Cannot convert the literal 'many' to the expected type 'Edm.Int32'/);
  });

  await check("service protection: 429 with Retry-After", async () => {
    await control("faults/next", { count: 1, fault: "throttle" });
    const error = await failure(api.retrieveMultiple({ collection: "accounts", select: ["name"], top: 1 }));
    assert.equal(error.status, 429);
    assert.equal(error.code, "0x80072322");
    assert.equal(error.headers["retry-after"], "1");
  });
}
