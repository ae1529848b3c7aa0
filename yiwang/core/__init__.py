"""Core (平台底座): identity, organisation, audit ledger, workflow engine, access and the
shared pieces every room builds on. Core never imports a room."""
