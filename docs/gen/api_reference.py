"""Write the API reference: one page per module of ``src/qmlsec``, rendered by mkdocstrings.

Run by the ``gen-files`` plugin at build time (see ``mkdocs.yml``), so a module added to
the package has its page in the next build. Every page holds one ``::: qmlsec.x.y``
directive; mkdocstrings reads the docstrings statically (griffe), so modules that need an
optional extra are documented without it.
"""

from __future__ import annotations

from pathlib import Path

import mkdocs_gen_files

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def modules() -> list[tuple[str, ...]]:
    """Dotted module paths (as tuples) of every public module and package, sorted."""
    found: list[tuple[str, ...]] = []
    for path in sorted((SRC / "qmlsec").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts) or parts[-1] == "__main__":
            continue
        if not all(
            (SRC / Path(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))
        ):
            continue  # a folder without __init__.py is not a package (yet)
        found.append(parts)
    return found


def main() -> None:
    nav = mkdocs_gen_files.Nav()  # type: ignore[attr-defined, no-untyped-call]
    for parts in modules():
        doc_path = Path(*parts).with_suffix(".md")
        nav[parts] = doc_path.as_posix()
        with mkdocs_gen_files.open(Path("reference/api") / doc_path, "w") as fd:
            fd.write(f"::: {'.'.join(parts)}\n")
        mkdocs_gen_files.set_edit_path(
            Path("reference/api") / doc_path, Path("..") / "src" / Path(*parts)
        )
    with mkdocs_gen_files.open("reference/api/SUMMARY.md", "w") as fd:
        fd.writelines(nav.build_literate_nav())


main()
