"""Log output formats."""
