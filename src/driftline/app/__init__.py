"""The ASGI app that composes the serving routes, health and metrics (and, later, the UI).

Examples
--------
>>> from driftline.app import check_bind
>>> check_bind("::1", services_complete=False, insecure=False)
"""

from driftline.app._app import ServeSettings, check_bind, create_app

__all__ = ["ServeSettings", "check_bind", "create_app"]
