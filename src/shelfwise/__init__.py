"""Shelfwise: warehouse inventory control and inventory management on one ledger."""

__version__ = "0.1.0"
