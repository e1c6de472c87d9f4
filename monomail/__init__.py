"""monomail: a sendmail-compatible mail transfer agent in one asyncio process."""

__version__ = "0.1.0"
