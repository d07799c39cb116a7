"""Planning: pure demand and inventory-policy mathematics (no I/O).

Inventory policies: ``normal`` (standard normal and loss functions), ``demand``
(discrete demand), ``eoq``, ``newsvendor``, ``base_stock``, ``rq``, ``ss``,
``safety_stock``, ``rounding``; ``cases`` evaluates textbook reference cases
(behind ``shelfwise planning check``).
"""
