"""fundwatch: finds improper social-security benefit payments (社保基金) and writes clue lists."""

__version__ = "0.1.0"
