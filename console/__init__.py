"""The web console for supervision offices: server-rendered casework pages (aiohttp + Jinja2).

Same layer as `handlers/`: it reads and writes only through `ws`
(`tickets.ports.UpdateWorkspace`) and the domain's use cases, never `storage`; the
composition root (`bot/console_app.py`) builds `ws` for each request and serves the pages.
"""
