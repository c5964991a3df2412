"""The project file: one YAML file describes one monitored model (see docs/configuration.md).

Needs the ``serve`` extra (pydantic, PyYAML): ``pip install 'driftline[serve]'``.

Examples
--------
>>> from driftline.config import ProjectConfig
>>> ProjectConfig.model_fields["version"].is_required()
True
"""

from driftline.config._compute import ComputeConfig, client_for, close_clients, open_client
from driftline.config._load import Project, load_project, validate
from driftline.config._model import ProjectConfig, WindowConfig, parse_duration

__all__ = ["ComputeConfig", "Project", "ProjectConfig", "WindowConfig", "client_for",
           "close_clients", "load_project", "open_client", "parse_duration", "validate"]
