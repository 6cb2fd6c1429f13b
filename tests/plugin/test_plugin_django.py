"""`mailtrap_django` with real Django, over TLS: Django has no setting for a CA file."""

from __future__ import annotations

import pytest

DJANGO_CONFTEST = """
import django
from django.conf import settings

settings.configure(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                   DEFAULT_FROM_EMAIL="site@example.com")
django.setup()
"""


@pytest.mark.parametrize("mode", ["starttls", "require-starttls", "smtps"])
def test_mailtrap_django_verifies_the_server_with_the_session_ca(
    pytester: pytest.Pytester, mode: str
) -> None:
    pytester.makeini(f"[pytest]\nmailtrap_tls = {mode}\nmailtrap_auth = app:s3cret\n")
    pytester.makeconftest(DJANGO_CONFTEST)
    pytester.makepyfile(
        """
        import ssl
        from django.conf import settings
        from django.core import mail

        def test_password_reset(mailtrap_django):
            to = mailtrap_django.address("reset")
            mail.send_mail("Reset your password", "Code: 551177", None, [to])
            message = mailtrap_django.wait_for(to=to)
            assert message.code() == "551177"
            assert message.envelope.tls and message.username == "app"
            backend = mail.get_connection()
            assert backend.ssl_context.verify_mode == ssl.CERT_REQUIRED  # verified, not trusted
            assert settings.MAILTRAP_CA_FILE == str(mailtrap_django.settings.ca)

        def test_outside_the_fixture_django_is_untouched():
            from django.conf import settings
            assert settings.EMAIL_BACKEND.endswith("locmem.EmailBackend")
            assert not hasattr(settings, "MAILTRAP_CA_FILE")
        """
    )
    # A subprocess: cryptography's native types do not survive pytester's in-process reload.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
