"""The web board (`docgen serve`): who waits for whom, decisions, what a reviewer changed, and its JSON API."""
