"""The History area: the feed of jobs and their outputs."""
