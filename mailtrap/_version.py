"""The version, in a module of its own: every part of mailtrap names it, and importing it
from the package would import the whole public API (and once made an import cycle)."""

__version__ = "0.1.0"
