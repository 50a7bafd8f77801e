#!/usr/bin/env python3
"""Checks recorded HTTP exchanges against an OpenAPI 3.1 document.

  openapi_check.py OPENAPI_JSON EXCHANGES_JSONL

Each line of EXCHANGES_JSONL is one exchange:
  {"method", "path" (the request path, query stripped), "status", "content_type", "body"}
Each must have a documented operation (a path template such as
/api/v1/sensors/{id} and the method), its status must be documented for it,
and its content type too; a JSON body must validate against the schema.
Requests no operation answers may get only what x-server-responses lists
(404 for an unknown path, 405 for another method, ...); any request may get
413 or 431 (over the limits, before any route). One line per mismatch, exit
1 if any; else the count checked, exit 0.
"""

import json
import re
import sys

from jsonschema import Draft202012Validator

# Answered before any route sees the request, whatever it asks.
ANY_REQUEST_STATUSES = ("413", "431")


def template_regex(template):
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile(
        "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$"
    )


def media_type(content_type):
    return content_type.split(";", 1)[0].strip().lower()


def describe(error):
    """An error's place and message; for a oneOf or anyOf, why each branch failed."""
    at = "/".join(str(p) for p in error.absolute_path)
    if error.context:
        branches = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], sub)
        message = f"no {error.validator} branch matches: " + "; ".join(
            f"[{i}] {describe(sub)}" for i, sub in sorted(branches.items())
        )
    else:
        message = error.message
    return f"{at}: {message}" if at else message


class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.paths = [(t, template_regex(t), item) for t, item in doc.get("paths", {}).items()]
        self.server = doc.get("x-server-responses", {}).get("responses", {})

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            pointer = node["$ref"]
            if not pointer.startswith("#/"):
                raise ValueError("only local references are supported: " + pointer)
            node = self.doc
            for key in pointer[2:].split("/"):
                node = node[key.replace("~1", "/").replace("~0", "~")]
        return node

    def schema_errors(self, schema, instance):
        # The schema as a subschema of a root holding the document, so that
        # its "#/components/..." references resolve with any jsonschema 4.x.
        root = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc.get("components", {}),
            "allOf": [schema],
        }
        validator = Draft202012Validator(root)
        return sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))

    def check(self, exchange):
        """The mismatches of one exchange, as strings (none: it conforms)."""
        method = exchange["method"].lower()
        path = exchange["path"]
        status = str(exchange["status"])
        where = f"{exchange['method']} {path} {status}"
        matches = [(t, item) for t, regex, item in self.paths if regex.match(path)]
        # A literal path wins over a template ("/a/b" before "/a/{x}").
        matches.sort(key=lambda m: m[0].count("{"))
        operation = next((item[method] for _, item in matches if method in item), None)
        if operation is not None:
            template = next(t for t, item in matches if method in item)
            where = f"{exchange['method']} {template} {status}"
            responses = operation.get("responses", {})
            response = responses.get(status)
            if response is None and status in ANY_REQUEST_STATUSES:
                response = self.server.get(status)
        else:
            response = self.server.get(status)
            if response is None:
                return [f"{where}: no operation documents this request"]
        if response is None:
            return [f"{where}: the status is not documented for this operation"]
        response = self.deref(response)
        content = response.get("content", {})
        body = exchange.get("body", "")
        if not content:
            return [] if not body else [f"{where}: a body where none is documented"]
        given = media_type(exchange.get("content_type", ""))
        media = next((v for k, v in content.items() if media_type(k) == given), None)
        if media is None:
            return [f"{where}: content type {given or '(none)'} is not documented "
                    f"(documented: {', '.join(content)})"]
        if not (given == "application/json" or given.endswith("+json")):
            return []
        try:
            instance = json.loads(body)
        except ValueError as e:
            return [f"{where}: the body is not JSON: {e}"]
        schema = media.get("schema", {})
        out = []
        for error in self.schema_errors(schema, instance):
            out.append(f"{where}: {describe(error)}")
        return out


def main(argv):
    if len(argv) != 3:
        print("usage: openapi_check.py OPENAPI_JSON EXCHANGES_JSONL", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"openapi_check: {argv[1]}: {e}", file=sys.stderr)
        return 2
    checker = Checker(doc)
    count = 0
    failures = 0
    with open(argv[2], encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                exchange = json.loads(line)
            except ValueError as e:
                print(f"openapi_check: {argv[2]}:{number}: not JSON: {e}", file=sys.stderr)
                return 2
            count += 1
            for mismatch in checker.check(exchange):
                failures += 1
                print(mismatch)
    if failures:
        print(f"{failures} mismatches in {count} responses")
        return 1
    print(f"{count} responses conform to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
