"""Dutch demo data (demo.jsonl) and its loader: `flask learncom load-demo`."""
