"""The project file: one YAML file describes one monitored model (see docs/configuration.md).

Needs the ``serve`` extra (pydantic, PyYAML): ``pip install 'driftline[serve]'``.

Examples
--------
>>> from driftline.config import ProjectConfig
>>> ProjectConfig.model_fields["version"].is_required()
True
"""

from driftline.config._load import Project, load_project, validate
from driftline.config._model import ProjectConfig, WindowConfig, parse_duration

__all__ = ["Project", "ProjectConfig", "WindowConfig", "load_project", "parse_duration", "validate"]
