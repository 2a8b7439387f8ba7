"""Repositories: the only code that reads and writes the monitor's tables."""
