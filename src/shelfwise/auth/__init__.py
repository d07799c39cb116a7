"""Access control: who the caller is (passwords, tokens, sessions), what their role may do
(roles), which permission each route needs (policy, enforced once for the whole app), and
the record of it all (audit)."""
