"""Endpoints, one module per page family. Each module exports `routes`."""
