"""Posts: experiments, frictions and lessons, with tags, wijken, links, revisions and logs."""
