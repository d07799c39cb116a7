"""HTTP interface: FastAPI routers that parse input, call one service, map errors."""
