"""The built-in web UI: server-rendered dashboards with plotly.js charts served from the
installed ``plotly`` package (no CDN, works offline). Needs the ``serve`` extra.

Pages: overview, serving and infrastructure, drift, performance, training, retraining
timeline and alerts (see docs/dashboards.md). Everything is aggregated on the server from the
store; no raw rows reach the browser.

Examples
--------
>>> from driftline.ui import UISettings
>>> UISettings().host_allowed("127.0.0.1:8000")
True
"""

from driftline.ui._routes import UISettings, build_ui_router, plotly_js
from driftline.ui._view import ModelView

__all__ = ["ModelView", "UISettings", "build_ui_router", "plotly_js"]
