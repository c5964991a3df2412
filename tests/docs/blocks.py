"""Find the fenced code blocks of a Markdown file and the ``<!-- doc: ... -->`` marker above each.

The rules are written up for authors in docs/README.md ("Code blocks in the docs"):

* A fence is three or more backticks (or tildes), indented by at most three spaces. It is closed by
  a fence of the same character that is at least as long. The first word after the opening fence is
  the block's language; every fence needs one.
* A marker is an HTML comment on the line right before a fence: ``<!-- doc: skip (reason) -->``.
  A marker line that is not followed by a fence is an error, and so is an unknown word in it.

Examples
--------
>>> text = "Intro\\n<!-- doc: run exit=1 -->\\n```bash\\nfalse\\n```\\n"
>>> [block] = parse(text, "x.md")
>>> block.language, block.line, block.marker.run, block.marker.exit, block.code
('bash', 4, True, 1, 'false\\n')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["CODE_LANGUAGES", "Block", "Marker", "MarkerError", "parse"]

# Languages whose blocks are code the harness runs or validates. Any other language (text, promql,
# http, markdown, ...) is output or reference material: it is neither run nor counted.
PYTHON = ("python", "py")
YAML = ("yaml", "yml")
SHELL = ("bash", "sh", "shell", "console")
JSON = ("json",)
CODE_LANGUAGES = PYTHON + YAML + SHELL + JSON

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_MARKER = re.compile(r"^\s*<!--\s*doc:(?P<body>.*?)-->\s*$")
_REASON = re.compile(r"^(?P<word>skip|not-a-project)\s*\((?P<reason>[^()]*(?:\([^()]*\)[^()]*)*)\)\s*")
_OPTION = re.compile(r"^(?P<key>exit|timeout|file)=(?P<value>\S+)$")
_FLAGS = ("run", "suite", "project-fragment")


class MarkerError(ValueError):
    """A marker that does not parse, or a marker with no fence under it."""


@dataclass(frozen=True)
class Marker:
    """What a ``<!-- doc: ... -->`` comment asks of the block below it.

    Examples
    --------
    >>> Marker.parse("skip (needs a running server)").skip
    'needs a running server'
    >>> m = Marker.parse("suite file=suite.yaml")
    >>> m.suite, m.file
    (True, 'suite.yaml')
    """

    skip: str | None = None  # the reason
    not_a_project: str | None = None  # what the YAML is instead
    run: bool = False
    exit: int = 0
    timeout: float = 60.0
    file: str | None = None
    suite: bool = False
    project_fragment: bool = False

    @classmethod
    def parse(cls, body: str) -> Marker:
        text = body.strip()
        values: dict[str, object] = {}
        match = _REASON.match(text)
        if match:
            reason = match["reason"].strip()
            if not reason:
                raise MarkerError(f"'{match['word']} (...)' needs a reason in the parentheses")
            values[match["word"].replace("-", "_")] = reason
            text = text[match.end():]
        for word in text.split():
            option = _OPTION.match(word)
            if option and option["key"] == "file":
                values["file"] = option["value"]
            elif option:
                values[option["key"]] = (int if option["key"] == "exit" else float)(option["value"])
            elif word in _FLAGS:
                values[word.replace("-", "_")] = True
            else:
                raise MarkerError(
                    f"unknown word {word!r} in <!-- doc: {body.strip()} -->; expected skip (reason), "
                    "not-a-project (what it is), run, exit=N, timeout=S, file=NAME, suite or "
                    "project-fragment")
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its code and its marker."""

    path: str  # the file, relative to the repository
    line: int  # the line of the first line of code (1-based)
    language: str
    code: str
    marker: Marker = field(default_factory=Marker)

    @property
    def id(self) -> str:
        """A readable test id, e.g. ``docs/serving.md:42-python``."""
        return f"{self.path}:{self.line}-{self.language or 'none'}"

    @property
    def kind(self) -> str:
        """``python``, ``yaml``, ``shell``, ``json``, or ``other`` for blocks that are not code."""
        for kind, names in (("python", PYTHON), ("yaml", YAML), ("shell", SHELL), ("json", JSON)):
            if self.language in names:
                return kind
        return "other"


def _dedent(lines: list[str], indent: int) -> str:
    out = []
    for line in lines:
        strip = len(line) - len(line.lstrip(" "))
        out.append(line[min(indent, strip):])
    return "".join(f"{line}\n" for line in out)


def parse(text: str, path: str) -> list[Block]:
    """Every fenced block of ``text``, in order; raises :class:`MarkerError` for a bad marker."""
    lines = text.splitlines()
    blocks: list[Block] = []
    pending: tuple[int, str] | None = None  # (line, body) of a marker waiting for its fence
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        marker = _MARKER.match(line)
        if pending is not None and not fence:
            raise MarkerError(f"{path}:{pending[0]}: a <!-- doc: --> marker must be on the line "
                              "right before a fence")
        if marker:
            pending = (i + 1, marker["body"])
            i += 1
            continue
        if not fence:
            i += 1
            continue
        char, length = fence["fence"][0], len(fence["fence"])
        language = fence["info"].strip().split(" ")[0].lower() if fence["info"].strip() else ""
        end = i + 1
        closing = re.compile(rf"^ {{0,3}}{re.escape(char)}{{{length},}}\s*$")
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        try:
            mark = Marker.parse(pending[1]) if pending else Marker()
        except MarkerError as exc:
            raise MarkerError(f"{path}:{pending[0] if pending else i + 1}: {exc}") from None
        blocks.append(Block(path, i + 2, language, _dedent(lines[i + 1:end], len(fence["indent"])),
                            mark))
        pending = None
        i = end + 1
    if pending is not None:
        raise MarkerError(f"{path}:{pending[0]}: a <!-- doc: --> marker must be on the line right "
                          "before a fence")
    return blocks
