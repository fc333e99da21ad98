#!/usr/bin/env python3
"""Pulls node-set expressions out of ClusterShell's own test suite (tests/NodeSetTest.py,
CLINodesetTest.py, RangeSetTest.py, RangeSetNDTest.py of github.com/cea-hpc/clustershell) for
corpus.txt. Only the string literals are taken, never code: the first string argument of
NodeSet(...), fold/expand, set operations and the like, the string list of fromlist(...),
the non-option strings of the CLI tests' argument lists and stdin, and RangeSet strings
wrapped as n[...] so the bracket grammar is exercised too.

usage: extract_corpus.py CLUSTERSHELL_TESTS_DIR > expressions.txt
"""
import ast
import os
import sys

NODESET_CALLS = {"NodeSet", "NodeSetBase", "fold", "expand", "update", "union", "difference",
                 "difference_update", "intersection", "intersection_update", "symmetric_difference",
                 "symmetric_difference_update", "add", "remove", "issubset", "issuperset", "_fromlist1",
                 "fromlist", "__contains__"}
RANGESET_CALLS = {"RangeSet"}


def call_name(node):
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def strings_in(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            yield from strings_in(element)


def expressions(path):
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = call_name(node)
        if name in NODESET_CALLS:
            yield from strings_in(node.args[0])
        elif name in RANGESET_CALLS:
            for text in strings_in(node.args[0]):
                yield "n[" + text + "]"
        elif name == "_nodeset_t":  # CLI tests: (argv list, stdin, expected, ...)
            for text in strings_in(node.args[0]):
                if not text.startswith("-"):
                    yield text
            if len(node.args) > 1:
                for text in strings_in(node.args[1]):
                    yield from text.split("\n")


def main():
    root = sys.argv[1]
    seen = set()
    for name in ("NodeSetTest.py", "CLINodesetTest.py", "RangeSetTest.py", "RangeSetNDTest.py"):
        for text in expressions(os.path.join(root, name)):
            if text and "\n" not in text and "\r" not in text and text not in seen:
                seen.add(text)
                print(text)


if __name__ == "__main__":
    main()
