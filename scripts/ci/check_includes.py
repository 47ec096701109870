#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Include-graph layering check (spec section 3).

Every #include in libs/ and apps/ is resolved; project headers are followed transitively through
public headers, and every component reached must be an allowed edge in cmake/layering.txt, the
same table cmake/Layering.cmake enforces on the link graph. Exit 1 naming each forbidden edge.
"""
import os
import re
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCE_EXT = (".hpp", ".cpp", ".h", ".cc", ".ipp")


class Policy:
    def __init__(self, path):
        self.allowed = {}
        self.roots = {}      # file -> set of "comp/header" it may include beyond its component
        self.rooted = set()  # components reachable only through a root line
        self.deny = {}       # component -> [header prefix]
        self.external = {}   # external header prefix -> set of components
        with open(path, encoding="utf-8") as fh:
            for number, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                head, sep, tail = line.partition(":")
                if not sep:
                    sys.exit(f"{path}:{number}: malformed line")
                deps = tail.split()
                head = head.strip()
                if head.startswith("root "):
                    rel = head[len("root "):].strip()
                    self.roots.setdefault(rel, set()).update(deps)
                    self.rooted.update(d.split("/")[0] for d in deps)
                elif head.startswith("deny "):
                    self.deny.setdefault(head[len("deny "):].strip(), []).extend(deps)
                elif head.startswith("external "):
                    self.external[head[len("external "):].strip()] = set(deps)
                else:
                    self.allowed[head] = set(deps)


def component_of(rel):
    parts = rel.split("/")
    if parts[0] == "libs" and len(parts) > 2:
        return parts[1]
    if parts[0] == "apps" and len(parts) > 2:
        return parts[1] if parts[2] in ("src", "include") else "exe " + parts[1]
    return None


def resolve_public(root, include):
    parts = include.split("/")
    if len(parts) >= 3 and parts[0] == "rustynet":
        path = os.path.join(root, "libs", parts[1], "include", include)
        return parts[1], path
    return None, None


def scan(root, policy):
    violations = []
    files_scanned = 0
    header_cache = {}

    def direct_includes(path):
        out = []
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                for number, line in enumerate(fh, 1):
                    match = INCLUDE_RE.match(line)
                    if match:
                        out.append((number, match.group(1), match.group(2)))
        except OSError:
            pass
        return out

    def reach(include, seen):
        """Yields (component, include) pairs reachable through a project public header."""
        comp, path = resolve_public(root, include)
        if comp is None or include in seen:
            return
        seen.add(include)
        yield comp, include
        if path not in header_cache:
            header_cache[path] = direct_includes(path)
        for _, _, nested in header_cache[path]:
            yield from reach(nested, seen)

    for top in ("libs", "apps"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith(SOURCE_EXT):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                comp = component_of(rel)
                if comp is None:
                    continue
                files_scanned += 1
                if comp not in policy.allowed:
                    violations.append(f"{rel}: component '{comp}' has no line in cmake/layering.txt")
                    continue
                allowed = policy.allowed[comp]
                root_grants = policy.roots.get(rel, set())
                for number, _, include in direct_includes(path):
                    where = f"{rel}:{number}"
                    if ".." in include.split("/") or "/src/" in include:
                        violations.append(f"{where}: include '{include}' reaches outside the public header set")
                        continue
                    for prefix, owners in policy.external.items():
                        if include.startswith(prefix) and comp not in owners:
                            violations.append(f"{where}: forbidden edge {comp} -> {include} (external header reserved for {', '.join(sorted(owners))})")
                    for prefix in policy.deny.get(comp, []):
                        if include.startswith("rustynet/" + prefix):
                            violations.append(f"{where}: forbidden edge {comp} -> {include} (denied by 'deny {comp}')")
                    direct_comp, _ = resolve_public(root, include)
                    if direct_comp is not None and include[len("rustynet/"):] in root_grants:
                        continue
                    for reached, via in reach(include, set()):
                        if reached == comp:
                            continue
                        through = "" if via == include else f" through {via}"
                        if reached in policy.rooted:
                            violations.append(f"{where}: forbidden edge {comp} -> {reached} (#include <{include}>{through}; only a composition root may include it)")
                        elif reached not in allowed:
                            violations.append(f"{where}: forbidden edge {comp} -> {reached} (#include <{include}>{through})")
                        for prefix in policy.deny.get(comp, []):
                            if via.startswith("rustynet/" + prefix) and via != include:
                                violations.append(f"{where}: forbidden edge {comp} -> {via} (denied by 'deny {comp}', #include <{include}>)")
    return files_scanned, violations


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.getcwd())
    policy = Policy(os.path.join(root, "cmake", "layering.txt"))
    files_scanned, violations = scan(root, policy)
    if files_scanned == 0:
        print("check_includes: scanned zero files; refusing to pass vacuously", file=sys.stderr)
        return 1
    for violation in sorted(set(violations)):
        print(violation, file=sys.stderr)
    if violations:
        print(f"check_includes: {len(set(violations))} layering violation(s) in {files_scanned} files", file=sys.stderr)
        return 1
    print(f"check_includes: {files_scanned} files, no forbidden edges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
