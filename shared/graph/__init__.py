"""The attack graph: users, prompts, patterns and campaigns, and how they connect."""
