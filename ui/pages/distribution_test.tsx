import assert from "node:assert/strict";
import { attr, elementById, openTags, textOf } from "../_test_helpers.ts";
import { renderPage } from "../render.ts";
import { PolicyListPage, PolicyPage, type PolicyPageProps } from "./distribution_policies.tsx";
import { PointListPage } from "./distribution_points.tsx";

const HOSTILE = `<script>alert("x")</script>`;

function policyProps(over: Partial<PolicyPageProps> = {}): PolicyPageProps {
  return {
    id: 4,
    form: {
      name: "web",
      enabled: true,
      appliances: ["a-1"],
      groups: "dc2",
      capturePoints: "eth1",
      direction: "c2s",
      filter: "tcp port eighty",
      action: "distribute",
      sliceFrom: "l4",
      sliceBytes: "64",
      dedup: true,
      dedupWindowMs: "500",
      bandwidthBps: "",
      fuseBps: "",
      points: ["2"],
      mode: "loadBalance",
      stripVlan: true,
      stripVxlan: false,
      stripGre: false,
      masks: "l4 0 4",
    },
    errors: { filter: "unknown port 'eighty'", "masks[0].length": "must be an integer" },
    appliances: [{ id: "a-1", name: "tap-1", group: null }, {
      id: "a-2",
      name: "tap-2",
      group: "dc2",
    }],
    points: [{ id: 2, name: "ids", tunnel: "VXLAN" }, { id: 3, name: HOSTILE, tunnel: "GRE" }],
    canWrite: true,
    ...over,
  };
}

Deno.test("PolicyPage() puts each error next to its field and keeps what was typed", () => {
  const html = renderPage(PolicyPage(policyProps()));
  assert.equal(textOf(elementById(html, "policy-filter-error")!), "unknown port 'eighty'");
  assert.equal(
    textOf(elementById(html, "policy-masks-error")!),
    "masks[0].length: must be an integer",
  );
  const filter = openTags(html, "input").find((t) => attr(t, "id") === "policy-filter")!;
  assert.equal(attr(filter, "value"), "tcp port eighty");
  assert.equal(attr(filter, "aria-invalid"), "true");
  const selected = openTags(html, "option").filter((t) => attr(t, "selected") !== undefined)
    .map((t) => attr(t, "value"));
  for (const v of ["a-1", "c2s", "l4", "2", "loadBalance", "distribute"]) {
    assert.ok(selected.includes(v), `${v} selected`);
  }
  assert.ok(!html.includes(HOSTILE), "names are escaped");
  assert.match(html, /Save policy/);
});

Deno.test("PolicyPage() and the lists offer no change to a viewer", () => {
  const html = renderPage(PolicyPage(policyProps({ canWrite: false, errors: {} })));
  assert.doesNotMatch(html, /Save policy|Delete policy/);
  const list = renderPage(PolicyListPage({ policies: [], canWrite: false }));
  assert.doesNotMatch(list, /New policy/);
  assert.match(list, /nothing is distributed/);
});

Deno.test("PointListPage() shows each point's reachability and last send", () => {
  const html = renderPage(PointListPage({
    canWrite: true,
    points: [{
      id: 1,
      name: "ids",
      tunnel: "VXLAN",
      destination: "10.0.0.2 :4789",
      detail: "VNI 7",
      usedBy: ["web"],
      reach: {
        status: "unreachable",
        lastSendAt: null,
        lastError: "Network is unreachable",
        lastReportAt: Date.UTC(2026, 11, 5),
      },
    }],
  }));
  const reach = openTags(html, "span").find((t) => attr(t, "data-reach") !== undefined)!;
  assert.equal(attr(reach, "data-reach"), "unreachable");
  assert.match(html, /never/);
  assert.match(html, /New point/);
});
