// Aggregation: `$apply` through retrieveMultiple's `apply` option, and FetchXML aggregates
// (`aggregate="true"` with count, countcolumn, sum, avg, min, max, groupby and dategrouping)
// through fetch, on accounts this group creates.

import assert from "node:assert/strict";

export async function checks({ api, check, failure, run }) {
  const prefix = `Aggregated ${run}`;
  const rows = [
    { name: `${prefix} 1`, address1_city: "Redmond", numberofemployees: 1500, accountcategorycode: 1, revenue: 1000 },
    { name: `${prefix} 2`, address1_city: "Redmond", numberofemployees: 2900, accountcategorycode: 1, revenue: 2000.5 },
    { name: `${prefix} 3`, address1_city: "Dallas", numberofemployees: 6000, accountcategorycode: 2 },
    { name: `${prefix} 4`, address1_city: "Redmond", accountcategorycode: 2 },
    { name: `${prefix} 5`, numberofemployees: 2900 },
  ];

  await check("$apply: groupby with aggregate through retrieveMultiple", async () => {
    for (const data of rows) {
      await api.create({ collection: "accounts", data });
    }
    // dynamics-web-api puts `apply` into the URL as given, so spaces must be encoded.
    const apply = encodeURI(
      `filter(startswith(name,'${prefix}'))/groupby((address1_city),aggregate(numberofemployees with sum as total,$count as count))`,
    );
    const response = await api.retrieveMultiple({ collection: "accounts", apply });
    const byCity = Object.fromEntries(response.value.map((r) => [r.address1_city ?? "(none)", r]));
    assert.deepEqual(Object.keys(byCity).sort(), ["(none)", "Dallas", "Redmond"]);
    assert.equal(byCity.Redmond.total, 4400);
    assert.equal(byCity.Redmond.count, 3);
    assert.equal(byCity.Dallas.total, 6000);
  });

  await check("$apply: aggregate without groupby (average, min, max, countdistinct)", async () => {
    const apply = encodeURI(
      `filter(startswith(name,'${prefix}'))/aggregate(numberofemployees with average as mean,numberofemployees with min as least,numberofemployees with max as most,numberofemployees with countdistinct as distinct)`,
    );
    const response = await api.retrieveMultiple({ collection: "accounts", apply });
    assert.equal(response.value.length, 1);
    const [row] = response.value;
    assert.equal(row.least, 1500);
    assert.equal(row.most, 6000);
    assert.equal(row.distinct, 3);
    assert.equal(Math.round(row.mean), 3325);
  });

  await check("$apply with $orderby is refused as the service refuses it", async () => {
    const apply = encodeURI(`groupby((address1_city))`);
    const error = await failure(api.retrieveMultiple({ collection: "accounts", apply, orderBy: ["address1_city"] }));
    assert.equal(error.status, 400);
  });

  await check("FetchXML aggregate: avg, count, countcolumn, min, max, sum in one row", async () => {
    const fetchXml = `<fetch aggregate="true"><entity name="account">
      <attribute name="numberofemployees" alias="Average" aggregate="avg"/>
      <attribute name="numberofemployees" alias="Count" aggregate="count"/>
      <attribute name="numberofemployees" alias="ColumnCount" aggregate="countcolumn"/>
      <attribute name="numberofemployees" alias="Distinct" aggregate="countcolumn" distinct="true"/>
      <attribute name="numberofemployees" alias="Maximum" aggregate="max"/>
      <attribute name="numberofemployees" alias="Minimum" aggregate="min"/>
      <attribute name="numberofemployees" alias="Sum" aggregate="sum"/>
      <filter><condition attribute="name" operator="begins-with" value="${prefix}"/></filter>
      </entity></fetch>`;
    const response = await api.fetch({ collection: "accounts", fetchXml });
    assert.deepEqual(response.value, [
      // The average of a whole-number column is a whole number (13300 / 4, truncated).
      { Average: 3325, Count: 5, ColumnCount: 4, Distinct: 3, Maximum: 6000, Minimum: 1500, Sum: 13300 },
    ]);
  });

  await check("FetchXML aggregate: groupby with order alias and choice labels", async () => {
    const fetchXml = `<fetch aggregate="true"><entity name="account">
      <attribute name="numberofemployees" alias="Total" aggregate="sum"/>
      <attribute name="revenue" alias="Revenue" aggregate="sum"/>
      <attribute name="accountid" alias="Count" aggregate="count"/>
      <attribute name="accountcategorycode" alias="Category" groupby="true"/>
      <order alias="Total" descending="true"/>
      <filter><condition attribute="name" operator="like" value="${prefix}%"/></filter>
      </entity></fetch>`;
    const response = await api.fetch({ collection: "accounts", fetchXml, includeAnnotations: "OData.Community.Display.V1.FormattedValue" });
    assert.deepEqual(
      response.value.map((r) => [r.Category ?? null, r.Total, r.Count]),
      [[2, 6000, 2], [1, 4400, 2], [null, 2900, 1]],
    );
    assert.equal(response.value[1].Revenue, 3000.5);
    assert.equal(response.value[1].Category_Formatted, "Preferred Customer");
    // The sum of no values is 0 (accounts 3 and 4 have no revenue).
    assert.equal(response.value[0].Revenue, 0);
  });

  await check("FetchXML aggregate: dategrouping by year and month", async () => {
    const fetchXml = `<fetch aggregate="true"><entity name="account">
      <attribute name="accountid" alias="Count" aggregate="count"/>
      <attribute name="createdon" alias="Year" groupby="true" dategrouping="year"/>
      <attribute name="createdon" alias="Month" groupby="true" dategrouping="month"/>
      <filter><condition attribute="name" operator="begins-with" value="${prefix}"/></filter>
      </entity></fetch>`;
    const response = await api.fetch({ collection: "accounts", fetchXml });
    const now = new Date();
    assert.deepEqual(response.value, [{ Count: 5, Year: now.getUTCFullYear(), Month: now.getUTCMonth() + 1 }]);
  });

  await check("FetchXML aggregate errors: sum of text, missing alias, aggregatelimit", async () => {
    const sumOfText = `<fetch aggregate="true"><entity name="account"><attribute name="name" alias="x" aggregate="sum"/></entity></fetch>`;
    assert.equal((await failure(api.fetch({ collection: "accounts", fetchXml: sumOfText }))).status, 400);
    const noAlias = `<fetch aggregate="true"><entity name="account"><attribute name="numberofemployees" aggregate="sum"/></entity></fetch>`;
    assert.equal((await failure(api.fetch({ collection: "accounts", fetchXml: noAlias }))).status, 400);
    const limited = `<fetch aggregate="true" aggregatelimit="2"><entity name="account">
      <attribute name="accountid" alias="Count" aggregate="count"/>
      <filter><condition attribute="name" operator="begins-with" value="${prefix}"/></filter></entity></fetch>`;
    const error = await failure(api.fetch({ collection: "accounts", fetchXml: limited }));
    assert.equal(error.status, 400);
    assert.equal(error.code, "0x8004E023");
    assert.equal(error.message, "AggregateQueryRecordLimit exceeded. Cannot perform this operation.");
  });
}
