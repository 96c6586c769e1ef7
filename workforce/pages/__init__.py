"""Web pages of the workforce app: the worker home and workforce management."""
