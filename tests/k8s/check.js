// Checks rendered Kubernetes manifests, offline. Called by check.sh.
//
//   node check.js DIR
//
// Every *.yaml file in DIR is one deployable set (one rendered overlay, or the
// Secret templates). Each object is validated against the Kubernetes API
// schema with the kubernetes-models class of its apiVersion and kind (an
// unknown kind fails); workloads and sets are held to the project's rules
// (RULES below). Prints one line per failure, naming the file, the object and
// the rule, then "N passed, M failed"; exits 1 when anything failed.
"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

// The kubernetes-models class for an apiVersion and kind, or null.
function modelClass(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  if (!/^[a-z0-9.]+(\/[a-z0-9]+)?$/.test(apiVersion)) return null;
  let group;
  try {
    group = require(`kubernetes-models/${apiVersion}`);
  } catch (error) {
    return null;
  }
  const model = group[kind];
  // Nested types (DeploymentSpec, ...) are exported too; only top-level
  // objects carry their apiVersion and kind.
  if (typeof model !== "function" || model.apiVersion !== apiVersion || model.kind !== kind) {
    return null;
  }
  return model;
}

function objectName(object) {
  const metadata = object.metadata || {};
  const namespace = metadata.namespace ? `${metadata.namespace}/` : "";
  return `${object.kind}/${namespace}${metadata.name}`;
}

function specOf(object) {
  return object.spec || {};
}

// The pod spec of a workload, or null for objects without pods.
function podSpecOf(object) {
  if (object.kind !== "Deployment" && object.kind !== "StatefulSet") return null;
  return (specOf(object).template || {}).spec || {};
}

function podLabelsOf(object) {
  return ((specOf(object).template || {}).metadata || {}).labels || {};
}

function selectsLabels(selector, labels) {
  const matchLabels = (selector || {}).matchLabels || {};
  const keys = Object.keys(matchLabels);
  return keys.length > 0 && keys.every((key) => labels[key] === matchLabels[key]);
}

function hasEveryQuantity(resources, part) {
  const quantities = (resources || {})[part] || {};
  return quantities.cpu !== undefined && quantities.memory !== undefined;
}

// Rules per container; `pod` is the pod spec the container belongs to.
const CONTAINER_RULES = [
  ["readiness probe", (container) => Boolean(container.readinessProbe)],
  ["liveness probe", (container) => Boolean(container.livenessProbe)],
  ["resource requests (cpu, memory)", (container) => hasEveryQuantity(container.resources, "requests")],
  ["resource limits (cpu, memory)", (container) => hasEveryQuantity(container.resources, "limits")],
  [
    "runAsNonRoot",
    (container, pod) => {
      const own = (container.securityContext || {}).runAsNonRoot;
      return own === true || (own === undefined && (pod.securityContext || {}).runAsNonRoot === true);
    },
  ],
  ["readOnlyRootFilesystem", (container) => (container.securityContext || {}).readOnlyRootFilesystem === true],
  ["allowPrivilegeEscalation false", (container) => (container.securityContext || {}).allowPrivilegeEscalation === false],
  [
    "capabilities drop ALL",
    (container) => (((container.securityContext || {}).capabilities || {}).drop || []).includes("ALL"),
  ],
  [
    "seccompProfile RuntimeDefault",
    (container, pod) => {
      const own = ((container.securityContext || {}).seccompProfile || {}).type;
      const podLevel = ((pod.securityContext || {}).seccompProfile || {}).type;
      return (own || podLevel) === "RuntimeDefault";
    },
  ],
];

