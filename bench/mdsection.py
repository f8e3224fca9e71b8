#!/usr/bin/env python3
"""Replaces a marked section of a Markdown file with a table.

Usage: mdsection.py NAME TABLE_FILE [DOC]   (DOC: docs/BENCHMARKS.md)

Everything between <!-- NAME START --> and <!-- NAME END --> is replaced;
the markers and the section are appended when missing.
"""
import sys


def main():
    name, table_path = sys.argv[1], sys.argv[2]
    path = sys.argv[3] if len(sys.argv) > 3 else "docs/BENCHMARKS.md"
    table = open(table_path).read()
    doc = open(path).read()
    start, end = f"<!-- {name} START -->", f"<!-- {name} END -->"
    if start in doc and end in doc:
        doc = doc.split(start)[0] + start + "\n" + table + "\n" + end + doc.split(end)[1]
    else:
        doc += "\n" + start + "\n" + table + "\n" + end + "\n"
    open(path, "w").write(doc)


if __name__ == "__main__":
    main()
