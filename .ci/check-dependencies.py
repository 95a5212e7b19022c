#!/usr/bin/env python3
"""Licence and ban check of the dependency tree, offline.

Reads `cargo metadata` for this machine's platform (every crate a build or test here uses,
dev-dependencies included) and fails when:
- a crate's licence expression cannot be satisfied with the allowed licences below;
- a crate has no SPDX licence expression (only a licence file) and is not listed as reviewed;
- a banned crate is in the tree (OpenSSL and native TLS: the clients use rustls);
- a crate comes from anywhere but crates.io or this workspace (no git or foreign registries).

Exit status 0 when the tree is clean. Needs only Python 3 and cargo; run it after the build
has fetched the crates (it first tries without the network).
"""

import json
import re
import subprocess
import sys

ALLOWED = {
    "MIT",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "0BSD",
    "BSL-1.0",
    "CC0-1.0",
    "Unlicense",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "CDLA-Permissive-2.0",
    "MPL-2.0",
}

# Crates whose licence was reviewed by hand because they ship a licence file instead of an
# SPDX expression: name -> the licence the file holds.
REVIEWED_LICENSE_FILES = {}

BANNED = {
    "openssl": "the clients use rustls; OpenSSL needs a system library",
    "openssl-sys": "the clients use rustls; OpenSSL needs a system library",
    "native-tls": "the clients use rustls",
}

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def host_triple():
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("host: "):
            return line[len("host: "):].strip()
    raise SystemExit("rustc -vV did not name the host")


def metadata():
    base = [
        "cargo", "metadata", "--format-version", "1", "--locked",
        "--filter-platform", host_triple(),
    ]
    for extra in (["--offline"], []):
        result = subprocess.run(base + extra, capture_output=True, text=True)
        if result.returncode == 0:
            return json.loads(result.stdout)
    sys.stderr.write(result.stderr)
    raise SystemExit("cargo metadata failed")


def tokens(expression):
    return re.findall(r"\(|\)|[^\s()]+", expression.replace("/", " OR "))


def satisfiable(expression):
    """Evaluates an SPDX expression: OR needs one allowed side, AND needs both."""
    items = tokens(expression)
    position = 0

    def peek():
        return items[position] if position < len(items) else None

    def take():
        nonlocal position
        position += 1
        return items[position - 1]

    def primary():
        token = take()
        if token == "(":
            value = disjunction()
            if take() != ")":
                raise ValueError("unbalanced parentheses")
            return value
        licence = token
        if peek() == "WITH":
            take()
            licence = f"{licence} WITH {take()}"
        return licence in ALLOWED

    def conjunction():
        value = primary()
        while peek() == "AND":
            take()
            right = primary()
            value = value and right
        return value

    def disjunction():
        value = conjunction()
        while peek() == "OR":
            take()
            right = conjunction()
            value = value or right
        return value

    value = disjunction()
    if position != len(items):
        raise ValueError(f"unexpected {items[position]!r}")
    return value


def self_test():
    """The evaluator itself, on expressions whose verdict is known."""
    cases = {
        "MIT": True,
        "GPL-3.0": False,
        "MIT OR GPL-3.0": True,
        "MIT AND GPL-3.0": False,
        "(MIT OR Apache-2.0) AND Unicode-3.0": True,
        "(GPL-3.0 OR LGPL-2.1) AND MIT": False,
        "Apache-2.0 WITH LLVM-exception OR GPL-2.0": True,
        "GPL-2.0 WITH Classpath-exception-2.0": False,
        "MIT/Apache-2.0": True,
        "Apache-2.0 / MIT": True,
    }
    for expression, expected in cases.items():
        if satisfiable(expression) != expected:
            raise SystemExit(f"licence evaluator is wrong about {expression!r}")


def main():
    self_test()
    meta = metadata()
    workspace = set(meta["workspace_members"])
    problems = []
    for package in meta["packages"]:
        name, version = package["name"], package["version"]
        who = f"{name} {version}"
        if name in BANNED:
            problems.append(f"{who}: banned ({BANNED[name]})")
        if package["id"] in workspace:
            continue
        if package.get("source") != CRATES_IO:
            problems.append(f"{who}: comes from {package.get('source')}, not crates.io")
        licence = package.get("license")
        if not licence:
            if name not in REVIEWED_LICENSE_FILES:
                problems.append(
                    f"{who}: no SPDX licence (file {package.get('license_file')}); review it "
                    "and add it to REVIEWED_LICENSE_FILES"
                )
            continue
        try:
            if not satisfiable(licence):
                problems.append(f"{who}: licence {licence!r} is not allowed")
        except (ValueError, IndexError) as error:
            problems.append(f"{who}: licence {licence!r} cannot be read ({error})")
    checked = len(meta["packages"]) - len(workspace)
    if problems:
        print(f"dependency check: {len(problems)} problem(s) in {checked} crates")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"dependency check: {checked} crates, every licence allowed, no banned crate, all from crates.io")
    return 0


if __name__ == "__main__":
    sys.exit(main())
