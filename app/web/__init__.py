"""The web app: a Gradio page (``page``: the layout and its mounting) mounted on the API server
at ``/``, its handlers (``handlers``) and its HTML (``render``), behind the checks Gradio skips
when it is mounted rather than launched (``guard``)."""

from app.web.page import WebApp, build_demo, demo, mount_web

__all__ = ["WebApp", "build_demo", "demo", "mount_web"]
