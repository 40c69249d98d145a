// Actions and functions: the sandbox's own custom API, custom APIs declared over the control
// surface (unbound, bound to a row, bound to a table; actions and functions), their parameter
// checks and plug-in errors, and the bulk messages as actions bound to an entity set.

import assert from "node:assert/strict";

export async function checks({ api, check, failure, control, GUID, run, ids }) {
  await check("callAction: an unbound custom API (cre6f_SummarizeAgreements)", async () => {
    const before = await api.callAction({ actionName: "cre6f_SummarizeAgreements", action: { AgreementType: 1 } });
    await api.create({ collection: "cre6f_agreements", data: { cre6f_name: `Summarized ${run}`, cre6f_agreementtype: 1, cre6f_agreementvalue: 2500 } });
    const after = await api.callAction({ actionName: "cre6f_SummarizeAgreements", action: { AgreementType: 1, MinimumValue: 0 } });
    assert.equal(after.Count, before.Count + 1);
    assert.equal(after.TotalValue, before.TotalValue + 2500);
    assert.match(after.oDataContext, /\$metadata#Microsoft\.Dynamics\.CRM\.cre6f_SummarizeAgreementsResponse$/);
  });

  await check("callFunction: an unbound function declared over the control surface", async () => {
    await control("dataverse/custom-apis", {
      name: "sample_Greet",
      kind: "function",
      parameters: [
        { name: "Name", type: "Edm.String" },
        { name: "Times", type: "Edm.Int32", optional: true },
      ],
      response: { Greeting: "Hello", Name: { $parameter: "Name" }, Times: { $parameter: "Times" } },
    });
    const answer = await api.callFunction({ name: "sample_Greet", parameters: { Name: "Ada", Times: 3 } });
    assert.equal(answer.Greeting, "Hello");
    assert.equal(answer.Name, "Ada");
    assert.equal(answer.Times, 3);
  });

  await check("callFunction and callAction bound to a row", async () => {
    await control("dataverse/custom-apis", {
      name: "sample_AccountHealth",
      kind: "function",
      bound_to: { row: "accounts" },
      response: { AccountId: { $bound_id: true }, Healthy: true },
    });
    await control("dataverse/custom-apis", {
      name: "sample_Escalate",
      bound_to: { row: "accounts" },
      parameters: [{ name: "Reason", type: "Edm.String" }, { name: "Contact", type: "Microsoft.Dynamics.CRM.contact", optional: true }],
      response: { Escalated: { $bound_id: true }, Reason: { $parameter: "Reason" } },
    });
    const health = await api.callFunction({ collection: "accounts", key: ids.account, name: "Microsoft.Dynamics.CRM.sample_AccountHealth" });
    assert.equal(health.AccountId, ids.account);
    assert.equal(health.Healthy, true);
    const escalated = await api.callAction({
      collection: "accounts",
      key: ids.account,
      actionName: "Microsoft.Dynamics.CRM.sample_Escalate",
      action: { Reason: "Late payment", Contact: { contactid: ids.contact, "@odata.type": "Microsoft.Dynamics.CRM.contact" } },
    });
    assert.deepEqual([escalated.Escalated, escalated.Reason], [ids.account, "Late payment"]);
    const missing = await failure(
      api.callFunction({ collection: "accounts", key: "00000000-0000-0000-0000-000000000009", name: "Microsoft.Dynamics.CRM.sample_AccountHealth" }),
    );
    assert.equal(missing.status, 404);
  });

  await check("callAction bound to a table, answering 204", async () => {
    await control("dataverse/custom-apis", { name: "sample_Recalculate", bound_to: { table: "accounts" } });
    const answer = await api.callAction({ collection: "accounts", actionName: "Microsoft.Dynamics.CRM.sample_Recalculate" });
    assert.equal(answer, undefined);
  });

  await check("custom API parameters are checked: undeclared, wrong type, missing", async () => {
    const undeclared = await failure(api.callAction({ actionName: "cre6f_SummarizeAgreements", action: { AgreementType: 1, Extra: 1 } }));
    assert.equal(undeclared.status, 400);
    assert.equal(undeclared.code, "0x80048d19");
    const wrongType = await failure(api.callAction({ actionName: "cre6f_SummarizeAgreements", action: { AgreementType: "one" } }));
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.message, /Cannot convert the literal '"one"' to the expected type 'Edm.Int32'/);
    const missing = await failure(api.callFunction({ name: "sample_Greet" }));
    assert.equal(missing.status, 400);
    assert.match(missing.message, /Required parameter 'Name' is missing/);
  });

  await check("a custom API failing as a plug-in (0x80040265)", async () => {
    await control("dataverse/custom-apis", {
      name: "sample_Refuse",
      error: { status: 400, code: "0x80040265", message: "The credit check failed." },
    });
    const error = await failure(api.callAction({ actionName: "sample_Refuse" }));
    assert.equal(error.status, 400);
    assert.equal(error.code, "0x80040265");
    assert.equal(error.message, "The credit check failed.");
  });

  await check("an unknown action: 404 0x8006088a", async () => {
    const error = await failure(api.callAction({ actionName: "sample_NoSuchAction" }));
    assert.equal(error.status, 404);
    assert.equal(error.code, "0x8006088a");
  });

  await check("CreateMultiple and UpdateMultiple (callAction bound to the entity set)", async () => {
    const targets = [1, 2, 3].map((n) => ({ name: `Bulk ${run} ${n}`, accountnumber: `BULK-${run}-${n}`, "@odata.type": "Microsoft.Dynamics.CRM.account" }));
    const created = await api.callAction({ collection: "accounts", actionName: "Microsoft.Dynamics.CRM.CreateMultiple", action: { Targets: targets } });
    assert.equal(created.Ids.length, 3);
    assert.ok(created.Ids.every((id) => GUID.test(id)));
    await api.callAction({
      collection: "accounts",
      actionName: "Microsoft.Dynamics.CRM.UpdateMultiple",
      action: { Targets: created.Ids.map((accountid) => ({ accountid, telephone1: "555-0199", "@odata.type": "Microsoft.Dynamics.CRM.account" })) },
    });
    const updated = await api.retrieveMultiple({ collection: "accounts", select: ["telephone1"], filter: `startswith(name,'Bulk ${run}')` });
    assert.deepEqual(updated.value.map((a) => a.telephone1), ["555-0199", "555-0199", "555-0199"]);
    ids.bulk = created.Ids;
  });

  await check("UpsertMultiple by alternate key, and a failing target rolls the request back", async () => {
    await api.callAction({
      collection: "accounts",
      actionName: "Microsoft.Dynamics.CRM.UpsertMultiple",
      action: {
        Targets: [
          { "@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": `accounts(accountnumber='BULK-${run}-1')`, name: `Bulk ${run} 1 upserted` },
          { "@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": `accounts(${ids.bulk[1]})`, name: `Bulk ${run} 2 upserted` },
        ],
      },
    });
    const upserted = await api.retrieve({ collection: "accounts", key: ids.bulk[0], select: ["name"] });
    assert.equal(upserted.name, `Bulk ${run} 1 upserted`);
    const before = await api.count({ collection: "accounts" });
    const error = await failure(
      api.callAction({
        collection: "accounts",
        actionName: "Microsoft.Dynamics.CRM.CreateMultiple",
        action: { Targets: [{ name: "kept?", "@odata.type": "Microsoft.Dynamics.CRM.account" }, { name: "x".repeat(161), "@odata.type": "Microsoft.Dynamics.CRM.account" }] },
      }),
    );
    assert.equal(error.status, 400);
    assert.equal(error.code, "0x80044331");
    assert.equal(await api.count({ collection: "accounts" }), before);
  });

  await check("bulk messages on a table without them, and DeleteMultiple: 0x80040800", async () => {
    const notes = await failure(
      api.callAction({ collection: "annotations", actionName: "Microsoft.Dynamics.CRM.CreateMultiple", action: { Targets: [{ subject: "x", "@odata.type": "Microsoft.Dynamics.CRM.annotation" }] } }),
    );
    assert.equal(notes.code, "0x80040800");
    const deleted = await failure(
      api.callAction({
        collection: "accounts",
        actionName: "Microsoft.Dynamics.CRM.DeleteMultiple",
        action: { Targets: [{ accountid: ids.bulk[2], "@odata.type": "Microsoft.Dynamics.CRM.account" }] },
      }),
    );
    assert.equal(deleted.code, "0x80040800");
  });
}
