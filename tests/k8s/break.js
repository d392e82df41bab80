// The negative self-test's input: copies a directory of rendered manifests
// (check.sh's rendering) and breaks it on purpose, one rule per change.
//
//   node break.js RENDERED_DIR BROKEN_DIR
//
// Writes BROKEN_DIR/*.yaml and BROKEN_DIR/expected-failures.txt, one line per
// change: a piece of the failure line check.js must print for it. check.sh
// runs the check on BROKEN_DIR and fails unless every expected line appears.
"use strict";

const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

function find(set, kind, name) {
  const object = set.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) throw new Error(`break.js: no ${kind}/${name} in the rendered manifests`);
  return object;
}

function container(workload, name) {
  return workload.spec.template.spec.containers.find((candidate) => candidate.name === name);
}

// Each change breaks one rule of check.js; returns the failure it must cause.
const CHANGES = [
  (set) => {
    delete container(find(set, "Deployment", "case-service"), "service").readinessProbe;
    return "Deployment/herstel/case-service container service: readiness probe";
  },
  (set) => {
    delete container(find(set, "Deployment", "case-service"), "service").livenessProbe;
    return "Deployment/herstel/case-service container service: liveness probe";
  },
  (set) => {
    delete container(find(set, "Deployment", "escalation-service"), "service").resources.limits;
    return "Deployment/herstel/escalation-service container service: resource limits";
  },
  (set) => {
    find(set, "Deployment", "mandate-service").spec.replicas = 1;
    return "Deployment/herstel/mandate-service: at least 2 replicas";
  },
  (set) => {
    set.splice(set.indexOf(find(set, "PodDisruptionBudget", "escalation-service")), 1);
    return "Deployment/herstel/escalation-service: a PodDisruptionBudget";
  },
  (set) => {
    container(find(set, "Deployment", "reporting-service"), "service").securityContext.capabilities.drop = [];
    return "Deployment/herstel/reporting-service container service: capabilities drop ALL";
  },
  (set) => {
    const workload = find(set, "Deployment", "mandate-service");
    delete container(workload, "service").securityContext.runAsNonRoot;
    delete workload.spec.template.spec.securityContext.runAsNonRoot;
    return "Deployment/herstel/mandate-service container service: runAsNonRoot";
  },
  (set) => {
    container(find(set, "StatefulSet", "postgres"), "postgres").securityContext.readOnlyRootFilesystem = false;
    return "StatefulSet/herstel/postgres container postgres: readOnlyRootFilesystem";
  },
  (set) => {
    find(set, "Service", "mandate-service").spec.ports[0].port = "grpc-port";
    return "Service/herstel/mandate-service: Kubernetes API schema";
  },
  (set) => {
    set.push({ apiVersion: "herstel.example/v1", kind: "Widget", metadata: { name: "unknown", namespace: "herstel" } });
    return "Widget/herstel/unknown: known apiVersion/kind";
  },
  (set) => {
    for (let index = set.length - 1; index >= 0; index -= 1) {
      if (set[index].kind === "NetworkPolicy") set.splice(index, 1);
    }
    return "set: NetworkPolicies present";
  },
];

function main([renderedDir, brokenDir]) {
  if (!renderedDir || !brokenDir) {
    console.error("usage: node break.js RENDERED_DIR BROKEN_DIR");
    return 2;
  }
  fs.mkdirSync(brokenDir, { recursive: true });
  const files = fs.readdirSync(renderedDir).filter((name) => name.endsWith(".yaml"));
  const expected = [];
  for (const name of files) {
    const set = YAML.parseAllDocuments(fs.readFileSync(path.join(renderedDir, name), "utf8"))
      .map((document) => document.toJS())
      .filter((object) => object !== null);
    if (set.some((object) => object.kind === "Deployment")) {
      for (const change of CHANGES) expected.push(`FAIL ${name}: ${change(set)}`);
    }
    fs.writeFileSync(path.join(brokenDir, name), set.map((object) => YAML.stringify(object)).join("---\n"));
  }
  fs.writeFileSync(path.join(brokenDir, "expected-failures.txt"), expected.join("\n") + "\n");
  return expected.length > 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
