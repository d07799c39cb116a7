"""Services: one function per business command, each one database transaction."""
