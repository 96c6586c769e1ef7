"""Template tags of the storefront pages."""
