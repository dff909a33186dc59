"""allauth adapters: where the portal's account rules meet allauth's flows.

- Nobody signs themselves up: users are created by the national admin or by
  command and set their password from an e-mailed link, which points at
  `SAAF_BASE_URL` (the address people reach the portal at), not at whatever
  host the request came through.
- A user whose role requires two-factor authentication cannot remove it.
- Ending other sessions is audited (allauth sends no signal for it).
"""

from __future__ import annotations

from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.conf import settings
from django.urls import reverse

MFA_REQUIRED_REASON = (
    "Your role needs two-factor authentication, so you cannot turn it off. If you have "
    "lost your device, ask the national safeguarding team to reset it."
)


def portal_url(path: str) -> str:
    """`path` on the portal as people reach it (`SAAF_BASE_URL`), for e-mails."""
    return settings.SAAF_BASE_URL.rstrip("/") + path


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return portal_url(path.replace("UID-KEY", quote(key)))


class MFAAdapter(DefaultMFAAdapter):
    """allauth's MFA adapter: secrets encrypted in the database
    (`organisations.mfa_secrets`), and no removing the last authenticator of a
    role that requires MFA."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": MFA_REQUIRED_REASON,
    }

    def can_delete_authenticator(self, authenticator) -> bool:
        from organisations.permissions import requires_mfa

        return not requires_mfa(authenticator.user)

    def encrypt(self, text: str) -> str:
        from organisations.mfa_secrets import secret_encrypt

        return secret_encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        from organisations.mfa_secrets import secret_decrypt

        return secret_decrypt(encrypted_text)


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions) -> None:
        from organisations.receivers import sessions_ended_record

        sessions = list(sessions)
        super().end_sessions(sessions)
        users = {session.user for session in sessions}
        for user in users:
            sessions_ended_record(user=user, count=sum(1 for s in sessions if s.user_id == user.pk))
