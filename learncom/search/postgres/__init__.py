"""The PostgreSQL search engine."""
