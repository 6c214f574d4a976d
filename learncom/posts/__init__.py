"""Posts: experiments, frictions and lessons, with tags, neighbourhoods, links, revisions and logs."""
