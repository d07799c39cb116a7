"""API routers. Each module here exposes ``router``; ``ROUTER_MODULES`` lists the ones the
app mounts under ``/api`` (a new capability adds one line here)."""

ROUTER_MODULES = [
    "catalog",
    "ledger",
    "receiving",
    "outbound",
    "counting",
    "movements_floor",
    "auth",
    "planning",
    "diagnostics",
    "webhooks_inbound",
    "erp",
    "billing",
]
