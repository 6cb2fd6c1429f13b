"""README's Flask recipe, with real Flask-Mail and Flask-Mailman apps (issue 17).

Both extensions read their config once, in `init_app`, and with `TESTING=True` Flask-Mail
suppresses sending and Flask-Mailman switches to its in-memory backend: so the settings go
to the app factory, and `mailtrap.settings.flask` turns both off.
"""

from __future__ import annotations

import pytest

APPS = """
from flask import Flask


def create_mail_app(config):  # a Flask-Mail application's factory
    from flask_mail import Mail, Message

    app = Flask(__name__)
    app.config.update(config)
    mail = Mail(app)

    @app.post("/reset")
    def reset():
        message = Message("Reset your password", sender="site@example.com",
                          recipients=[app.config["USER"]], body="Your code: 551177\\nBye")
        mail.send(message)
        return "sent"

    return app


def create_mailman_app(config):  # a Flask-Mailman application's factory
    from flask_mailman import EmailMessage, Mail

    app = Flask(__name__)
    app.config.update(config)
    Mail(app)

    @app.post("/reset")
    def reset():
        EmailMessage("Reset your password", "Your code: 551177\\nBye", "site@example.com",
                     [app.config["USER"]]).send()
        return "sent"

    return app
"""

TESTS = """
import pytest
from apps import create_mail_app, create_mailman_app


@pytest.fixture(params=[create_mail_app, create_mailman_app], ids=["flask-mail", "flask-mailman"])
def app(request, mailtrap, monkeypatch):
    if request.param is create_mailman_app and mailtrap.settings.tls == "smtps":
        # Flask-Mailman checks an SMTPS server against the default CAs and has no CA setting.
        monkeypatch.setenv("SSL_CERT_FILE", str(mailtrap.settings.ca))
    user = mailtrap.address("reset")
    return request.param({"TESTING": True, "USER": user, **mailtrap.settings.flask})


def test_password_reset(app, mailtrap):
    assert app.test_client().post("/reset").text == "sent"
    message = mailtrap.wait_for(to=app.config["USER"])
    assert (message.subject, message.sender.address) == ("Reset your password", "site@example.com")
    assert message.text.rstrip("\\n") == "Your code: 551177\\nBye"
    assert message.code() == "551177"
    assert message.envelope.tls == (mailtrap.settings.tls != "off")
    assert message.username == (mailtrap.settings.username or None)
"""


def test_flask_mail_and_flask_mailman_send_through_the_recipe(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(apps=APPS, test_reset=TESTS)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_the_recipe_with_tls_and_a_login(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makeini(f"[pytest]\nmailtrap_tls = {mode}\nmailtrap_auth = app:s3cret\n")
    pytester.makepyfile(apps=APPS, test_reset=TESTS)
    # A subprocess: cryptography's native types do not survive pytester's in-process reload.
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_settings_read_as_each_extension_needs() -> None:
    from mailtrap import SMTPSettings

    assert SMTPSettings("127.0.0.1", 2525).flask == {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 2525,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_BACKEND": "smtp",
    }
    secure = SMTPSettings("localhost", 465, "smtps", username="app", password="s3cret").flask
    assert (secure["MAIL_USE_SSL"], secure["MAIL_USE_TLS"]) == (True, False)
    assert (secure["MAIL_USERNAME"], secure["MAIL_PASSWORD"]) == ("app", "s3cret")
