"""mailtrap.pytest_plugin: fixtures that capture mail in tests (see plugin.py)."""
