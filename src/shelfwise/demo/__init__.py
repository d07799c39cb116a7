"""The demo warehouse: realistic data generated through the same services a user calls."""
