"""Monitoring: windows of the prediction log compared with the champion's reference.

Examples
--------
>>> from driftline.monitor import Window
>>> Window.rows(500).tumbling
True
"""

from driftline.monitor._concept import ConceptWatch, concept_drifts, watch_feedback
from driftline.monitor._monitor import RESULT_SCHEMA, Monitor, MonitorResult
from driftline.monitor._run import monitor_project, window_from_config
from driftline.monitor._window import Window, WindowSlice

__all__ = ["RESULT_SCHEMA", "ConceptWatch", "Monitor", "MonitorResult", "Window", "WindowSlice",
           "concept_drifts", "monitor_project", "watch_feedback", "window_from_config"]
