"""allauth adapter: nobody signs themselves up. Users are created by the
national admin or by command and set their password from an emailed link."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False
