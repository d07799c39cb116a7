"""Adapters between Shelfwise and other systems: web-store channels, EDI partners, ERP
files and outbound webhooks. Each turns outside messages into the same service commands
a user would run, and outbox events into outbound messages; each is a plug-in
(entry point group ``shelfwise.integrations``)."""
