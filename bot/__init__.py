"""policybot front ends and the dialogue core."""
