"""The pull-request bot: turns gradfix's JSON into one GitHub review with suggestion blocks and one
sticky summary comment. It reads only that JSON (never the repository's code) and writes only
comments that carry its own markers."""
