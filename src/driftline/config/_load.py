"""Read a project file: YAML → validated :class:`ProjectConfig`, with paths resolved."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftline.config._model import ProjectConfig
from driftline.errors import ConfigError, require

__all__ = ["Project", "load_project"]


@dataclass(frozen=True)
class Project:
    """A loaded project file: the validated config and the folder it lives in.

    Relative paths in the file (reference data, artifact root, SQLite database) are relative
    to that folder, and :meth:`activate` puts the folder on ``sys.path`` so that
    ``package.module:function`` finds the user's code.

    Examples
    --------
    >>> p = Project(ProjectConfig.model_construct(), Path("/srv/credit/driftline.yaml"))
    >>> str(p.base_dir), str(p.resolve("data/ref.csv"))
    ('/srv/credit', '/srv/credit/data/ref.csv')
    """

    config: ProjectConfig
    path: Path

    @property
    def base_dir(self) -> Path:
        """The folder of the project file."""
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path from the file, resolved against the project folder."""
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    @property
    def reference_path(self) -> Path:
        """The reference data file."""
        return self.resolve(self.config.reference.path)

    @property
    def store_url(self) -> str:
        """The store URL, with a relative SQLite path made absolute."""
        url = self.config.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
            return prefix + str(self.resolve(url[len(prefix):]))
        return url

    def activate(self) -> None:
        """Put the project folder first on ``sys.path``."""
        folder = str(self.base_dir)
        if sys.path[:1] != [folder]:  # first, so this project's modules win over another's
            if folder in sys.path:
                sys.path.remove(folder)
            sys.path.insert(0, folder)

    def _forget_foreign(self, module_name: str) -> None:
        """If ``module_name`` was imported from another project's folder (two projects in one
        process, each with its own ``model.py``), drop it so this project's file is imported."""
        top = module_name.split(".")[0]
        cached = sys.modules.get(top)
        if cached is None or _under(getattr(cached, "__file__", None), self.base_dir):
            return
        mine = (self.base_dir / f"{top}.py").is_file() or (self.base_dir / top).is_dir()
        if mine:
            for name in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
                del sys.modules[name]

    def load_callable(self, spec: str) -> Any:
        """Import ``package.module:name`` from the project (after :meth:`activate`).

        Examples
        --------
        >>> Project(ProjectConfig.model_construct(), Path("x.yaml")).load_callable("math:sqrt")(9.0)
        3.0
        """
        self.activate()
        module_name, _, attr = spec.partition(":")
        self._forget_foreign(module_name)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(
                f"cannot import module {module_name!r} named in {spec!r} ({exc}); put it next to "
                f"{self.path.name} or install it.") from exc
        try:
            return getattr(module, attr)
        except AttributeError:
            raise ConfigError(f"module {module_name!r} has no attribute {attr!r} "
                              f"(named in {spec!r}).") from None


def _under(path: str | None, folder: Path) -> bool:
    try:
        return path is not None and Path(path).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


def load_project(path: str | Path, *, check_files: bool = True) -> Project:
    """Read and validate a project file.

    Raises :class:`~driftline.errors.ConfigError` naming the key, the allowed values and the
    fix, for a missing file, bad YAML, an unknown key, a wrong type or a missing data file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "ref.csv").write_text("x,y\\n1,0\\n")
    >>> _ = (d / "driftline.yaml").write_text(
    ...     "version: 1\\nmodel: {name: m, task: binary, target: y}\\n"
    ...     "training: {function: mymodel:train}\\nreference: {path: ref.csv}\\n")
    >>> project = load_project(d / "driftline.yaml")
    >>> project.config.model.name, project.reference_path.name
    ('m', 'ref.csv')
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"project file {str(file)!r} does not exist; create it (see "
                          "docs/configuration.md) or pass the right path.")
    yaml = require("yaml", extra="serve", feature="Reading project files")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{file.name}: not valid YAML{where}: "
                          f"{getattr(exc, 'problem', exc)}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file.name}: the top level must be a mapping of keys (version, "
                          f"model, training, reference, ...); got {type(data).__name__}.")
    config = validate(data, source=file.name)
    project = Project(config, file.resolve())
    if check_files and not project.reference_path.is_file():
        raise ConfigError(f"{file.name}: reference.path {config.reference.path!r} does not "
                          f"exist (looked at {project.reference_path}); fix the path, which is "
                          "relative to the project file.")
    return project


def validate(data: dict[str, Any], *, source: str = "project file") -> ProjectConfig:
    """Validate a mapping as a project file, turning pydantic's errors into one clear message.

    Examples
    --------
    >>> validate({"version": 1, "model": {"name": "m", "task": "binary", "target": "y"},
    ...           "training": {"function": "m:train"}, "reference": {"path": "r.csv"},
    ...           "loging": {}})
    Traceback (most recent call last):
    ...
    driftline.errors.ConfigError: project file: unknown key 'loging'; allowed here: alerts, ...
    """
    from pydantic import ValidationError

    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(err) for err in exc.errors()]
        raise ConfigError(f"{source}: " + "; ".join(lines[:5])
                          + (f"; and {len(lines) - 5} more" if len(lines) > 5 else "")) from None


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = ProjectConfig
    for part in loc[:-1]:
        field = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None)
        if field is None or not hasattr(field.annotation, "model_fields"):
            return []
        model = field.annotation
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _describe(err: Any) -> str:
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc))
        return f"unknown key {key!r}; allowed here: {allowed}. Remove or rename it"
    if kind == "missing":
        return f"missing required key {key!r}; add it"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{key} {msg[0].lower() + msg[1:]}; got {err.get('input')!r}"
