"""Structural checks of `sealexec check --sarif` output, for the check-sarif*
scenarios. They hold whether or not the SARIF validator could be installed:
the properties SARIF 2.1.0 requires, ruleIndex consistency, URI references
that decode to the exact bytes of a path, and UTF-8 throughout.

  python3 sarif_check.py FILE   checks FILE; exit 1 with the reason

Scenarios import it (sys.path) for load() and decode_uri().
"""

import json
import re
import sys
import urllib.parse

LEVELS = {"none", "note", "warning", "error"}
# What sealexec writes: unreserved characters, '/' and %XX, nothing else.
ENCODED_PATH = re.compile(r"^(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})+$")
BASE_ID = "%SRCROOT%"


def load(path):
    raw = open(path, "rb").read()
    # Strict: a byte that is not UTF-8 anywhere fails here.
    text = raw.decode("utf-8")
    assert text.endswith("}\n"), "the log is not one document and a newline"
    return json.loads(text)


def decode_uri(uri):
    """The bytes of the path `uri` names (relative or file://)."""
    path = uri[len("file://"):] if uri.startswith("file://") else uri
    assert ENCODED_PATH.match(path), f"not a percent-encoded path: {uri!r}"
    if uri.startswith("file://"):
        assert path.startswith("/"), uri
    return urllib.parse.unquote_to_bytes(path)


def check_artifact(artifact, run, where):
    uri = artifact["uri"]
    decode_uri(uri)
    if uri.startswith("file://"):
        assert "uriBaseId" not in artifact, f"{where}: absolute URI with a base: {artifact}"
    else:
        assert not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", uri), f"{where}: has a scheme: {uri}"
        assert artifact.get("uriBaseId") == BASE_ID, f"{where}: relative URI without base"
        base = run["originalUriBaseIds"][BASE_ID]["uri"]
        assert base.startswith("file:///") and base.endswith("/"), base


def check_location(location, run, where):
    check_artifact(location["physicalLocation"]["artifactLocation"], run, where)


def check(doc):
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json", doc["$schema"]
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1, "one run"
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "sealexec"
    assert re.match(r"^\d+\.\d+\.\d+", driver["version"]), driver["version"]
    rules = driver["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids)), f"duplicate rule ids: {ids}"
    for rule in rules:
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"].strip(), f"rule {rule['id']}: empty {key}"
        assert rule["defaultConfiguration"]["level"] in LEVELS, rule
        # A relative helpUri is not allowed, and the project has no web site.
        assert "helpUri" not in rule, rule
        assert "docs/check-sarif.md" in rule["help"]["text"], rule
    for i, result in enumerate(run["results"]):
        where = f"results[{i}]"
        index = result["ruleIndex"]
        assert isinstance(index, int) and 0 <= index < len(rules), f"{where}: {index}"
        assert rules[index]["id"] == result["ruleId"], f"{where}: ruleIndex/ruleId differ"
        assert result["level"] in LEVELS, where
        assert result["level"] == rules[index]["defaultConfiguration"]["level"], where
        assert result["message"]["text"].strip(), where
        assert len(result["locations"]) == 1, where
        check_location(result["locations"][0], run, where)
        for flow in result.get("codeFlows", []):
            for thread in flow["threadFlows"]:
                assert thread["locations"], where
                for step in thread["locations"]:
                    check_location(step["location"], run, where + ".codeFlows")
        for related in result.get("relatedLocations", []):
            check_location(related, run, where + ".relatedLocations")
    invocations = run["invocations"]
    assert len(invocations) == 1
    invocation = invocations[0]
    notifications = invocation["toolExecutionNotifications"]
    assert invocation["executionSuccessful"] is (not notifications), invocation
    for note in notifications:
        assert note["level"] == "error" and note["message"]["text"].strip(), note
        for location in note["locations"]:
            check_location(location, run, "notification")
    return run


if __name__ == "__main__":
    try:
        check(load(sys.argv[1]))
    except (AssertionError, KeyError, TypeError, ValueError) as error:
        print(f"{sys.argv[1]}: not the SARIF log expected: {type(error).__name__}: {error}",
              file=sys.stderr)
        sys.exit(1)
