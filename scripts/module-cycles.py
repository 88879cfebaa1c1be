#!/usr/bin/env python3
"""Reports import cycles between the source files of a crate.

A file depends on another when it names one of its items through a
`crate::`, `super::` or `self::` path (in a `use` or inline). Each cycle of
the file graph (a strongly connected component of two or more files) is
printed with the imports that close it. Exit status 1 when any is found.

Usage: scripts/module-cycles.py [--tests] CRATE_DIR...
  (default: contracts/* and packages/*)
  --tests also counts imports inside `#[cfg(test)]` modules.
"""

import pathlib
import re
import sys

DEFAULT_CRATES = [
    "contracts/marketplace",
    "contracts/settlement",
    "contracts/hpc",
    "contracts/waldur-callback",
    "packages/ve-cw",
    "packages/ve-types",
    "packages/ve-interface",
    "packages/waldur",
    "packages/waldur-emulator",
    "packages/relayer",
    "packages/ve-testing",
    "packages/ve-state",
]

TOKEN = re.compile(
    r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]"  # a cfg(test) attribute
    r"|(?:pub(?:\([^)]*\))?\s+)?mod\s+(?P<module>\w+)\s*\{"  # an inline module opens
    r"|(?P<public>\bpub(?:\([^)]*\))?\s+)?\buse\s+(?P<tree>[^;]*);"  # a use declaration
    r"|\b(?P<path>\w+(?:\s*::\s*\w+)+)"  # an inline path
    r"|[{}]"
)


def strip_comments_and_strings(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def expand_use_tree(tree):
    """`a::{b, c::{d}}` -> [[a, b], [a, c, d]] (globs and `self` kept)."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)

    def parse(s):
        # returns list of paths for a comma separated list of trees
        out, depth, start = [], 0, 0
        parts = []
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        for part in filter(None, parts):
            if "{" in part:
                prefix, rest = part.split("{", 1)
                inner = rest[: rest.rfind("}")]
                head = [p for p in prefix.split("::") if p]
                for sub in parse(inner):
                    out.append(head + [p for p in sub if p != "self"])
            else:
                out.append([p for p in part.split("::") if p])
        return out

    return parse(tree)


def module_of(src, path):
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts in (["lib"], ["main"]):
        return ()
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def resolve(segments, current, files, reexports=None):
    """The file holding the longest module prefix of a crate-local path
    (`crate::`, `super::`, `self::` or a child module's name); a name the
    crate root re-exports stands for the file that defines it."""
    if not segments:
        return None
    if tuple(current) + (segments[0],) in files:
        base, rest = tuple(current), segments
    elif segments[0] == "crate":
        base, rest = (), segments[1:]
    elif segments[0] in ("super", "self"):
        base, rest = tuple(current), segments
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    else:
        return None
    full = base + tuple(rest)
    for n in range(len(full), -1, -1):
        if full[:n] in files:
            if n == 0 and full and reexports and full[0] in reexports:
                return reexports[full[0]]
            return files[full[:n]]
    return None


def file_edges(path, src, files, count_tests, reexports=None, count_pub_use=False):
    """Yields (target module file, import text) for each crate-local path.
    A `pub use` only re-exports (a facade module over private children),
    so it counts only with count_pub_use."""
    module = module_of(src, path)
    text = strip_comments_and_strings(path.read_text())
    stack = []  # (inline module name, depth it opened at, is test)
    depth = 0
    pending_test = False
    for m in TOKEN.finditer(text):
        tok = m.group(0)
        if tok.startswith("#"):
            pending_test = True
            continue
        if m.group("module"):
            in_test = pending_test or any(t for _, _, t in stack)
            depth += 1
            stack.append((m.group("module"), depth, in_test))
            pending_test = False
            continue
        if tok == "{":
            depth += 1
            continue
        if tok == "}":
            if stack and stack[-1][1] == depth:
                stack.pop()
            depth -= 1
            continue
        tree = m.group("tree")
        in_test = any(t for _, _, t in stack) or (pending_test and tree)
        pending_test = False
        if in_test and not count_tests:
            continue
        if m.group("public") and not count_pub_use:
            continue
        current = module + tuple(name for name, _, _ in stack)
        if tree:
            paths = expand_use_tree(tree)
        else:
            paths = [re.sub(r"\s", "", m.group("path")).split("::")]
        for segments in paths:
            target = resolve(segments, current, files, reexports)
            if target is not None and target != path:
                yield target, "::".join(segments)


def strongly_connected(graph):
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def crate_cycles(crate, count_tests):
    src = crate / "src"
    files = {}
    for path in sorted(src.rglob("*.rs")):
        if "bin" in path.relative_to(src).parts:
            continue
        files[module_of(src, path)] = path
    # The root only declares the modules and re-exports their items: its
    # `pub use`s are not imports, and a `crate::Name` it re-exports points
    # at the file that defines Name.
    root = files[()]
    reexports = {}
    for target, text in file_edges(root, src, files, True, count_pub_use=True):
        reexports[text.split("::")[-1]] = target
    graph, why = {}, {}
    for path in files.values():
        if path == root:
            continue
        for target, text in file_edges(path, src, files, count_tests, reexports):
            graph.setdefault(path, set()).add(target)
            why.setdefault((path, target), set()).add(text)
    found = []
    for comp in strongly_connected(graph):
        if len(comp) < 2:
            continue
        members = set(comp)
        lines = []
        for a in sorted(members):
            for b in sorted(graph.get(a, ()) & members):
                uses = ", ".join(sorted(why[(a, b)]))
                lines.append(f"  {a.relative_to(src)} -> {b.relative_to(src)}: {uses}")
        found.append(lines)
    return found


def main(argv):
    count_tests = "--tests" in argv
    crates = [a for a in argv if not a.startswith("--")] or DEFAULT_CRATES
    root = pathlib.Path(__file__).resolve().parent.parent
    total = 0
    for crate in crates:
        path = pathlib.Path(crate)
        if not path.is_absolute():
            path = root / path
        for lines in crate_cycles(path, count_tests):
            total += 1
            print(f"{crate}: cycle")
            print("\n".join(lines))
    if total:
        print(f"{total} cycle(s)")
        return 1
    print("no module cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
