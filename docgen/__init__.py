"""docgen: the five essentials of a sales contract turned into signed documents."""

__version__ = "0.1.0"
