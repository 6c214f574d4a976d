"""Backup and restore of a whole instance: `flask learncom backup DIR` and `restore DIR`."""