// Rules per workload (Deployment or StatefulSet); `set` is every object of its file.
const WORKLOAD_RULES = [
  ["at least 2 replicas", (object) => object.kind !== "Deployment" || specOf(object).replicas >= 2],
  [
    "a PodDisruptionBudget",
    (object, set) =>
      object.kind !== "Deployment" ||
      set.some((other) => other.kind === "PodDisruptionBudget" && selectsLabels(specOf(other).selector, podLabelsOf(object))),
  ],
  [
    "a ServiceAccount with automountServiceAccountToken false",
    (object, set) => {
      const pod = podSpecOf(object);
      const account = set.find(
        (other) => other.kind === "ServiceAccount" && (other.metadata || {}).name === pod.serviceAccountName,
      );
      return Boolean(account) && account.automountServiceAccountToken === false && pod.automountServiceAccountToken === false;
    },
  ],
];

// Rules per set of objects that holds workloads.
const SET_RULES = [
  ["NetworkPolicies present", (set) => set.some((object) => object.kind === "NetworkPolicy")],
  [
    "a default-deny ingress NetworkPolicy",
    (set) =>
      set.some(
        (object) =>
          object.kind === "NetworkPolicy" &&
          Object.keys(specOf(object).podSelector || {}).length === 0 &&
          (specOf(object).policyTypes || []).includes("Ingress") &&
          (specOf(object).ingress || []).length === 0,
      ),
  ],
  [
    "every HorizontalPodAutoscaler targets a Deployment of the set",
    (set) =>
      set
        .filter((object) => object.kind === "HorizontalPodAutoscaler")
        .every((hpa) => {
          const target = specOf(hpa).scaleTargetRef || {};
          return set.some((object) => object.kind === target.kind && (object.metadata || {}).name === target.name);
        }),
  ],
];

class Report {
  constructor() {
    this.passed = 0;
    this.failed = 0;
  }
  record(ok, file, subject, rule, detail) {
    if (ok) {
      this.passed += 1;
      return;
    }
    this.failed += 1;
    console.log(`FAIL ${file}: ${subject}: ${rule}${detail ? `: ${detail}` : ""}`);
  }
}

function validateSchema(object, file, report) {
  const model = modelClass(object.apiVersion, object.kind);
  if (model === null) {
    report.record(false, file, objectName(object), "known apiVersion/kind", `${object.apiVersion} ${object.kind} is not a Kubernetes API kind`);
    return;
  }
  try {
    new model(object).validate();
    report.record(true);
  } catch (error) {
    const detail = (error.errors || []).map((e) => `${e.instancePath} ${e.message}`).join("; ") || error.message;
    report.record(false, file, objectName(object), "Kubernetes API schema", detail);
  }
}

function checkWorkload(object, set, file, report) {
  const pod = podSpecOf(object);
  for (const container of pod.containers || []) {
    const subject = `${objectName(object)} container ${container.name}`;
    for (const [rule, holds] of CONTAINER_RULES) report.record(holds(container, pod), file, subject, rule);
  }
  for (const [rule, holds] of WORKLOAD_RULES) report.record(holds(object, set), file, objectName(object), rule);
}

function checkFile(file, report) {
  const documents = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  const set = [];
  for (const document of documents) {
    if (document.errors.length > 0) {
      report.record(false, path.basename(file), "YAML", "parses", document.errors[0].message);
      continue;
    }
    const object = document.toJS();
    if (object !== null) set.push(object);
  }
  const name = path.basename(file);
  for (const object of set) validateSchema(object, name, report);
  const workloads = set.filter((object) => podSpecOf(object) !== null);
  for (const object of workloads) checkWorkload(object, set, name, report);
  if (workloads.length > 0) {
    for (const [rule, holds] of SET_RULES) report.record(holds(set), name, "set", rule);
  }
}

function main(argv) {
  if (argv.length !== 1) {
    console.error("usage: node check.js DIR (a directory of rendered *.yaml)");
    return 2;
  }
  const directory = argv[0];
  const files = fs
    .readdirSync(directory)
    .filter((name) => name.endsWith(".yaml"))
    .sort();
  const report = new Report();
  if (files.length === 0) report.record(false, directory, "directory", "holds *.yaml files");
  for (const name of files) checkFile(path.join(directory, name), report);
  console.log(`${report.passed} passed, ${report.failed} failed`);
  return report.failed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
