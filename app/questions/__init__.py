"""The G40Gesprek: questions and contributions, upvotes, moderation, on air, inviting a participant to react."""
