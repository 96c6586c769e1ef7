"""The web pages of the storefront: home, organizations, invitations, profiles."""
