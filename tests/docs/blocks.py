"""Run the code blocks of the documentation pages, in page order.

A page's blocks share one Python namespace and one working directory, as a reader typing
them one after the other would. What runs:

* ``python`` blocks: executed (and written to ``NAME`` when the first line is
  ``# file: NAME``);
* ``pycon`` blocks (``>>>`` prompts): run as a doctest, outputs compared;
* ``bash`` / ``console`` blocks (``\\`` continuations joined, comments and a leading ``$``
  dropped): a block of plain ``qmlsec ...`` commands runs them in-process through
  Typer's test runner (no interpreter start-up per command); a block with any other
  command runs as one ``bash -e -o pipefail`` script (its variables carry from line to
  line); in a block with a command ending in ``&``, that command starts in the
  background (stopped when the page ends) and each other line runs on its own;
* ``yaml`` / ``toml`` blocks: parsed (a syntax error fails), and written to ``NAME``
  when the first line is ``# file: NAME``.

Other languages (``text``, output samples) are not code and are not run.

An HTML comment on the line before a block marks it:

* ``<!-- docs-test: slow -->`` runs only with ``-m slow`` (the page's slow test runs
  every block, slow or not, in order);
* ``<!-- docs-test: requires MODULE -->`` skips the rest of the page when ``MODULE``
  (an optional extra) is not installed;
* ``<!-- docs-test: exit N -->`` expects exit code ``N`` from its (single) command;
* ``<!-- docs-test: skip REASON -->`` never runs it (the reason is shown).
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import os
import re
import shlex
import signal
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DOCS = Path(__file__).resolve().parents[2] / "docs"
RUN_LANGS = {"python", "pycon", "bash", "console", "shell", "yaml", "toml"}
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```\s*$",
                   re.MULTILINE | re.DOTALL)  # fmt: skip
MARK = re.compile(r"<!--\s*docs-test:\s*(?P<what>[a-z]+)\s*(?P<arg>[^>]*?)\s*-->\s*$")


@dataclass
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    lang: str
    body: str
    marks: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(DOCS.parent)}:{self.line}"

    @property
    def slow(self) -> bool:
        return "slow" in self.marks


def blocks(page: Path) -> list[Block]:
    """The code blocks of ``page`` that run, with their marks."""
    text = page.read_text(encoding="utf-8")
    found: list[Block] = []
    for m in FENCE.finditer(text):
        lang = m.group("lang").lower()
        if lang not in RUN_LANGS:
            continue
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marks: dict[str, str] = {}
        mark = MARK.search(before)
        if mark:
            marks[mark.group("what")] = mark.group("arg")
        indent = len(m.group("indent"))
        body = "\n".join(line[indent:] for line in m.group("body").splitlines())
        found.append(Block(page, text.count("\n", 0, m.start()) + 1, lang, body, marks))
    return found


def pages() -> list[Path]:
    """The hand-written pages whose blocks are run: tutorials, concepts and the home page."""
    return sorted([DOCS / "index.md", *DOCS.glob("concepts/*.md"), *DOCS.glob("tutorials/*.md")])


def commands(body: str) -> list[str]:
    """Shell commands of a block: continuations joined, comments and prompts dropped."""
    out: list[str] = []
    pending = ""
    for raw in body.splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending and line.startswith("$ "):
            line = line[2:]
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return out


class Session:
    """The namespace, working directory and background processes of one page."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.namespace: dict[str, Any] = {"__name__": "__docs__"}
        self.background: list[subprocess.Popen[bytes]] = []
        self.env = dict(os.environ)
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env.get('PATH', '')}"

    def close(self) -> None:
        for proc in self.background:  # each started in its own session: stop the group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)

    # ------------------------------------------------------------------ runners
    def run(self, block: Block) -> None:
        if block.lang == "python":
            self._write(block)
            code = compile(block.body, block.where, "exec")
            exec(code, self.namespace)
        elif block.lang == "pycon":
            self._doctest(block)
        elif block.lang in ("bash", "console", "shell"):
            expected = int(block.marks.get("exit", "0") or 0)
            cmds = commands(block.body)
            if any(not _plain_qmlsec(c) for c in cmds) and not any(c.endswith("&") for c in cmds):
                self._script(block, "\n".join(cmds), expected)  # one shell: variables carry
            else:
                for cmd in cmds:
                    self._command(block, cmd, expected)
        else:
            self._data(block)

    def _doctest(self, block: Block) -> None:
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block.body, self.namespace, block.where, block.where, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        report: list[str] = []
        runner.run(test, out=report.append, clear_globs=False)
        self.namespace.update(test.globs)  # DocTest works on a copy of the namespace
        if runner.failures:
            raise AssertionError(f"{block.where}: example failed\n" + "".join(report))

    def _script(self, block: Block, script: str, expected: int) -> None:
        done = subprocess.run(["/bin/bash", "-e", "-o", "pipefail", "-c", script], cwd=self.cwd,
                              env=self.env, text=True, capture_output=True, timeout=600)  # fmt: skip
        if done.returncode != expected:
            raise AssertionError(
                f"{block.where}: the block exited {done.returncode}, expected {expected}\n"
                f"{(done.stdout + done.stderr)[-3000:]}"
            )

    def _command(self, block: Block, cmd: str, expected: int) -> None:
        if cmd.endswith("&"):
            proc = subprocess.Popen(cmd[:-1], shell=True, cwd=self.cwd, env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)  # fmt: skip
            self.background.append(proc)
            return
        words = shlex.split(cmd, comments=True)
        if _plain_qmlsec(cmd):
            from typer.testing import CliRunner

            from qmlsec.cli.main import app

            result = CliRunner().invoke(app, words[1:])
            code, output = result.exit_code, result.output
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise AssertionError(f"{block.where}: `{cmd}` raised") from result.exception
        else:
            done = subprocess.run(cmd, shell=True, cwd=self.cwd, env=self.env, text=True,
                                  capture_output=True, executable="/bin/bash", timeout=600)  # fmt: skip
            code, output = done.returncode, done.stdout + done.stderr
        if code != expected:
            raise AssertionError(
                f"{block.where}: `{cmd}` exited {code}, expected {expected}\n{output[-3000:]}"
            )

    def _write(self, block: Block) -> None:
        """Write the block to the file its ``# file: NAME`` first line names, if any."""
        first = block.body.splitlines()[0] if block.body else ""
        m = re.match(r"^#\s*file:\s*(\S+)\s*$", first)
        if m:
            target = self.cwd / m.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.body + "\n", encoding="utf-8")

    def _data(self, block: Block) -> None:
        if block.lang == "yaml":
            yaml.safe_load(block.body)
        else:
            tomllib.loads(block.body)
        self._write(block)


def _plain_qmlsec(cmd: str) -> bool:
    """A ``qmlsec`` command without shell syntax (run in-process)."""
    words = shlex.split(cmd, comments=True)
    return bool(words) and words[0] == "qmlsec" and not any(c in cmd for c in "|><;`$&")


def missing(module: str) -> bool:
    """Whether an optional module is absent."""
    return importlib.util.find_spec(module) is None
