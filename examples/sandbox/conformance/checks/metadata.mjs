// Table definitions, read-only: retrieveEntity, retrieveEntities, retrieveAttributes,
// retrieveAttribute, retrieveRelationships, retrieveRelationship, retrieveGlobalOptionSets,
// useEntityNames (which reads EntityDefinitions), and the refusal of metadata writes.

import assert from "node:assert/strict";
import { DynamicsWebApi } from "dynamics-web-api";

export async function checks({ api, check, failure, serverUrl, token }) {
  await check("retrieveEntity with $select and a filtered $expand of Attributes", async () => {
    const account = await api.retrieveEntity({
      key: "LogicalName='account'",
      select: ["LogicalName", "EntitySetName", "PrimaryIdAttribute", "PrimaryNameAttribute"],
      expand: [{ property: "Attributes", select: ["LogicalName"], filter: "AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Money'" }],
    });
    assert.equal(account.EntitySetName, "accounts");
    assert.equal(account.PrimaryIdAttribute, "accountid");
    assert.equal(account.PrimaryNameAttribute, "name");
    assert.match(account.MetadataId, /^[0-9a-f-]{36}$/, "MetadataId always comes back");
    assert.ok(account.Attributes.some((a) => a.LogicalName === "revenue"));
    assert.ok(account.Attributes.every((a) => a["@odata.type"] === "#Microsoft.Dynamics.CRM.MoneyAttributeMetadata"));
  });

  await check("retrieveEntity by MetadataId", async () => {
    const { MetadataId } = await api.retrieveEntity({ key: "LogicalName='contact'", select: ["LogicalName"] });
    const contact = await api.retrieveEntity({ key: MetadataId, select: ["EntitySetName"] });
    assert.equal(contact.EntitySetName, "contacts");
  });

  await check("retrieveEntities with an enum $filter", async () => {
    const response = await api.retrieveEntities({
      select: ["LogicalName", "EntitySetName"],
      filter: "OwnershipType eq Microsoft.Dynamics.CRM.OwnershipTypes'UserOwned' and IsCustomEntity eq false",
    });
    const names = response.value.map((e) => e.LogicalName);
    assert.ok(names.includes("account") && names.includes("contact"), names.join());
    assert.ok(!names.includes("cre6f_agreement") && !names.includes("transactioncurrency"), names.join());
  });

  await check("retrieveAttributes, cast to PicklistAttributeMetadata with its OptionSet", async () => {
    const response = await api.retrieveAttributes({
      entityKey: "LogicalName='account'",
      castType: "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
      select: ["LogicalName"],
      expand: [{ property: "OptionSet", select: ["Options"] }],
    });
    const category = response.value.find((a) => a.LogicalName === "accountcategorycode");
    assert.ok(category, JSON.stringify(response.value.map((a) => a.LogicalName)));
    assert.ok(category.OptionSet.Options.some((o) => o.Value === 1 && o.Label.UserLocalizedLabel.Label === "Preferred Customer"));
  });

  await check("retrieveAttribute: a file column's MaxSizeInKB", async () => {
    const column = await api.retrieveAttribute({
      entityKey: "LogicalName='cre6f_agreement'",
      attributeKey: "LogicalName='cre6f_signeddocument'",
      castType: "Microsoft.Dynamics.CRM.FileAttributeMetadata",
      select: ["MaxSizeInKB"],
    });
    assert.equal(column.MaxSizeInKB, 32768);
  });

  await check("retrieveRelationships (one-to-many, filtered) and retrieveRelationship", async () => {
    const response = await api.retrieveRelationships({
      castType: "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
      select: ["SchemaName", "ReferencingEntity", "ReferencingEntityNavigationPropertyName"],
      filter: "ReferencedEntity eq 'account'",
    });
    const customer = response.value.find((r) => r.SchemaName === "contact_customer_accounts");
    assert.equal(customer?.ReferencingEntity, "contact");
    assert.equal(customer?.ReferencingEntityNavigationPropertyName, "parentcustomerid_account");
    const single = await api.retrieveRelationship({ key: customer.MetadataId, select: ["SchemaName", "RelationshipType"] });
    assert.equal(single.RelationshipType, "OneToManyRelationship");
  });

  await check("retrieveGlobalOptionSets: none in the loaded metadata", async () => {
    const response = await api.retrieveGlobalOptionSets();
    assert.deepEqual(response.value, []);
    const error = await failure(api.retrieveGlobalOptionSet({ key: "Name='no_such_choice'" }));
    assert.equal(error.status, 404);
  });

  await check("useEntityNames: collection names from EntityDefinitions", async () => {
    const byName = new DynamicsWebApi({ serverUrl, onTokenRefresh: async () => token, useEntityNames: true });
    const response = await byName.retrieveMultiple({ collection: "transactioncurrency", select: ["isocurrencycode"], filter: "isocurrencycode eq 'USD'" });
    assert.equal(response.value.length, 1);
  });

  await check("metadata writes are refused as not emulated (501)", async () => {
    for (const write of [
      () => api.createEntity({ data: { SchemaName: "new_Thing" } }),
      () => api.updateEntity({ data: { MetadataId: "00000000-0000-0000-0000-000000000001", SchemaName: "x" } }),
      () => api.createAttribute({ entityKey: "LogicalName='account'", data: { SchemaName: "new_Flag" } }),
      () => api.createRelationship({ data: { SchemaName: "new_thing_account" } }),
      () => api.deleteRelationship({ key: "00000000-0000-0000-0000-000000000001" }),
      () => api.updateAttribute({ entityKey: "LogicalName='account'", data: { MetadataId: "00000000-0000-0000-0000-000000000002" } }),
      () => api.updateRelationship({ data: { MetadataId: "00000000-0000-0000-0000-000000000003" } }),
      () => api.createGlobalOptionSet({ data: { Name: "new_colours" } }),
      () => api.updateGlobalOptionSet({ data: { MetadataId: "00000000-0000-0000-0000-000000000004" } }),
      () => api.deleteGlobalOptionSet({ key: "Name='new_colours'" }),
    ]) {
      const error = await failure(write());
      assert.equal(error.status, 501);
      assert.match(error.message, /^The sandbox does not emulate creating, updating or deleting metadata definitions/);
    }
  });
}
