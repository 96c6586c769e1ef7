"""The allauth account adapter: invitation links may pre-verify the invited address."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """allauth's defaults; the invitation page stashes the invited email as verified, so
    signing up from the emailed link with that same address needs no second email."""
