#!/usr/bin/env python3
"""Extracts the schema keywords of the Gateway API CRDs into a fixture for TollgateAdmission's tests.

For every field of GatewayClass, Gateway, HTTPRoute, ReferenceGrant and BackendTLSPolicy (the
storage version of each CRD, `spec` only) this writes one rule per keyword among maxLength,
minLength, maxItems, minItems, maxProperties, minimum, maximum, pattern and enum. Paths are dotted,
`[]` for list items and `{}` for map values: `spec.listeners[].tls.certificateRefs[].name`.

The standard channel is the source; where the experimental channel's httproutes.yaml puts a pattern
on a string field that has none in the standard channel (HTTPRoute header match values), the
experimental pattern is used, marked `"channel": "experimental"`. For each pattern the fixture names
a sample value that violates it (chosen here with Python's `re.search`, which agrees with RE2 on
these patterns), so the Swift test needs no regex engine.

CEL rules (x-kubernetes-validations) are not extracted: they are tested by hand.

Usage: scripts/crd-rules.py [CRD_ROOT] [OUTPUT]
  CRD_ROOT defaults to /work/shared/gateway-api-crds (with standard/ and experimental/),
  OUTPUT to Tests/TollgateTests/Fixtures/crd-rules.json next to this script's repository.
Requires PyYAML.
"""

import json
import os
import re
import sys

import yaml

KINDS = [
    ("GatewayClass", "gatewayclasses.yaml"),
    ("Gateway", "gateways.yaml"),
    ("HTTPRoute", "httproutes.yaml"),
    ("ReferenceGrant", "referencegrants.yaml"),
    ("BackendTLSPolicy", "backendtlspolicies.yaml"),
]
KEYWORDS = ["maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minimum", "maximum", "pattern", "enum"]

# Values tried, in order, to find one that violates a pattern.
PATTERN_CANDIDATES = ["a b", " ", "-", "Invalid Value", "x", "no-scheme", "a\nb", "%zz", "/", ""]


def storage_schema(path):
    with open(path) as f:
        crd = yaml.safe_load(f)
    for version in crd["spec"]["versions"]:
        if version.get("storage"):
            return crd["spec"]["names"]["kind"], version["schema"]["openAPIV3Schema"]
    raise SystemExit(f"{path}: no storage version")


def walk(schema, path, out):
    """Yields (path, schema) for every node under `path`."""
    out.append((path, schema))
    for name, child in sorted((schema.get("properties") or {}).items()):
        walk(child, f"{path}.{name}" if path else name, out)
    if isinstance(schema.get("items"), dict):
        walk(schema["items"], path + "[]", out)
    if isinstance(schema.get("additionalProperties"), dict):
        walk(schema["additionalProperties"], path + "{}", out)


def nodes(schema):
    out = []
    walk(schema["properties"]["spec"], "spec", out)
    return out


def violating_sample(pattern):
    for candidate in PATTERN_CANDIDATES:
        if not re.search(pattern, candidate):
            return candidate
    raise SystemExit(f"no candidate violates {pattern!r}; add one to PATTERN_CANDIDATES")


def rules_for(kind, standard, experimental):
    stricter = {}
    if experimental is not None:
        for path, node in nodes(experimental):
            if "pattern" in node:
                stricter[path] = node["pattern"]
    rules = []
    for path, node in nodes(standard):
        keywords = {k: node[k] for k in KEYWORDS if k in node}
        channel = {}
        if node.get("type") == "string" and path in stricter:
            if "pattern" not in keywords:
                keywords["pattern"] = stricter[path]
                channel["pattern"] = "experimental"
            elif keywords["pattern"] != stricter[path]:
                print(f"warning: {kind} {path}: standard and experimental patterns differ; keeping standard",
                      file=sys.stderr)
        for keyword in KEYWORDS:
            if keyword not in keywords:
                continue
            rule = {"kind": kind, "path": path, "keyword": keyword, "value": keywords[keyword],
                    "channel": channel.get(keyword, "standard")}
            if keyword == "pattern":
                rule["violating"] = violating_sample(keywords[keyword])
            rules.append(rule)
    return rules


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/gateway-api-crds"
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        here, "..", "Tests", "TollgateTests", "Fixtures", "crd-rules.json")
    rules = []
    for kind, file_name in KINDS:
        name, standard = storage_schema(os.path.join(root, "standard", file_name))
        assert name == kind, (name, kind)
        experimental_path = os.path.join(root, "experimental", file_name)
        experimental = storage_schema(experimental_path)[1] if os.path.exists(experimental_path) else None
        rules += rules_for(kind, standard, experimental)
    fixture = {
        "source": "Gateway API v1.6.1 CRDs (storage versions), standard channel; stricter experimental "
                  "patterns where channel is experimental. Generated by scripts/crd-rules.py.",
        "rules": rules,
    }
    with open(output, "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True, ensure_ascii=True)
        f.write("\n")
    print(f"{len(rules)} rules -> {os.path.normpath(output)}")


if __name__ == "__main__":
    main()
