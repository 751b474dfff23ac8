"""Read models the awards service keeps current as its data changes (the ranked lists of each round)."""
