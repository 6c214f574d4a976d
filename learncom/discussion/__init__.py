"""Discussion: threaded comments on every post."""
