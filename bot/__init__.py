"""vertaisbot: a Telegram bot for peer-support groups of young people leaving foster care."""

__version__ = "0.1.0"
