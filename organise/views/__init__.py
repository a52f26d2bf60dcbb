"""The back office's views, one module per area; each view wears ``access.require``."""
