"""brandmon: brand monitoring and crisis alerting for Chinese social media."""

__version__ = "0.1.0"
