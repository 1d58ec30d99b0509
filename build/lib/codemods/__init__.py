"""leakfix: find and fix resource leaks in Go services on CockroachDB/PostgreSQL."""

__version__ = "0.1.0"
