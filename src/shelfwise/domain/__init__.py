"""Pure domain rules: no I/O, no storage, no HTTP. Imports only the standard library,
numpy (for planning math) and each other."""
