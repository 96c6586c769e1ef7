"""The allauth account adapter: invitation links may pre-verify the invited address."""

from allauth.account.adapter import DefaultAccountAdapter

VERIFIED_EMAIL_SESSION_KEY = "account_verified_email"  # where allauth keeps the stash


class AccountAdapter(DefaultAccountAdapter):
    """allauth's defaults, with one guard on the invitation page's verified-email stash.

    The invitation page stashes the invited address as verified, so signing up from the
    emailed link with that same address needs no second email. allauth would otherwise also
    attach the stashed address (verified, as primary) to an account signed up under a
    different address; here the stash only counts for the address actually signed up with.
    """

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        stashed = request.session.get(VERIFIED_EMAIL_SESSION_KEY)
        if stashed and stashed.lower() != (user.email or "").lower():
            self.unstash_verified_email(request)
        return user
